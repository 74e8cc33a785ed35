//! The prompt catalogue: every prompt id with its text for staff screens and its speech text for
//! the synthesiser, in the 8 languages, kept as rust-i18n locale data in
//! `prompts/catalogue/*.yml` (compiled in), plus whether a native speaker has reviewed it.
//!
//! - [`compose`]: messages with live values (the next opening, a queue position, an expected
//!   wait) put together from fragments in each language's own word order.

pub mod compose;

use std::borrow::Cow;

use crate::lang::Lang;

/// Every full prompt of the catalogue (fragments of composed messages are listed by
/// [`compose::fragment_ids`]).
pub const PROMPT_IDS: [&str; 17] = [
    "greeting",
    "recording_notice",
    "language_option",
    "invalid_input",
    "no_input",
    "closed_outside_hours",
    "closed_holiday",
    "closed_year_end",
    "closed_temporary",
    "opening_hours",
    "all_lines_busy",
    "queue_full",
    "please_hold",
    "goodbye",
    "loss_theft",
    "callback_offered",
    "hold_music",
];

/// Prompts that are audio only (music), with no text to show or speak.
pub const AUDIO_ONLY: [&str; 1] = ["hold_music"];

/// A key of the catalogue in one language, exactly (no fallback to another language).
pub fn lookup(lang: Lang, key: &str) -> Option<Cow<'static, str>> {
    crate::_rust_i18n_try_translate(lang.code(), key)
}

/// The text shown to staff for a prompt or fragment id.
pub fn text(lang: Lang, id: &str) -> Option<Cow<'static, str>> {
    lookup(lang, &format!("{}.text", key_of(id)))
}

/// What the synthesiser reads for a prompt or fragment id.
pub fn speech(lang: Lang, id: &str) -> Option<Cow<'static, str>> {
    lookup(lang, &format!("{}.speech", key_of(id)))
}

/// The speech text, when there is something to say (a lone "." has no audio).
pub fn spoken(lang: Lang, id: &str) -> Option<Cow<'static, str>> {
    speech(lang, id).filter(|s| s.chars().any(char::is_alphanumeric))
}

/// Whether a native speaker has reviewed the text of a prompt in a language.
pub fn reviewed(lang: Lang, id: &str) -> bool {
    lookup(lang, &format!("{}.reviewed", key_of(id))).is_some_and(|v| v == "yes")
}

/// Fragments are ids already (`frag.day.today`); full prompts live under `prompt.`.
fn key_of(id: &str) -> String {
    if id.starts_with("frag.") {
        id.to_string()
    } else {
        format!("prompt.{id}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prompt_has_text_and_speech_in_every_language() {
        let mut missing = Vec::new();
        for lang in Lang::ALL {
            for id in PROMPT_IDS.iter().filter(|id| !AUDIO_ONLY.contains(id)) {
                for part in ["text", "speech", "reviewed"] {
                    let key = format!("prompt.{id}.{part}");
                    if lookup(lang, &key).is_none_or(|v| v.trim().is_empty()) {
                        missing.push(format!("{lang}: {key}"));
                    }
                }
            }
        }
        assert!(
            missing.is_empty(),
            "missing from the catalogue:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn speech_texts_have_no_digits_for_the_synthesiser_to_misread() {
        for lang in Lang::ALL {
            for id in PROMPT_IDS.iter().filter(|id| !AUDIO_ONLY.contains(id)) {
                let speech = speech(lang, id).unwrap_or_default();
                assert!(
                    !speech.chars().any(|c| c.is_ascii_digit()) || lang == Lang::Zh,
                    "{lang} {id}: '{speech}'"
                );
            }
        }
    }

    #[test]
    fn each_language_option_is_written_in_its_own_language_with_its_key() {
        let keys = ["1", "2", "3", "4", "5", "6", "7", "8"];
        for (lang, key) in Lang::ALL.iter().zip(keys) {
            let text = text(*lang, "language_option").unwrap_or_default();
            assert!(text.contains(key), "{lang}: '{text}' does not name key {key}");
        }
        assert!(text(Lang::Ja, "language_option").unwrap_or_default().contains("日本語"));
        assert!(text(Lang::Ko, "language_option").unwrap_or_default().contains("한국어"));
    }
}
