//! Notices to bookers by e-mail (BK-NOTIFY) and the scheduled booking jobs. A task layer over
//! `store` and `booking`: notices are rows first (`store::outbox`), the postman hands them to
//! the SMTP server configured in `[mail]`, the jobs run on a timer and log their runs.
//!
//! - [`letters`]: what each notice says (pure).
//! - [`notices`]: writing a notice for a booking (from the office's mailbox), waking the postman.
//! - [`postman`]: the task that sends due notices through SMTP (lettre), with retries.
//! - [`stranded`]: the standing bookings a later closure left on closed times.
//! - [`jobs`]: reminders the day before, closure notices, erasing addresses after the
//!   appointment, purging old booking events, the city's report files; each run logged.
//! - [`report_files`]: yesterday's daily and last month's monthly report written as files.

pub mod jobs;
pub mod letters;
pub mod notices;
pub mod postman;
pub mod report_files;
pub mod stranded;

pub use notices::Notices;
