//! The postman: a task that sends the outbox's due notices through the SMTP server of `[mail]`
//! (lettre), oldest first, one at a time. A refused or unreachable server leaves the notice in
//! the outbox to be tried again after a growing pause (5 s, 10 s, … up to an hour), ten times at
//! most; then it is given up, its address erased, and counted. Woken at once when a notice is
//! written, and every few seconds otherwise.

use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tokio::sync::Notify;
use tracing::{info, warn};

use crate::store::Store;
use crate::store::outbox::QueuedMail;

/// Attempts before a notice is given up.
pub const MAX_ATTEMPTS: i64 = 10;
/// Notices taken from the outbox at a time.
const BATCH: i64 = 20;
/// How often the outbox is looked at when nobody wakes the postman.
const IDLE: Duration = Duration::from_secs(5);

/// Where notices go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    /// STARTTLS required (a server that does not offer it is refused).
    pub starttls: bool,
    /// User name and password, when the server asks for them.
    pub credentials: Option<(String, String)>,
}

/// Errors setting the postman up.
#[derive(Debug, thiserror::Error)]
pub enum PostmanError {
    #[error("mail.smtp: {0}")]
    Smtp(String),
}

fn transport(settings: &SmtpSettings) -> Result<AsyncSmtpTransport<Tokio1Executor>, PostmanError> {
    let builder = if settings.starttls {
        AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
            .map_err(|e| PostmanError::Smtp(e.to_string()))?
    } else {
        // A relay on the site's own network (plain SMTP); over the internet, set starttls.
        AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
    };
    let mut builder = builder.port(settings.port).timeout(Some(Duration::from_secs(20)));
    if let Some((user, password)) = &settings.credentials {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    Ok(builder.build())
}

/// The pause before attempt `attempts + 1`.
pub fn retry_pause(attempts: i64) -> Duration {
    let doublings = u32::try_from(attempts.clamp(0, 10)).unwrap_or(10);
    Duration::from_secs(5u64.saturating_mul(1 << doublings)).min(Duration::from_secs(3600))
}

/// The clock of the postman, read at the edge.
#[allow(clippy::disallowed_methods)]
fn now() -> Timestamp {
    Timestamp::now()
}

/// Starts the postman.
pub fn start(
    store: Store,
    settings: &SmtpSettings,
    wake: Arc<Notify>,
) -> Result<tokio::task::JoinHandle<()>, PostmanError> {
    let transport = transport(settings)?;
    info!(host = %settings.host, port = settings.port, starttls = settings.starttls, "e-mail notices go through SMTP");
    Ok(tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = wake.notified() => {}
                _ = tokio::time::sleep(IDLE) => {}
            }
            deliver_due(&store, &transport).await;
        }
    }))
}

async fn deliver_due(store: &Store, transport: &AsyncSmtpTransport<Tokio1Executor>) {
    let due = match store.due_mail(now(), MAX_ATTEMPTS, BATCH).await {
        Ok(due) => due,
        Err(e) => {
            warn!(error = %e, "cannot read the outbox; trying again shortly");
            return;
        }
    };
    for mail in due {
        let outcome = match message(&mail) {
            Ok(message) => transport.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        let recorded = match outcome {
            Ok(()) => store.mail_sent(mail.id, now()).await,
            Err(error) => {
                // A server's refusal often quotes the address: it is personal data, and goes
                // neither to the log nor to the outbox's error column.
                let error = without_addresses(&error);
                let attempts = mail.attempts + 1;
                let retry_at = (attempts < MAX_ATTEMPTS).then(|| {
                    let pause = jiff::SignedDuration::try_from(retry_pause(mail.attempts)).unwrap_or_default();
                    let at = now();
                    at.checked_add(pause).unwrap_or(at)
                });
                warn!(notice = mail.id, kind = %mail.kind, attempts, %error, given_up = retry_at.is_none(), "a notice was not sent");
                store.mail_failed(mail.id, &error, retry_at).await
            }
        };
        if let Err(e) = recorded {
            warn!(notice = mail.id, error = %e, "cannot record a notice's outcome");
        }
    }
}

/// `text` with every word that holds an `@` masked (e-mail addresses, with or without <>).
pub fn without_addresses(text: &str) -> String {
    text.split(' ')
        .map(|word| if word.contains('@') { "[address]" } else { word })
        .collect::<Vec<_>>()
        .join(" ")
}

fn message(mail: &QueuedMail) -> Result<Message, String> {
    let from: Mailbox = mail.from.parse().map_err(|e| format!("sender: {e}"))?;
    // The address is personal data: the error says it is wrong, not what it is.
    let to: Mailbox = mail
        .to
        .expose()
        .parse()
        .map_err(|_| "the booker's address is not valid".to_string())?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_lose_the_addresses_they_quote() {
        assert_eq!(
            without_addresses("permanent error (550): 5.1.1 <hanako@example.jp>: Recipient address rejected"),
            "permanent error (550): 5.1.1 [address] Recipient address rejected"
        );
        assert_eq!(without_addresses("connection refused"), "connection refused");
    }

    #[test]
    fn pauses_grow_and_stop_at_an_hour() {
        assert_eq!(retry_pause(0), Duration::from_secs(5));
        assert_eq!(retry_pause(1), Duration::from_secs(10));
        assert_eq!(retry_pause(5), Duration::from_secs(160));
        assert_eq!(retry_pause(9), Duration::from_secs(2560));
        assert_eq!(retry_pause(10), Duration::from_secs(3600));
    }
}
