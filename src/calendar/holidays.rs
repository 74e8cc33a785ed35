//! Japanese national holidays (国民の祝日 and 休日), computed from the law for 1980–2099.
//!
//! Why not a crate: the holiday crates on crates.io are tables generated from a data file
//! (they end where the file ends and carry whatever the file got wrong). The law is a short
//! set of rules, so we compute it and test it against the Cabinet Office's published list.
//!
//! The rules, as amended over the years (国民の祝日に関する法律):
//! - fixed dates, with the dates and names that changed (Apr 29: 天皇誕生日 → みどりの日 → 昭和の日;
//!   the Emperor's Birthday Dec 23 in 1989–2018 and Feb 23 from 2020);
//! - Happy Monday days (成人の日, 体育の日 from 2000; 海の日, 敬老の日 from 2003);
//! - the equinox days, from the standard astronomical approximation valid for 1980–2099
//!   (the Cabinet Office fixes each year's date in February of the year before; for the years
//!   published so far the approximation agrees, and the tests hold it to that);
//! - one-off days by special law (Imperial ceremonies; the 2020 and 2021 Olympic moves);
//! - 振替休日: a 国民の祝日 on a Sunday makes the next day that is not a 国民の祝日 a holiday
//!   (until 2006 only the Monday, and only if it was not a 国民の祝日 itself);
//! - 国民の休日 (from 1986): a day between two 国民の祝日 is a holiday (until 2006 not if Sunday).

use jiff::civil::{Date, Weekday};

/// The years for which the rules here are valid (the equinox approximation bounds them).
pub const SUPPORTED_YEARS: std::ops::RangeInclusive<i16> = 1980..=2099;

/// A holiday: its date and its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: HolidayName,
}

/// Every name a Japanese holiday can have; each knows its Japanese and English name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayName {
    NewYearsDay,
    ComingOfAgeDay,
    NationalFoundationDay,
    EmperorsBirthday,
    VernalEquinoxDay,
    ShowaDay,
    GreeneryDay,
    ConstitutionMemorialDay,
    ChildrensDay,
    MarineDay,
    MountainDay,
    RespectForTheAgedDay,
    AutumnalEquinoxDay,
    HealthAndSportsDay,
    SportsDay,
    CultureDay,
    LabourThanksgivingDay,
    FuneralOfEmperorShowa,
    EnthronementCeremony,
    CrownPrinceWedding,
    EmperorsAccession,
    /// 振替休日: follows a 国民の祝日 that fell on a Sunday.
    SubstituteHoliday,
    /// 国民の休日: a day between two 国民の祝日.
    CitizensHoliday,
}

impl HolidayName {
    /// The name as the law and the Cabinet Office write it.
    pub fn japanese(self) -> &'static str {
        use HolidayName::*;
        match self {
            NewYearsDay => "元日",
            ComingOfAgeDay => "成人の日",
            NationalFoundationDay => "建国記念の日",
            EmperorsBirthday => "天皇誕生日",
            VernalEquinoxDay => "春分の日",
            ShowaDay => "昭和の日",
            GreeneryDay => "みどりの日",
            ConstitutionMemorialDay => "憲法記念日",
            ChildrensDay => "こどもの日",
            MarineDay => "海の日",
            MountainDay => "山の日",
            RespectForTheAgedDay => "敬老の日",
            AutumnalEquinoxDay => "秋分の日",
            HealthAndSportsDay => "体育の日",
            SportsDay => "スポーツの日",
            CultureDay => "文化の日",
            LabourThanksgivingDay => "勤労感謝の日",
            FuneralOfEmperorShowa => "昭和天皇の大喪の礼",
            EnthronementCeremony => "即位礼正殿の儀",
            CrownPrinceWedding => "結婚の儀",
            EmperorsAccession => "天皇の即位の日",
            SubstituteHoliday => "振替休日",
            CitizensHoliday => "国民の休日",
        }
    }

    /// The English name, following the Cabinet Office's English page where it has one.
    pub fn english(self) -> &'static str {
        use HolidayName::*;
        match self {
            NewYearsDay => "New Year's Day",
            ComingOfAgeDay => "Coming of Age Day",
            NationalFoundationDay => "National Foundation Day",
            EmperorsBirthday => "The Emperor's Birthday",
            VernalEquinoxDay => "Vernal Equinox Day",
            ShowaDay => "Showa Day",
            GreeneryDay => "Greenery Day",
            ConstitutionMemorialDay => "Constitution Memorial Day",
            ChildrensDay => "Children's Day",
            MarineDay => "Marine Day",
            MountainDay => "Mountain Day",
            RespectForTheAgedDay => "Respect for the Aged Day",
            AutumnalEquinoxDay => "Autumnal Equinox Day",
            HealthAndSportsDay => "Health and Sports Day",
            SportsDay => "Sports Day",
            CultureDay => "Culture Day",
            LabourThanksgivingDay => "Labour Thanksgiving Day",
            FuneralOfEmperorShowa => "Funeral Ceremony of Emperor Showa",
            EnthronementCeremony => "Ceremony of the Enthronement",
            CrownPrinceWedding => "Wedding Ceremony of the Crown Prince",
            EmperorsAccession => "Day of the Emperor's Accession",
            SubstituteHoliday => "Substitute Holiday",
            CitizensHoliday => "Citizens' Holiday",
        }
    }

    /// A stable key for catalogues and records (`labour_thanksgiving_day`).
    pub fn key(self) -> &'static str {
        use HolidayName::*;
        match self {
            NewYearsDay => "new_years_day",
            ComingOfAgeDay => "coming_of_age_day",
            NationalFoundationDay => "national_foundation_day",
            EmperorsBirthday => "emperors_birthday",
            VernalEquinoxDay => "vernal_equinox_day",
            ShowaDay => "showa_day",
            GreeneryDay => "greenery_day",
            ConstitutionMemorialDay => "constitution_memorial_day",
            ChildrensDay => "childrens_day",
            MarineDay => "marine_day",
            MountainDay => "mountain_day",
            RespectForTheAgedDay => "respect_for_the_aged_day",
            AutumnalEquinoxDay => "autumnal_equinox_day",
            HealthAndSportsDay => "health_and_sports_day",
            SportsDay => "sports_day",
            CultureDay => "culture_day",
            LabourThanksgivingDay => "labour_thanksgiving_day",
            FuneralOfEmperorShowa => "funeral_of_emperor_showa",
            EnthronementCeremony => "enthronement_ceremony",
            CrownPrinceWedding => "crown_prince_wedding",
            EmperorsAccession => "emperors_accession",
            SubstituteHoliday => "substitute_holiday",
            CitizensHoliday => "citizens_holiday",
        }
    }

    /// Every name, for catalogues that must cover them all.
    pub const ALL: [HolidayName; 23] = {
        use HolidayName::*;
        [
            NewYearsDay,
            ComingOfAgeDay,
            NationalFoundationDay,
            EmperorsBirthday,
            VernalEquinoxDay,
            ShowaDay,
            GreeneryDay,
            ConstitutionMemorialDay,
            ChildrensDay,
            MarineDay,
            MountainDay,
            RespectForTheAgedDay,
            AutumnalEquinoxDay,
            HealthAndSportsDay,
            SportsDay,
            CultureDay,
            LabourThanksgivingDay,
            FuneralOfEmperorShowa,
            EnthronementCeremony,
            CrownPrinceWedding,
            EmperorsAccession,
            SubstituteHoliday,
            CitizensHoliday,
        ]
    };

    /// A 国民の祝日 in the law's sense (and the one-off days treated as such), as opposed
    /// to the 休日 that the law derives from them. Only these trigger 振替休日 and 国民の休日.
    pub fn is_national_holiday(self) -> bool {
        !matches!(self, HolidayName::SubstituteHoliday | HolidayName::CitizensHoliday)
    }
}

/// The holiday on `date`, if any. Valid for [`SUPPORTED_YEARS`]; outside them the current
/// rules are applied as they stand, which the law does not promise.
pub fn holiday_on(date: Date) -> Option<Holiday> {
    let name = national_holiday(date)
        .or_else(|| is_substitute_holiday(date).then_some(HolidayName::SubstituteHoliday))
        .or_else(|| is_citizens_holiday(date).then_some(HolidayName::CitizensHoliday))?;
    Some(Holiday { date, name })
}

/// All holidays of `year`, in date order.
pub fn holidays_in_year(year: i16) -> Vec<Holiday> {
    let Ok(first) = Date::new(year, 1, 1) else {
        return Vec::new();
    };
    first
        .series(jiff::ToSpan::days(1))
        .take_while(|d| d.year() == year)
        .filter_map(holiday_on)
        .collect()
}

/// The 国民の祝日 (and one-off days by special law) on `date`.
fn national_holiday(date: Date) -> Option<HolidayName> {
    use HolidayName::*;
    let (y, m, d) = (date.year(), date.month(), date.day());
    let is_nth_monday = |n: i8| nth_weekday(y, m, n, Weekday::Monday) == Some(date);
    let name = match (m, d) {
        (1, 1) => NewYearsDay,
        (1, 15) if y <= 1999 => ComingOfAgeDay,
        (1, _) if y >= 2000 && is_nth_monday(2) => ComingOfAgeDay,
        (2, 11) => NationalFoundationDay,
        (2, 23) if y >= 2020 => EmperorsBirthday,
        (2, 24) if y == 1989 => FuneralOfEmperorShowa,
        (3, _) if d == vernal_equinox_day(y) => VernalEquinoxDay,
        (4, 29) if y <= 1988 => EmperorsBirthday,
        (4, 29) if y <= 2006 => GreeneryDay,
        (4, 29) => ShowaDay,
        (5, 1) if y == 2019 => EmperorsAccession,
        (5, 3) => ConstitutionMemorialDay,
        (5, 4) if y >= 2007 => GreeneryDay,
        (5, 5) => ChildrensDay,
        (6, 9) if y == 1993 => CrownPrinceWedding,
        (7, _) => return marine_or_moved_sports_day(date),
        (8, 10) if y == 2020 => MountainDay,
        (8, 8) if y == 2021 => MountainDay,
        (8, 11) if y >= 2016 && y != 2020 && y != 2021 => MountainDay,
        (9, 15) if y <= 2002 => RespectForTheAgedDay,
        (9, _) if y >= 2003 && is_nth_monday(3) => RespectForTheAgedDay,
        (9, _) if d == autumnal_equinox_day(y) => AutumnalEquinoxDay,
        (10, 10) if y <= 1999 => HealthAndSportsDay,
        (10, _) if (2000..=2019).contains(&y) && is_nth_monday(2) => HealthAndSportsDay,
        (10, _) if y >= 2022 && is_nth_monday(2) => SportsDay,
        (10, 22) if y == 2019 => EnthronementCeremony,
        (11, 3) => CultureDay,
        (11, 12) if y == 1990 => EnthronementCeremony,
        (11, 23) => LabourThanksgivingDay,
        (12, 23) if (1989..=2018).contains(&y) => EmperorsBirthday,
        _ => return None,
    };
    Some(name)
}

/// July: Marine Day (from 1996), and the days moved into July for the Tokyo Olympics.
fn marine_or_moved_sports_day(date: Date) -> Option<HolidayName> {
    let (y, d) = (date.year(), date.day());
    match (y, d) {
        (2020, 23) | (2021, 22) => Some(HolidayName::MarineDay),
        (2020, 24) | (2021, 23) => Some(HolidayName::SportsDay),
        (2020 | 2021, _) => None,
        (1996..=2002, 20) => Some(HolidayName::MarineDay),
        (2003.., _) if nth_weekday(y, 7, 3, Weekday::Monday) == Some(date) => Some(HolidayName::MarineDay),
        _ => None,
    }
}

fn is_national(date: Date) -> bool {
    national_holiday(date).is_some()
}

/// 振替休日 (in force since 1973; our range starts in 1980).
fn is_substitute_holiday(date: Date) -> bool {
    if is_national(date) {
        return false;
    }
    if date.year() <= 2006 {
        // Old rule: only the day right after a Sunday holiday.
        return date
            .yesterday()
            .is_ok_and(|prev| prev.weekday() == Weekday::Sunday && is_national(prev));
    }
    // Since 2007: the first day after the Sunday holiday that is not a 国民の祝日 itself,
    // so walk back over the run of holidays right before `date` looking for a Sunday.
    let mut day = date;
    while let Ok(prev) = day.yesterday() {
        if !is_national(prev) {
            return false;
        }
        if prev.weekday() == Weekday::Sunday {
            return true;
        }
        day = prev;
    }
    false
}

/// 国民の休日 (in force since the amendment of December 1985).
fn is_citizens_holiday(date: Date) -> bool {
    if date.year() < 1986 || is_national(date) {
        return false;
    }
    if date.year() <= 2006 && date.weekday() == Weekday::Sunday {
        return false;
    }
    date.yesterday().is_ok_and(is_national) && date.tomorrow().is_ok_and(is_national)
}

/// The `n`th `weekday` of a month (n from 1), if the month has one.
pub(crate) fn nth_weekday(year: i16, month: i8, n: i8, weekday: Weekday) -> Option<Date> {
    let first = Date::new(year, month, 1).ok()?;
    let day = first.nth_weekday_of_month(n, weekday).ok()?;
    (day.month() == month).then_some(day)
}

/// Day of March of the vernal equinox day, by the approximation
/// `floor(20.8431 + 0.242194 (Y − 1980) − floor((Y − 1980) / 4))`, valid for 1980–2099.
/// Computed in millionths so that no floating-point rounding can move a day.
fn vernal_equinox_day(year: i16) -> i8 {
    equinox_day(20_843_100, year)
}

/// Day of September of the autumnal equinox day: the same form with 23.2488.
fn autumnal_equinox_day(year: i16) -> i8 {
    equinox_day(23_248_800, year)
}

fn equinox_day(base_millionths: i64, year: i16) -> i8 {
    let years = i64::from(year) - 1980;
    let value = base_millionths + 242_194 * years;
    let day = value.div_euclid(1_000_000) - years.div_euclid(4);
    // The result lies in 19..=24 for any year we are asked about; clamp keeps the type honest.
    day.clamp(1, 30) as i8
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    fn name_on(y: i16, m: i8, d: i8) -> Option<HolidayName> {
        holiday_on(date(y, m, d)).map(|h| h.name)
    }

    #[test]
    fn equinoxes_match_the_published_days() {
        // Cabinet Office: 2019-03-21, 2019-09-23, 2020-03-20, 2020-09-22, 2024-09-22, 2027-03-21.
        assert_eq!(vernal_equinox_day(2019), 21);
        assert_eq!(autumnal_equinox_day(2019), 23);
        assert_eq!(vernal_equinox_day(2020), 20);
        assert_eq!(autumnal_equinox_day(2020), 22);
        assert_eq!(autumnal_equinox_day(2024), 22);
        assert_eq!(vernal_equinox_day(2027), 21);
        // Known far years of the approximation: 1980 (Mar 20, Sep 23), 2099 (Mar 20, Sep 23)
        assert_eq!(vernal_equinox_day(1980), 20);
        assert_eq!(autumnal_equinox_day(1980), 23);
    }

    #[test]
    fn imperial_and_olympic_one_offs() {
        use HolidayName::*;
        assert_eq!(name_on(1989, 2, 24), Some(FuneralOfEmperorShowa));
        assert_eq!(name_on(1990, 11, 12), Some(EnthronementCeremony));
        assert_eq!(name_on(1993, 6, 9), Some(CrownPrinceWedding));
        assert_eq!(name_on(2019, 5, 1), Some(EmperorsAccession));
        assert_eq!(name_on(2019, 10, 22), Some(EnthronementCeremony));
        assert_eq!(name_on(2019, 12, 23), None, "no Emperor's Birthday in 2019");
        assert_eq!(name_on(2020, 7, 24), Some(SportsDay));
        assert_eq!(name_on(2020, 10, 12), None, "Sports Day moved to July in 2020");
        assert_eq!(name_on(2021, 8, 9), Some(SubstituteHoliday));
    }

    #[test]
    fn names_that_changed_over_the_years() {
        use HolidayName::*;
        assert_eq!(name_on(1988, 4, 29), Some(EmperorsBirthday));
        assert_eq!(name_on(1989, 4, 29), Some(GreeneryDay));
        assert_eq!(name_on(2007, 4, 29), Some(ShowaDay));
        assert_eq!(name_on(1999, 1, 15), Some(ComingOfAgeDay));
        assert_eq!(name_on(2000, 1, 10), Some(ComingOfAgeDay));
        assert_eq!(name_on(2000, 1, 15), None);
        assert_eq!(name_on(1995, 7, 20), None, "Marine Day starts in 1996");
        assert_eq!(name_on(2015, 8, 11), None, "Mountain Day starts in 2016");
        assert_eq!(name_on(2019, 10, 14), Some(HealthAndSportsDay));
        assert_eq!(name_on(2022, 10, 10), Some(SportsDay));
    }

    #[test]
    fn substitute_and_citizens_holidays_under_old_and_new_law() {
        use HolidayName::*;
        // 1987-05-03 was a Sunday: the Monday after is a substitute holiday.
        assert_eq!(name_on(1987, 5, 4), Some(SubstituteHoliday));
        // 1988-05-04, a Wednesday between two holidays: the first 国民の休日 of the kind.
        assert_eq!(name_on(1988, 5, 4), Some(CitizensHoliday));
        // 1985-05-04 (Saturday) came before the amendment.
        assert_eq!(name_on(1985, 5, 4), None);
        // 1986-05-04 was a Sunday: the old law excluded Sundays.
        assert_eq!(name_on(1986, 5, 4), None);
        // 2008-05-04 (Greenery Day) was a Sunday: the substitute skips May 5 and lands on May 6.
        assert_eq!(name_on(2008, 5, 6), Some(SubstituteHoliday));
        // Silver weeks.
        assert_eq!(name_on(2009, 9, 22), Some(CitizensHoliday));
        assert_eq!(name_on(2015, 9, 22), Some(CitizensHoliday));
        assert_eq!(name_on(2026, 9, 22), Some(CitizensHoliday));
        assert_eq!(name_on(2032, 9, 21), Some(CitizensHoliday));
    }
}
