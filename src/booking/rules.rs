//! The rules a booking passes before anything is written, and the booker's deadline for
//! changes (BK-CHANGE). Pure: the time is an argument (Tokyo local time).

use jiff::civil::DateTime;
use jiff::{Span, ToSpan};

use super::office::{Offer, Office};
use super::service::Service;
use super::slots::{Slot, slot_at};
use crate::calendar::Calendar;

/// Why a slot cannot be booked. The messages are shown to agents and bookers as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("この窓口では{}を受け付けていません", .0.japanese())]
    NotOffered(Service),
    #[error("この日時は予約枠ではありません（閉庁日・時間外、または枠の開始時刻ではありません）")]
    NotASlot,
    #[error("過ぎた日時は予約できません")]
    Past,
    #[error("{0}日より先は予約できません")]
    TooFarAhead(i64),
    #[error("この枠は満員です")]
    Full,
}

/// How far ahead bookings are taken, and how close to the slot the booker may still change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BookingWindow {
    /// Days ahead a slot may be booked.
    pub horizon_days: i64,
    /// Hours before the slot after which the booker can no longer change or cancel.
    pub change_deadline_hours: i64,
}

impl Default for BookingWindow {
    fn default() -> BookingWindow {
        BookingWindow {
            horizon_days: 60,
            change_deadline_hours: 24,
        }
    }
}

/// The slot at `start`, if it may be booked now: the office offers the service, the calendar
/// has a slot there, it lies ahead and within the horizon. Capacity is the database's part.
pub fn bookable(
    office: &Office,
    service: Service,
    calendar: &Calendar,
    start: DateTime,
    now: DateTime,
    window: BookingWindow,
) -> Result<(Slot, Offer), Refusal> {
    let offer = office.offer(service).ok_or(Refusal::NotOffered(service))?;
    let slot = slot_at(calendar, offer.slot_minutes, start).ok_or(Refusal::NotASlot)?;
    if start <= now {
        return Err(Refusal::Past);
    }
    let horizon = now.date().checked_add(window.horizon_days.days()).unwrap_or(now.date());
    if start.date() > horizon {
        return Err(Refusal::TooFarAhead(window.horizon_days));
    }
    Ok((slot, offer))
}

/// Whether the booker may still change or cancel a booking of `slot_start` at `now`.
pub fn booker_may_change(slot_start: DateTime, now: DateTime, window: BookingWindow) -> bool {
    let deadline = slot_start
        .checked_sub(Span::new().hours(window.change_deadline_hours))
        .unwrap_or(slot_start);
    now < deadline
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::booking::slots::parse_slot_key;

    fn at(text: &str) -> DateTime {
        parse_slot_key(text).unwrap_or_else(|| panic!("{text}"))
    }

    fn kosugi() -> (Office, Calendar) {
        let office = crate::booking::office::parse(
            "kosugi",
            include_str!("../../ops/config/offices/kawasaki-center-kosugi.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let calendar = crate::calendar::parse(
            "center",
            include_str!("../../ops/config/calendars/kawasaki-card-center.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        (office, calendar)
    }

    #[test]
    fn a_future_slot_within_the_horizon_is_bookable() {
        let (office, calendar) = kosugi();
        let window = BookingWindow::default();
        let now = at("2026-12-02T12:00");
        let ok = bookable(
            &office,
            Service::CardPickup,
            &calendar,
            at("2026-12-08T11:40"),
            now,
            window,
        );
        assert_eq!(
            ok.map(|(slot, offer)| (slot.key(), offer.capacity)),
            Ok(("2026-12-08T11:40".into(), 11))
        );
        let refused = |service, start| bookable(&office, service, &calendar, at(start), now, window).err();
        assert_eq!(
            refused(Service::CardPickup, "2026-12-07T11:40"),
            Some(Refusal::NotASlot)
        );
        assert_eq!(refused(Service::CardPickup, "2026-12-02T11:40"), Some(Refusal::Past));
        assert_eq!(
            refused(Service::CardPickup, "2027-02-02T11:40"),
            Some(Refusal::TooFarAhead(60))
        );
        assert!(
            refused(Service::VisitRequest, "2026-12-08T11:40").is_none(),
            "Kosugi takes visit requests"
        );
    }

    #[test]
    fn an_office_without_the_service_refuses_it() {
        let office = crate::booking::office::parse(
            "yokosuka",
            include_str!("../../ops/config/offices/yokosuka-center.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let calendar = crate::calendar::parse(
            "yokosuka",
            include_str!("../../ops/config/calendars/yokosuka-card-center.toml"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let refused = bookable(
            &office,
            Service::CertificateRenewal,
            &calendar,
            at("2026-12-07T10:30"),
            at("2026-12-02T10:00"),
            BookingWindow::default(),
        );
        assert_eq!(refused.err(), Some(Refusal::NotOffered(Service::CertificateRenewal)));
        assert!(
            Refusal::NotOffered(Service::CertificateRenewal)
                .to_string()
                .contains("電子証明書更新予約")
        );
    }

    #[test]
    fn the_booker_may_change_until_the_deadline() {
        let window = BookingWindow {
            horizon_days: 60,
            change_deadline_hours: 24,
        };
        let slot = at("2026-12-08T11:40");
        assert!(booker_may_change(slot, at("2026-12-07T11:39"), window));
        assert!(!booker_may_change(slot, at("2026-12-07T11:40"), window));
        assert!(!booker_may_change(slot, at("2026-12-08T12:00"), window));
    }
}
