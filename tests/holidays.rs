//! Japanese holidays against the Cabinet Office's published list (2019–2027, every day), and
//! properties of the rules over every day of 1980–2099.

use std::collections::{BTreeMap, HashMap};

use jiff::ToSpan;
use jiff::civil::{Date, Weekday};
use tsunagu::calendar::holidays::SUPPORTED_YEARS;
use tsunagu::calendar::{HolidayName, holiday_on, holidays_in_year};

/// The Cabinet Office's list (内閣府「国民の祝日について」, syukujitsu.csv), typed in for 2019–2027
/// in the office's own format and labels.
const CABINET_OFFICE_LIST: &str = include_str!("data/cabinet-office-holidays-2019-2027.csv");

fn published() -> BTreeMap<Date, &'static str> {
    CABINET_OFFICE_LIST
        .lines()
        .skip(1)
        .map(|line| {
            let (date, name) = line
                .split_once(',')
                .unwrap_or_else(|| panic!("bad fixture line {line}"));
            let parts: Vec<i16> = date
                .split('/')
                .map(|p| p.parse().unwrap_or_else(|_| panic!("bad date {date}")))
                .collect();
            let date = Date::new(parts[0], parts[1] as i8, parts[2] as i8).unwrap_or_else(|e| panic!("{date}: {e}"));
            (date, name)
        })
        .collect()
}

/// How the Cabinet Office labels our holidays: 振替休日 and 国民の休日 are both plain "休日",
/// and the 2019 Imperial days are "休日（祝日扱い）".
fn cabinet_label(name: HolidayName) -> &'static str {
    match name {
        HolidayName::SubstituteHoliday | HolidayName::CitizensHoliday => "休日",
        HolidayName::EmperorsAccession | HolidayName::EnthronementCeremony => "休日（祝日扱い）",
        other => other.japanese(),
    }
}

fn all_days(from_year: i16, to_year: i16) -> impl Iterator<Item = Date> {
    let first = Date::new(from_year, 1, 1).unwrap_or_else(|e| panic!("{e}"));
    first.series(1.day()).take_while(move |d| d.year() <= to_year)
}

#[test]
fn every_day_of_2019_to_2027_matches_the_cabinet_office_list() {
    let published = published();
    assert_eq!(published.len(), 165, "the fixture lists 165 holidays");
    let mut checked = 0;
    for date in all_days(2019, 2027) {
        let ours = holiday_on(date).map(|h| cabinet_label(h.name));
        assert_eq!(ours, published.get(&date).copied(), "{date}");
        checked += 1;
    }
    assert_eq!(checked, 3287, "every day of nine years");
}

#[test]
fn holidays_of_a_year_are_the_days_that_are_holidays() {
    for year in SUPPORTED_YEARS {
        let listed = holidays_in_year(year);
        let by_day: Vec<Date> = all_days(year, year).filter(|d| holiday_on(*d).is_some()).collect();
        assert_eq!(listed.iter().map(|h| h.date).collect::<Vec<_>>(), by_day, "{year}");
        assert!(
            (12..=22).contains(&listed.len()),
            "{year} has {} holidays",
            listed.len()
        );
    }
}

#[test]
fn every_substitute_holiday_follows_a_sunday_holiday_and_every_sunday_holiday_has_one() {
    let national = |d: Date| holiday_on(d).is_some_and(|h| h.name.is_national_holiday());
    for date in all_days(*SUPPORTED_YEARS.start(), *SUPPORTED_YEARS.end()) {
        let name = holiday_on(date).map(|h| h.name);
        if name == Some(HolidayName::SubstituteHoliday) {
            // Walk back over the run of 国民の祝日 right before it: it must start at a Sunday.
            let mut prev = date.yesterday().unwrap_or_else(|e| panic!("{e}"));
            while national(prev) && prev.weekday() != Weekday::Sunday {
                prev = prev.yesterday().unwrap_or_else(|e| panic!("{e}"));
            }
            assert!(
                national(prev) && prev.weekday() == Weekday::Sunday,
                "{date} substitutes no Sunday holiday"
            );
            if date.year() <= 2006 {
                assert_eq!(
                    prev,
                    date.yesterday().unwrap_or(prev),
                    "{date}: before 2007 only the Monday"
                );
            }
        }
        if national(date) && date.weekday() == Weekday::Sunday {
            // The next day that is not a 国民の祝日 is a substitute holiday (before 2007, only
            // when that is the Monday).
            let mut next = date.tomorrow().unwrap_or_else(|e| panic!("{e}"));
            while national(next) {
                next = next.tomorrow().unwrap_or_else(|e| panic!("{e}"));
            }
            let expected = date.year() >= 2007 || next == date.tomorrow().unwrap_or(next);
            if expected {
                assert_eq!(
                    holiday_on(next).map(|h| h.name),
                    Some(HolidayName::SubstituteHoliday),
                    "after {date}"
                );
            }
        }
    }
}

#[test]
fn every_citizens_holiday_lies_between_two_national_holidays() {
    let national = |d: Date| holiday_on(d).is_some_and(|h| h.name.is_national_holiday());
    let mut count = 0;
    for date in all_days(*SUPPORTED_YEARS.start(), *SUPPORTED_YEARS.end()) {
        if holiday_on(date).map(|h| h.name) == Some(HolidayName::CitizensHoliday) {
            count += 1;
            assert!(date.yesterday().is_ok_and(national), "{date}");
            assert!(date.tomorrow().is_ok_and(national), "{date}");
            assert!(date.year() >= 1986, "{date}: the rule dates from December 1985");
        }
    }
    // May 4 of 1988–2006 when not Sunday/Monday, the 2019 Golden Week days, and the silver weeks.
    assert!(count >= 20, "{count} citizens' holidays");
}

#[test]
fn no_holiday_hides_another() {
    // Each holiday that the law gives a year must be found exactly once in that year: if two
    // rules fell on one date, one of the names would be missing.
    for year in SUPPORTED_YEARS {
        let mut seen: HashMap<HolidayName, usize> = HashMap::new();
        for h in holidays_in_year(year) {
            *seen.entry(h.name).or_default() += 1;
        }
        let mut expected = vec![
            HolidayName::NewYearsDay,
            HolidayName::ComingOfAgeDay,
            HolidayName::NationalFoundationDay,
            HolidayName::VernalEquinoxDay,
            HolidayName::ConstitutionMemorialDay,
            HolidayName::ChildrensDay,
            HolidayName::RespectForTheAgedDay,
            HolidayName::AutumnalEquinoxDay,
            HolidayName::CultureDay,
            HolidayName::LabourThanksgivingDay,
        ];
        if year >= 1996 {
            expected.push(HolidayName::MarineDay);
        }
        if year >= 2016 {
            expected.push(HolidayName::MountainDay);
        }
        if year <= 2019 {
            expected.push(HolidayName::HealthAndSportsDay);
        } else {
            expected.push(HolidayName::SportsDay);
        }
        if year != 2019 {
            expected.push(HolidayName::EmperorsBirthday);
        }
        if year >= 1989 {
            expected.push(HolidayName::GreeneryDay);
        }
        if year >= 2007 {
            expected.push(HolidayName::ShowaDay);
        }
        for name in expected {
            assert_eq!(seen.get(&name), Some(&1), "{year}: {}", name.english());
        }
    }
}

#[test]
fn happy_mondays_are_mondays_and_equinoxes_stay_near_the_equinox() {
    for year in SUPPORTED_YEARS {
        for h in holidays_in_year(year) {
            match h.name {
                HolidayName::ComingOfAgeDay if year >= 2000 => {
                    assert_eq!(h.date.weekday(), Weekday::Monday, "{}", h.date)
                }
                HolidayName::RespectForTheAgedDay | HolidayName::MarineDay
                    if year >= 2003 && year != 2020 && year != 2021 =>
                {
                    assert_eq!(h.date.weekday(), Weekday::Monday, "{}", h.date)
                }
                HolidayName::VernalEquinoxDay => {
                    assert!(h.date.month() == 3 && (19..=21).contains(&h.date.day()), "{}", h.date)
                }
                HolidayName::AutumnalEquinoxDay => {
                    assert!(h.date.month() == 9 && (21..=24).contains(&h.date.day()), "{}", h.date)
                }
                _ => {}
            }
        }
    }
}
