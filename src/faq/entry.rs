//! One FAQ entry as a file: TOML front matter between `+++` lines, then the answer in each
//! language after a `<!-- lang: xx -->` line (Markdown; the comment lines do not show when the
//! file is read as Markdown).
//!
//! ```text
//! +++
//! id = "card-pickup"
//! category = "issuance/pickup-booking"
//! languages = ["ja", "en"]
//! revision = 1
//! source = "where the answer comes from"
//! [question]
//! ja = "…"
//! en = "…"
//! +++
//! <!-- lang: ja -->
//! …
//! <!-- lang: en -->
//! …
//! ```

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// The longest entry file taken (a few pages of text per language).
pub const MAX_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub id: String,
    pub category: String,
    pub languages: Vec<Lang>,
    pub revision: u32,
    pub source: String,
    /// Language code → the question.
    pub question: BTreeMap<String, String>,
    /// Language code → the answer (Markdown).
    pub answer: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct InvalidEntry {
    pub origin: String,
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FrontMatter {
    id: String,
    category: String,
    languages: Vec<String>,
    revision: u32,
    #[serde(default)]
    source: String,
    question: BTreeMap<String, String>,
}

/// Whether `id` may name an entry (and its file): lowercase letters, digits and '-'.
pub fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !id.starts_with('-')
}

const FENCE: &str = "+++";

fn lang_marker(line: &str) -> Option<&str> {
    line.trim()
        .strip_prefix("<!-- lang:")?
        .strip_suffix("-->")
        .map(str::trim)
}

/// Parses an entry; `origin` names it in errors (a file, a revision).
pub fn parse(origin: &str, text: &str) -> Result<Entry, InvalidEntry> {
    let fail = |message: String| InvalidEntry {
        origin: origin.to_string(),
        message,
    };
    if text.len() > MAX_BYTES {
        return Err(fail(format!("longer than {MAX_BYTES} bytes")));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text).replace("\r\n", "\n");
    let rest = text
        .strip_prefix(&format!("{FENCE}\n"))
        .ok_or_else(|| fail("must start with a +++ line (the front matter)".into()))?;
    let (front, body) = rest
        .split_once(&format!("\n{FENCE}\n"))
        .or_else(|| {
            rest.split_once(&format!("\n{FENCE}"))
                .filter(|(_, b)| b.trim().is_empty())
        })
        .ok_or_else(|| fail("the front matter has no closing +++ line".into()))?;
    let front: FrontMatter = toml::from_str(front).map_err(|e| fail(format!("front matter: {}", e.message())))?;
    if !valid_id(&front.id) {
        return Err(fail(format!(
            "id '{}': lowercase letters, digits and '-' only",
            front.id
        )));
    }
    if front.category.trim().is_empty() {
        return Err(fail("category: must be given".into()));
    }
    let mut languages = Vec::new();
    for code in &front.languages {
        let lang = Lang::from_code(code).ok_or_else(|| fail(format!("languages: unknown language '{code}'")))?;
        if !languages.contains(&lang) {
            languages.push(lang);
        }
    }
    if languages.is_empty() {
        return Err(fail("languages: at least one".into()));
    }
    let mut answer: BTreeMap<String, String> = BTreeMap::new();
    let mut current: Option<String> = None;
    let mut lines: Vec<&str> = Vec::new();
    let mut flush = |current: &Option<String>, lines: &mut Vec<&str>| -> Result<(), InvalidEntry> {
        if let Some(code) = current {
            let text = lines.join("\n").trim().to_string();
            if answer.insert(code.clone(), text).is_some() {
                return Err(fail(format!("the answer in '{code}' is given twice")));
            }
        } else if lines.iter().any(|l| !l.trim().is_empty()) {
            return Err(fail("text before the first <!-- lang: xx --> line".into()));
        }
        lines.clear();
        Ok(())
    };
    for line in body.lines() {
        if let Some(code) = lang_marker(line) {
            flush(&current, &mut lines)?;
            current = Some(code.to_string());
        } else {
            lines.push(line);
        }
    }
    flush(&current, &mut lines)?;
    for lang in &languages {
        let code = lang.code();
        if front.question.get(code).is_none_or(|q| q.trim().is_empty()) {
            return Err(fail(format!("question.{code}: the question in every listed language")));
        }
        if answer.get(code).is_none_or(|a| a.is_empty()) {
            return Err(fail(format!(
                "the answer in '{code}' is missing (a <!-- lang: {code} --> section)"
            )));
        }
    }
    let listed: Vec<&str> = languages.iter().map(|l| l.code()).collect();
    if let Some(extra) = answer
        .keys()
        .chain(front.question.keys())
        .find(|k| !listed.contains(&k.as_str()))
    {
        return Err(fail(format!("'{extra}' is not in languages")));
    }
    Ok(Entry {
        id: front.id,
        category: front.category.trim().to_string(),
        languages,
        revision: front.revision,
        source: front.source,
        question: front
            .question
            .into_iter()
            .map(|(k, v)| (k, v.trim().to_string()))
            .collect(),
        answer,
    })
}

impl Entry {
    /// The entry as a file (what [`parse`] reads back to the same entry).
    pub fn to_text(&self) -> String {
        let quote = |s: &str| toml::Value::String(s.to_string()).to_string();
        let mut out = String::from("+++\n");
        out.push_str(&format!("id = {}\n", quote(&self.id)));
        out.push_str(&format!("category = {}\n", quote(&self.category)));
        let codes: Vec<String> = self.languages.iter().map(|l| quote(l.code())).collect();
        out.push_str(&format!("languages = [{}]\n", codes.join(", ")));
        out.push_str(&format!("revision = {}\n", self.revision));
        out.push_str(&format!("source = {}\n", quote(&self.source)));
        out.push_str("[question]\n");
        for lang in &self.languages {
            if let Some(q) = self.question.get(lang.code()) {
                out.push_str(&format!("{} = {}\n", lang.code(), quote(q)));
            }
        }
        out.push_str("+++\n");
        for lang in &self.languages {
            if let Some(a) = self.answer.get(lang.code()) {
                out.push_str(&format!("<!-- lang: {} -->\n{}\n", lang.code(), a));
            }
        }
        out
    }

    /// The question in `lang`, or in the entry's first language.
    pub fn question_in(&self, lang: Lang) -> (&str, &str) {
        self.text_in(&self.question, lang)
    }

    pub fn answer_in(&self, lang: Lang) -> (&str, &str) {
        self.text_in(&self.answer, lang)
    }

    fn text_in<'a>(&'a self, texts: &'a BTreeMap<String, String>, lang: Lang) -> (&'a str, &'a str) {
        let wanted = lang.code();
        match texts.get(wanted) {
            Some(text) => (wanted, text.as_str()),
            None => {
                let first = self.languages.first().map_or("ja", |l| l.code());
                (first, texts.get(first).map_or("", String::as_str))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "+++\nid = \"pin-lock\"\ncategory = \"certificates/password-reset\"\nlanguages = [\"ja\", \"en\"]\nrevision = 2\nsource = \"seeds\"\n[question]\nja = \"暗証番号を忘れました\"\nen = \"I forgot my PIN\"\n+++\n<!-- lang: ja -->\n市の窓口で再設定できます。\n\n- 本人確認書類\n<!-- lang: en -->\nReset it at a city counter.\n";

    #[test]
    fn an_entry_reads_and_writes_back_the_same() {
        let entry = parse("pin-lock.md", SAMPLE).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(entry.revision, 2);
        assert_eq!(entry.answer["ja"], "市の窓口で再設定できます。\n\n- 本人確認書類");
        assert_eq!(entry.question_in(Lang::Vi), ("ja", "暗証番号を忘れました"));
        let again = parse("again", &entry.to_text()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(again, entry);
    }

    #[test]
    fn mistakes_are_named() {
        let cases = [
            (
                SAMPLE.replace("id = \"pin-lock\"", "id = \"PIN Lock\""),
                "id 'PIN Lock'",
            ),
            (
                SAMPLE.replace("\"ja\", \"en\"]", "\"ja\", \"fr\"]"),
                "unknown language 'fr'",
            ),
            (
                SAMPLE.replace("<!-- lang: en -->\nReset it at a city counter.\n", ""),
                "the answer in 'en' is missing",
            ),
            (SAMPLE.replace("en = \"I forgot my PIN\"\n", ""), "question.en"),
            (SAMPLE.replacen("+++\n", "", 1), "must start with a +++ line"),
            (SAMPLE.replace("revision = 2", "revision = \"two\""), "front matter"),
        ];
        for (text, expected) in cases {
            let err = parse("x.md", &text).err().map(|e| e.to_string()).unwrap_or_default();
            assert!(err.starts_with("x.md: ") && err.contains(expected), "{expected}: {err}");
        }
    }
}
