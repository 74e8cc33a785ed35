//! One agent's softphone session as a state machine, sans-IO: events in (what the page sends,
//! what the floor and a call-back say, what the slow work came back with), actions out (what
//! to send the page, what to tell the ACD, what slow work to start). The socket loop
//! ([`super::socket`]) carries the actions out and feeds their results back as events, so
//! every decision of the session is here and tested without a socket, a browser or a clock.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use super::protocol::{FromBrowser, ToBrowser};
use crate::acd::desk::{Input, TransferTarget};
use crate::acd::service::{AgentNotice, Control};
use crate::call::callback;
use crate::journal::{AgentStateName, CallId, NotReadyReason, WrapUp};
use crate::lang::Lang;
use crate::outbound::dialplan::DialPlan;
use crate::pii::PhoneNumber;
use crate::store::calls::EarlierCall;

/// The longest extension of wrap-up one request may ask for.
const MAX_EXTENSION: Duration = Duration::from_secs(600);
/// The longest notes a wrap-up may carry.
const MAX_NOTES: usize = 4000;
/// The most FAQ entries one wrap-up records.
const MAX_FAQ: usize = 20;

/// What happens to a session.
#[derive(Debug)]
pub enum Event {
    Browser(FromBrowser),
    /// The page sent something that is not a message of the protocol.
    NotUnderstood(String),
    Floor(AgentNotice),
    CallBack(callback::Notice),
    /// The page's audio offer was answered (the SDP), or could not be.
    AudioAnswered(Result<String, String>),
    /// The audio connection is up (or, after being up, down).
    AudioUp(bool),
    /// The audio connection is gone for good (failed, closed, or interrupted too long).
    AudioLost,
    WrapUpFiled {
        call: CallId,
        result: Result<(), String>,
    },
    EarlierCalls {
        call: CallId,
        calls: Vec<EarlierCall>,
    },
    /// A call-back could not be started (the audio went in between).
    CallBackNotStarted(String),
    /// The login session ended (idle, or logged out elsewhere).
    SessionEnded,
}

/// What the socket loop does for the session.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Send(ToBrowser),
    /// An input for the desk (the ACD task).
    Desk(Input),
    /// Hold or mute the inbound call the agent is on.
    Control(Control),
    /// Tell the ACD whether this session's audio is up.
    Audio(bool),
    /// Answer the page's WebRTC offer (replacing an earlier audio leg).
    AnswerAudio {
        sdp: String,
    },
    FileWrapUp {
        call: CallId,
        form: WrapUp,
    },
    ReadEarlierCalls {
        call: CallId,
        caller: PhoneNumber,
    },
    PlaceCallBack {
        number: PhoneNumber,
        lang: Lang,
    },
    CallBack(callback::Control),
    /// End the session (the socket closes; the agent leaves the floor, or the grace begins).
    Close,
}

/// A call-back of this session, from the dial to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CallBackState {
    None,
    Placing,
}

/// What a session needs to know of the center.
#[derive(Debug, Clone)]
pub struct SessionRules {
    pub categories: Arc<[String]>,
    pub dial_plan: Arc<DialPlan>,
    /// Whether `[outbound] trunk` is set.
    pub call_backs: bool,
    /// The language of a call-back when the page does not say (the center's default).
    pub default_lang: Lang,
}

pub struct AgentSession {
    name: String,
    rules: SessionRules,
    /// Calls this session was connected to (whose wrap-up it may file).
    handled: HashSet<CallId>,
    /// The call in wrap-up, from the latest state.
    wrapping_up: Option<CallId>,
    /// The latest state and not-ready reason.
    state: (AgentStateName, Option<NotReadyReason>),
    audio_up: bool,
    call_back: CallBackState,
    /// The language of the latest call that rang (a call-back to that caller speaks it).
    last_lang: Option<Lang>,
}

fn error(message: impl Into<String>) -> Vec<Action> {
    vec![Action::Send(ToBrowser::Error {
        message: message.into(),
    })]
}

impl AgentSession {
    pub fn new(name: &str, rules: SessionRules) -> AgentSession {
        AgentSession {
            name: name.to_string(),
            rules,
            handled: HashSet::new(),
            wrapping_up: None,
            state: (AgentStateName::LoggedOut, None),
            audio_up: false,
            call_back: CallBackState::None,
            last_lang: None,
        }
    }

    pub fn handle(&mut self, event: Event) -> Vec<Action> {
        match event {
            Event::Browser(message) => self.on_browser(message),
            Event::NotUnderstood(why) => error(format!("not understood: {why}")),
            Event::Floor(notice) => self.on_floor(notice),
            Event::CallBack(notice) => self.on_call_back(notice),
            Event::AudioAnswered(Ok(sdp)) => vec![Action::Send(ToBrowser::Answer { sdp })],
            Event::AudioAnswered(Err(why)) => error(why),
            Event::AudioUp(up) => {
                if self.audio_up == up {
                    return Vec::new();
                }
                self.audio_up = up;
                vec![Action::Audio(up)]
            }
            Event::AudioLost => {
                self.audio_up = false;
                let mut actions = error("the audio connection was lost");
                actions.push(Action::Close);
                actions
            }
            Event::WrapUpFiled { call, result } => match result {
                Ok(()) => {
                    let mut actions = vec![Action::Send(ToBrowser::WrapUpSaved { call: call.clone() })];
                    // The wrap-up of an inbound call ends its after-call work; a call-back's is
                    // filed while the agent stays not ready for outbound calls.
                    if self.wrapping_up.as_deref() == Some(call.as_str()) {
                        actions.push(Action::Desk(Input::WrapUpDone {
                            agent: self.name.clone(),
                        }));
                    }
                    actions
                }
                Err(why) => error(format!("the wrap-up could not be saved: {why}")),
            },
            Event::EarlierCalls { call, calls } => vec![Action::Send(ToBrowser::EarlierCalls {
                call,
                earlier_calls: calls,
            })],
            Event::CallBackNotStarted(why) => {
                self.call_back = CallBackState::None;
                error(why)
            }
            Event::SessionEnded => {
                let mut actions = error("the session has ended: log in again");
                actions.push(Action::Close);
                actions
            }
        }
    }

    fn on_browser(&mut self, message: FromBrowser) -> Vec<Action> {
        // While a call-back is up, the call controls act on it.
        if self.call_back != CallBackState::None {
            match message {
                FromBrowser::HangUp => return vec![Action::CallBack(callback::Control::HangUp)],
                FromBrowser::Hold { on } => return vec![Action::CallBack(callback::Control::Hold(on))],
                FromBrowser::Mute { on } => return vec![Action::CallBack(callback::Control::Mute(on))],
                FromBrowser::Ready | FromBrowser::AnswerCall | FromBrowser::Dial { .. } | FromBrowser::LogOut => {
                    return error("end the call-back first");
                }
                _ => {}
            }
        }
        let agent = self.name.clone();
        let desk = |input| vec![Action::Desk(input)];
        match message {
            FromBrowser::Offer { sdp } => vec![Action::AnswerAudio { sdp }],
            FromBrowser::Ready => desk(Input::AgentReady { agent }),
            FromBrowser::NotReady { reason } => desk(Input::AgentNotReady {
                agent,
                reason: reason.into(),
            }),
            FromBrowser::AnswerCall => desk(Input::AgentAnswer { agent }),
            FromBrowser::HangUp => desk(Input::AgentHangUp { agent }),
            FromBrowser::Hold { on } => vec![Action::Control(Control::Hold(on))],
            FromBrowser::Mute { on } => vec![Action::Control(Control::Mute(on))],
            FromBrowser::Transfer {
                agent: Some(to),
                language: None,
            } => desk(Input::AgentTransfer {
                agent,
                to: TransferTarget::Agent(to),
            }),
            FromBrowser::Transfer {
                agent: None,
                language: Some(lang),
            } => desk(Input::AgentTransfer {
                agent,
                to: TransferTarget::Language(lang),
            }),
            FromBrowser::Transfer { .. } => error("transfer to an agent or to a language, one of them"),
            FromBrowser::WrapUp {
                call,
                category,
                escalation,
                escalation_note,
                complaint,
                notes,
                faq,
            } => self.wrap_up(
                call,
                WrapUp {
                    category,
                    escalation,
                    escalation_note,
                    complaint,
                    notes,
                    faq,
                },
            ),
            FromBrowser::ExtendWrapUp { seconds } => desk(Input::ExtendWrapUp {
                agent,
                by: Duration::from_secs(seconds).min(MAX_EXTENSION),
            }),
            FromBrowser::Dial { number, language } => self.dial(number, language),
            FromBrowser::LogOut => {
                if matches!(self.state.0, AgentStateName::Offered | AgentStateName::OnCall) {
                    return error("finish the call (and its wrap-up) first");
                }
                vec![Action::Desk(Input::AgentLogOut { agent }), Action::Close]
            }
        }
    }

    fn wrap_up(&mut self, call: CallId, form: WrapUp) -> Vec<Action> {
        if !self.handled.contains(&call) {
            return error("that is not a call you took");
        }
        if !self.rules.categories.contains(&form.category) {
            return error(format!("unknown category '{}'", form.category));
        }
        if form.escalation && form.escalation_note.trim().is_empty() {
            return error("an escalation needs a note saying what to escalate");
        }
        if form.notes.len() > MAX_NOTES || form.escalation_note.len() > MAX_NOTES {
            return error(format!("notes are limited to {MAX_NOTES} characters"));
        }
        if form.faq.len() > MAX_FAQ || form.faq.iter().any(|id| !crate::faq::entry::valid_id(id)) {
            return error(format!("at most {MAX_FAQ} FAQ entries, by their ids"));
        }
        vec![Action::FileWrapUp { call, form }]
    }

    fn dial(&mut self, number: PhoneNumber, language: Option<Lang>) -> Vec<Action> {
        let number = match self.rules.dial_plan.check(&number) {
            Ok(number) => number,
            Err(refusal) => return error(refusal.to_string()),
        };
        if !self.rules.call_backs {
            return error("call-backs are not set up here ([outbound] trunk)");
        }
        if self.state != (AgentStateName::NotReady, Some(NotReadyReason::Outbound)) {
            return error("set yourself not ready for outbound calls first");
        }
        if !self.audio_up {
            return error("the audio connection is not up");
        }
        self.call_back = CallBackState::Placing;
        let lang = language.or(self.last_lang).unwrap_or(self.rules.default_lang);
        vec![Action::PlaceCallBack { number, lang }]
    }

    fn on_call_back(&mut self, notice: callback::Notice) -> Vec<Action> {
        let message = match notice {
            callback::Notice::Dialing { call, number } => {
                self.handled.insert(call.clone());
                ToBrowser::Dialing {
                    call,
                    number: number.expose().clone(),
                }
            }
            callback::Notice::Connected { call } => ToBrowser::OutboundConnected { call },
            callback::Notice::Ended { call, why } => {
                self.call_back = CallBackState::None;
                ToBrowser::OutboundEnded { call, why }
            }
        };
        vec![Action::Send(message)]
    }

    fn on_floor(&mut self, notice: AgentNotice) -> Vec<Action> {
        let message = match notice {
            AgentNotice::State {
                state,
                reason,
                call,
                wrap_up_left,
            } => {
                self.wrapping_up = if state == AgentStateName::WrapUp {
                    call.clone()
                } else {
                    None
                };
                self.state = (state, reason);
                ToBrowser::State {
                    state,
                    reason,
                    call,
                    wrap_up_left,
                }
            }
            AgentNotice::Ringing { call, info } => {
                self.last_lang = Some(info.lang);
                // The ring goes out at once; the caller's history follows when it is read.
                return vec![
                    Action::Send(ToBrowser::Ringing {
                        call: call.clone(),
                        caller: info.caller.expose().clone(),
                        language: info.lang,
                        queue: info.queue,
                        path: info.path,
                    }),
                    Action::ReadEarlierCalls {
                        call,
                        caller: info.caller,
                    },
                ];
            }
            AgentNotice::Withdrawn { call, why } => ToBrowser::Withdrawn { call, why },
            AgentNotice::Connected { call } => {
                self.handled.insert(call.clone());
                ToBrowser::Connected { call }
            }
            AgentNotice::CallEnded { call } => ToBrowser::CallEnded { call },
            AgentNotice::Refused { why } => ToBrowser::Error { message: why },
            AgentNotice::Replaced => return vec![Action::Send(ToBrowser::Replaced), Action::Close],
        };
        vec![Action::Send(message)]
    }

    /// Whether a call-back is in progress (the loop hangs it up when the session ends).
    pub fn has_call_back(&self) -> bool {
        self.call_back != CallBackState::None
    }
}

/// The session's decisions on any input, for the fuzz target: nothing a page sends may panic.
pub mod fuzzing {
    use std::sync::Arc;

    use super::{AgentSession, Event, SessionRules};
    use crate::lang::Lang;
    use crate::outbound::dialplan::DialPlan;
    use crate::web::agent::protocol::FromBrowser;

    /// Reads each line of `data` as a message from the page and hands it to one session.
    pub fn messages(data: &[u8]) {
        let Ok(plan) = DialPlan::parse(&["0[1-9]XXXXXXXX".to_string()], &["0570.".to_string()]) else {
            return;
        };
        let mut session = AgentSession::new(
            "fuzz",
            SessionRules {
                categories: Arc::from(vec!["other".to_string()]),
                dial_plan: Arc::new(plan),
                call_backs: true,
                default_lang: Lang::Ja,
            },
        );
        for line in String::from_utf8_lossy(data).lines() {
            let event = match serde_json::from_str::<FromBrowser>(line) {
                Ok(message) => Event::Browser(message),
                Err(e) => Event::NotUnderstood(e.to_string()),
            };
            let _ = session.handle(event);
            let _ = session.handle(Event::AudioUp(true));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::acd::desk::{CallInfo, Withdrawn};
    use crate::call::callback::CallBackEnd;

    fn session() -> AgentSession {
        let plan =
            DialPlan::parse(&["0[1-9]XXXXXXXX".to_string()], &["0570.".to_string()]).unwrap_or_else(|e| panic!("{e}"));
        AgentSession::new(
            "tanaka",
            SessionRules {
                categories: Arc::from(vec!["card/pickup".to_string()]),
                dial_plan: Arc::new(plan),
                call_backs: true,
                default_lang: Lang::Ja,
            },
        )
    }

    fn state(state: AgentStateName, reason: Option<NotReadyReason>, call: Option<&str>) -> Event {
        Event::Floor(AgentNotice::State {
            state,
            reason,
            call: call.map(str::to_string),
            wrap_up_left: None,
        })
    }

    fn errors(actions: &[Action]) -> Vec<String> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Send(ToBrowser::Error { message }) => Some(message.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn the_ring_goes_out_at_once_and_the_history_follows() {
        let mut s = session();
        let actions = s.handle(Event::Floor(AgentNotice::Ringing {
            call: "c1".into(),
            info: CallInfo {
                caller: PhoneNumber::from("09012345678"),
                lang: Lang::Vi,
                queue: "general".into(),
                path: "language vi".into(),
            },
        }));
        assert!(
            matches!(&actions[0], Action::Send(ToBrowser::Ringing { caller, language: Lang::Vi, .. }) if caller == "09012345678")
        );
        assert!(matches!(&actions[1], Action::ReadEarlierCalls { call, .. } if call == "c1"));
        let actions = s.handle(Event::EarlierCalls {
            call: "c1".into(),
            calls: Vec::new(),
        });
        assert!(matches!(&actions[..], [Action::Send(ToBrowser::EarlierCalls { .. })]));
    }

    #[test]
    fn a_wrap_up_is_checked_filed_and_ends_after_call_work_only_when_saved() {
        let mut s = session();
        let form = |category: &str, escalation: bool, note: &str| FromBrowser::WrapUp {
            call: "c1".into(),
            category: category.into(),
            escalation,
            escalation_note: note.into(),
            complaint: false,
            notes: String::new(),
            faq: vec!["pin-lock".into()],
        };
        assert_eq!(
            errors(&s.handle(Event::Browser(form("card/pickup", false, "")))),
            ["that is not a call you took"]
        );
        s.handle(Event::Floor(AgentNotice::Connected { call: "c1".into() }));
        s.handle(state(AgentStateName::WrapUp, None, Some("c1")));
        assert_eq!(
            errors(&s.handle(Event::Browser(form("weather", false, "")))),
            ["unknown category 'weather'"]
        );
        assert_eq!(
            errors(&s.handle(Event::Browser(form("card/pickup", true, " ")))),
            ["an escalation needs a note saying what to escalate"]
        );
        let bad_faq = FromBrowser::WrapUp {
            call: "c1".into(),
            category: "card/pickup".into(),
            escalation: false,
            escalation_note: String::new(),
            complaint: false,
            notes: String::new(),
            faq: vec!["../etc".into()],
        };
        assert_eq!(
            errors(&s.handle(Event::Browser(bad_faq))),
            ["at most 20 FAQ entries, by their ids"]
        );
        let actions = s.handle(Event::Browser(form("card/pickup", true, "manager")));
        assert!(
            matches!(&actions[..], [Action::FileWrapUp { call, form }] if call == "c1" && form.faq == ["pin-lock"])
        );
        assert_eq!(
            errors(&s.handle(Event::WrapUpFiled {
                call: "c1".into(),
                result: Err("the database is not answering".into()),
            })),
            ["the wrap-up could not be saved: the database is not answering"]
        );
        let actions = s.handle(Event::WrapUpFiled {
            call: "c1".into(),
            result: Ok(()),
        });
        assert_eq!(
            actions,
            [
                Action::Send(ToBrowser::WrapUpSaved { call: "c1".into() }),
                Action::Desk(Input::WrapUpDone { agent: "tanaka".into() })
            ]
        );
    }

    #[test]
    fn a_call_back_needs_the_dial_plan_the_outbound_state_and_audio_and_then_owns_the_controls() {
        let mut s = session();
        let dial = |number: &str| {
            Event::Browser(FromBrowser::Dial {
                number: PhoneNumber::from(number),
                language: None,
            })
        };
        let refused = errors(&s.handle(dial("0570-123-456")));
        assert_eq!(refused, ["numbers of this kind may not be called (pattern 0570.)"]);
        assert_eq!(
            errors(&s.handle(dial("044-200-1234"))),
            ["set yourself not ready for outbound calls first"]
        );
        s.handle(state(AgentStateName::NotReady, Some(NotReadyReason::Outbound), None));
        assert_eq!(
            errors(&s.handle(dial("044-200-1234"))),
            ["the audio connection is not up"]
        );
        assert_eq!(s.handle(Event::AudioUp(true)), [Action::Audio(true)]);
        let actions = s.handle(dial("044-200-1234"));
        assert_eq!(
            actions,
            [Action::PlaceCallBack {
                number: PhoneNumber::from("0442001234"),
                lang: Lang::Ja
            }]
        );
        assert_eq!(
            s.handle(Event::Browser(FromBrowser::Hold { on: true })),
            [Action::CallBack(callback::Control::Hold(true))]
        );
        assert_eq!(
            errors(&s.handle(Event::Browser(FromBrowser::Ready))),
            ["end the call-back first"]
        );
        s.handle(Event::CallBack(callback::Notice::Ended {
            call: "cb1".into(),
            why: CallBackEnd::CalleeHungUp,
        }));
        assert!(!s.has_call_back());
        assert_eq!(
            s.handle(Event::Browser(FromBrowser::Ready)),
            [Action::Desk(Input::AgentReady { agent: "tanaka".into() })]
        );
    }

    #[test]
    fn log_out_waits_for_the_call_and_the_floor_can_end_the_session() {
        let mut s = session();
        s.handle(state(AgentStateName::OnCall, None, Some("c1")));
        assert_eq!(
            errors(&s.handle(Event::Browser(FromBrowser::LogOut))),
            ["finish the call (and its wrap-up) first"]
        );
        s.handle(state(AgentStateName::Ready, None, None));
        assert_eq!(
            s.handle(Event::Browser(FromBrowser::LogOut)),
            [
                Action::Desk(Input::AgentLogOut { agent: "tanaka".into() }),
                Action::Close
            ]
        );
        let actions = s.handle(Event::Floor(AgentNotice::Replaced));
        assert_eq!(actions, [Action::Send(ToBrowser::Replaced), Action::Close]);
        let actions = s.handle(Event::Floor(AgentNotice::Withdrawn {
            call: "c2".into(),
            why: Withdrawn::TimedOut,
        }));
        assert!(matches!(&actions[..], [Action::Send(ToBrowser::Withdrawn { .. })]));
        assert_eq!(s.handle(Event::SessionEnded).last(), Some(&Action::Close));
    }
}
