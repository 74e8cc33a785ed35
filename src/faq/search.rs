//! Ranking FAQ entries for what an agent types, in Japanese without spaces as well as with
//! them: texts are compared by character bigrams (two-character pieces), the way full-text
//! indexes do for Japanese. A morphological analyser (lindera, vibrato) would bring a dictionary
//! of tens of megabytes for a book of a few hundred entries; bigrams find 「カード受け取り」 in
//! 「カードを受け取るには」 without one.

use super::entry::Entry;
use crate::lang::Lang;

/// The most results a search returns.
pub const MAX_RESULTS: usize = 20;

/// Lowercase, full-width ASCII to half-width, and every run of space or punctuation to one space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = match c {
            '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        };
        let c = c.to_lowercase().next().unwrap_or(c);
        let space = c.is_whitespace() || "、。，．・「」『』（）()[]!?！？:：;；\"'`*#-_/".contains(c);
        if space {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
        } else {
            out.push(c);
            last_space = false;
        }
    }
    out.trim_end().to_string()
}

/// The bigrams of each word (a one-character word is its own piece).
fn pieces(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for word in text.split(' ').filter(|w| !w.is_empty()) {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() == 1 {
            out.push(word.to_string());
        }
        for pair in chars.windows(2) {
            out.push(pair.iter().collect());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// A result: the entry and how well it matched (the share of the query's pieces found, the
/// question weighing more than the answer).
#[derive(Debug, Clone, PartialEq)]
pub struct Hit<'a> {
    pub entry: &'a Entry,
    pub score: f64,
}

/// Entries matching `query` (at least half of its pieces found), best first. An empty query
/// lists every entry by id.
pub fn search<'a>(entries: impl IntoIterator<Item = &'a Entry>, query: &str, lang: Lang) -> Vec<Hit<'a>> {
    let wanted = pieces(&normalize(query));
    let mut hits: Vec<Hit<'a>> = entries
        .into_iter()
        .filter_map(|entry| {
            if wanted.is_empty() {
                return Some(Hit { entry, score: 0.0 });
            }
            let (_, question) = entry.question_in(lang);
            let (_, answer) = entry.answer_in(lang);
            let question = normalize(question);
            let rest = normalize(&format!(
                "{} {} {}",
                answer,
                entry.category,
                crate::report::categories::category_label(&entry.category)
            ));
            let in_question = wanted.iter().filter(|p| question.contains(p.as_str())).count();
            let found = wanted
                .iter()
                .filter(|p| question.contains(p.as_str()) || rest.contains(p.as_str()))
                .count();
            let share = found as f64 / wanted.len() as f64;
            (share >= 0.5).then(|| Hit {
                entry,
                score: share + in_question as f64 / wanted.len() as f64,
            })
        })
        .collect();
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.entry.id.cmp(&b.entry.id)));
    hits.truncate(MAX_RESULTS);
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::faq::entry::parse;

    fn entry(id: &str, question: &str, answer: &str) -> Entry {
        let text = format!(
            "+++\nid = \"{id}\"\ncategory = \"other\"\nlanguages = [\"ja\"]\nrevision = 1\n[question]\nja = \"{question}\"\n+++\n<!-- lang: ja -->\n{answer}\n"
        );
        parse(id, &text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn japanese_is_found_without_spaces_and_full_width_letters_match() {
        let book = [
            entry(
                "card-pickup",
                "マイナンバーカードを受け取るには",
                "交付通知書と本人確認書類を持って予約した窓口へ。",
            ),
            entry("pin-lock", "暗証番号がロックされました", "市の窓口で再設定します。"),
            entry(
                "convenience-store",
                "コンビニで住民票を取るには",
                "ＰＩＮ（数字4桁）が必要です。",
            ),
        ];
        let ids = |q: &str| -> Vec<&str> { search(&book, q, Lang::Ja).iter().map(|h| h.entry.id.as_str()).collect() };
        assert_eq!(ids("カード受け取り"), ["card-pickup"]);
        assert_eq!(ids("暗証番号ロック"), ["pin-lock"]);
        assert_eq!(ids("pin"), ["convenience-store"], "ＰＩＮ in the answer matches pin");
        assert_eq!(ids("住民票　コンビニ"), ["convenience-store"]);
        assert!(ids("パスポート").is_empty());
        assert_eq!(ids("").len(), 3, "an empty query lists the book");
        assert_eq!(normalize("ＡＢＣ　カード、受取"), "abc カード 受取");
    }
}
