//! Messages with live values, put together from fragments: "we open again tomorrow at 9:00",
//! "you are number 3 in line", "about 5 minutes". Each language gives its pieces and its own word
//! order as data (`compose.*.order` in the catalogue: Vietnamese says the time before the day,
//! for instance), so nothing here assumes Japanese or English order. The result is both the
//! text for screens and the list of fragment ids whose audio is played one after the other.

use jiff::civil::{DateTime, Weekday};

use super::{lookup, spoken, text};
use crate::calendar::HolidayName;
use crate::lang::Lang;

/// A composed message: the fragments to play (their ids, in `audio_lang`) and the text to show
/// (in the caller's language).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Composed {
    pub fragments: Vec<String>,
    pub audio_lang: Lang,
    pub text: String,
}

/// The language whose audio a language's callers hear: itself, unless its audio is a stand-in
/// (Tagalog has no voice, so its callers hear English; `compose.audio_language` in the
/// catalogue). A composed message is then put together in that language's order and fragments,
/// so a Tagalog caller hears a whole English sentence rather than English words in Tagalog order.
pub fn audio_language(lang: Lang) -> Lang {
    lookup(lang, "compose.audio_language")
        .and_then(|code| Lang::from_code(&code))
        .unwrap_or(lang)
}

/// The largest number the count fragments cover (positions and minutes).
pub const MAX_COUNT: u32 = 60;

/// "We will open again …" for an opening at `at`, said at `now` (both Tokyo time). `None` when
/// the opening is more than six days away (a weekday name would be ambiguous); the caller then
/// hears the regular hours instead.
pub fn next_opening(lang: Lang, now: DateTime, at: DateTime) -> Option<Composed> {
    // Too far ahead in one language is too far ahead in all (the day decides, not the words).
    next_opening_pieces(lang, now, at)?;
    Some(in_both_languages(lang, |l| {
        next_opening_pieces(l, now, at).unwrap_or_default()
    }))
}

fn next_opening_pieces(lang: Lang, now: DateTime, at: DateTime) -> Option<Vec<String>> {
    let days_ahead = (at.date() - now.date()).get_days();
    let day = match days_ahead {
        0 => "frag.day.today".to_string(),
        1 => "frag.day.tomorrow".to_string(),
        2..=6 => format!("frag.day.{}", weekday_key(at.date().weekday())),
        _ => return None,
    };
    let hour = at.hour();
    let minute = at.minute();
    let ampm = if hour < 12 { "frag.time.am" } else { "frag.time.pm" };
    let mut pieces = Vec::new();
    for token in order(lang, "next_opening") {
        let id = match token.as_str() {
            "before" => "frag.next_opening.before".to_string(),
            "day" => day.clone(),
            "between" => "frag.next_opening.between".to_string(),
            "hour" => format!("frag.hour.{hour}"),
            "minute" if minute == 0 => continue,
            "minute" => format!("frag.minute.{minute}"),
            "ampm" => ampm.to_string(),
            "after" => "frag.next_opening.after".to_string(),
            _ => continue,
        };
        pieces.push(id);
    }
    Some(pieces)
}

/// "We take calls until 7:00 p.m." after the next opening, with the end of that opening.
pub fn open_until(lang: Lang, end: DateTime) -> Option<Composed> {
    let (hour, minute) = (end.hour(), end.minute());
    let ampm = if hour < 12 { "frag.time.am" } else { "frag.time.pm" };
    let pieces = |lang: Lang| -> Vec<String> {
        order(lang, "open_until")
            .iter()
            .filter_map(|token| match token.as_str() {
                "before" => Some("frag.open_until.before".to_string()),
                "hour" => Some(format!("frag.hour.{hour}")),
                "minute" if minute == 0 => None,
                "minute" => Some(format!("frag.minute.{minute}")),
                "ampm" => Some(ampm.to_string()),
                "after" => Some("frag.open_until.after".to_string()),
                _ => None,
            })
            .collect()
    };
    Some(in_both_languages(lang, pieces))
}

/// "Today is Labour Thanksgiving Day." after the closed-for-a-holiday message.
pub fn holiday_today(lang: Lang, holiday: HolidayName) -> Option<Composed> {
    let pieces = |lang: Lang| -> Vec<String> {
        order(lang, "holiday_today")
            .iter()
            .filter_map(|token| match token.as_str() {
                "before" => Some("frag.holiday_today.before".to_string()),
                "holiday" => Some(format!("frag.holiday.{}", holiday.key())),
                "after" => Some("frag.holiday_today.after".to_string()),
                _ => None,
            })
            .collect()
    };
    Some(in_both_languages(lang, pieces))
}

/// "You are number N in line."
pub fn position(lang: Lang, n: u32) -> Option<Composed> {
    counted(lang, "position", n)
}

/// "The expected waiting time is about N minutes."
pub fn expected_wait(lang: Lang, minutes: u32) -> Option<Composed> {
    counted(lang, "wait", minutes.max(1))
}

fn counted(lang: Lang, message: &str, n: u32) -> Option<Composed> {
    if !(1..=MAX_COUNT).contains(&n) {
        return None;
    }
    let pieces = |lang: Lang| -> Vec<String> {
        order(lang, message)
            .iter()
            .filter_map(|token| match token.as_str() {
                "before" => Some(format!("frag.{message}.before")),
                "count" => Some(format!("frag.count.{n}")),
                // The whole "N minutes", with each language's agreement (1 minute, un minuto, 两分钟).
                "minutes" => Some(format!("frag.minutes.{n}")),
                "after" => Some(format!("frag.{message}.after")),
                _ => None,
            })
            .collect()
    };
    Some(in_both_languages(lang, pieces))
}

/// Every fragment id the composed messages can use (what the generator must make audio for).
pub fn fragment_ids() -> Vec<String> {
    let mut ids: Vec<String> = ["next_opening", "position", "wait", "holiday_today", "open_until"]
        .iter()
        .flat_map(|m| [format!("frag.{m}.before"), format!("frag.{m}.after")])
        .collect();
    ids.push("frag.next_opening.between".into());
    ids.extend(["today", "tomorrow", "mon", "tue", "wed", "thu", "fri", "sat", "sun"].map(|d| format!("frag.day.{d}")));
    ids.extend((0..24).map(|h| format!("frag.hour.{h}")));
    ids.extend((1..60).map(|m| format!("frag.minute.{m}")));
    ids.extend(["frag.time.am".to_string(), "frag.time.pm".to_string()]);
    ids.extend((1..=MAX_COUNT).map(|n| format!("frag.count.{n}")));
    ids.extend((1..=MAX_COUNT).map(|n| format!("frag.minutes.{n}")));
    ids.extend(HolidayName::ALL.iter().map(|h| format!("frag.holiday.{}", h.key())));
    ids
}

/// The text in the caller's language, the fragments in the language whose audio the caller hears.
fn in_both_languages(lang: Lang, pieces: impl Fn(Lang) -> Vec<String>) -> Composed {
    let audio = audio_language(lang);
    let text = assemble(lang, pieces(lang)).text;
    let fragments = assemble(audio, pieces(audio)).fragments;
    Composed {
        fragments,
        audio_lang: audio,
        text,
    }
}

/// The word order of a message in a language, from the catalogue.
fn order(lang: Lang, message: &str) -> Vec<String> {
    let default = match message {
        "next_opening" => "before day between hour minute ampm after",
        "holiday_today" => "before holiday after",
        "open_until" => "before hour minute ampm after",
        _ => "before count after",
    };
    let order = lookup(lang, &format!("compose.{message}.order"));
    order
        .as_deref()
        .unwrap_or(default)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Drops the empty fragments and joins the texts the way the language writes: without spaces
/// in Japanese and Chinese, with spaces elsewhere, but none before punctuation or a time's
/// ":30", nor before a piece the catalogue marks with a leading `+` (a Korean particle that
/// attaches to the word before it). A period after a piece ending in one is not doubled.
fn assemble(lang: Lang, pieces: Vec<String>) -> Composed {
    let mut fragments = Vec::new();
    let mut out = String::new();
    let spaced = !matches!(lang, Lang::Ja | Lang::Zh);
    for id in pieces {
        let raw = text(lang, &id).unwrap_or_default();
        let raw = raw.trim();
        let (attached, piece) = match raw.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        if piece.is_empty() {
            continue;
        }
        // Only what is spoken has audio (a closing "." is text only).
        if spoken(lang, &id).is_some() {
            fragments.push(id);
        }
        if piece == "." && out.ends_with('.') {
            continue;
        }
        let glue = spaced && !attached && !out.is_empty() && !piece.starts_with(['.', ',', '!', '?', ':', '。', '、']);
        if glue {
            out.push(' ');
        }
        out.push_str(piece);
    }
    Composed {
        fragments,
        audio_lang: lang,
        text: out,
    }
}

fn weekday_key(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::datetime;

    #[test]
    fn every_fragment_exists_in_every_language() {
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            for id in fragment_ids() {
                for part in ["text", "speech"] {
                    if lookup(lang, &format!("{id}.{part}")).is_none() {
                        missing.push(format!("{lang}: {id}.{part}"));
                    }
                }
            }
            for message in ["next_opening", "position", "wait", "holiday_today", "open_until"] {
                if lookup(lang, &format!("compose.{message}.order")).is_none() {
                    missing.push(format!("{lang}: compose.{message}.order"));
                }
            }
        }
        assert!(missing.is_empty(), "{}", missing.join("\n"));
    }

    #[test]
    fn the_next_opening_in_each_language_for_sample_values() {
        // Sunday 22:00 → Tuesday 9:00 (Monday is a holiday), and today at 11:40.
        let now = datetime(2026, 11, 22, 22, 0, 0, 0);
        let tuesday = datetime(2026, 11, 24, 9, 0, 0, 0);
        let ja = next_opening(Lang::Ja, now, tuesday).unwrap_or_else(|| panic!("composed"));
        assert!(ja.text.contains("火曜日") && ja.text.contains('9'), "{}", ja.text);
        assert!(
            !ja.text.contains(' '),
            "Japanese is written without spaces: {}",
            ja.text
        );
        let en = next_opening(Lang::En, now, tuesday).unwrap_or_else(|| panic!("composed"));
        assert!(en.text.contains("Tuesday") && en.text.contains("a.m."), "{}", en.text);
        let en_today = next_opening(
            Lang::En,
            datetime(2026, 5, 19, 10, 0, 0, 0),
            datetime(2026, 5, 19, 11, 40, 0, 0),
        );
        let en_today = en_today.unwrap_or_else(|| panic!("composed")).text;
        assert!(en_today.contains("today at 11:40 a.m."), "{en_today}");
        let ko = position(Lang::Ko, 3).unwrap_or_else(|| panic!("composed")).text;
        assert!(ko.contains("3번입니다"), "the Korean particle attaches: {ko}");
        for lang in Lang::ALL {
            let composed = next_opening(lang, now, tuesday).unwrap_or_else(|| panic!("{lang}"));
            assert!(
                composed.fragments.iter().any(|f| f == "frag.day.tue"),
                "{lang}: {composed:?}"
            );
            assert!(
                composed.fragments.iter().any(|f| f == "frag.hour.9"),
                "{lang}: {composed:?}"
            );
            assert!(
                !composed.fragments.iter().any(|f| f.starts_with("frag.minute")),
                "{lang}: 9:00 has no minutes"
            );
            assert!(!composed.text.is_empty());
        }
        // Vietnamese says the time before the day.
        let vi = next_opening(Lang::Vi, now, tuesday)
            .unwrap_or_else(|| panic!("composed"))
            .fragments;
        let hour_at = vi.iter().position(|f| f == "frag.hour.9");
        let day_at = vi.iter().position(|f| f == "frag.day.tue");
        assert!(hour_at < day_at, "{vi:?}");
        // Too far ahead for a weekday name.
        assert_eq!(next_opening(Lang::En, now, datetime(2026, 12, 4, 9, 0, 0, 0)), None);
    }

    #[test]
    fn the_holiday_is_named_in_each_language() {
        for lang in Lang::ALL {
            let composed = holiday_today(lang, HolidayName::LabourThanksgivingDay).unwrap_or_else(|| panic!("{lang}"));
            let audio_lang = audio_language(lang);
            assert!(
                composed
                    .fragments
                    .contains(&"frag.holiday.labour_thanksgiving_day".to_string()),
                "{lang}: {composed:?}"
            );
            assert_eq!(composed.audio_lang, audio_lang);
        }
        let ja = holiday_today(Lang::Ja, HolidayName::LabourThanksgivingDay)
            .unwrap_or_else(|| panic!("composed"))
            .text;
        assert!(ja.contains("勤労感謝の日"), "{ja}");
        let en = holiday_today(Lang::En, HolidayName::CitizensHoliday)
            .unwrap_or_else(|| panic!("composed"))
            .text;
        assert!(en.contains("Citizens"), "{en}");
    }

    #[test]
    fn tagalog_callers_hear_a_whole_english_sentence_while_staff_read_tagalog() {
        let now = datetime(2026, 11, 22, 22, 0, 0, 0);
        let tuesday = datetime(2026, 11, 24, 9, 0, 0, 0);
        let tl = next_opening(Lang::Tl, now, tuesday).unwrap_or_else(|| panic!("composed"));
        let en = next_opening(Lang::En, now, tuesday).unwrap_or_else(|| panic!("composed"));
        assert_eq!(tl.audio_lang, Lang::En);
        assert_eq!(tl.fragments, en.fragments);
        assert_ne!(tl.text, en.text, "the text stays Tagalog: {}", tl.text);
        assert_eq!(audio_language(Lang::Ja), Lang::Ja);
    }

    #[test]
    fn positions_and_waits_in_each_language() {
        for lang in Lang::ALL {
            let p = position(lang, 3).unwrap_or_else(|| panic!("{lang}"));
            assert!(p.fragments.contains(&"frag.count.3".to_string()), "{lang}: {p:?}");
            let w = expected_wait(lang, 12).unwrap_or_else(|| panic!("{lang}"));
            assert!(w.fragments.contains(&"frag.minutes.12".to_string()), "{lang}: {w:?}");
            let until = open_until(lang, datetime(2026, 11, 24, 19, 0, 0, 0)).unwrap_or_else(|| panic!("{lang}"));
            assert!(
                until.fragments.contains(&"frag.hour.19".to_string()),
                "{lang}: {until:?}"
            );
        }
        assert_eq!(position(Lang::En, 0), None);
        assert_eq!(position(Lang::En, 61), None);
        let one = expected_wait(Lang::En, 1).unwrap_or_else(|| panic!("composed")).text;
        assert!(one.contains("1 minute") && !one.contains("minutes"), "{one}");
        let en = position(Lang::En, 3).unwrap_or_else(|| panic!("composed")).text;
        assert!(en.contains("three") || en.contains('3'), "{en}");
    }
}
