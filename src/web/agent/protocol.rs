//! The softphone's WebSocket protocol (`GET /api/agent/ws`): JSON text messages, one object
//! each, with a `type`; fixed names (states, reasons, languages, why a ring or a call-back
//! ended) are serde enums. The page (`agent.html`) is its one client; README.md documents it.
//!
//! Browser → tsunagu:
//! - `{"type":"offer","sdp":"…"}`: the audio connection's offer (after ICE gathering). Once per
//!   connection; the answer comes back as `answer`.
//! - `{"type":"ready"}`, `{"type":"not_ready","reason":"break"|"training"|"outbound"}`
//! - `{"type":"answer_call"}`: pick up the call that rings.
//! - `{"type":"hang_up"}`, `{"type":"hold","on":true}`, `{"type":"mute","on":true}`
//! - `{"type":"transfer","agent":"sato"}` or `{"type":"transfer","language":"vi"}` (blind).
//! - `{"type":"wrap_up","call":"…","category":"renewal/card","escalation":false,
//!   "escalation_note":"","complaint":false,"notes":"…"}`: files the form and ends wrap-up.
//! - `{"type":"extend_wrap_up","seconds":60}`
//! - `{"type":"log_out"}`: off the floor at the end of the shift; the session then closes.
//! - `{"type":"dial","number":"044-200-1234","language":"vi"}`: a call-back (not ready for
//!   `outbound` first; `language`, optional, is the resident's, for the hold audio); `hang_up`,
//!   `hold` and `mute` then act on it.
//!
//! tsunagu → browser:
//! - `hello` (name, skills, categories), `answer` (sdp), `state` (state, reason, call,
//!   wrap_up_left), `ringing` (call, caller, language, queue, path) at once, then
//!   `earlier_calls` (call, earlier_calls) when the caller's history is read,
//!   `withdrawn` (call, why), `connected` (call), `call_ended` (call), `wrap_up_saved` (call),
//!   `dialing` (call, number), `outbound_connected` (call), `outbound_ended` (call, why),
//!   `replaced` (the agent opened the softphone elsewhere), `error` (message).

use serde::{Deserialize, Serialize};

use crate::acd::desk::Withdrawn;
use crate::call::callback::CallBackEnd;
use crate::journal::{AgentStateName, ChosenReason, NotReadyReason};
use crate::lang::Lang;
use crate::pii::PhoneNumber;
use crate::store::calls::EarlierCall;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum FromBrowser {
    Offer {
        sdp: String,
    },
    Ready,
    NotReady {
        reason: ChosenReason,
    },
    AnswerCall,
    HangUp,
    Hold {
        on: bool,
    },
    Mute {
        on: bool,
    },
    Transfer {
        #[serde(default)]
        agent: Option<String>,
        #[serde(default)]
        language: Option<Lang>,
    },
    WrapUp {
        call: String,
        category: String,
        #[serde(default)]
        escalation: bool,
        #[serde(default)]
        escalation_note: String,
        #[serde(default)]
        complaint: bool,
        #[serde(default)]
        notes: String,
        /// The FAQ entries used on the call.
        #[serde(default)]
        faq: Vec<String>,
    },
    ExtendWrapUp {
        seconds: u64,
    },
    /// Call a resident back (the agent must be not ready for `outbound`).
    Dial {
        number: PhoneNumber,
        #[serde(default)]
        language: Option<Lang>,
    },
    /// The end of the shift: off the floor (refused while a call rings or is up).
    LogOut,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ToBrowser {
    Hello {
        agent: String,
        skills: Vec<(String, u8)>,
        categories: Vec<String>,
    },
    Answer {
        sdp: String,
    },
    State {
        state: AgentStateName,
        reason: Option<NotReadyReason>,
        call: Option<String>,
        wrap_up_left: Option<u64>,
    },
    /// A call rings: sent at once; the caller's history follows in `earlier_calls`.
    Ringing {
        call: String,
        /// The caller's number: the agent's page is one of the places that show it.
        caller: String,
        language: Lang,
        queue: String,
        path: String,
    },
    EarlierCalls {
        call: String,
        earlier_calls: Vec<EarlierCall>,
    },
    Withdrawn {
        call: String,
        why: Withdrawn,
    },
    Connected {
        call: String,
    },
    CallEnded {
        call: String,
    },
    WrapUpSaved {
        call: String,
    },
    /// A call-back is being placed.
    Dialing {
        call: String,
        number: String,
    },
    OutboundConnected {
        call: String,
    },
    OutboundEnded {
        call: String,
        why: CallBackEnd,
    },
    Replaced,
    Error {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_parse_and_unknown_ones_are_refused() {
        let wrap: FromBrowser = serde_json::from_str(
            r#"{"type":"wrap_up","call":"c1","category":"complaint","complaint":true,"notes":"rude"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(matches!(wrap, FromBrowser::WrapUp { complaint: true, .. }));
        assert_eq!(
            serde_json::from_str::<FromBrowser>(r#"{"type":"ready"}"#).ok(),
            Some(FromBrowser::Ready)
        );
        assert!(serde_json::from_str::<FromBrowser>(r#"{"type":"dance"}"#).is_err());
        assert!(serde_json::from_str::<FromBrowser>(r#"{"type":"hold","on":"yes"}"#).is_err());
        assert!(
            serde_json::from_str::<FromBrowser>(r#"{"type":"wrap_up","call":"c1"}"#).is_err(),
            "no category"
        );
        assert!(serde_json::from_str::<FromBrowser>(r#"{"type":"not_ready","reason":"lunch"}"#).is_err());
        assert!(serde_json::from_str::<FromBrowser>(r#"{"type":"transfer","language":"fr"}"#).is_err());
        let out = serde_json::to_string(&ToBrowser::Connected { call: "c1".into() }).unwrap_or_default();
        assert_eq!(out, r#"{"type":"connected","call":"c1"}"#);
        let state = ToBrowser::State {
            state: AgentStateName::NotReady,
            reason: Some(NotReadyReason::Missed),
            call: None,
            wrap_up_left: None,
        };
        assert_eq!(
            serde_json::to_string(&state).unwrap_or_default(),
            r#"{"type":"state","state":"not_ready","reason":"missed","call":null,"wrap_up_left":null}"#
        );
    }

    #[test]
    fn a_dialled_number_is_kept_out_of_debug_output() {
        let dial: FromBrowser =
            serde_json::from_str(r#"{"type":"dial","number":"044-200-1234"}"#).unwrap_or_else(|e| panic!("{e}"));
        assert!(!format!("{dial:?}").contains("200"), "{dial:?}");
    }
}
