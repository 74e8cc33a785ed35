//! Which numbers agents may call back: an allow-list and a deny-list of dial-plan patterns, in
//! the notation PBX administrators know from Asterisk: `X` any digit, `Z` 1–9, `N` 2–9,
//! `[135]` or `[1-5]` one of a set, a trailing `.` one or more further digits, anything else
//! itself. A number must match an allowed pattern and no denied one (denied wins), so
//! `0[1-9]XXXXXXXX` with `0570.` denied reaches fixed lines but not Navi Dial.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialPlanError {
    #[error("pattern '{0}': an unclosed '['")]
    Unclosed(String),
    #[error("pattern '{0}': '.' may only end a pattern")]
    DotInside(String),
    #[error("pattern '{0}': empty")]
    Empty(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Element {
    Digits(Vec<char>),
    /// One or more further digits.
    Rest,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    text: String,
    elements: Vec<Element>,
}

impl Pattern {
    pub fn parse(text: &str) -> Result<Pattern, DialPlanError> {
        let mut elements = Vec::new();
        let mut chars = text.chars().peekable();
        if text.is_empty() {
            return Err(DialPlanError::Empty(text.to_string()));
        }
        while let Some(c) = chars.next() {
            let element = match c {
                'X' | 'x' => Element::Digits(('0'..='9').collect()),
                'Z' | 'z' => Element::Digits(('1'..='9').collect()),
                'N' | 'n' => Element::Digits(('2'..='9').collect()),
                '.' => {
                    if chars.peek().is_some() {
                        return Err(DialPlanError::DotInside(text.to_string()));
                    }
                    Element::Rest
                }
                '[' => {
                    let mut set = Vec::new();
                    let mut previous = None;
                    loop {
                        match chars.next() {
                            None => return Err(DialPlanError::Unclosed(text.to_string())),
                            Some(']') => break,
                            Some('-') => {
                                if let (Some(from), Some(&to)) = (previous, chars.peek()) {
                                    chars.next();
                                    set.extend((from..=to).skip(1));
                                    previous = Some(to);
                                }
                            }
                            Some(d) => {
                                set.push(d);
                                previous = Some(d);
                            }
                        }
                    }
                    Element::Digits(set)
                }
                other => Element::Digits(vec![other]),
            };
            elements.push(element);
        }
        Ok(Pattern {
            text: text.to_string(),
            elements,
        })
    }

    pub fn matches(&self, number: &str) -> bool {
        let digits: Vec<char> = number.chars().collect();
        let mut i = 0;
        for element in &self.elements {
            match element {
                Element::Digits(set) => {
                    if digits.get(i).is_none_or(|d| !set.contains(d)) {
                        return false;
                    }
                    i += 1;
                }
                Element::Rest => return digits.len() > i && digits[i..].iter().all(char::is_ascii_digit),
            }
        }
        i == digits.len()
    }
}

use crate::pii::PhoneNumber;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialPlan {
    allowed: Vec<Pattern>,
    denied: Vec<Pattern>,
}

/// Why a number may not be called. It never quotes the number (it is logged).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("not a phone number (digits only, hyphens and spaces allowed, no signs)")]
    NotANumber,
    #[error("not a number the center may call")]
    NotAllowed,
    #[error("numbers of this kind may not be called (pattern {pattern})")]
    Denied { pattern: String },
}

impl DialPlan {
    pub fn parse(allowed: &[String], denied: &[String]) -> Result<DialPlan, DialPlanError> {
        Ok(DialPlan {
            allowed: allowed.iter().map(|p| Pattern::parse(p)).collect::<Result<_, _>>()?,
            denied: denied.iter().map(|p| Pattern::parse(p)).collect::<Result<_, _>>()?,
        })
    }

    /// The number as it will be dialled, or why not.
    pub fn check(&self, typed: &PhoneNumber) -> Result<PhoneNumber, Refusal> {
        // Agents type numbers as they are written: 044-200-1234.
        let number: String = typed
            .expose()
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '(' | ')'))
            .collect();
        if number.is_empty() || number.len() > 20 || !number.chars().all(|c| c.is_ascii_digit()) {
            return Err(Refusal::NotANumber);
        }
        if let Some(denied) = self.denied.iter().find(|p| p.matches(&number)) {
            return Err(Refusal::Denied {
                pattern: denied.text.clone(),
            });
        }
        if !self.allowed.iter().any(|p| p.matches(&number)) {
            return Err(Refusal::NotAllowed);
        }
        Ok(PhoneNumber::from(number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan() -> DialPlan {
        let allowed = ["0[1-9]XXXXXXXX", "0[789]0XXXXXXXX"].map(String::from);
        let denied = ["0570.", "0990.", "010.", "0180.", "0120."].map(String::from);
        DialPlan::parse(&allowed, &denied).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn domestic_fixed_lines_and_mobiles_pass_premium_and_international_do_not() {
        let plan = plan();
        let check = |typed: &str| plan.check(&PhoneNumber::from(typed));
        assert_eq!(check("044-200-1234"), Ok(PhoneNumber::from("0442001234")));
        assert_eq!(check("090 1234 5678"), Ok(PhoneNumber::from("09012345678")));
        assert!(matches!(check("0570123456"), Err(Refusal::Denied { .. })), "Navi Dial");
        assert!(matches!(check("0990123456"), Err(Refusal::Denied { .. })), "premium");
        assert!(
            matches!(check("010441234567890"), Err(Refusal::Denied { .. })),
            "international"
        );
        assert!(matches!(check("+81442001234"), Err(Refusal::NotANumber)));
        assert!(
            matches!(check("110"), Err(Refusal::NotAllowed)),
            "no emergency numbers from here"
        );
        assert!(
            matches!(check("04420012345"), Err(Refusal::NotAllowed)),
            "one digit too many"
        );
        assert!(matches!(check(""), Err(Refusal::NotANumber)));
        let refusal = check("0570-123-456").err().map(|r| r.to_string()).unwrap_or_default();
        assert!(
            !refusal.contains("0570123456") && !refusal.contains("0570-123-456"),
            "{refusal}"
        );
    }

    #[test]
    fn pattern_notation() {
        let p = |t: &str| Pattern::parse(t).unwrap_or_else(|e| panic!("{e}"));
        assert!(p("N[1-3]X").matches("219") && !p("N[1-3]X").matches("149") && !p("N[1-3]X").matches("119"));
        assert!(p("0Z.").matches("0123") && !p("0Z.").matches("01") && !p("0Z.").matches("00123"));
        assert!(Pattern::parse("0[12").is_err());
        assert!(Pattern::parse("0.1").is_err());
        assert!(Pattern::parse("").is_err());
    }
}
