//! The calendars a running service answers from. A supervisor (or a file reload) replaces a
//! calendar at run time; a replacement that does not validate is refused and the last good
//! version keeps answering, so a typo never closes (or opens) the center.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::file::{InvalidCalendar, parse};
use super::rules::Calendar;

/// The live calendars by id. Readers take a [`Calendars`] snapshot and never wait on a writer
/// for longer than a pointer swap: a std `RwLock` is enough since no lock is held across an
/// await. A replacement copies the (small) map and swaps it in, so a snapshot never changes.
#[derive(Debug, Default)]
pub struct CalendarSet {
    calendars: RwLock<Calendars>,
}

/// The calendars as they were at one moment: what a call is told stays consistent even if a
/// supervisor replaces a calendar while it is in the IVR.
#[derive(Debug, Clone, Default)]
pub struct Calendars(Arc<BTreeMap<String, Arc<Calendar>>>);

impl Calendars {
    pub fn get(&self, id: &str) -> Option<Arc<Calendar>> {
        self.0.get(id).cloned()
    }
}

impl CalendarSet {
    pub fn new() -> CalendarSet {
        CalendarSet::default()
    }

    /// The current version of a calendar.
    pub fn get(&self, id: &str) -> Option<Arc<Calendar>> {
        self.read().get(id)
    }

    /// Every calendar as it is now.
    pub fn snapshot(&self) -> Calendars {
        self.read().clone()
    }

    pub fn ids(&self) -> Vec<String> {
        self.read().0.keys().cloned().collect()
    }

    /// Parses `source` and, only if it is valid, makes it the current version of its calendar.
    /// On error nothing changes and the problems are returned.
    pub fn update(&self, origin: &str, source: &str) -> Result<Arc<Calendar>, InvalidCalendar> {
        let calendar = Arc::new(parse(origin, source)?);
        let mut current = self.calendars.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut map = BTreeMap::clone(&current.0);
        map.insert(calendar.id.clone(), Arc::clone(&calendar));
        *current = Calendars(Arc::new(map));
        Ok(calendar)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Calendars> {
        // A panic while holding the lock cannot leave the map half-written (a swap is the only
        // write), so a poisoned lock is still safe to read.
        self.calendars.read().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl CalendarSet {
    /// Applies sources in order (later ones replace earlier ones of the same id), keeping the
    /// previous version of any calendar whose source does not validate. Returns the problems.
    pub fn load_all<'a>(&self, sources: impl IntoIterator<Item = (&'a str, &'a str)>) -> Vec<InvalidCalendar> {
        sources
            .into_iter()
            .filter_map(|(origin, text)| self.update(origin, text).err())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
id = "office"
name = "Office"
[[period]]
name = "FY2026"
from = 2026-04-01
until = 2027-03-31
weekly.mon = ["09:00-17:00"]
"#;

    #[test]
    fn a_bad_update_keeps_the_last_good_calendar() {
        let set = CalendarSet::new();
        assert!(set.update("office.toml", GOOD).is_ok());
        let broken = GOOD.replace("09:00-17:00", "17:00-09:00");
        let err = set
            .update("office.toml", &broken)
            .expect_err("a reversed interval must be refused");
        assert_eq!(err.problems.len(), 1);
        let still = set.get("office").expect("the good version is still there");
        assert_eq!(
            still.periods[0].hours_on(jiff::civil::Weekday::Monday).to_string(),
            "09:00-17:00"
        );
    }

    #[test]
    fn a_snapshot_keeps_the_calendars_it_was_taken_with() {
        let set = CalendarSet::new();
        assert!(set.update("office.toml", GOOD).is_ok());
        let before = set.snapshot();
        assert!(
            set.update("office.toml", &GOOD.replace("09:00-17:00", "10:00-12:00"))
                .is_ok()
        );
        let hours = |c: &Calendar| c.periods[0].hours_on(jiff::civil::Weekday::Monday).to_string();
        assert_eq!(before.get("office").map(|c| hours(&c)).as_deref(), Some("09:00-17:00"));
        assert_eq!(set.get("office").map(|c| hours(&c)).as_deref(), Some("10:00-12:00"));
    }

    #[test]
    fn later_sources_override_earlier_ones_and_errors_are_collected() {
        let set = CalendarSet::new();
        let longer = GOOD.replace("09:00-17:00", "09:00-19:00");
        let problems = set.load_all([("a.toml", GOOD), ("b.toml", longer.as_str()), ("c.toml", "id = ")]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].origin, "c.toml");
        let office = set.get("office").expect("loaded");
        assert_eq!(
            office.periods[0].hours_on(jiff::civil::Weekday::Monday).to_string(),
            "09:00-19:00"
        );
        assert_eq!(set.ids(), vec!["office".to_string()]);
    }
}
