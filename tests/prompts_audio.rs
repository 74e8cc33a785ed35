//! The shipped prompt audio, and `tsunagu prompts check` as an operator reads it.

mod common;

use std::path::Path;

use common::center::repo;
use common::{run_tsunagu, stderr, stdout};
use tsunagu::catalogue::{self, compose};
use tsunagu::lang::Lang;
use tsunagu::media::prompts::PromptStore;

#[test]
fn every_prompt_and_fragment_has_playable_audio_in_every_language() {
    let (store, errors) = PromptStore::load(&repo().join("prompts"));
    assert!(errors.is_empty(), "{errors:?}");
    let mut missing = Vec::new();
    for lang in Lang::ALL {
        // Tagalog callers hear English: its fragments are English's.
        let audio = compose::audio_language(lang);
        let spoken = compose::fragment_ids()
            .into_iter()
            .filter(|id| catalogue::spoken(audio, id).is_some());
        for id in catalogue::PROMPT_IDS.iter().map(|s| s.to_string()).chain(spoken) {
            match store.get(lang, &id) {
                Some(prompt) => {
                    let seconds = prompt.frames(tsunagu::media::g711::Law::Ulaw).len() as f64 * 0.02;
                    let range = if id.starts_with("frag.") { 0.05..8.0 } else { 0.5..40.0 };
                    assert!(range.contains(&seconds), "{lang} {id}: {seconds:.2} s");
                }
                None => missing.push(format!("{lang}: {id}")),
            }
        }
    }
    assert!(missing.is_empty(), "no audio for:\n{}", missing.join("\n"));
    assert!(
        repo().join("prompts/tl/STAND-IN").is_file(),
        "Tagalog's stand-in audio is marked"
    );
}

/// A prompts folder for a test: each language links to the shipped audio, one file at a time,
/// so that single prompts can be added or left out.
fn prompts_root(dir: &Path, leave_out: Option<(&str, &str)>) -> std::path::PathBuf {
    let root = dir.join("prompts");
    for entry in std::fs::read_dir(repo().join("prompts"))
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
    {
        let lang_dir = entry.path();
        if !lang_dir.is_dir() || lang_dir.file_name().is_some_and(|n| n == "catalogue") {
            continue;
        }
        let name = lang_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::create_dir_all(root.join(&name)).unwrap_or_else(|e| panic!("{e}"));
        for file in std::fs::read_dir(&lang_dir)
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(Result::ok)
        {
            let file_name = file.file_name().to_string_lossy().into_owned();
            if leave_out == Some((name.as_str(), file_name.trim_end_matches(".wav"))) {
                continue;
            }
            let target = std::fs::canonicalize(file.path()).unwrap_or_else(|e| panic!("{e}"));
            std::os::unix::fs::symlink(target, root.join(&name).join(&file_name)).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    root
}

fn config_for(dir: &Path, prompts: &Path) -> String {
    let path = dir.join("tsunagu.toml");
    let text = format!(
        "[paths]\nprompts = \"{}\"\nflows = \"{}\"\ndata_dir = \"{}\"\n",
        prompts.display(),
        repo().join("ivr-flows").display(),
        dir.join("data").display()
    );
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
    path.to_string_lossy().into_owned()
}

#[test]
fn prompts_check_says_what_is_recorded_generated_stand_in_or_unreviewed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = prompts_root(dir.path(), None);
    // The city's recording of the English greeting.
    std::fs::create_dir_all(root.join("recorded/en")).unwrap_or_else(|e| panic!("{e}"));
    std::fs::copy(
        repo().join("prompts/en/greeting.wav"),
        root.join("recorded/en/greeting.wav"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let config = config_for(dir.path(), &root);
    let out = run_tsunagu(&repo(), &["prompts", "check", "--config", &config], &[]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("en (English): 1 recorded, "), "{text}");
    assert!(text.contains("tl (Tagalog): 0 recorded, 0 generated, "), "{text}");
    assert!(text.contains("stand-in audio: English audio stands in"), "{text}");
    assert!(text.contains("texts awaiting native review: greeting"), "{text}");
    assert!(!text.contains("missing:"), "{text}");
}

#[test]
fn prompts_check_fails_when_a_flow_needs_a_missing_prompt() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = prompts_root(dir.path(), Some(("vi", "goodbye")));
    let config = config_for(dir.path(), &root);
    let out = run_tsunagu(&repo(), &["prompts", "check", "--config", &config], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let text = stdout(&out);
    assert!(
        text.contains("vi (Vietnamese): 0 recorded, ") && text.contains("missing: goodbye"),
        "{text}"
    );
    assert!(text.contains("prompt 'goodbye' is missing in: vi"), "{text}");
}

#[test]
fn prompts_texts_prints_what_the_generator_speaks() {
    let out = run_tsunagu(&repo(), &["prompts", "texts", "--lang", "zh"], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let greeting = text
        .lines()
        .find(|l| l.starts_with("greeting\t"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        greeting.contains("xie4"),
        "Mandarin speech is pinyin for espeak-ng: {greeting}"
    );
    assert!(text.lines().any(|l| l.starts_with("frag.hour.19\t")));
    let out = run_tsunagu(&repo(), &["prompts", "texts", "--lang", "fr"], &[]);
    assert_eq!(out.status.code(), Some(2));
}
