//! Masking of Individual Numbers (個人番号, 12 digits) and card PINs (暗証番号, 4 digits; the
//! signing password's 6–16) in whisper's transcripts, **before** a transcript is stored or
//! indexed (CC-PRIV: My Number is specific personal information, and nothing may keep it that
//! the task does not need). Pure: text in, text out; no I/O, no panic on any input.
//!
//! We cannot tell a My Number from a telephone number or a booking code by its digits, so the
//! module masks every *run of spoken digits*: a false positive costs a supervisor some detail,
//! a false negative is a leak.
//!
//! # What a digit is
//! - **numerals**: ASCII `0`–`9`, full-width `０`–`９`, any other Unicode numeral, and the
//!   kanji digits `〇 零 一 二 三 四 五 六 七 八 九` (with `○ ◯`, which whisper writes for
//!   zero, and Chinese `幺`, "one" when reading numbers out).
//! - **digit words**: kana and katakana (ゼロ, れい, まる, いち, に, さん, よん, し, ご, ろく,
//!   なな, しち, はち, きゅう, く, …; a trailing `ー` as in にー, ごー belongs to the word),
//!   Korean hangul (공 영 일 이 삼 …), and whole words in Latin script: English (zero, oh,
//!   one … nine, and "double"/"triple" before a digit) and the other CC-LANG languages
//!   (Spanish, Portuguese, Tagalog, Vietnamese; Chinese uses the kanji digits).
//!
//! # Rules (each masked span reports one [`Rule`])
//! - **run**: digits whose gaps hold only *separators* form one run, and a run of at least
//!   [`MIN_DIGITS`] digits is replaced, as a whole, by [`MASK`]. The mask is one fixed token,
//!   so it tells neither the count nor the grouping of the digits. The separators are
//!   whitespace, hyphens and dashes (`-`, `－`, `ー`, …), commas (`,`, `，`, `、`), dots (`.`,
//!   `．`, `。`, `…`: people pause between groups, and whisper writes a pause as a dot or 。),
//!   `・` and `の`; at most [`MAX_GAP_MARKS`] of them (whitespace aside) in one gap. Forms may
//!   mix (`ゼロ9ゼロ`). Not separators: `と` ("and"), `/`, `:`, `～` (ranges, times, dates).
//!   [`Rule::Numerals`] ("numerals") fires for runs of numerals only,
//!   [`Rule::SpokenDigits`] ("spoken-digits") when a digit word is in the run.
//! - **across segments** ([`Rule::AcrossSegments`], "across-segments"): in
//!   [`mask_segments`] the segments are read as one text, so a run may go on from the end of
//!   one segment into the start of the next and is counted as one run: "…1234 56" + "78です"
//!   masks both parts, and so does a digit word that the boundary cuts ("…い" + "ちにさん").
//!   Each part reports this rule.
//! - **weak words**: the one-kana words に ご く し (and ニ ゴ ク シ, hangul 일 이 사 오 구, and
//!   oh, um, uma, meia, double, triple) are mostly particles and ordinary words. They are
//!   digits only next to other digit *words* (いちにさんし), never next to numerals
//!   ("1234に行く" masks 1234 and keeps に), and a run of weak words alone is never masked
//!   (話しにくくて is し-に-く-く).
//!
//! # Exceptions (kept as they are)
//! - **place values**: a kanji digit next to 十 百 千 万 億 兆 is part of an ordinary number
//!   (三百円, 十五日, 二千二十五), not a digit string, and breaks a run.
//! - **year**: exactly 4 numerals with no gap, followed by 年 or 년 (2025年, 二〇二五年). Nobody
//!   follows a PIN with 年, and a longer run around the year (…5678 2025年) is still masked.
//! - **amount**: at most [`MAX_AMOUNT_DIGITS`] numerals, with no gap or grouped in thousands
//!   by single commas (1,000), followed by 円 万 億 兆 元 원 ドル or yen/dollars/pesos/euros,
//!   or after a currency sign (¥ $ € ₱ ₩ …). A 12-digit Individual Number never fits; a PIN
//!   followed by 円 is not something people say.
//!
//! These exceptions hold for a run inside one segment only (the 円 or 年 after it may be in the
//! next one); a run across segments is always masked.
//!
//! # Accepted false positives
//! Telephone numbers, booking codes and their secrets, room numbers, decimals (3.14159), dates
//! with slashes (2025/04/01 loses 2025), times in a row ("10:30 11:00"), 4-digit counts (1234人)
//! and English years ("in 2025") are masked too. A strong word next to a numeral is taken
//! into the run ("田中さん、1234" becomes "田中［番号］"), and kana words that happen to read
//! as digits can make a run (いちごいちご).
//!
//! # Not covered
//! A signing password spoken as letters, digits read in tens and hundreds (せんにひゃく…),
//! groups joined by と, text in NFD form (Vietnamese digit words then go unseen), and a number
//! split across segments with other words between its parts.

/// What a masked run becomes.
pub const MASK: &str = "［番号］";

/// The fewest digits a run must have to be masked: the length of a PIN.
pub const MIN_DIGITS: usize = 4;

/// The most separators (whitespace aside) between two digits of one run: enough for
/// "1234 - 5678", "1234、の5678" and a pause written as "...".
pub const MAX_GAP_MARKS: usize = 3;

/// The most digits an amount may have and still be kept (99,999,999円).
pub const MAX_AMOUNT_DIGITS: usize = 8;

/// Why a span was masked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rule {
    /// A run of at least [`MIN_DIGITS`] numerals (ASCII, full-width, kanji digits).
    Numerals,
    /// A run of at least [`MIN_DIGITS`] digits with digit words in it (kana, hangul, Latin).
    SpokenDigits,
    /// A run that goes on across a segment boundary, counted over all its parts.
    AcrossSegments,
}

impl Rule {
    /// The rule's name, for logs, metrics and the review page.
    pub fn name(&self) -> &'static str {
        match self {
            Rule::Numerals => "numerals",
            Rule::SpokenDigits => "spoken-digits",
            Rule::AcrossSegments => "across-segments",
        }
    }
}

/// A text with its digit runs masked, and one [`Rule`] per masked span, in text order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Masked {
    pub text: String,
    pub rules: Vec<Rule>,
}

/// `text` with its runs of digits masked (see the module doc).
#[must_use = "the masked text is what may be stored"]
pub fn mask(text: &str) -> Masked {
    // One text in, one out. Were the vector ever empty, the default (an empty text) would
    // store nothing, which is the safe way to be wrong.
    mask_segments(&[text]).pop().unwrap_or_default()
}

/// Consecutive segments of one speaker, in order, each masked; a run of digits that goes on
/// from one segment into the next is one run (rule "across-segments").
#[must_use = "the masked texts are what may be stored"]
pub fn mask_segments<S: AsRef<str>>(texts: &[S]) -> Vec<Masked> {
    // The segments are scanned as one text, so that a number, or a digit word (い|ち), cut by
    // a segment boundary is still seen. `bounds` maps the joined text back to the segments.
    let mut joined = String::new();
    let mut bounds = Vec::with_capacity(texts.len());
    for text in texts {
        let start = joined.len();
        joined.push_str(text.as_ref());
        bounds.push(start..joined.len());
    }
    let tokens = scan(&joined);
    let mut spans: Vec<Vec<(usize, usize, Rule)>> = vec![Vec::new(); texts.len()];
    let mut first = 0;
    for k in 1..=tokens.len() {
        if k < tokens.len() && links(&joined, &tokens[k - 1], &tokens[k]) {
            continue;
        }
        let run = &tokens[first..k];
        first = k;
        let (Some(head), Some(tail)) = (run.first(), run.last()) else {
            continue;
        };
        let (from, to) = (segment_at(&bounds, head.start), segment_at(&bounds, tail.end - 1));
        let Some(rule) = verdict(&joined, run, from != to) else {
            continue;
        };
        // One span per segment the run touches, from its first digit there to its last: the
        // separators at a segment's edges stay.
        let touched = bounds.iter().zip(&mut spans).skip(from).take(to + 1 - from);
        for (range, spans) in touched {
            let parts = run.iter().filter(|t| t.start < range.end && t.end > range.start);
            let start = parts.clone().map(|t| t.start.max(range.start)).min();
            let end = parts.map(|t| t.end.min(range.end)).max();
            // An empty segment inside a cut word gets no span.
            match (start, end) {
                (Some(start), Some(end)) if start < end => {
                    spans.push((start - range.start, end - range.start, rule));
                }
                _ => {}
            }
        }
    }
    texts
        .iter()
        .zip(spans)
        .map(|(text, spans)| {
            let text = text.as_ref();
            let mut out = String::with_capacity(text.len());
            let mut copied = 0;
            for &(start, end, _) in &spans {
                out.push_str(&text[copied..start]);
                out.push_str(MASK);
                copied = end;
            }
            out.push_str(&text[copied..]);
            Masked {
                text: out,
                rules: spans.iter().map(|s| s.2).collect(),
            }
        })
        .collect()
}

/// The segment that holds byte `pos` of the joined text (empty segments hold none).
fn segment_at(bounds: &[std::ops::Range<usize>], pos: usize) -> usize {
    bounds.partition_point(|range| range.end <= pos)
}

/// Numerals and digit words: only words (kana, hangul, Latin) may be weak.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Form {
    Numeral,
    Word,
}

/// One digit (or, for "double"/"triple", the digits it repeats) where it stands in the text.
#[derive(Clone, Copy, Debug)]
struct Token {
    start: usize,
    end: usize,
    digits: usize,
    form: Form,
    weak: bool,
}

/// What a token is, without where.
#[derive(Clone, Copy)]
struct Kind {
    digits: usize,
    form: Form,
    weak: bool,
}

const NUMERAL: Kind = Kind {
    digits: 1,
    form: Form::Numeral,
    weak: false,
};

/// Kanji (and Chinese) digits, and the circles whisper writes for zero.
const KANJI_DIGITS: &str = "〇零一二三四五六七八九幺○◯";

/// A kanji digit next to one of these is part of a number like 三百 or 十五, not a digit string.
const PLACE_VALUES: &str = "十百千万萬億兆拾";

/// Digit words in kana and hangul, by digit 0 to 9. The longest match wins (しち before し).
const SYLLABLE_DIGITS: [&[&str]; 10] = [
    &["ゼロ", "ぜろ", "れい", "レイ", "まる", "マル", "공", "영"],
    &["いち", "イチ", "일"],
    &["に", "ニ", "이"],
    &["さん", "サン", "삼"],
    &["よん", "ヨン", "し", "シ", "사"],
    &["ご", "ゴ", "오"],
    &["ろく", "ロク", "육"],
    &["なな", "ナナ", "しち", "シチ", "칠"],
    &["はち", "ハチ", "팔"],
    &["きゅう", "キュウ", "きゅー", "キュー", "く", "ク", "구"],
];

/// Syllable digits that are far more often a particle or part of a word.
const WEAK_SYLLABLES: &[&str] = &[
    "に", "ニ", "し", "シ", "ご", "ゴ", "く", "ク", "일", "이", "사", "오", "구",
];

/// Marks that stretch a spoken digit (にー, ごー) and belong to it.
const ELONGATION: &[char] = &['ー', 'ｰ', '～', '〜'];

/// Digit words in Latin script, lower case, by digit 0 to 9: English, Spanish, Portuguese,
/// Tagalog (native and Spanish-derived), Vietnamese.
const LATIN_DIGITS: [&[&str]; 10] = [
    &["zero", "oh", "cero", "sero", "không"],
    &["one", "uno", "um", "uma", "isa", "một"],
    &["two", "dos", "dois", "duas", "dalawa", "hai"],
    &["three", "tres", "três", "tatlo", "ba"],
    &["four", "cuatro", "quatro", "apat", "kuwatro", "bốn"],
    &["five", "cinco", "lima", "singko", "năm"],
    &["six", "seis", "meia", "anim", "sais", "sáu"],
    &["seven", "siete", "sete", "pito", "siyete", "bảy", "bẩy"],
    &["eight", "ocho", "oito", "walo", "otso", "tám"],
    &["nine", "nueve", "nove", "siyam", "nuwebe", "chín"],
];

/// Latin digit words that are far more often an interjection or an article.
const WEAK_WORDS: &[&str] = &["oh", "um", "uma", "meia"];

/// "double five" is two digits: the word stands for the repeats.
const REPEATS: &[(&str, usize)] = &[("double", 1), ("triple", 2)];

/// Kept after a 4-numeral run: a year.
const YEAR_AFTER: &[&str] = &["年", "년"];

/// Kept after a run: an amount or a quantity in ten-thousands. Latin words match whole.
const AMOUNT_AFTER: &[&str] = &[
    "円", "万", "億", "兆", "元", "원", "ドル", "yen", "dollars", "pesos", "euros",
];

/// Kept before a run: a currency sign.
const AMOUNT_BEFORE: &[char] = &['¥', '￥', '$', '＄', '€', '₱', '₩', '£', '₫'];

/// Characters that may stand between two digits of one run, besides whitespace: hyphens and
/// dashes (ー too: whisper writes it for a hyphen), commas, dots and pauses, ・ and の.
const SEPARATORS: &[char] = &[
    '-', '‐', '‑', '‒', '–', '—', '―', '−', '－', 'ー', 'ｰ', ',', '，', '、', '､', '.', '．', '。', '｡', '…', '‥',
    '・', '･', 'の',
];

fn is_separator(c: char) -> bool {
    c.is_whitespace() || SEPARATORS.contains(&c)
}

/// Letters of Latin-script words, Vietnamese included (precomposed or with combining marks).
fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic()
        || (('\u{00C0}'..='\u{024F}').contains(&c) && c != '×' && c != '÷')
        || ('\u{0300}'..='\u{036F}').contains(&c)
        || ('\u{1E00}'..='\u{1EFF}').contains(&c)
}

/// The digit tokens of `text`, in order.
fn scan(text: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < text.len() {
        let prev = text[..i].chars().next_back();
        let (len, kind) = recognise(&text[i..], prev);
        if let Some(Kind { digits, form, weak }) = kind {
            out.push(Token {
                start: i,
                end: i + len,
                digits,
                form,
                weak,
            });
        }
        i += len;
    }
    out
}

/// How many bytes at the start of `rest` make one unit (a digit, a word, or one other
/// character), and whether that unit is a digit. Never 0 for a non-empty `rest`.
fn recognise(rest: &str, prev: Option<char>) -> (usize, Option<Kind>) {
    let Some(c) = rest.chars().next() else {
        return (rest.len(), None);
    };
    let one = c.len_utf8();
    if KANJI_DIGITS.contains(c) {
        let next = rest[one..].chars().next();
        let quantity = [prev, next].into_iter().flatten().any(|n| PLACE_VALUES.contains(n));
        return (one, (!quantity).then_some(NUMERAL));
    }
    if c.is_numeric() {
        return (one, Some(NUMERAL));
    }
    if is_latin(c) {
        // Whole words only: "one" in "someone" is no digit.
        let len = rest.find(|c: char| !is_latin(c)).unwrap_or(rest.len());
        return (len, latin_word(&rest[..len].to_lowercase()));
    }
    let syllable = SYLLABLE_DIGITS
        .iter()
        .flat_map(|words| words.iter())
        .filter(|w| rest.starts_with(**w))
        .max_by_key(|w| w.len());
    if let Some(word) = syllable {
        let stretched = rest[word.len()..]
            .find(|c| !ELONGATION.contains(&c))
            .unwrap_or(rest.len() - word.len());
        let kind = Kind {
            digits: 1,
            form: Form::Word,
            weak: WEAK_SYLLABLES.contains(word),
        };
        return (word.len() + stretched, Some(kind));
    }
    (one, None)
}

fn latin_word(word: &str) -> Option<Kind> {
    if let Some(&(_, digits)) = REPEATS.iter().find(|(w, _)| *w == word) {
        return Some(Kind {
            digits,
            form: Form::Word,
            weak: true,
        });
    }
    LATIN_DIGITS
        .iter()
        .flat_map(|words| words.iter())
        .any(|w| *w == word)
        .then(|| Kind {
            digits: 1,
            form: Form::Word,
            weak: WEAK_WORDS.contains(&word),
        })
}

/// Whether `b` goes on the run that `a` is in.
fn links(text: &str, a: &Token, b: &Token) -> bool {
    // A weak word beside a numeral is a particle: "1234に行く".
    let weak_meets_numeral = (a.weak && b.form == Form::Numeral) || (b.weak && a.form == Form::Numeral);
    !weak_meets_numeral && joins(&text[a.end..b.start])
}

/// Whether a gap holds only separators, few enough.
fn joins(gap: &str) -> bool {
    let mut marks = 0;
    for c in gap.chars() {
        if !is_separator(c) {
            return false;
        }
        if !c.is_whitespace() {
            marks += 1;
        }
    }
    marks <= MAX_GAP_MARKS
}

/// The rule a run is masked by, or `None` when it is kept.
fn verdict(text: &str, run: &[Token], across_segments: bool) -> Option<Rule> {
    let digits: usize = run.iter().map(|t| t.digits).sum();
    if digits < MIN_DIGITS || run.iter().all(|t| t.weak) {
        return None;
    }
    if across_segments {
        return Some(Rule::AcrossSegments);
    }
    if run.iter().any(|t| t.form == Form::Word) {
        return Some(Rule::SpokenDigits);
    }
    (!is_year_or_amount(text, run)).then_some(Rule::Numerals)
}

/// The exceptions "year" and "amount", for a run of numerals in one segment.
fn is_year_or_amount(text: &str, run: &[Token]) -> bool {
    let (Some(first), Some(last)) = (run.first(), run.last()) else {
        return false;
    };
    let gaps: Vec<&str> = run.windows(2).map(|w| &text[w[0].end..w[1].start]).collect();
    let plain = gaps.iter().all(|g| g.is_empty());
    let before = text[..first.start].trim_end();
    let after = text[last.end..].trim_start();
    let year = run.len() == 4 && plain && YEAR_AFTER.iter().any(|y| after.starts_with(*y));
    let amount = run.len() <= MAX_AMOUNT_DIGITS
        && (plain || in_thousands(&gaps))
        && (AMOUNT_AFTER.iter().any(|w| starts_with_word(after, w)) || before.ends_with(AMOUNT_BEFORE));
    year || amount
}

/// Whether the gaps between single digits group them as 1,234 or 12,345,678.
fn in_thousands(gaps: &[&str]) -> bool {
    let mut groups = vec![1];
    for gap in gaps {
        match *gap {
            "" => {
                if let Some(size) = groups.last_mut() {
                    *size += 1;
                }
            }
            "," | "，" => groups.push(1),
            _ => return false,
        }
    }
    groups.len() >= 2 && (1..=3).contains(&groups[0]) && groups[1..].iter().all(|&size| size == 3)
}

/// Whether `text` starts with `word`; a Latin word must end there ("yen", not "yenta").
fn starts_with_word(text: &str, word: &str) -> bool {
    let Some(head) = text.get(..word.len()) else {
        return false;
    };
    let tail = text[word.len()..].chars().next();
    head.eq_ignore_ascii_case(word) && !(word.chars().all(is_latin) && tail.is_some_and(is_latin))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masked text of one segment.
    fn m(text: &str) -> String {
        mask(text).text
    }

    fn texts(masked: &[Masked]) -> Vec<&str> {
        masked.iter().map(|m| m.text.as_str()).collect()
    }

    #[test]
    fn twelve_ascii_digits_in_a_row() {
        let masked = mask("個人番号は123456789012です。");
        assert_eq!(masked.text, "個人番号は［番号］です。");
        assert_eq!(masked.rules, vec![Rule::Numerals]);
    }

    #[test]
    fn groups_of_four_with_any_separator_are_one_run() {
        for number in [
            "1234 5678 9012",
            "1234-5678-9012",
            "1234 - 5678 - 9012",
            "1234、5678、9012",
            "1234,5678,9012",
            "1234の5678の9012",
            "1234・5678・9012",
            "1234. 5678. 9012",
            "1234。5678。9012",
            "1234…5678…9012",
            "1234ー5678ー9012",
            "1 2 3 4 5 6 7 8 9 0 1 2",
        ] {
            let masked = mask(&format!("番号は{number}です"));
            assert_eq!(masked.text, "番号は［番号］です", "{number}");
            assert_eq!(masked.rules, vec![Rule::Numerals], "{number}");
        }
    }

    #[test]
    fn full_width_digits() {
        assert_eq!(m("番号は１２３４５６７８９０１２です"), "番号は［番号］です");
        assert_eq!(m("番号は１２３４　５６７８　９０１２です"), "番号は［番号］です");
    }

    #[test]
    fn kanji_digits_with_both_zeros() {
        let masked = mask("番号は一二三四五六七八九〇一二です");
        assert_eq!(masked.text, "番号は［番号］です");
        assert_eq!(masked.rules, vec![Rule::Numerals]);
        assert_eq!(m("零一二三"), "［番号］");
        assert_eq!(m("〇〇一二"), "［番号］");
        assert_eq!(m("四三二一、五六七八"), "［番号］");
    }

    #[test]
    fn kana_digit_words() {
        let masked = mask("番号は、いち に さん よん ご ろく なな はち きゅう ゼロ いち に、です");
        assert_eq!(masked.text, "番号は、［番号］、です");
        assert_eq!(masked.rules, vec![Rule::SpokenDigits]);
        assert_eq!(m("いちにさんしごろくしちはちくれいまるぜろ"), "［番号］");
        assert_eq!(m("ゼロ、まる、れい、いち"), "［番号］");
        assert_eq!(m("にー、ごー、さん、いち"), "［番号］");
    }

    #[test]
    fn katakana_digit_words() {
        assert_eq!(m("イチニサンヨン"), "［番号］");
        assert_eq!(m("ゼロキュウゼロ、イチニサンヨン、ゴロクナナハチ"), "［番号］");
        assert_eq!(m("レイ・マル・シチ・キュー"), "［番号］");
    }

    #[test]
    fn mixed_forms_are_one_run() {
        let masked = mask("ゼロ9ゼロ、1234");
        assert_eq!(masked.text, "［番号］");
        assert_eq!(masked.rules, vec![Rule::SpokenDigits]);
        assert_eq!(m("いち2さん4"), "［番号］");
        assert_eq!(m("12さんよん"), "［番号］");
        assert_eq!(m("一二３4"), "［番号］");
    }

    #[test]
    fn a_pin_of_four_digits() {
        for (said, kept) in [
            ("暗証番号は1234です", "暗証番号は［番号］です"),
            ("暗証番号は１２３４です。", "暗証番号は［番号］です。"),
            ("暗証番号は四三二一です", "暗証番号は［番号］です"),
            ("暗証番号はいちにさんよんです", "暗証番号は［番号］です"),
            ("暗証番号は、に、ご、さん、く、です", "暗証番号は、［番号］、です"),
            ("暗証番号は12、34です", "暗証番号は［番号］です"),
            ("パスワードは123456です", "パスワードは［番号］です"),
        ] {
            assert_eq!(m(said), kept, "{said}");
        }
    }

    #[test]
    fn english_and_other_languages() {
        let masked = mask("My PIN is one two three four.");
        assert_eq!(masked.text, "My PIN is ［番号］.");
        assert_eq!(masked.rules, vec![Rule::SpokenDigits]);
        for (said, kept) in [
            ("It's One, Two, Three, Four, Five.", "It's ［番号］."),
            ("zero nine oh one two three", "［番号］"),
            ("oh nine oh", "oh nine oh"),
            ("nine double five one", "［番号］"),
            ("one-two-three-four", "［番号］"),
            ("mi número es uno dos tres cuatro", "mi número es ［番号］"),
            ("o número é um dois três quatro", "o número é ［番号］"),
            ("isa dalawa tatlo apat", "［番号］"),
            ("số của tôi là một hai ba bốn", "số của tôi là ［番号］"),
            ("번호는 일이삼사 입니다", "번호는 ［番号］ 입니다"),
            ("号码是幺二三四五六", "号码是［番号］"),
        ] {
            assert_eq!(m(said), kept, "{said}");
        }
    }

    #[test]
    fn a_run_split_over_two_segments() {
        let masked = mask_segments(&["番号は1234 5678", "9012です"]);
        assert_eq!(texts(&masked), ["番号は［番号］", "［番号］です"]);
        assert_eq!(masked[0].rules, vec![Rule::AcrossSegments]);
        assert_eq!(masked[1].rules, vec![Rule::AcrossSegments]);
        // Short groups that would each be kept make one run together; whisper's leading space
        // and a closing 。 are gaps like any other.
        let masked = mask_segments(&["暗証番号は12。".to_string(), " 34です".to_string()]);
        assert_eq!(texts(&masked), ["暗証番号は［番号］。", " ［番号］です"]);
    }

    #[test]
    fn a_run_split_over_three_segments() {
        let masked = mask_segments(&["番号は12", "34、56", "78です"]);
        assert_eq!(texts(&masked), ["番号は［番号］", "［番号］", "［番号］です"]);
        assert!(masked.iter().all(|m| m.rules == vec![Rule::AcrossSegments]));
        let masked = mask_segments(&["いちに", "さん", "しです"]);
        assert_eq!(texts(&masked), ["［番号］", "［番号］", "［番号］です"]);
        // A segment of separators only is a gap too.
        let masked = mask_segments(&["12", "、", "34"]);
        assert_eq!(texts(&masked), ["［番号］", "、", "［番号］"]);
        assert!(masked[1].rules.is_empty());
        // A digit word cut by the boundary is still one word, and empty segments are no gap.
        let masked = mask_segments(&["番号はい", "", "ちにさんよんです"]);
        assert_eq!(texts(&masked), ["番号は［番号］", "", "［番号］です"]);
        // What follows an amount may be in the next segment.
        let masked = mask_segments(&["手数料は1000", "円です"]);
        assert_eq!(texts(&masked), ["手数料は1000", "円です"]);
    }

    #[test]
    fn segments_that_do_not_join_are_masked_alone() {
        let masked = mask_segments(&["12時です", "34番です"]);
        assert_eq!(texts(&masked), ["12時です", "34番です"]);
        assert!(masked.iter().all(|m| m.rules.is_empty()));
        let masked = mask_segments(&["はい", "1234です"]);
        assert_eq!(texts(&masked), ["はい", "［番号］です"]);
        assert_eq!(masked[1].rules, vec![Rule::Numerals]);
        assert!(mask_segments::<&str>(&[]).is_empty());
    }

    #[test]
    fn ordinary_numbers_are_kept() {
        for kept in [
            "8時30分",
            "午後5時15分",
            "300円",
            "15日",
            "三百円",
            "千五百円",
            "十五日",
            "一万二千三百四十五円",
            "二千二十五年",
            "令和7年10月15日",
            "2025年4月1日",
            "２０２５年度",
            "二〇二五年",
            "1000円",
            "1,000円",
            "１，５００円",
            "12,345,678円",
            "¥12,345",
            "$1,500",
            "1500 yen",
            "1234万人",
            "1通につき300円です",
            "10時から12時まで",
            "第1、第2",
            "七五三",
        ] {
            let masked = mask(kept);
            assert_eq!(masked.text, kept);
            assert!(masked.rules.is_empty(), "{kept}");
        }
    }

    #[test]
    fn exceptions_stop_where_they_stop_being_safe() {
        assert_eq!(m("1234 5678 9012円"), "［番号］円");
        assert_eq!(m("123456789012円"), "［番号］円");
        assert_eq!(m("12,34円"), "［番号］円");
        assert_eq!(m("12345年"), "［番号］年");
        assert_eq!(m("5678 2025年"), "［番号］年");
        assert_eq!(m("1500yenta"), "［番号］yenta");
        assert_eq!(mask_segments(&["番号は20", "25年"])[1].text, "［番号］年");
    }

    #[test]
    fn particles_and_words_are_not_digits() {
        for kept in [
            "東京に行く",
            "話しにくくて",
            "しごとに行く",
            "田中さんにご連絡します",
            "いちばん近いのは川崎です",
            "きれいに書いてください",
            "Someone phoned",
            "one or two",
            "Oh, oh, oh, oh!",
            "um, uma, meia",
        ] {
            assert_eq!(m(kept), kept);
        }
        // Next to numerals a particle stays a particle.
        assert_eq!(m("1234に行く"), "［番号］に行く");
        assert_eq!(m("に1234"), "に［番号］");
    }

    #[test]
    fn punctuation_around_a_run_is_kept() {
        assert_eq!(m("「1234」"), "「［番号］」");
        assert_eq!(m("(1234)"), "(［番号］)");
        assert_eq!(m("番号は、1234-5678-9012、です。"), "番号は、［番号］、です。");
        assert_eq!(m("1234?"), "［番号］?");
        assert_eq!(m("1234"), "［番号］");
    }

    #[test]
    fn each_span_reports_its_rule() {
        let masked = mask("1234と、いちにさんし");
        assert_eq!(masked.text, "［番号］と、［番号］");
        assert_eq!(masked.rules, vec![Rule::Numerals, Rule::SpokenDigits]);
        assert_eq!(Rule::Numerals.name(), "numerals");
        assert_eq!(Rule::SpokenDigits.name(), "spoken-digits");
        assert_eq!(Rule::AcrossSegments.name(), "across-segments");
    }

    #[test]
    fn the_reference_transcripts_pass_unchanged() {
        for text in [
            include_str!("../../tests/data/speech/ja-call.txt"),
            include_str!("../../tests/data/speech/ja-long.txt"),
            include_str!("../../tests/data/speech/en-call.txt"),
        ] {
            let masked = mask(text);
            assert_eq!(masked.text, text);
            assert!(masked.rules.is_empty());
        }
    }

    #[test]
    fn no_input_makes_it_panic() {
        for odd in [
            "",
            "ー",
            "、、、",
            "\u{301}",
            "a\u{301}",
            "ー1ー",
            "𝟙𝟚𝟛𝟜",
            "〇",
            "十",
            "ごー～",
            "¥",
            "1,",
            ",1",
        ] {
            let _ = mask(odd);
        }
        assert_eq!(m("𝟙𝟚𝟛𝟜"), "［番号］");
        assert_eq!(m(""), "");
    }

    /// Random texts over characters that matter here (no exception triggers: 年, 円, ¥): no
    /// panic, a second pass changes nothing, and no 4 ASCII digits with only separators between
    /// them survive, whatever the segmentation.
    #[test]
    fn random_texts_leak_no_four_digits() {
        const ALPHABET: &[char] = &[
            '1', '2', '０', ' ', '-', '、', '。', 'の', 'x', 'に', 'い', 'ち', '時', '一', '十', 'ー',
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..20_000 {
            let len = next(16);
            let text: String = (0..len).map(|_| ALPHABET[next(ALPHABET.len())]).collect();
            let cut = text.char_indices().nth(next(len + 1)).map_or(text.len(), |(i, _)| i);
            let once = mask_segments(&[&text[..cut], &text[cut..]]);
            let joined = format!("{}{}", once[0].text, once[1].text);
            assert_eq!(mask(&joined).text, joined, "{text:?}");
            let (mut digits, mut marks) = (0, 0);
            for c in joined.chars() {
                if c.is_ascii_digit() {
                    digits += 1;
                    marks = 0;
                } else if is_separator(c) && marks < MAX_GAP_MARKS {
                    marks += usize::from(!c.is_whitespace());
                } else {
                    (digits, marks) = (0, 0);
                }
                assert!(digits < MIN_DIGITS, "{text:?} (cut at {cut}) became {joined:?}");
            }
        }
    }
}
