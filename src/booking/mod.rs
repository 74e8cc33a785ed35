//! Bookings (BK-*, CC-BOOK): offices as data, slots from their calendars, the rules a booking
//! passes, codes and secrets, and what the agent confirms with the caller. Pure: no clock, no
//! database; `store::bookings` keeps the bookings and enforces capacity (BK-EXCL) in one
//! conditional statement, `web::booking` is the HTTP side.
//!
//! - [`service`]: what can be booked, who comes, through which channel.
//! - [`office`]: office files (name, address, mailbox, calendar, slot length and capacity).
//! - [`directory`]: the live offices of a running service, and where their files come from.
//! - [`slots`]: the slots of a day from the office's calendar; a slot is named by its start.
//! - [`rules`]: whether a slot may be booked now; the booker's deadline for changes.
//! - [`checklist`]: what is confirmed before booking, per service (data).
//! - [`code`]: booking codes and secrets.
//! - [`transfer`]: the import and export files (BK-MIGRATE) and the check of each imported row.

pub mod checklist;
pub mod code;
pub mod directory;
pub mod office;
pub mod rules;
pub mod service;
pub mod slots;
pub mod transfer;

pub use checklist::{Checklist, Checklists, Confirmations};
pub use directory::{OfficeSet, Offices};
pub use office::{Offer, Office};
pub use rules::{BookingWindow, Refusal};
pub use service::{Channel, Service, Visitor};
pub use slots::Slot;
