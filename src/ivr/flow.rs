//! IVR flows as data (`ivr-flows/*.toml`), parsed in two steps: into structs shaped like the
//! file (every value keeps its place), then validated into a [`Flow`] whose node references
//! are indices that cannot dangle. Every problem is reported with its file and line.
//!
//! ```toml
//! id = "my-number"
//! start = "greeting"
//!
//! [nodes.greeting]
//! type = "play"
//! prompts = ["greeting", "recording_notice"]
//! next = "language"
//!
//! [nodes.language]
//! type = "menu"
//! prompts = ["language_option@ja", "language_option@en"]   # id@lang: always in that language
//! choices = { "1" = "japanese", "2" = "english" }
//! timeout_seconds = 5
//! on_no_input = "japanese"
//! ```

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::ops::Range;
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::lang::Lang;
use crate::media::dtmf::Digit;

/// Index of a node in [`Flow::nodes`].
pub type NodeId = usize;

/// A prompt to play: by id, in the caller's language or in a fixed one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PromptRef {
    pub id: String,
    pub lang: Option<Lang>,
}

/// Closed-message prompts per reason (CC-PROMPT: say why nobody answers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClosedPrompts {
    pub outside_hours: PromptRef,
    pub holiday: PromptRef,
    pub year_end: PromptRef,
    pub temporary: PromptRef,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    Play {
        prompts: Vec<PromptRef>,
        barge_in: bool,
        next: NodeId,
    },
    Menu(Menu),
    SetLanguage {
        lang: Lang,
        next: NodeId,
    },
    CheckHours {
        calendar: String,
        open: NodeId,
        closed: NodeId,
    },
    ClosedMessage {
        reasons: ClosedPrompts,
        then: Vec<PromptRef>,
        next: NodeId,
    },
    CheckCapacity {
        available: NodeId,
        busy: NodeId,
    },
    Enqueue(Enqueue),
    Transfer {
        uri: String,
    },
    Hangup,
    Goto {
        target: NodeId,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Menu {
    pub prompts: Vec<PromptRef>,
    pub choices: Vec<(Digit, NodeId)>,
    pub timeout: Duration,
    /// How many times the menu is offered again after a wrong key or no key.
    pub retries: u8,
    pub invalid_prompt: Option<PromptRef>,
    pub no_input_prompt: Option<PromptRef>,
    /// Where no key goes at once (the language menu defaults to Japanese).
    pub on_no_input: Option<NodeId>,
    /// Where the caller goes when the retries are used up.
    pub on_failure: Option<NodeId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enqueue {
    pub queue: String,
    pub hold_prompt: PromptRef,
    pub periodic_prompt: Option<PromptRef>,
    pub periodic: Duration,
    pub max_wait: Duration,
    pub on_timeout: NodeId,
}

/// A validated flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flow {
    pub id: String,
    pub start: NodeId,
    pub nodes: Vec<Node>,
    /// Node names, by index, for logs and call records.
    pub names: Vec<String>,
}

/// What a flow is checked against: the prompts that exist per language and the calendars.
pub struct FlowContext<'a> {
    pub prompts: &'a BTreeSet<(Lang, String)>,
    pub calendars: &'a BTreeSet<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct InvalidFlow {
    pub origin: String,
    pub problems: Vec<(usize, String)>,
}

impl InvalidFlow {
    fn render(&self) -> String {
        self.problems
            .iter()
            .map(|(line, m)| format!("{}: line {line}: {m}", self.origin))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FlowFile {
    id: String,
    start: Spanned<String>,
    nodes: BTreeMap<Spanned<String>, Spanned<NodeFile>>,
}

/// Every field any node type takes; which ones a type allows is checked after parsing, so that
/// each value keeps its span (serde's tagged enums would lose them).
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct NodeFile {
    #[serde(rename = "type")]
    kind: Option<Spanned<String>>,
    prompts: Option<Vec<Spanned<String>>>,
    next: Option<Spanned<String>>,
    barge_in: Option<bool>,
    choices: Option<BTreeMap<Spanned<String>, Spanned<String>>>,
    timeout_seconds: Option<u32>,
    retries: Option<u8>,
    invalid_prompt: Option<Spanned<String>>,
    no_input_prompt: Option<Spanned<String>>,
    on_no_input: Option<Spanned<String>>,
    on_failure: Option<Spanned<String>>,
    language: Option<Spanned<String>>,
    calendar: Option<Spanned<String>>,
    open: Option<Spanned<String>>,
    closed: Option<Spanned<String>>,
    outside_hours_prompt: Option<Spanned<String>>,
    holiday_prompt: Option<Spanned<String>>,
    year_end_prompt: Option<Spanned<String>>,
    temporary_prompt: Option<Spanned<String>>,
    then: Option<Vec<Spanned<String>>>,
    available: Option<Spanned<String>>,
    busy: Option<Spanned<String>>,
    queue: Option<String>,
    hold_prompt: Option<Spanned<String>>,
    periodic_prompt: Option<Spanned<String>>,
    periodic_seconds: Option<u32>,
    max_wait_seconds: Option<u32>,
    on_timeout: Option<Spanned<String>>,
    uri: Option<Spanned<String>>,
    target: Option<Spanned<String>>,
}

impl NodeFile {
    /// The names of the fields that are set, to refuse the ones a node type does not take.
    fn present(&self) -> Vec<&'static str> {
        let fields: [(&'static str, bool); 30] = [
            ("prompts", self.prompts.is_some()),
            ("next", self.next.is_some()),
            ("barge_in", self.barge_in.is_some()),
            ("choices", self.choices.is_some()),
            ("timeout_seconds", self.timeout_seconds.is_some()),
            ("retries", self.retries.is_some()),
            ("invalid_prompt", self.invalid_prompt.is_some()),
            ("no_input_prompt", self.no_input_prompt.is_some()),
            ("on_no_input", self.on_no_input.is_some()),
            ("on_failure", self.on_failure.is_some()),
            ("language", self.language.is_some()),
            ("calendar", self.calendar.is_some()),
            ("open", self.open.is_some()),
            ("closed", self.closed.is_some()),
            ("outside_hours_prompt", self.outside_hours_prompt.is_some()),
            ("holiday_prompt", self.holiday_prompt.is_some()),
            ("year_end_prompt", self.year_end_prompt.is_some()),
            ("temporary_prompt", self.temporary_prompt.is_some()),
            ("then", self.then.is_some()),
            ("available", self.available.is_some()),
            ("busy", self.busy.is_some()),
            ("queue", self.queue.is_some()),
            ("hold_prompt", self.hold_prompt.is_some()),
            ("periodic_prompt", self.periodic_prompt.is_some()),
            ("periodic_seconds", self.periodic_seconds.is_some()),
            ("max_wait_seconds", self.max_wait_seconds.is_some()),
            ("on_timeout", self.on_timeout.is_some()),
            ("uri", self.uri.is_some()),
            ("target", self.target.is_some()),
            ("type", self.kind.is_some()),
        ];
        fields
            .into_iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| name)
            .collect()
    }
}

/// The fields each node type takes (besides `type`).
fn allowed_fields(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "play" => &["prompts", "barge_in", "next"],
        "menu" => &[
            "prompts",
            "choices",
            "timeout_seconds",
            "retries",
            "invalid_prompt",
            "no_input_prompt",
            "on_no_input",
            "on_failure",
        ],
        "set_language" => &["language", "next"],
        "check_hours" => &["calendar", "open", "closed"],
        "closed_message" => &[
            "outside_hours_prompt",
            "holiday_prompt",
            "year_end_prompt",
            "temporary_prompt",
            "then",
            "next",
        ],
        "check_capacity" => &["available", "busy"],
        "enqueue" => &[
            "queue",
            "hold_prompt",
            "periodic_prompt",
            "periodic_seconds",
            "max_wait_seconds",
            "on_timeout",
        ],
        "transfer" => &["uri"],
        "hangup" => &[],
        "goto" => &["target"],
        _ => return None,
    })
}

pub fn parse(origin: &str, source: &str, context: &FlowContext<'_>) -> Result<Flow, InvalidFlow> {
    let mut check = Checker {
        source,
        problems: Vec::new(),
        context,
        names: BTreeMap::new(),
    };
    let file: FlowFile = match toml::from_str(source) {
        Ok(file) => file,
        Err(e) => {
            let line = e.span().map_or(1, |s| check.line_of(s.start));
            return Err(InvalidFlow {
                origin: origin.to_string(),
                problems: vec![(line, e.message().trim().to_string())],
            });
        }
    };
    let names: Vec<String> = file.nodes.keys().map(|k| k.get_ref().clone()).collect();
    check.names = names.iter().enumerate().map(|(i, n)| (n.clone(), i)).collect();
    let start = check.reference(&file.start);
    let mut nodes = Vec::with_capacity(names.len());
    let mut node_lines = Vec::with_capacity(names.len());
    for (name, node) in &file.nodes {
        node_lines.push(check.line_of(node.span().start));
        nodes.push(check.node(name, node));
    }
    if check.problems.is_empty() {
        let nodes: Vec<Node> = nodes.into_iter().flatten().collect();
        let start = start.unwrap_or(0);
        check.graph(start, &nodes, &names, &node_lines);
        if check.problems.is_empty() {
            return Ok(Flow {
                id: file.id,
                start,
                nodes,
                names,
            });
        }
    }
    check.problems.sort();
    check.problems.dedup();
    Err(InvalidFlow {
        origin: origin.to_string(),
        problems: check.problems,
    })
}

struct Checker<'a> {
    source: &'a str,
    problems: Vec<(usize, String)>,
    context: &'a FlowContext<'a>,
    names: BTreeMap<String, NodeId>,
}

impl Checker<'_> {
    fn line_of(&self, offset: usize) -> usize {
        crate::text_lines::line_of(self.source, offset)
    }

    fn problem(&mut self, span: Range<usize>, message: impl Into<String>) {
        let line = self.line_of(span.start);
        self.problems.push((line, message.into()));
    }

    fn reference(&mut self, name: &Spanned<String>) -> Option<NodeId> {
        let found = self.names.get(name.get_ref()).copied();
        if found.is_none() {
            self.problem(name.span(), format!("unknown node '{}'", name.get_ref()));
        }
        found
    }

    fn required<'s>(
        &mut self,
        node: &str,
        span: Range<usize>,
        field: &'s Option<Spanned<String>>,
        what: &str,
    ) -> Option<&'s Spanned<String>> {
        if field.is_none() {
            self.problem(span, format!("node '{node}' needs {what}"));
        }
        field.as_ref()
    }

    fn required_ref(
        &mut self,
        node: &str,
        span: Range<usize>,
        field: &Option<Spanned<String>>,
        what: &str,
    ) -> Option<NodeId> {
        let name = self.required(node, span, field, what)?;
        self.reference(name)
    }

    fn optional_ref(&mut self, field: &Option<Spanned<String>>) -> Option<Option<NodeId>> {
        match field {
            None => Some(None),
            Some(name) => self.reference(name).map(Some),
        }
    }

    fn prompt(&mut self, text: &Spanned<String>) -> Option<PromptRef> {
        let (id, lang) = match text.get_ref().split_once('@') {
            Some((id, code)) => match Lang::from_code(code) {
                Some(lang) => (id.to_string(), Some(lang)),
                None => {
                    self.problem(
                        text.span(),
                        format!("unknown language '{code}' in prompt '{}'", text.get_ref()),
                    );
                    return None;
                }
            },
            None => (text.get_ref().clone(), None),
        };
        let wanted: Vec<Lang> = match lang {
            Some(lang) => vec![lang],
            None => Lang::ALL.to_vec(),
        };
        let missing: Vec<&str> = wanted
            .into_iter()
            .filter(|l| !self.context.prompts.contains(&(*l, id.clone())))
            .map(Lang::code)
            .collect();
        let known_anywhere = Lang::ALL
            .iter()
            .any(|l| self.context.prompts.contains(&(*l, id.clone())));
        if !known_anywhere {
            self.problem(text.span(), format!("unknown prompt '{id}'"));
            return None;
        }
        if !missing.is_empty() {
            self.problem(
                text.span(),
                format!("prompt '{id}' is missing in: {}", missing.join(", ")),
            );
            return None;
        }
        Some(PromptRef { id, lang })
    }

    fn prompts(&mut self, list: &Option<Vec<Spanned<String>>>) -> Option<Vec<PromptRef>> {
        let list = list.as_deref().unwrap_or_default();
        let refs: Vec<Option<PromptRef>> = list.iter().map(|p| self.prompt(p)).collect();
        refs.into_iter().collect()
    }

    fn optional_prompt(&mut self, field: &Option<Spanned<String>>) -> Option<Option<PromptRef>> {
        match field {
            None => Some(None),
            Some(p) => self.prompt(p).map(Some),
        }
    }

    fn node(&mut self, name: &Spanned<String>, node: &Spanned<NodeFile>) -> Option<Node> {
        let span = node.span();
        let name = name.get_ref().as_str();
        let file = node.get_ref();
        let Some(kind) = &file.kind else {
            self.problem(span, format!("node '{name}' has no type"));
            return None;
        };
        let Some(allowed) = allowed_fields(kind.get_ref()) else {
            self.problem(kind.span(), format!(
                "node '{name}': unknown type '{}' (play, menu, set_language, check_hours, closed_message, check_capacity, enqueue, transfer, hangup, goto)",
                kind.get_ref()
            ));
            return None;
        };
        let extra: Vec<&str> = file
            .present()
            .into_iter()
            .filter(|f| *f != "type" && !allowed.contains(f))
            .collect();
        if !extra.is_empty() {
            self.problem(
                span.clone(),
                format!("node '{name}' ({}) does not take: {}", kind.get_ref(), extra.join(", ")),
            );
            return None;
        }
        match kind.get_ref().as_str() {
            "play" => {
                let prompts = self.prompts(&file.prompts);
                if file.prompts.as_ref().is_none_or(|p| p.is_empty()) {
                    self.problem(span.clone(), format!("node '{name}' needs prompts"));
                }
                let next = self.required_ref(name, span, &file.next, "next");
                Some(Node::Play {
                    prompts: prompts?,
                    barge_in: file.barge_in.unwrap_or(false),
                    next: next?,
                })
            }
            "menu" => self.menu(name, span, file).map(Node::Menu),
            "set_language" => {
                let lang = self
                    .required(name, span.clone(), &file.language, "a language")
                    .and_then(|l| {
                        let lang = Lang::from_code(l.get_ref());
                        if lang.is_none() {
                            self.problem(
                                l.span(),
                                format!("unknown language '{}' (ja, en, zh, ko, tl, es, pt, vi)", l.get_ref()),
                            );
                        }
                        lang
                    });
                let next = self.required_ref(name, span, &file.next, "next");
                Some(Node::SetLanguage {
                    lang: lang?,
                    next: next?,
                })
            }
            "check_hours" => {
                let calendar = self
                    .required(name, span.clone(), &file.calendar, "a calendar")
                    .and_then(|c| {
                        let known = self.context.calendars.contains(c.get_ref());
                        if !known {
                            self.problem(c.span(), format!("unknown calendar '{}'", c.get_ref()));
                        }
                        known.then(|| c.get_ref().clone())
                    });
                let open = self.required_ref(name, span.clone(), &file.open, "open (the node when open)");
                let closed = self.required_ref(name, span, &file.closed, "closed (the node when closed)");
                Some(Node::CheckHours {
                    calendar: calendar?,
                    open: open?,
                    closed: closed?,
                })
            }
            "closed_message" => {
                let mut reason = |field: &Option<Spanned<String>>, what: &str| {
                    let prompt = self.required(name, span.clone(), field, what)?;
                    self.prompt(prompt)
                };
                let outside_hours = reason(&file.outside_hours_prompt, "outside_hours_prompt");
                let holiday = reason(&file.holiday_prompt, "holiday_prompt");
                let year_end = reason(&file.year_end_prompt, "year_end_prompt");
                let temporary = reason(&file.temporary_prompt, "temporary_prompt");
                let then = self.prompts(&file.then);
                let next = self.required_ref(name, span, &file.next, "next");
                let reasons = ClosedPrompts {
                    outside_hours: outside_hours?,
                    holiday: holiday?,
                    year_end: year_end?,
                    temporary: temporary?,
                };
                Some(Node::ClosedMessage {
                    reasons,
                    then: then?,
                    next: next?,
                })
            }
            "check_capacity" => {
                let available = self.required_ref(name, span.clone(), &file.available, "available");
                let busy = self.required_ref(name, span, &file.busy, "busy");
                Some(Node::CheckCapacity {
                    available: available?,
                    busy: busy?,
                })
            }
            "enqueue" => {
                let hold = self
                    .required(name, span.clone(), &file.hold_prompt, "hold_prompt")
                    .and_then(|p| self.prompt(p));
                let periodic = self.optional_prompt(&file.periodic_prompt);
                let on_timeout = self.required_ref(name, span.clone(), &file.on_timeout, "on_timeout");
                let queue = file.queue.clone().unwrap_or_else(|| "general".to_string());
                let max_wait = file.max_wait_seconds.unwrap_or(300);
                if max_wait == 0 {
                    self.problem(span, format!("node '{name}': max_wait_seconds must be more than 0"));
                    return None;
                }
                Some(Node::Enqueue(Enqueue {
                    queue,
                    hold_prompt: hold?,
                    periodic_prompt: periodic?,
                    periodic: Duration::from_secs(u64::from(file.periodic_seconds.unwrap_or(30).max(5))),
                    max_wait: Duration::from_secs(u64::from(max_wait)),
                    on_timeout: on_timeout?,
                }))
            }
            "transfer" => {
                let uri = self.required(name, span, &file.uri, "a uri")?;
                let text = uri.get_ref();
                if !(text.starts_with("sip:") || text.starts_with("sips:") || text.starts_with("tel:")) {
                    self.problem(uri.span(), format!("'{text}' is not a sip:, sips: or tel: URI"));
                    return None;
                }
                Some(Node::Transfer { uri: text.clone() })
            }
            "hangup" => Some(Node::Hangup),
            "goto" => self
                .required_ref(name, span, &file.target, "a target")
                .map(|target| Node::Goto { target }),
            _ => None,
        }
    }

    fn menu(&mut self, name: &str, span: Range<usize>, file: &NodeFile) -> Option<Menu> {
        let prompts = self.prompts(&file.prompts);
        let mut choices = Vec::new();
        let mut ok = true;
        match &file.choices {
            Some(map) if !map.is_empty() => {
                for (key, target) in map {
                    let mut chars = key.get_ref().chars();
                    let digit = match (chars.next(), chars.next()) {
                        (Some(c), None) => {
                            Digit::from_char(c).filter(|d| d.as_char() != 'A' && !('A'..='D').contains(&d.as_char()))
                        }
                        _ => None,
                    };
                    let target = self.reference(target);
                    match (digit, target) {
                        (Some(d), Some(t)) => choices.push((d, t)),
                        (None, _) => {
                            self.problem(
                                key.span(),
                                format!("node '{name}': '{}' is not a DTMF key (0-9, *, #)", key.get_ref()),
                            );
                            ok = false;
                        }
                        _ => ok = false,
                    }
                }
            }
            _ => {
                self.problem(span.clone(), format!("node '{name}' needs choices"));
                ok = false;
            }
        }
        let invalid_prompt = self.optional_prompt(&file.invalid_prompt);
        let no_input_prompt = self.optional_prompt(&file.no_input_prompt);
        let on_no_input = self.optional_ref(&file.on_no_input);
        let on_failure = self.optional_ref(&file.on_failure);
        let timeout = file.timeout_seconds.unwrap_or(5);
        if !(1..=60).contains(&timeout) {
            self.problem(span, format!("node '{name}': timeout_seconds must be 1 to 60"));
            ok = false;
        }
        let menu = Menu {
            prompts: prompts?,
            choices,
            timeout: Duration::from_secs(u64::from(timeout)),
            retries: file.retries.unwrap_or(2),
            invalid_prompt: invalid_prompt?,
            no_input_prompt: no_input_prompt?,
            on_no_input: on_no_input?,
            on_failure: on_failure?,
        };
        ok.then_some(menu)
    }

    /// Every node reachable from the start, and every node able to reach an end (a hang-up or
    /// a transfer): a flow with a loop that has no way out would hold a caller forever.
    fn graph(&mut self, start: NodeId, nodes: &[Node], names: &[String], lines: &[usize]) {
        let successors = |node: &Node| -> Vec<NodeId> {
            match node {
                Node::Play { next, .. } | Node::SetLanguage { next, .. } | Node::ClosedMessage { next, .. } => {
                    vec![*next]
                }
                Node::Menu(m) => m
                    .choices
                    .iter()
                    .map(|(_, t)| *t)
                    .chain(m.on_no_input)
                    .chain(m.on_failure)
                    .collect(),
                Node::CheckHours { open, closed, .. } => vec![*open, *closed],
                Node::CheckCapacity { available, busy } => vec![*available, *busy],
                Node::Enqueue(e) => vec![e.on_timeout],
                Node::Goto { target } => vec![*target],
                Node::Transfer { .. } | Node::Hangup => vec![],
            }
        };
        let mut reachable = BTreeSet::from([start]);
        let mut todo = VecDeque::from([start]);
        while let Some(n) = todo.pop_front() {
            for s in successors(&nodes[n]) {
                if reachable.insert(s) {
                    todo.push_back(s);
                }
            }
        }
        for (i, name) in names.iter().enumerate() {
            if !reachable.contains(&i) {
                self.problems
                    .push((lines[i], format!("node '{name}' is unreachable from the start")));
            }
        }
        // Nodes that can end the call, found backwards from the ends. A menu without
        // on_failure ends the call itself after its retries (with a hang-up).
        let ends = |n: &Node| {
            matches!(n, Node::Transfer { .. } | Node::Hangup) || matches!(n, Node::Menu(m) if m.on_failure.is_none())
        };
        let mut can_end: BTreeSet<NodeId> = (0..nodes.len()).filter(|&i| ends(&nodes[i])).collect();
        loop {
            let before = can_end.len();
            for (i, node) in nodes.iter().enumerate() {
                if !can_end.contains(&i) && successors(node).iter().any(|s| can_end.contains(s)) {
                    can_end.insert(i);
                }
            }
            if can_end.len() == before {
                break;
            }
        }
        for (i, name) in names.iter().enumerate() {
            if reachable.contains(&i) && !can_end.contains(&i) {
                self.problems.push((
                    lines[i],
                    format!("node '{name}' is in a loop with no exit (no hang-up or transfer can follow)"),
                ));
            }
        }
        for (i, name) in names.iter().enumerate() {
            let mut seen = BTreeSet::new();
            let mut at = i;
            while let Node::Goto { target } = nodes[at] {
                if !seen.insert(at) {
                    self.problems
                        .push((lines[i], format!("node '{name}' starts a loop of goto nodes")));
                    break;
                }
                at = target;
            }
        }
    }
}
