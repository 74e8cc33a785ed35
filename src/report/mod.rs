//! Reports computed from call records: pure functions over rows the store fetched.
//!
//! - [`outcome`]: what became of one call, the one definition every figure counts by.
//! - [`tally`]: counts that add up, and the rates made of them.
//! - [`metrics`]: a day by interval, language, line and agent.
//! - [`live`]: today's running tally, fed by the journal.
//! - [`watch`]: the floor's warnings (answer rate, volume against forecast, staffing).
//! - [`table`]: figures as CSV for Excel.
//! - [`categories`]: the inquiry categories' Japanese names.
//! - [`monthly`]: the monthly report the city receives.
//! - [`html`]: the reports as printable HTML (the PDF is printed from it).
//! - [`daily`]: the daily answer rate against the 85 % target (CC-SLA).
//! - [`forecast`]: offered calls per interval from history, and the agents needed.
//! - [`erlang`]: Erlang C, the agents needed for a service level.

pub mod categories;
pub mod daily;
pub mod erlang;
pub mod forecast;
pub mod html;
pub mod live;
pub mod metrics;
pub mod monthly;
pub mod outcome;
pub mod table;
pub mod tally;
pub mod watch;
