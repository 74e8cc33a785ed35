//! The prompt audio of every language, loaded and checked at start-up, encoded once per law.
//!
//! Lookup order for a prompt in a language: `prompts/recorded/<lang>/<id>.wav` (the city's own
//! recordings) before `prompts/<lang>/<id>.wav` (generated or placeholder audio).

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use super::g711::Law;
use super::wav::{self, WavError};
use crate::lang::Lang;

/// One prompt, ready to send: 20 ms frames in each law.
#[derive(Debug)]
pub struct Prompt {
    pub path: PathBuf,
    pub ulaw: Arc<[Bytes]>,
    pub alaw: Arc<[Bytes]>,
}

impl Prompt {
    pub fn frames(&self, law: Law) -> Arc<[Bytes]> {
        match law {
            Law::Ulaw => Arc::clone(&self.ulaw),
            Law::Alaw => Arc::clone(&self.alaw),
        }
    }
}

#[derive(Debug, Default)]
pub struct PromptStore {
    prompts: HashMap<(Lang, String), Arc<Prompt>>,
}

impl PromptStore {
    /// Loads every prompt under `root`. Files that do not load are returned as errors (and
    /// left out); the caller decides whether that stops the start-up.
    pub fn load(root: &Path) -> (PromptStore, Vec<WavError>) {
        let mut store = PromptStore::default();
        let mut errors = Vec::new();
        for lang in Lang::ALL {
            // Generated first, then recorded: a recording replaces the generated file.
            for dir in [root.join(lang.code()), root.join("recorded").join(lang.code())] {
                let Ok(entries) = std::fs::read_dir(&dir) else {
                    continue;
                };
                let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                paths.sort();
                for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "wav")) {
                    let Some(id) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else {
                        continue;
                    };
                    match wav::load_8k(&path) {
                        Ok(samples) => {
                            let prompt = Prompt {
                                ulaw: wav::frames(&samples, Law::Ulaw).into(),
                                alaw: wav::frames(&samples, Law::Alaw).into(),
                                path,
                            };
                            store.prompts.insert((lang, id), Arc::new(prompt));
                        }
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
        (store, errors)
    }

    pub fn get(&self, lang: Lang, id: &str) -> Option<Arc<Prompt>> {
        self.prompts.get(&(lang, id.to_string())).cloned()
    }

    /// Which prompts exist in which language (what flows are checked against).
    pub fn available(&self) -> BTreeSet<(Lang, String)> {
        self.prompts.keys().cloned().collect()
    }

    pub fn len(&self) -> usize {
        self.prompts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.prompts.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, value: i16, samples: usize) {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        }
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 8000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap_or_else(|e| panic!("{e}"));
        for _ in 0..samples {
            w.write_sample(value).unwrap_or_else(|e| panic!("{e}"));
        }
        w.finalize().unwrap_or_else(|e| panic!("{e}"));
    }

    #[test]
    fn recordings_win_over_generated_audio_and_bad_files_are_reported() {
        let root = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        write(&root.path().join("en/greeting.wav"), 100, 800);
        write(&root.path().join("recorded/en/greeting.wav"), 2000, 1600);
        write(&root.path().join("ja/greeting.wav"), 100, 800);
        std::fs::write(root.path().join("ja/broken.wav"), b"RIFF").unwrap_or_else(|e| panic!("{e}"));
        let (store, errors) = PromptStore::load(root.path());
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("broken.wav"));
        let en = store.get(Lang::En, "greeting").unwrap_or_else(|| panic!("loaded"));
        assert!(en.path.ends_with("recorded/en/greeting.wav"));
        assert_eq!(en.frames(Law::Ulaw).len(), 10, "1600 samples = 10 frames");
        assert_eq!(en.frames(Law::Alaw)[0][0], crate::media::g711::linear_to_alaw(2000));
        assert!(store.get(Lang::Vi, "greeting").is_none());
        assert_eq!(store.available().len(), 2);
    }
}
