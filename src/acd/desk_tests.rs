//! The desk's decisions in simulated time: routing, widening, missed offers, callers who give
//! up during an offer, vanished browsers, transfers and the races of two agents or two calls.

use std::time::{Duration, Instant};

use super::agent::{AgentState, NotReadyReason};
use super::desk::{CallInfo, Desk, DeskSettings, Input, Output, TransferTarget, Withdrawn};
use super::route::{Policy, Skill};
use crate::lang::Lang;

fn settings() -> DeskSettings {
    DeskSettings {
        offer_timeout: Duration::from_secs(15),
        wrap_up: Duration::from_secs(60),
        disconnect_grace: Duration::from_secs(10),
        policy: Policy {
            widen_to_basic_after: Duration::from_secs(30),
            widen_to_any_after: Duration::from_secs(90),
        },
        initial_handle_time: Duration::from_secs(180),
    }
}

struct SimulatedDesk {
    desk: Desk,
    t0: Instant,
}

impl SimulatedDesk {
    #[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
    fn new() -> SimulatedDesk {
        SimulatedDesk {
            desk: Desk::new(settings()),
            t0: Instant::now(),
        }
    }
    fn at(&self, s: u64) -> Instant {
        self.t0 + Duration::from_secs(s)
    }
    fn input(&mut self, s: u64, input: Input) -> Vec<Output> {
        let now = self.at(s);
        self.desk.handle(input, now)
    }
    fn tick(&mut self, s: u64) -> Vec<Output> {
        let now = self.at(s);
        self.desk.tick(now)
    }
    fn agent(&mut self, s: u64, name: &str, skills: &[(Lang, u8)]) {
        let skills = skills.iter().map(|&(lang, level)| Skill { lang, level }).collect();
        self.input(
            s,
            Input::AgentLogIn {
                agent: name.into(),
                skills,
            },
        );
        self.input(
            s,
            Input::AgentAudio {
                agent: name.into(),
                up: true,
            },
        );
        self.input(s, Input::AgentReady { agent: name.into() });
    }
    fn call(&mut self, s: u64, id: &str, lang: Lang) -> Vec<Output> {
        self.input(
            s,
            Input::CallQueued {
                call: id.into(),
                info: CallInfo {
                    caller: crate::pii::PhoneNumber::from("0312345678"),
                    lang,
                    queue: "general".into(),
                    path: String::new(),
                },
                at_head: false,
            },
        )
    }
    fn state(&self, agent: &str) -> AgentState {
        self.desk.agent_state(agent).cloned().unwrap_or(AgentState::LoggedOut)
    }
}

fn offers(out: &[Output]) -> Vec<(String, String)> {
    out.iter()
        .filter_map(|o| match o {
            Output::Offer { agent, call, .. } => Some((agent.clone(), call.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn a_call_goes_to_the_longest_idle_agent_who_speaks_the_language_and_is_bridged_on_answer() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "ja-early", &[(Lang::Ja, 3)]);
    f.agent(5, "vi-late", &[(Lang::Vi, 3)]);
    f.agent(1, "vi-early", &[(Lang::Vi, 3), (Lang::Ja, 3)]);
    let out = f.call(10, "c1", Lang::Vi);
    assert_eq!(offers(&out), [("vi-early".to_string(), "c1".to_string())]);
    assert!(matches!(f.state("vi-early"), AgentState::Offered { .. }));
    let out = f.input(
        12,
        Input::AgentAnswer {
            agent: "vi-early".into(),
        },
    );
    assert!(out.contains(&Output::Connect {
        agent: "vi-early".into(),
        call: "c1".into(),
        lang: Some(Lang::Vi),
    }));
    assert!(
        f.desk.view(f.at(12)).waiting.is_empty(),
        "an answered call leaves the queue"
    );
    // The caller hangs up: the agent goes to wrap-up, then is ready again after its limit.
    let out = f.input(100, Input::CallGone { call: "c1".into() });
    assert!(out.contains(&Output::CallEnded {
        agent: "vi-early".into(),
        call: "c1".into()
    }));
    assert!(matches!(f.state("vi-early"), AgentState::WrapUp { .. }));
    f.tick(159);
    assert!(matches!(f.state("vi-early"), AgentState::WrapUp { .. }));
    f.tick(160);
    assert_eq!(f.state("vi-early"), AgentState::Ready { since: f.at(160) });
    // The handling time learned: 88 s talk + 60 s wrap-up.
    assert_eq!(f.desk.average_handle_time(), Duration::from_secs(148));
}

#[test]
fn routing_widens_to_basic_speakers_then_to_anyone() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "basic", &[(Lang::Pt, 1)]);
    f.agent(0, "none", &[(Lang::Ja, 3)]);
    assert!(offers(&f.call(0, "c1", Lang::Pt)).is_empty());
    assert!(offers(&f.tick(29)).is_empty());
    assert_eq!(offers(&f.tick(30)), [("basic".to_string(), "c1".to_string())]);
    f.input(31, Input::AgentAnswer { agent: "basic".into() });
    assert!(
        offers(&f.call(31, "c2", Lang::Pt)).is_empty(),
        "the basic speaker is taken"
    );
    assert!(f.desk.next_deadline().is_some_and(|d| d <= f.at(120)));
    assert!(offers(&f.tick(120)).is_empty(), "c2 has waited 89 s");
    assert_eq!(offers(&f.tick(121)), [("none".to_string(), "c2".to_string())]);
}

#[test]
fn an_unanswered_offer_goes_back_to_the_head_of_the_queue_and_the_agent_is_missed() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "a", &[(Lang::En, 3)]);
    f.call(1, "c1", Lang::En);
    f.call(2, "c2", Lang::En);
    assert!(f.tick(15).is_empty(), "the offer still rings at 14 s");
    let out = f.tick(16);
    assert!(out.contains(&Output::OfferWithdrawn {
        agent: "a".into(),
        call: "c1".into(),
        why: Withdrawn::TimedOut
    }));
    assert!(matches!(
        f.state("a"),
        AgentState::NotReady {
            reason: NotReadyReason::Missed,
            ..
        }
    ));
    let waiting: Vec<String> = f.desk.view(f.at(16)).waiting.into_iter().map(|w| w.call).collect();
    assert_eq!(waiting, ["c1", "c2"], "c1 keeps its place ahead of c2");
    f.agent(20, "b", &[(Lang::En, 3)]);
    assert!(matches!(f.state("b"), AgentState::Offered { ref call, .. } if call == "c1"));
}

#[test]
fn a_caller_who_hangs_up_during_the_offer_withdraws_it_at_once() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "a", &[(Lang::Ja, 3)]);
    f.call(1, "c1", Lang::Ja);
    let out = f.input(3, Input::CallGone { call: "c1".into() });
    assert!(out.contains(&Output::OfferWithdrawn {
        agent: "a".into(),
        call: "c1".into(),
        why: Withdrawn::CallerHungUp
    }));
    assert_eq!(f.state("a"), AgentState::Ready { since: f.at(3) });
    // The answer that crossed the hang-up on the wire is refused, and nothing is bridged.
    let out = f.input(3, Input::AgentAnswer { agent: "a".into() });
    assert!(matches!(out.as_slice(), [Output::Refused { .. }]), "{out:?}");
}

#[test]
fn two_ready_agents_and_one_call_one_offer_two_calls_and_one_agent_one_offer() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "a", &[(Lang::Ja, 3)]);
    f.agent(0, "b", &[(Lang::Ja, 3)]);
    let out = f.call(1, "c1", Lang::Ja);
    assert_eq!(offers(&out).len(), 1, "{out:?}");
    // Both agents press answer at once: the one it rings at gets it, the other is refused.
    let ringing = offers(&out)[0].0.clone();
    let other = if ringing == "a" { "b" } else { "a" };
    let out = f.input(2, Input::AgentAnswer { agent: other.into() });
    assert!(matches!(out.as_slice(), [Output::Refused { .. }]), "{out:?}");
    let out = f.input(2, Input::AgentAnswer { agent: ringing.clone() });
    assert!(out.iter().any(|o| matches!(o, Output::Connect { .. })));

    let mut g = SimulatedDesk::new();
    g.agent(0, "solo", &[(Lang::Ja, 3)]);
    let first = g.call(1, "c1", Lang::Ja);
    let second = g.call(1, "c2", Lang::Ja);
    assert_eq!(offers(&first).len() + offers(&second).len(), 1);
    assert!(
        g.input(2, Input::AgentAnswer { agent: "solo".into() })
            .iter()
            .any(|o| matches!(o, Output::Connect { call, .. } if call == "c1"))
    );
    assert!(offers(&g.tick(3)).is_empty(), "one agent never gets two calls");
}

#[test]
fn an_answer_without_audio_is_refused_and_audio_lost_mid_call_sends_the_caller_back_to_the_queue() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "a", &[(Lang::Ja, 3)]);
    f.agent(1, "b", &[(Lang::Ja, 3)]);
    f.input(
        2,
        Input::AgentAudio {
            agent: "a".into(),
            up: false,
        },
    );
    f.call(3, "c1", Lang::Ja);
    let out = f.input(4, Input::AgentAnswer { agent: "a".into() });
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Refused { why, .. } if why == "the audio connection is not up")),
        "{out:?}"
    );
    assert!(matches!(f.state("a"), AgentState::Offered { .. }), "it still rings");
    f.input(
        5,
        Input::AgentAudio {
            agent: "a".into(),
            up: true,
        },
    );
    let out = f.input(6, Input::AgentAnswer { agent: "a".into() });
    assert!(out.iter().any(|o| matches!(o, Output::Connect { .. })), "{out:?}");
    let out = f.input(
        9,
        Input::AgentAudio {
            agent: "a".into(),
            up: false,
        },
    );
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Unbridge { call, agent } if call == "c1" && agent == "a")),
        "{out:?}"
    );
    assert_eq!(
        offers(&out),
        [("b".to_string(), "c1".to_string())],
        "the next agent rings at once"
    );
    assert!(matches!(
        f.state("a"),
        AgentState::NotReady {
            reason: NotReadyReason::Disconnected,
            ..
        }
    ));
}

#[test]
fn a_vanished_browser_sends_its_caller_back_to_the_head_of_the_queue_at_once() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "a", &[(Lang::Ko, 3)]);
    f.call(1, "c1", Lang::Ko);
    f.call(2, "c2", Lang::Ko);
    f.input(3, Input::AgentAnswer { agent: "a".into() });
    let out = f.input(50, Input::AgentGone { agent: "a".into() });
    assert!(out.contains(&Output::Unbridge {
        call: "c1".into(),
        agent: "a".into()
    }));
    assert!(matches!(
        f.state("a"),
        AgentState::NotReady {
            reason: NotReadyReason::Disconnected,
            ..
        }
    ));
    let waiting: Vec<String> = f.desk.view(f.at(50)).waiting.into_iter().map(|w| w.call).collect();
    assert_eq!(waiting, ["c1", "c2"]);
    // Another agent gets c1 first.
    f.agent(51, "b", &[(Lang::Ko, 3)]);
    assert!(matches!(f.state("b"), AgentState::Offered { ref call, .. } if call == "c1"));
}

#[test]
fn an_idle_agent_whose_browser_vanished_is_not_ready_after_the_grace_period_unless_it_returns() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "a", &[(Lang::Ja, 3)]);
    f.input(10, Input::AgentGone { agent: "a".into() });
    assert!(
        offers(&f.call(11, "c1", Lang::Ja)).is_empty(),
        "no offers to a vanished browser"
    );
    f.input(15, Input::AgentBack { agent: "a".into() });
    assert!(matches!(
        f.state("a"),
        AgentState::Offered { .. } | AgentState::Ready { .. }
    ));
    f.input(16, Input::CallGone { call: "c1".into() });
    f.input(20, Input::AgentGone { agent: "a".into() });
    f.tick(29);
    assert!(matches!(f.state("a"), AgentState::Ready { .. }));
    f.tick(30);
    assert!(matches!(
        f.state("a"),
        AgentState::NotReady {
            reason: NotReadyReason::Disconnected,
            ..
        }
    ));
}

#[test]
fn blind_transfers_to_a_ready_agent_or_to_another_language() {
    let mut f = SimulatedDesk::new();
    f.agent(0, "ja", &[(Lang::Ja, 3)]);
    f.agent(1, "vi", &[(Lang::Vi, 3)]);
    f.agent(2, "ja2", &[(Lang::Ja, 3)]);
    f.call(3, "c1", Lang::Ja);
    f.input(4, Input::AgentAnswer { agent: "ja".into() });
    // The caller speaks Vietnamese after all.
    let out = f.input(
        20,
        Input::AgentTransfer {
            agent: "ja".into(),
            to: TransferTarget::Language(Lang::Vi),
        },
    );
    assert!(out.contains(&Output::Unbridge {
        call: "c1".into(),
        agent: "ja".into()
    }));
    assert!(matches!(f.state("ja"), AgentState::WrapUp { .. }));
    assert!(matches!(f.state("vi"), AgentState::Offered { ref call, .. } if call == "c1"));
    let out = f.input(21, Input::AgentAnswer { agent: "vi".into() });
    // Answered from the Vietnamese queue: the call learns it (its recording is transcribed so).
    assert!(
        out.iter()
            .any(|o| matches!(o, Output::Connect { call, lang: Some(Lang::Vi), .. } if call == "c1")),
        "{out:?}"
    );
    // To a named agent who is not ready: refused, the call stays.
    let out = f.input(
        30,
        Input::AgentTransfer {
            agent: "vi".into(),
            to: TransferTarget::Agent("ja".into()),
        },
    );
    assert!(matches!(out.as_slice(), [Output::Refused { .. }]), "{out:?}");
    let out = f.input(
        31,
        Input::AgentTransfer {
            agent: "vi".into(),
            to: TransferTarget::Agent("ja2".into()),
        },
    );
    assert_eq!(offers(&out), [("ja2".to_string(), "c1".to_string())]);
}

#[test]
fn positions_and_expected_waits_follow_the_queue() {
    let mut f = SimulatedDesk::new();
    f.input(
        0,
        Input::AgentLogIn {
            agent: "a".into(),
            skills: vec![],
        },
    );
    f.input(
        0,
        Input::AgentNotReady {
            agent: "a".into(),
            reason: NotReadyReason::Break,
        },
    );
    let positions = |out: &[Output]| -> Vec<(String, u32, u64)> {
        out.iter()
            .filter_map(|o| match o {
                Output::Position {
                    call,
                    position,
                    expected_wait,
                } => Some((call.clone(), *position, expected_wait.as_secs())),
                _ => None,
            })
            .collect()
    };
    assert_eq!(positions(&f.call(1, "c1", Lang::Ja)), [("c1".to_string(), 1, 180)]);
    assert_eq!(positions(&f.call(2, "c2", Lang::Ja)), [("c2".to_string(), 2, 360)]);
    assert!(positions(&f.tick(3)).is_empty(), "only changes are reported");
    assert_eq!(
        positions(&f.input(4, Input::CallGone { call: "c1".into() })),
        [("c2".to_string(), 1, 180)]
    );
    assert_eq!(f.desk.expected_wait_for_new(), Duration::from_secs(360), "behind c2");
    f.agent(5, "b", &[(Lang::En, 3)]);
    f.agent(5, "c", &[(Lang::En, 3)]);
    // c2 and the newcomer share two agents on duty: 2 × 180 s ÷ 2.
    assert_eq!(f.desk.expected_wait_for_new(), Duration::from_secs(180));
}

#[test]
fn agents_cannot_do_what_their_state_does_not_allow() {
    let mut f = SimulatedDesk::new();
    let out = f.input(0, Input::AgentReady { agent: "ghost".into() });
    assert!(matches!(out.as_slice(), [Output::Refused { .. }]));
    f.agent(0, "a", &[(Lang::Ja, 3)]);
    for input in [
        Input::AgentHangUp { agent: "a".into() },
        Input::WrapUpDone { agent: "a".into() },
        Input::AgentTransfer {
            agent: "a".into(),
            to: TransferTarget::Language(Lang::En),
        },
    ] {
        let out = f.input(1, input);
        assert!(matches!(out.as_slice(), [Output::Refused { .. }]), "{out:?}");
    }
    // Declining a ringing call (not ready) gives it to someone else.
    f.call(2, "c1", Lang::Ja);
    let out = f.input(
        3,
        Input::AgentNotReady {
            agent: "a".into(),
            reason: NotReadyReason::Break,
        },
    );
    assert!(out.contains(&Output::OfferWithdrawn {
        agent: "a".into(),
        call: "c1".into(),
        why: Withdrawn::Declined
    }));
    assert_eq!(f.desk.view(f.at(3)).waiting.len(), 1);
}
