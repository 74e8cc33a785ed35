//! The FAQ book (質疑応答集, CC-FAQ): entries as files (`faq/ID.md`), revised by supervisors,
//! approved by the city, searched by agents during calls (Japanese without spaces too). Pure:
//! the store keeps revisions, the web side offers them by role.
//!
//! - [`entry`]: one entry's file format (TOML front matter, an answer per language).
//! - [`search`]: ranking entries for a query, by character bigrams.
//! - [`export`]: the approved book as an Excel workbook for the city.
//! - [`book`]: the approved entries agents see, swapped whole when a revision is approved.

pub mod book;
pub mod entry;
pub mod export;
pub mod search;

pub use book::Book;
pub use entry::{Entry, InvalidEntry, parse};
