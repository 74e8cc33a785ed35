//! `tsunagu prompts …`: the speech texts for the generator, and what audio each language has.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use tsunagu::catalogue::{self, compose};
use tsunagu::lang::Lang;

use super::serve::ServeArgs;

/// Prints `id<TAB>speech text` for every prompt and fragment of a language that has speech
/// (ops/prompts/generate reads it).
pub fn texts(lang: &str) -> anyhow::Result<ExitCode> {
    let Some(lang) = Lang::from_code(lang) else {
        anyhow::bail!("unknown language '{lang}' (ja, en, zh, ko, tl, es, pt, vi)");
    };
    let mut out = std::io::stdout().lock();
    let ids = catalogue::PROMPT_IDS
        .iter()
        .map(|s| s.to_string())
        .chain(compose::fragment_ids());
    for id in ids {
        if let Some(speech) = catalogue::spoken(lang, &id) {
            writeln!(out, "{id}\t{}", speech.trim())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a prompt's audio comes from in one language.
fn source_of(root: &Path, lang: Lang, id: &str) -> &'static str {
    if root
        .join("recorded")
        .join(lang.code())
        .join(format!("{id}.wav"))
        .is_file()
    {
        "recorded"
    } else if root.join(lang.code()).join(format!("{id}.wav")).is_file() {
        if root.join(lang.code()).join("STAND-IN").is_file() {
            "stand-in"
        } else {
            "generated"
        }
    } else {
        "missing"
    }
}

pub async fn check(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let config = args.config()?;
    let root = config.paths.prompts.clone();
    let mut out = std::io::stdout().lock();
    for lang in Lang::ALL {
        let mut counts = std::collections::BTreeMap::<&str, Vec<String>>::new();
        let fragments = compose::fragment_ids()
            .into_iter()
            .filter(|id| catalogue::spoken(compose::audio_language(lang), id).is_some());
        for id in catalogue::PROMPT_IDS.iter().map(|s| s.to_string()).chain(fragments) {
            counts.entry(source_of(&root, lang, &id)).or_default().push(id);
        }
        let unreviewed: Vec<&str> = catalogue::PROMPT_IDS
            .iter()
            .copied()
            .filter(|id| !catalogue::AUDIO_ONLY.contains(id) && !catalogue::reviewed(lang, id))
            .collect();
        let summary: Vec<String> = ["recorded", "generated", "stand-in", "missing"]
            .iter()
            .map(|kind| format!("{} {kind}", counts.get(kind).map_or(0, Vec::len)))
            .collect();
        writeln!(out, "{lang} ({}): {}", lang.english_name(), summary.join(", "))?;
        if let Ok(note) = std::fs::read_to_string(root.join(lang.code()).join("STAND-IN")) {
            writeln!(out, "  stand-in audio: {}", note.trim())?;
        }
        if let Some(missing) = counts.get("missing") {
            writeln!(out, "  missing: {}", missing.join(", "))?;
        }
        if !unreviewed.is_empty() {
            writeln!(out, "  texts awaiting native review: {}", unreviewed.join(", "))?;
        }
    }
    // A flow that plays a missing prompt is the error that matters.
    let (calendars, _) = tsunagu::server::loading::calendars(config.paths.calendars.as_deref(), None)
        .await
        .map_err(anyhow::Error::msg)?;
    let prompts = match tsunagu::server::loading::prompts(&root) {
        Ok(prompts) => prompts,
        Err(e) => {
            writeln!(out, "{e}")?;
            return Ok(ExitCode::from(1));
        }
    };
    let (_, problems) = tsunagu::server::loading::check_flows(&config.paths.flows, &prompts, &calendars)?;
    for problem in &problems {
        writeln!(out, "{problem}")?;
    }
    Ok(if problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
