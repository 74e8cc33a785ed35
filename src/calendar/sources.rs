//! Where calendar files come from: the ones shipped inside the binary (so that a fresh
//! install runs on its defaults) and a folder of `*.toml` files that overrides them.

use std::path::{Path, PathBuf};

/// A calendar file's text and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSource {
    /// A path, or `built-in:<file name>`.
    pub origin: String,
    pub text: String,
}

/// The calendars shipped with tsunagu (the files under `ops/config/calendars/`).
pub fn builtin() -> Vec<CalendarSource> {
    const FILES: [(&str, &str); 4] = [
        (
            "call-center.toml",
            include_str!("../../ops/config/calendars/call-center.toml"),
        ),
        (
            "kawasaki-card-center.toml",
            include_str!("../../ops/config/calendars/kawasaki-card-center.toml"),
        ),
        (
            "kawasaki-ward-office.toml",
            include_str!("../../ops/config/calendars/kawasaki-ward-office.toml"),
        ),
        (
            "yokosuka-card-center.toml",
            include_str!("../../ops/config/calendars/yokosuka-card-center.toml"),
        ),
    ];
    FILES
        .iter()
        .map(|(name, text)| CalendarSource {
            origin: format!("built-in:{name}"),
            text: (*text).to_string(),
        })
        .collect()
}

/// The `*.toml` files of a folder, sorted by name.
pub fn read_dir(dir: &Path) -> std::io::Result<Vec<CalendarSource>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    paths.sort();
    paths.iter().map(|p| read_file(p)).collect()
}

pub fn read_file(path: &Path) -> std::io::Result<CalendarSource> {
    let text = std::fs::read_to_string(path)?;
    Ok(CalendarSource {
        origin: path.display().to_string(),
        text,
    })
}
