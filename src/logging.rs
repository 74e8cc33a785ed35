//! The log: its filter and its output, shared by the binary and the tests that read it.
//!
//! Our own code never logs personal data: numbers travel as [`crate::pii::Pii`]. Other crates
//! (the SIP stack, WebRTC, sqlx) may quote a URI with a number in a log line we do not write,
//! so their lines go through [`crate::pii::scrub`] on the way out. rsipstack's transport stays
//! at warn whatever `RUST_LOG` says: below that it prints every raw SIP message.

use std::io::{self, Write};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tracing::Metadata;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

use crate::pii::scrub;

/// `RUST_LOG` (given as `directives`), or our default; rsipstack's transport held at warn.
pub fn filter(directives: Option<&str>) -> EnvFilter {
    let filter = directives
        .and_then(|d| EnvFilter::try_new(d).ok())
        .unwrap_or_else(|| EnvFilter::new("info,rsipstack=warn,sqlx=warn,whisper_rs=warn"));
    match "rsipstack::transport=warn".parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

/// A writer maker that scrubs the lines of events from other crates than ours.
#[derive(Debug, Clone)]
pub struct Scrubbing<M>(pub M);

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for Scrubbing<M> {
    type Writer = LineWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        LineWriter {
            inner: self.0.make_writer(),
            scrubbed: Some(Vec::new()),
        }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Self::Writer {
        let ours = meta.target().starts_with(env!("CARGO_CRATE_NAME"));
        LineWriter {
            inner: self.0.make_writer_for(meta),
            scrubbed: (!ours).then(Vec::new),
        }
    }
}

/// Writes through, or (for another crate's event) keeps the event's text and writes it
/// scrubbed when the event is done.
pub struct LineWriter<W: Write> {
    inner: W,
    scrubbed: Option<Vec<u8>>,
}

impl<W: Write> Write for LineWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.scrubbed {
            Some(kept) => {
                kept.extend_from_slice(buf);
                Ok(buf.len())
            }
            None => self.inner.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(kept) = self.scrubbed.as_mut().filter(|k| !k.is_empty()) {
            let text = String::from_utf8_lossy(kept).into_owned();
            kept.clear();
            self.inner.write_all(scrub(&text).as_bytes())?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for LineWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// A warning that may come in floods (strangers scanning the trunk, rows lost while the
/// database is down), written at most once a second with how many occurrences the silence hid.
#[derive(Debug, Default)]
pub struct Throttled {
    state: Mutex<(Option<Instant>, u64)>,
}

impl Throttled {
    /// `Some(occurrences since the last line)` when a line may be written at `now`.
    pub fn tick(&self, now: Instant) -> Option<u64> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1 += 1;
        match state.0 {
            Some(last) if now.saturating_duration_since(last) < Duration::from_secs(1) => None,
            _ => {
                let count = state.1;
                *state = (Some(now), 0);
                Some(count)
            }
        }
    }
}

/// Installs the log for the whole process: `RUST_LOG` or our default, to `writer`.
pub fn init<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    init_with(std::env::var("RUST_LOG").ok().as_deref(), writer);
}

/// Installs the log with these filter directives (as `RUST_LOG` spells them), or our default.
pub fn init_with<W>(directives: Option<&str>, writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let _ = tracing_subscriber::fmt()
        .with_writer(Scrubbing(writer))
        .with_env_filter(filter(directives))
        .with_ansi(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn a_flood_of_warnings_becomes_one_line_a_second_with_a_count() {
        let log = Throttled::default();
        let t0 = Instant::now();
        assert_eq!(log.tick(t0), Some(1));
        for ms in (10..1000).step_by(10) {
            assert_eq!(log.tick(t0 + Duration::from_millis(ms)), None);
        }
        assert_eq!(log.tick(t0 + Duration::from_millis(1000)), Some(100));
    }

    #[test]
    fn another_crates_line_is_scrubbed_and_ours_is_kept() {
        let mut theirs = LineWriter {
            inner: Vec::new(),
            scrubbed: Some(Vec::new()),
        };
        let _ = theirs.write_all(b"received INVITE sip:0120380366@127.0.0.1 from <sip:09012345678@x>\n");
        let _ = theirs.flush();
        assert_eq!(
            String::from_utf8_lossy(&theirs.inner),
            "received INVITE sip:[redacted]@127.0.0.1 from <sip:[redacted]@x>\n"
        );
        let mut ours = LineWriter {
            inner: Vec::new(),
            scrubbed: None,
        };
        let _ = ours.write_all(b"call step ivr_answered:Ulaw 1234567\n");
        assert_eq!(
            String::from_utf8_lossy(&ours.inner),
            "call step ivr_answered:Ulaw 1234567\n"
        );
    }
}
