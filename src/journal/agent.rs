//! The agents' side of the journal: the state names the event log and the softphone's wire
//! use, the not-ready reasons, one row of the event log, and the wrap-up form.

use super::names::named_enum;

named_enum! {
    /// An agent's state as the event log and the softphone spell it.
    pub enum AgentStateName("state") {
        LoggedOut = "logged_out",
        Ready = "ready",
        Offered = "offered",
        OnCall = "on_call",
        WrapUp = "wrap_up",
        NotReady = "not_ready",
    }
}

named_enum! {
    /// Why an agent is not ready.
    pub enum NotReadyReason("reason") {
        Break = "break",
        Training = "training",
        /// Placing call-backs.
        Outbound = "outbound",
        /// An offered call was not answered in time.
        Missed = "missed",
        /// The agent's browser went away.
        Disconnected = "disconnected",
        /// Just logged in, not yet ready.
        LoggedIn = "logged_in",
    }
}

named_enum! {
    /// The not-ready reasons an agent may choose (the others are set by the floor).
    pub enum ChosenReason("reason") {
        Break = "break",
        Training = "training",
        Outbound = "outbound",
    }
}

impl From<ChosenReason> for NotReadyReason {
    fn from(reason: ChosenReason) -> NotReadyReason {
        match reason {
            ChosenReason::Break => NotReadyReason::Break,
            ChosenReason::Training => NotReadyReason::Training,
            ChosenReason::Outbound => NotReadyReason::Outbound,
        }
    }
}

impl AgentStateName {
    /// The state as supervisors read it (the floor, reports).
    pub fn japanese(self) -> &'static str {
        match self {
            AgentStateName::LoggedOut => "ログアウト",
            AgentStateName::Ready => "受付可",
            AgentStateName::Offered => "呼出中",
            AgentStateName::OnCall => "通話中",
            AgentStateName::WrapUp => "後処理",
            AgentStateName::NotReady => "離席",
        }
    }
}

impl NotReadyReason {
    /// The reason as supervisors read it.
    pub fn japanese(self) -> &'static str {
        match self {
            NotReadyReason::Break => "休憩",
            NotReadyReason::Training => "研修",
            NotReadyReason::Outbound => "折り返し発信",
            NotReadyReason::Missed => "着信に応答なし",
            NotReadyReason::Disconnected => "接続切れ",
            NotReadyReason::LoggedIn => "ログイン直後",
        }
    }
}

/// An agent's state and reason as one label: 「離席（休憩）」, 「通話中」.
pub fn state_label(state: AgentStateName, reason: Option<NotReadyReason>) -> String {
    match reason {
        Some(reason) => format!("{}（{}）", state.japanese(), reason.japanese()),
        None => state.japanese().to_string(),
    }
}

/// One state change of an agent, as the event log keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEvent {
    pub agent: String,
    /// RFC 3339, UTC.
    pub at: String,
    pub state: AgentStateName,
    /// Only for `not_ready`.
    pub reason: Option<NotReadyReason>,
    /// The call the state is about (offered, on call, wrap-up).
    pub call: Option<String>,
}

/// What the agent files after a call (CC-ESC, CC-COMPLAINT).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WrapUp {
    pub category: String,
    #[serde(default)]
    pub escalation: bool,
    #[serde(default)]
    pub escalation_note: String,
    #[serde(default)]
    pub complaint: bool,
    #[serde(default)]
    pub notes: String,
    /// The FAQ entries the agent used (ids), for the monthly report (CC-FAQ).
    #[serde(default)]
    pub faq: Vec<String>,
}

/// A wrap-up as filed: by whom, when, for which call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FiledWrapUp {
    pub call: String,
    pub agent: String,
    /// RFC 3339, UTC.
    pub saved_at: String,
    pub form: WrapUp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_the_wire_are_the_names_in_the_rows() {
        for state in AgentStateName::ALL {
            let json = serde_json::to_string(state).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", state.as_str()));
            assert_eq!(serde_json::from_str::<AgentStateName>(&json).ok(), Some(*state));
        }
        let refused = serde_json::from_str::<ChosenReason>("\"lunch\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            refused.contains("unknown reason 'lunch': one of break, training, outbound"),
            "{refused}"
        );
    }

    #[test]
    fn states_read_in_japanese_with_their_reason() {
        assert_eq!(
            state_label(AgentStateName::NotReady, Some(NotReadyReason::LoggedIn)),
            "離席（ログイン直後）"
        );
        assert_eq!(state_label(AgentStateName::OnCall, None), "通話中");
        let labels: std::collections::HashSet<&str> = AgentStateName::ALL.iter().map(|s| s.japanese()).collect();
        assert_eq!(labels.len(), AgentStateName::ALL.len(), "no two states read the same");
    }
}
