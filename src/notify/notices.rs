//! Writing a notice for a booking: composed from the booking and its office (the office's
//! mailbox is the sender, BK-NOTIFY), written to the outbox once, the postman woken. With no
//! `[mail] smtp` configured nothing is written: there is nobody to send it.

use std::sync::Arc;

use jiff::Timestamp;
use tokio::sync::Notify;

use super::letters::{About, NoticeKind, letter};
use crate::booking::slots::parse_slot_key;
use crate::booking::{OfficeSet, Service};
use crate::store::bookings::BookingRow;
use crate::store::outbox::NewMail;
use crate::store::{Store, StoreError};

/// The notices of a running center.
#[derive(Debug, Clone)]
pub struct Notices {
    store: Store,
    offices: Arc<OfficeSet>,
    call_center_number: String,
    enabled: bool,
    wake: Arc<Notify>,
}

impl Notices {
    pub fn new(store: Store, offices: Arc<OfficeSet>, call_center_number: String, enabled: bool) -> Notices {
        Notices {
            store,
            offices,
            call_center_number,
            enabled,
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// What the postman waits on.
    pub fn wake(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Writes a notice about `row` (if it has an address and notices are on); `about` makes it
    /// one of a kind (a closure's date, an outage's banner), so it is sent once.
    pub async fn send(
        &self,
        kind: NoticeKind,
        row: &BookingRow,
        extra: &str,
        about: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        let Some(to) = row.email.clone() else { return Ok(false) };
        if !self.enabled {
            return Ok(false);
        }
        let office = self.offices.get(&row.office);
        let details = About {
            code: row.code.clone(),
            office_name: office.as_ref().map_or_else(|| row.office.clone(), |o| o.name.clone()),
            office_address: office.as_ref().map(|o| o.address.clone()).unwrap_or_default(),
            service_name: Service::parse(&row.service)
                .map_or_else(|| row.service.clone(), |s| s.japanese().to_string()),
            when: japanese_when(&row.slot_start, row.slot_minutes),
            call_center_number: self.call_center_number.clone(),
        };
        let composed = letter(kind, &details, extra);
        let mail = NewMail {
            once: format!("{}:{}:{about}", kind.as_str(), row.code),
            kind: kind.as_str().to_string(),
            booking_code: row.code.clone(),
            from: office.map_or_else(String::new, |o| o.mailbox.clone()),
            to,
            subject: composed.subject,
            body: composed.body,
        };
        let written = self.store.enqueue_mail(&mail, at).await?;
        if written {
            self.wake.notify_one();
        }
        Ok(written)
    }
}

impl Notices {
    /// Writes a notice to an office's own mailbox (the hand-over list), once per `once`.
    pub async fn send_to_office(
        &self,
        office: &crate::booking::Office,
        subject: &str,
        body: &str,
        once: &str,
        at: Timestamp,
    ) -> Result<bool, StoreError> {
        if !self.enabled {
            return Ok(false);
        }
        let mail = NewMail {
            once: once.to_string(),
            kind: "handover".to_string(),
            booking_code: String::new(),
            from: office.mailbox.clone(),
            to: crate::pii::EmailAddress::new(office.mailbox.clone()),
            subject: subject.to_string(),
            body: body.to_string(),
        };
        let written = self.store.enqueue_mail(&mail, at).await?;
        if written {
            self.wake.notify_one();
        }
        Ok(written)
    }
}

/// `2026年12月8日（火）11:40〜12:10`
pub fn japanese_when(start: &str, minutes: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["月", "火", "水", "木", "金", "土", "日"];
    let Some(at) = parse_slot_key(start) else {
        return start.to_string();
    };
    let end = at
        .checked_add(jiff::Span::new().minutes(minutes))
        .map_or_else(|_| String::new(), |e| e.strftime("%H:%M").to_string());
    let weekday = WEEKDAYS[usize::try_from(at.weekday().to_monday_zero_offset()).unwrap_or(0) % 7];
    format!(
        "{}年{}月{}日（{weekday}）{}〜{end}",
        at.year(),
        at.month(),
        at.day(),
        at.strftime("%H:%M")
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_read_as_japanese_dates() {
        assert_eq!(
            super::japanese_when("2026-12-08T11:40", 30),
            "2026年12月8日（火）11:40〜12:10"
        );
        assert_eq!(
            super::japanese_when("2027-01-03T09:00", 60),
            "2027年1月3日（日）09:00〜10:00"
        );
    }
}
