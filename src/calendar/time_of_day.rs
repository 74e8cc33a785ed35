//! Times of day and opening intervals ("09:00-17:00") as the calendar files write them.
//!
//! Our own small type rather than `jiff::civil::Time`, because an opening interval may end at
//! 24:00 (the end of the day), which a clock time cannot express.

use std::fmt;

/// Minutes since local midnight, 0..=1440 (1440 is 24:00, the end of the day).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TimeOfDay(u16);

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);
    pub const END_OF_DAY: TimeOfDay = TimeOfDay(24 * 60);

    pub fn from_hm(hour: u16, minute: u16) -> Option<TimeOfDay> {
        let minutes = hour.checked_mul(60)?.checked_add(minute)?;
        (minute < 60 && minutes <= 24 * 60).then_some(TimeOfDay(minutes))
    }

    pub fn minutes(self) -> u16 {
        self.0
    }

    pub fn hour(self) -> u16 {
        self.0 / 60
    }

    pub fn minute(self) -> u16 {
        self.0 % 60
    }

    /// The time of day of a civil time, to the minute (seconds are dropped: opening hours
    /// are given in minutes, so 16:59:59 is still within 16:59).
    pub fn of(time: jiff::civil::Time) -> TimeOfDay {
        TimeOfDay(u16::from(time.hour().unsigned_abs()) * 60 + u16::from(time.minute().unsigned_abs()))
    }

    /// Parses `HH:MM` (24-hour clock; `24:00` allowed).
    pub fn parse(text: &str) -> Result<TimeOfDay, String> {
        let bad = || format!("'{text}' is not a time of day (expected HH:MM, 00:00 to 24:00)");
        let (h, m) = text.trim().split_once(':').ok_or_else(bad)?;
        if h.is_empty() || h.len() > 2 || m.len() != 2 {
            return Err(bad());
        }
        let hour: u16 = h.parse().map_err(|_| bad())?;
        let minute: u16 = m.parse().map_err(|_| bad())?;
        TimeOfDay::from_hm(hour, minute).ok_or_else(bad)
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minute())
    }
}

/// A half-open interval of a day, `start..end`: open at `start`, closed again at `end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interval {
    pub start: TimeOfDay,
    pub end: TimeOfDay,
}

impl Interval {
    pub const WHOLE_DAY: Interval = Interval {
        start: TimeOfDay::MIDNIGHT,
        end: TimeOfDay::END_OF_DAY,
    };

    /// Parses `HH:MM-HH:MM`; the end must come after the start.
    pub fn parse(text: &str) -> Result<Interval, String> {
        let (start, end) = text
            .split_once('-')
            .ok_or_else(|| format!("'{text}' is not an interval (expected HH:MM-HH:MM, e.g. 09:00-17:00)"))?;
        let start = TimeOfDay::parse(start)?;
        let end = TimeOfDay::parse(end)?;
        if end <= start {
            return Err(format!(
                "interval '{text}' ends at {end}, not after it starts at {start}"
            ));
        }
        Ok(Interval { start, end })
    }

    pub fn contains(self, t: TimeOfDay) -> bool {
        self.start <= t && t < self.end
    }

    pub fn overlaps(self, other: Interval) -> bool {
        self.start < other.end && other.start < self.end
    }
}

impl fmt::Display for Interval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.start, self.end)
    }
}

/// A day's opening intervals: sorted, disjoint and never touching (touching ones are merged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DayHours(Vec<Interval>);

impl DayHours {
    pub fn closed() -> DayHours {
        DayHours(Vec::new())
    }

    /// Normalises any set of intervals: sorts them and merges the ones that overlap or touch.
    pub fn from_intervals(mut intervals: Vec<Interval>) -> DayHours {
        intervals.sort();
        let mut merged: Vec<Interval> = Vec::with_capacity(intervals.len());
        for interval in intervals {
            match merged.last_mut() {
                Some(last) if interval.start <= last.end => last.end = last.end.max(interval.end),
                _ => merged.push(interval),
            }
        }
        DayHours(merged)
    }

    pub fn intervals(&self) -> &[Interval] {
        &self.0
    }

    pub fn is_closed(&self) -> bool {
        self.0.is_empty()
    }

    pub fn containing(&self, t: TimeOfDay) -> Option<Interval> {
        self.0.iter().copied().find(|i| i.contains(t))
    }

    /// These hours with `cut` removed.
    pub fn without(&self, cut: Interval) -> DayHours {
        let mut rest = Vec::with_capacity(self.0.len() + 1);
        for &i in &self.0 {
            if !i.overlaps(cut) {
                rest.push(i);
                continue;
            }
            if i.start < cut.start {
                rest.push(Interval {
                    start: i.start,
                    end: cut.start,
                });
            }
            if cut.end < i.end {
                rest.push(Interval {
                    start: cut.end,
                    end: i.end,
                });
            }
        }
        DayHours(rest)
    }

    /// The union of these hours and `more`.
    pub fn union(&self, more: &DayHours) -> DayHours {
        DayHours::from_intervals(self.0.iter().chain(more.0.iter()).copied().collect())
    }
}

impl fmt::Display for DayHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("closed");
        }
        for (n, i) in self.0.iter().enumerate() {
            if n > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{i}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn iv(text: &str) -> Interval {
        Interval::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn parses_intervals_and_refuses_bad_ones() {
        assert_eq!(iv("09:00-17:00").to_string(), "09:00-17:00");
        assert_eq!(iv("8:30-24:00").end, TimeOfDay::END_OF_DAY);
        for bad in [
            "17:00-09:00",
            "09:00-09:00",
            "9-17",
            "09:60-10:00",
            "24:01-24:30",
            "a:b-c:d",
            "09:00",
        ] {
            assert!(Interval::parse(bad).is_err(), "{bad} should be refused");
        }
        let err = Interval::parse("17:00-09:00").unwrap_err();
        assert!(err.contains("not after it starts"), "{err}");
    }

    #[test]
    fn cutting_and_merging_hours() {
        let day = DayHours::from_intervals(vec![iv("13:00-17:00"), iv("09:00-12:00"), iv("12:00-13:00")]);
        assert_eq!(day.to_string(), "09:00-17:00");
        assert_eq!(day.without(iv("13:00-15:00")).to_string(), "09:00-13:00, 15:00-17:00");
        assert_eq!(day.without(iv("08:00-18:00")).to_string(), "closed");
        assert_eq!(day.without(iv("17:00-18:00")).to_string(), "09:00-17:00");
        let sat = DayHours::from_intervals(vec![iv("08:30-12:30")]);
        assert_eq!(sat.union(&day).to_string(), "08:30-17:00");
        assert!(
            day.containing(TimeOfDay::parse("16:59").unwrap_or(TimeOfDay::MIDNIGHT))
                .is_some()
        );
        assert!(
            day.containing(TimeOfDay::parse("17:00").unwrap_or(TimeOfDay::MIDNIGHT))
                .is_none()
        );
    }
}
