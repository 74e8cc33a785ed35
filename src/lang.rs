//! The eight languages callers are served in (CC-LANG).

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lang {
    Ja,
    En,
    Zh,
    Ko,
    Tl,
    Es,
    Pt,
    Vi,
}

impl Lang {
    pub const ALL: [Lang; 8] = [
        Lang::Ja,
        Lang::En,
        Lang::Zh,
        Lang::Ko,
        Lang::Tl,
        Lang::Es,
        Lang::Pt,
        Lang::Vi,
    ];

    /// The code used in file names, flows and records (ISO 639-1).
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::Zh => "zh",
            Lang::Ko => "ko",
            Lang::Tl => "tl",
            Lang::Es => "es",
            Lang::Pt => "pt",
            Lang::Vi => "vi",
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code)
    }

    /// The language's name in English, for staff screens and logs.
    pub fn english_name(self) -> &'static str {
        match self {
            Lang::Ja => "Japanese",
            Lang::En => "English",
            Lang::Zh => "Chinese",
            Lang::Ko => "Korean",
            Lang::Tl => "Tagalog",
            Lang::Es => "Spanish",
            Lang::Pt => "Portuguese",
            Lang::Vi => "Vietnamese",
        }
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for lang in Lang::ALL {
            assert_eq!(Lang::from_code(lang.code()), Some(lang));
        }
        assert_eq!(Lang::from_code("fr"), None);
    }
}
