//! The eight languages callers are served in (CC-LANG).

use std::fmt;

/// On the wire (JSON) a language is its code: `"ja"`, `"vi"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
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

    /// The language's name in Japanese, for staff screens and reports.
    pub fn japanese_name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "英語",
            Lang::Zh => "中国語",
            Lang::Ko => "韓国語",
            Lang::Tl => "タガログ語",
            Lang::Es => "スペイン語",
            Lang::Pt => "ポルトガル語",
            Lang::Vi => "ベトナム語",
        }
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

impl<'de> serde::Deserialize<'de> for Lang {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        Lang::from_code(&code).ok_or_else(|| {
            let codes: Vec<&str> = Lang::ALL.iter().map(|l| l.code()).collect();
            serde::de::Error::custom(format!("unknown language '{code}': one of {}", codes.join(", ")))
        })
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
        for lang in Lang::ALL {
            let json = format!("\"{}\"", lang.code());
            assert_eq!(serde_json::to_string(&lang).ok(), Some(json.clone()));
            assert_eq!(serde_json::from_str::<Lang>(&json).ok(), Some(lang));
        }
        let refused = serde_json::from_str::<Lang>("\"fr\"").err().map(|e| e.to_string());
        assert!(refused.is_some_and(|e| e.starts_with("unknown language 'fr': one of ja, en")));
    }
}
