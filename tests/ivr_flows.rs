//! IVR flows: validation with file and line, and the shipped flow walked in simulated time.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::civil::{DateTime, datetime};
use tsunagu::calendar::{CalendarSet, sources};
use tsunagu::ivr::flow::{self, FlowContext};
use tsunagu::ivr::{HangupCause, IvrCommand, IvrEvent, PromptPlay, Runner};
use tsunagu::journal::{AbandonPlace, Step};
use tsunagu::lang::Lang;
use tsunagu::media::dtmf::Digit;

const SHIPPED_FLOW: &str = include_str!("../ivr-flows/my-number.toml");

const PROMPT_IDS: [&str; 15] = [
    "greeting",
    "recording_notice",
    "language_option",
    "invalid_input",
    "closed_outside_hours",
    "closed_holiday",
    "closed_year_end",
    "closed_temporary",
    "opening_hours",
    "loss_theft",
    "goodbye",
    "all_lines_busy",
    "hold_music",
    "please_hold",
    "no_input",
];

fn all_prompts() -> BTreeSet<(Lang, String)> {
    Lang::ALL
        .iter()
        .flat_map(|l| PROMPT_IDS.iter().map(move |id| (*l, id.to_string())))
        .collect()
}

fn calendars() -> Arc<CalendarSet> {
    let set = CalendarSet::new();
    let sources = sources::builtin();
    assert!(
        set.load_all(sources.iter().map(|s| (s.origin.as_str(), s.text.as_str())))
            .is_empty()
    );
    Arc::new(set)
}

fn check(text: &str, prompts: &BTreeSet<(Lang, String)>) -> Result<flow::Flow, Vec<String>> {
    let calendars: BTreeSet<String> = calendars().ids().into_iter().collect();
    let context = FlowContext {
        prompts,
        calendars: &calendars,
    };
    flow::parse("ivr-flows/test.toml", text, &context).map_err(|e| e.to_string().lines().map(str::to_string).collect())
}

fn problems(text: &str) -> Vec<String> {
    check(text, &all_prompts()).err().unwrap_or_default()
}

fn assert_problem(text: &str, line: usize, fragment: &str) {
    let found = problems(text);
    let prefix = format!("ivr-flows/test.toml: line {line}: ");
    assert!(
        found.iter().any(|p| p.starts_with(&prefix) && p.contains(fragment)),
        "expected '{prefix}…{fragment}…', got {found:?}"
    );
}

fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle} not in the flow"))
}

#[test]
fn the_shipped_flow_is_valid() {
    let flow = check(SHIPPED_FLOW, &all_prompts()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(flow.id, "my-number");
}

#[test]
fn unknown_and_missing_prompts_are_named_with_their_line() {
    let text = SHIPPED_FLOW.replace("\"all_lines_busy\"", "\"all_lines_bsy\"");
    assert_problem(&text, line_of(&text, "all_lines_bsy"), "unknown prompt 'all_lines_bsy'");
    let mut prompts = all_prompts();
    prompts.remove(&(Lang::Vi, "goodbye".to_string()));
    prompts.remove(&(Lang::Tl, "goodbye".to_string()));
    let found = check(SHIPPED_FLOW, &prompts).err().unwrap_or_default();
    let line = line_of(SHIPPED_FLOW, "then = [\"opening_hours\"");
    assert!(
        found.contains(&format!(
            "ivr-flows/test.toml: line {line}: prompt 'goodbye' is missing in: tl, vi"
        )),
        "{found:?}"
    );
}

#[test]
fn graph_problems_are_refused() {
    // A node nobody reaches.
    let text = format!("{SHIPPED_FLOW}\n[nodes.orphan]\ntype = \"hangup\"\n");
    assert_problem(&text, line_of(&text, "[nodes.orphan]"), "node 'orphan' is unreachable");
    // A reference to a node that does not exist.
    let text = SHIPPED_FLOW.replace("on_timeout = \"busy\"", "on_timeout = \"bussy\"");
    assert_problem(&text, line_of(&text, "bussy"), "unknown node 'bussy'");
    // A loop with no exit: the busy message plays again and again.
    let text = SHIPPED_FLOW.replace(
        "prompts = [\"all_lines_busy\", \"opening_hours\", \"goodbye\"]\nnext = \"end\"",
        "prompts = [\"all_lines_busy\"]\nnext = \"busy\"",
    );
    assert_problem(
        &text,
        line_of(&text, "[nodes.busy]"),
        "node 'busy' is in a loop with no exit",
    );
    // Goto nodes chasing each other.
    let text = format!(
        "{}\n[nodes.a]\ntype = \"goto\"\ntarget = \"b\"\n\n[nodes.b]\ntype = \"goto\"\ntarget = \"a\"\n",
        SHIPPED_FLOW.replace("on_timeout = \"busy\"", "on_timeout = \"a\"")
    );
    assert_problem(&text, line_of(&text, "[nodes.a]"), "loop of goto nodes");
}

#[test]
fn bad_keys_types_and_fields_are_refused() {
    let text = SHIPPED_FLOW.replace("\"8\" = \"vi\"", "\"88\" = \"vi\"");
    assert_problem(&text, line_of(&text, "\"88\""), "'88' is not a DTMF key");
    let text = SHIPPED_FLOW.replace("type = \"hangup\"", "type = \"hang_up\"");
    assert_problem(&text, line_of(&text, "hang_up"), "unknown type 'hang_up'");
    let text = SHIPPED_FLOW.replace("type = \"hangup\"", "type = \"hangup\"\nnext = \"greeting\"");
    assert_problem(
        &text,
        line_of(&text, "[nodes.end]"),
        "node 'end' (hangup) does not take: next",
    );
    let text = SHIPPED_FLOW.replace("calendar = \"call-center\"", "calendar = \"callcenter\"");
    assert_problem(&text, line_of(&text, "callcenter"), "unknown calendar 'callcenter'");
    let text = SHIPPED_FLOW.replace("language = \"vi\"", "language = \"fr\"");
    assert_problem(&text, line_of(&text, "\"fr\""), "unknown language 'fr'");
    let text = format!("{SHIPPED_FLOW}\n[nodes.dr]\ntype = \"transfer\"\nuri = \"http://x\"\n")
        .replace("on_timeout = \"busy\"", "on_timeout = \"dr\"");
    assert_problem(&text, line_of(&text, "http://x"), "is not a sip:, sips: or tel: URI");
    assert_problem("id = \"x\"\nstart = \n", 2, "");
}

/// The shipped flow driven through the runner in simulated time.
struct Call {
    runner: Runner,
    t0: Instant,
    now: Instant,
}

impl Call {
    /// Simulated time starts from one real instant; every later one is that plus a duration.
    #[allow(clippy::disallowed_methods)]
    fn start(local: DateTime) -> (Call, Vec<IvrCommand>) {
        let flow = Arc::new(check(SHIPPED_FLOW, &all_prompts()).unwrap_or_else(|e| panic!("{e:?}")));
        let mut runner = Runner::new(flow, calendars().snapshot(), Lang::Ja);
        let t0 = Instant::now();
        runner.handle(IvrEvent::Answered);
        let out = runner.handle(IvrEvent::Started { now: t0, local });
        (Call { runner, t0, now: t0 }, out)
    }

    fn at(&mut self, seconds: u64) -> Instant {
        self.now = self.t0 + Duration::from_secs(seconds);
        self.now
    }

    fn finished(&mut self, seconds: u64) -> Vec<IvrCommand> {
        let now = self.at(seconds);
        self.runner.handle(IvrEvent::PromptFinished { now })
    }

    fn digit(&mut self, seconds: u64, c: char) -> Vec<IvrCommand> {
        let now = self.at(seconds);
        let digit = Digit::from_char(c).unwrap_or_else(|| panic!("{c}"));
        self.runner.handle(IvrEvent::Dtmf { digit, now })
    }

    fn timer(&mut self, seconds: u64) -> Vec<IvrCommand> {
        let now = self.at(seconds);
        self.runner.handle(IvrEvent::Timer { now })
    }
}

fn played(commands: &[IvrCommand]) -> Vec<String> {
    commands
        .iter()
        .filter_map(|c| match c {
            IvrCommand::Play { prompts, .. } => Some(
                prompts
                    .iter()
                    .map(|PromptPlay { id, lang }| format!("{id}@{lang}"))
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn in_hours_the_caller_chooses_english_and_waits_in_the_queue_until_it_gives_up() {
    let (mut call, out) = Call::start(datetime(2026, 4, 4, 10, 0, 0, 0));
    assert_eq!(played(&out), ["greeting@ja", "recording_notice@ja"]);
    let out = call.finished(8);
    assert_eq!(played(&out).len(), 8);
    assert_eq!(played(&out)[1], "language_option@en");
    let out = call.digit(12, '2');
    assert_eq!(out[0], IvrCommand::StopPlayback);
    assert!(out.contains(&IvrCommand::Record(Step::Language(Lang::En))));
    assert!(out.contains(&IvrCommand::Record(Step::InHours)));
    assert_eq!(out.last(), Some(&IvrCommand::QueryCapacity));
    let now = call.at(12);
    let out = call.runner.handle(IvrEvent::Capacity { available: true, now });
    assert!(out.contains(&IvrCommand::Enqueue {
        queue: "general".into(),
        lang: Lang::En
    }));
    assert!(
        out.iter()
            .any(|c| matches!(c, IvrCommand::Play { looped: true, prompts, .. } if prompts[0].id == "hold_music"))
    );
    assert_eq!(call.runner.poll_timeout(), Some(call.t0 + Duration::from_secs(42)));
    assert_eq!(played(&call.timer(42)), ["please_hold@en"]);
    assert_eq!(played(&call.finished(45)), ["hold_music@en"]);
    // After 300 s in the queue the caller hears the busy message and the call ends.
    let out = call.timer(312);
    assert!(out.contains(&IvrCommand::LeaveQueue) && out.contains(&IvrCommand::Record(Step::QueueTimeout)));
    assert_eq!(played(&out), ["all_lines_busy@en", "opening_hours@en", "goodbye@en"]);
    assert_eq!(
        call.finished(330),
        [IvrCommand::Hangup {
            cause: HangupCause::FlowEnded
        }]
    );
    assert!(call.runner.is_finished());
}

#[test]
fn out_of_hours_the_caller_hears_why_in_the_chosen_language() {
    // Labour Thanksgiving Day 2026, a Monday: closed for a national holiday.
    let (mut call, _) = Call::start(datetime(2026, 11, 23, 10, 0, 0, 0));
    call.finished(8);
    let out = call.digit(10, '6');
    match out
        .iter()
        .find(|c| matches!(c, IvrCommand::Record(Step::Closed { .. })))
    {
        Some(IvrCommand::Record(Step::Closed { reason, next_opening })) => {
            assert!(reason.contains("Labour Thanksgiving Day"), "{reason}");
            assert_eq!(*next_opening, Some(datetime(2026, 11, 24, 9, 0, 0, 0)));
        }
        _ => panic!("no closed record in {out:?}"),
    }
    let heard = played(&out);
    let whole: Vec<&String> = heard.iter().filter(|p| !p.starts_with("frag.")).collect();
    assert_eq!(
        whole,
        ["closed_holiday@es", "opening_hours@es", "loss_theft@es", "goodbye@es"]
    );
    // Between the reason and the hours: "we open again tomorrow at 9", composed in Spanish.
    assert!(
        heard.contains(&"frag.day.tomorrow@es".to_string()) && heard.contains(&"frag.hour.9@es".to_string()),
        "{heard:?}"
    );
    assert_eq!(
        call.finished(30),
        [IvrCommand::Hangup {
            cause: HangupCause::FlowEnded
        }]
    );
    // The year-end break has its own message; so has a summer evening after 19:00.
    let (mut call, _) = Call::start(datetime(2026, 12, 30, 10, 0, 0, 0));
    call.finished(8);
    assert_eq!(played(&call.digit(9, '1'))[0], "closed_year_end@ja");
    let (mut call, _) = Call::start(datetime(2026, 7, 1, 18, 59, 50, 0));
    call.finished(8);
    // The call arrived at 18:59:50 but the menu ends after 19:00: the hours are checked then.
    assert_eq!(played(&call.digit(12, '4'))[0], "closed_outside_hours@ko");
}

#[test]
fn no_key_means_japanese_and_wrong_keys_are_retried() {
    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    call.finished(8);
    assert_eq!(
        call.runner.poll_timeout(),
        None,
        "the timer starts when the menu has been heard"
    );
    call.finished(20);
    assert_eq!(call.runner.poll_timeout(), Some(call.t0 + Duration::from_secs(25)));
    let out = call.timer(25);
    assert!(out.contains(&IvrCommand::Record(Step::Language(Lang::Ja))), "{out:?}");

    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    call.finished(8);
    for attempt in 0..2 {
        let out = call.digit(10 + attempt, '9');
        assert_eq!(played(&out)[0], "invalid_input@ja", "attempt {attempt}");
    }
    let out = call.digit(20, '0');
    assert!(out.contains(&IvrCommand::Record(Step::MenuFailed {
        node: "language".into()
    })));
    assert!(out.contains(&IvrCommand::Record(Step::Language(Lang::Ja))));
}

#[test]
fn busy_callers_and_callers_who_hang_up() {
    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    call.finished(8);
    call.digit(9, '3');
    let now = call.at(9);
    let out = call.runner.handle(IvrEvent::Capacity { available: false, now });
    assert!(out.contains(&IvrCommand::Record(Step::Busy)));
    assert_eq!(played(&out), ["all_lines_busy@zh", "opening_hours@zh", "goodbye@zh"]);

    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    call.finished(8);
    call.digit(9, '3');
    let now = call.at(9);
    call.runner.handle(IvrEvent::Capacity { available: true, now });
    let now = call.at(60);
    let out = call.runner.handle(IvrEvent::CallerHungUp { now });
    assert_eq!(
        out,
        [
            IvrCommand::LeaveQueue,
            IvrCommand::Record(Step::Abandoned {
                place: AbandonPlace::Queue
            })
        ]
    );
    assert!(
        call.runner.handle(IvrEvent::Timer { now }).is_empty(),
        "a finished call does nothing more"
    );

    // Hanging up during the greeting is an abandon in the IVR; a digit barges into the greeting.
    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    let out = call.digit(2, '5');
    assert_eq!(out[0], IvrCommand::StopPlayback);
    assert_eq!(played(&out)[0], "language_option@ja");
    let now = call.at(3);
    assert_eq!(
        call.runner.handle(IvrEvent::CallerHungUp { now }),
        [IvrCommand::Record(Step::Abandoned {
            place: AbandonPlace::Ivr
        })]
    );
}

#[test]
fn a_waiting_caller_hears_place_and_expected_wait_then_an_agent_and_back_to_the_queue_if_the_agent_goes() {
    let (mut call, _) = Call::start(datetime(2026, 4, 4, 10, 0, 0, 0));
    call.finished(8);
    call.digit(12, '8'); // Vietnamese
    let now = call.at(12);
    call.runner.handle(IvrEvent::Capacity { available: true, now });
    // The ACD's live numbers: third in line, about 7 minutes (6 min 40 s rounds up).
    call.runner.handle(IvrEvent::QueueStatus {
        position: 3,
        expected_wait: Duration::from_secs(400),
    });
    let heard = played(&call.timer(42));
    assert_eq!(heard[0], "please_hold@vi");
    assert!(heard.contains(&"frag.count.3@vi".to_string()), "{heard:?}");
    assert!(heard.contains(&"frag.minutes.7@vi".to_string()), "{heard:?}");
    // An agent answers: the IVR stops talking and sets no more timers.
    let now = call.at(50);
    assert_eq!(
        call.runner.handle(IvrEvent::AgentConnected { now }),
        [IvrCommand::StopPlayback]
    );
    assert_eq!(call.runner.poll_timeout(), None);
    // Hold plays the hold music; taking the caller back stops it.
    assert_eq!(
        played(&call.runner.handle(IvrEvent::Hold { on: true })),
        ["hold_music@vi"]
    );
    assert_eq!(
        call.runner.handle(IvrEvent::Hold { on: false }),
        [IvrCommand::StopPlayback]
    );
    // The agent's browser vanishes: the caller hears "please hold", then waits again with a
    // fresh maximum wait.
    let now = call.at(120);
    assert_eq!(
        played(&call.runner.handle(IvrEvent::AgentLost { now })),
        ["please_hold@vi"]
    );
    assert!(call.runner.is_queued());
    assert_eq!(played(&call.finished(125)), ["hold_music@vi"]);
    // Hanging up while talking to an agent is a normal end, not an abandon.
    let now = call.at(130);
    call.runner.handle(IvrEvent::AgentConnected { now });
    let now = call.at(200);
    assert!(call.runner.handle(IvrEvent::CallerHungUp { now }).is_empty());
}

/// The runner alone says where a caller who went was: while it rang, in the IVR (before or
/// after the ACK), in the queue; a caller whose media stopped is an abandon too, except with
/// an agent.
#[test]
#[allow(clippy::disallowed_methods)] // one real instant as the base of simulated time
fn the_runner_decides_where_a_caller_gave_up() {
    let flow = || Arc::new(check(SHIPPED_FLOW, &all_prompts()).unwrap_or_else(|e| panic!("{e:?}")));
    let t0 = Instant::now();
    let abandoned = |place| IvrCommand::Record(Step::Abandoned { place });

    let mut ringing = Runner::new(flow(), calendars().snapshot(), Lang::Ja);
    assert_eq!(
        ringing.handle(IvrEvent::CallerHungUp { now: t0 }),
        [abandoned(AbandonPlace::Ringing)]
    );
    let mut before_ack = Runner::new(flow(), calendars().snapshot(), Lang::Ja);
    before_ack.handle(IvrEvent::Answered);
    assert_eq!(
        before_ack.handle(IvrEvent::CallerHungUp { now: t0 }),
        [abandoned(AbandonPlace::Ivr)]
    );

    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    call.finished(8);
    call.digit(9, '2');
    let now = call.at(9);
    call.runner.handle(IvrEvent::Capacity { available: true, now });
    let now = call.at(40);
    assert_eq!(
        call.runner.handle(IvrEvent::MediaLost { now }),
        [
            IvrCommand::LeaveQueue,
            abandoned(AbandonPlace::Queue),
            IvrCommand::Hangup {
                cause: HangupCause::MediaLost
            }
        ]
    );

    let (mut call, _) = Call::start(datetime(2026, 4, 6, 10, 0, 0, 0));
    call.finished(8);
    call.digit(9, '2');
    let now = call.at(9);
    call.runner.handle(IvrEvent::Capacity { available: true, now });
    call.runner.handle(IvrEvent::AgentConnected { now });
    let now = call.at(90);
    assert_eq!(
        call.runner.handle(IvrEvent::MediaLost { now }),
        [IvrCommand::Hangup {
            cause: HangupCause::MediaLost
        }],
        "with an agent, a lost caller is no abandon"
    );
}

/// A calendar replaced while a caller is in the IVR does not change what that caller is told:
/// the runner answers from the calendars as they were when the call arrived.
#[test]
#[allow(clippy::disallowed_methods)]
fn a_calendar_reloaded_mid_call_does_not_change_what_the_caller_hears() {
    let set = calendars();
    let flow = Arc::new(check(SHIPPED_FLOW, &all_prompts()).unwrap_or_else(|e| panic!("{e:?}")));
    let mut runner = Runner::new(flow, set.snapshot(), Lang::Ja);
    // A supervisor closes the center for maintenance today, while the caller hears the greeting.
    let closed_today = sources::builtin()
        .into_iter()
        .find(|s| s.text.contains("id = \"call-center\""))
        .map(|s| {
            format!(
                "{}\n[[closure]]\nreason = \"maintenance\"\ncategory = \"maintenance\"\ndate = 2026-04-06\n",
                s.text
            )
        })
        .unwrap_or_else(|| panic!("the shipped call-center calendar"));
    assert!(set.update("reload.toml", &closed_today).is_ok());
    let t0 = Instant::now();
    runner.handle(IvrEvent::Answered);
    runner.handle(IvrEvent::Started {
        now: t0,
        local: datetime(2026, 4, 6, 10, 0, 0, 0),
    });
    runner.handle(IvrEvent::PromptFinished {
        now: t0 + Duration::from_secs(8),
    });
    let digit = Digit::from_char('1').unwrap_or_else(|| panic!("1"));
    let out = runner.handle(IvrEvent::Dtmf {
        digit,
        now: t0 + Duration::from_secs(9),
    });
    assert!(out.contains(&IvrCommand::Record(Step::InHours)), "{out:?}");
    // A call arriving after the reload hears that the center is closed.
    let flow = Arc::new(check(SHIPPED_FLOW, &all_prompts()).unwrap_or_else(|e| panic!("{e:?}")));
    let mut later = Runner::new(flow, set.snapshot(), Lang::Ja);
    later.handle(IvrEvent::Answered);
    later.handle(IvrEvent::Started {
        now: t0,
        local: datetime(2026, 4, 6, 10, 0, 0, 0),
    });
    later.handle(IvrEvent::PromptFinished {
        now: t0 + Duration::from_secs(8),
    });
    let out = later.handle(IvrEvent::Dtmf {
        digit,
        now: t0 + Duration::from_secs(9),
    });
    assert!(
        out.iter().any(|c| matches!(c, IvrCommand::Record(Step::Closed { .. }))),
        "{out:?}"
    );
}
