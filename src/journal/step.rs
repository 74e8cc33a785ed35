//! One step of a call, typed: what the call task, the runner and the ACD write, what the
//! reports and the floor fold over. [`Step::encode`] and [`Step::decode`] are the only place
//! that knows how a step is spelled in a row (`kind`, `detail`), and they read every row
//! earlier versions wrote: the rows of a database made before the steps were typed decode to
//! the same steps.

use jiff::civil::DateTime;

use super::names::named_enum;
use crate::lang::Lang;

named_enum! {
    /// Where a caller who hung up before an agent answered was.
    pub enum AbandonPlace("place") {
        /// While it rang, before the IVR answered.
        Ringing = "ringing",
        /// In the IVR (answered, not yet in the queue).
        Ivr = "ivr",
        /// Waiting in the queue (or while it rang at an agent).
        Queue = "queue",
    }
}

named_enum! {
    /// Why a call was turned away at the door with 503 and Retry-After, before any dialog.
    pub enum ShedReason("reason") {
        /// The call-record journal is behind: no call may run without its record.
        Journal = "journal-behind",
        /// The service is shutting down.
        Draining = "draining",
        /// The call tasks could not take another call at once.
        Overload = "overload",
    }
}

named_enum! {
    /// The codec of the trunk leg.
    pub enum Codec("codec") {
        /// G.711 µ-law (PCMU).
        Ulaw = "Ulaw",
        /// G.711 A-law (PCMA).
        Alaw = "Alaw",
    }
}

named_enum! {
    /// How a call ended.
    pub enum EndCause("cause") {
        CallerBye = "caller-bye",
        CallerCancel = "caller-cancel",
        CenterBye = "center-bye",
        Rejected = "rejected",
        NoAck = "no-ack",
        MediaTimeout = "media-timeout",
        /// A call-back: no RTP port was free.
        NoPort = "no-port",
        /// A call-back the agent cancelled while it rang.
        AgentCancel = "agent-cancel",
        NotAnswered = "not-answered",
        /// A call-back whose answer had no usable SDP.
        BadSdp = "bad-sdp",
        CalleeBye = "callee-bye",
        Other = "other",
    }
}

named_enum! {
    /// Who ended a call.
    pub enum Side("side") {
        Caller = "caller",
        Center = "center",
        Agent = "agent",
        /// The resident a call-back went to.
        Callee = "callee",
        Unknown = "unknown",
    }
}

/// Why a call-back was not answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutboundFailure {
    NoAnswer,
    /// The other side (or the carrier) answered with this status.
    Refused(u16),
    /// The call could not be placed at all (the SIP stack's error; its text is not kept, as it
    /// may quote the number).
    NotPlaced,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The first INVITE (the call's row is written with it).
    Arrived,
    /// Turned away at the door with 503 and Retry-After: received, and counted against the
    /// answer rate when in hours.
    Shed {
        why: ShedReason,
    },
    /// Refused before the IVR answered (no common codec, media address not allowed, no port):
    /// the SIP status.
    Rejected {
        code: u16,
    },
    /// Answered by the IVR (our 200 OK).
    IvrAnswered {
        codec: Codec,
    },
    Language(Lang),
    /// In hours by the flow's calendar.
    InHours,
    /// Out of hours: the reason and the next opening the caller was told.
    Closed {
        reason: String,
        next_opening: Option<DateTime>,
    },
    /// Turned away with the all-lines-busy message.
    Busy,
    Enqueued {
        queue: String,
    },
    /// The queue gave up (the flow's longest wait passed).
    QueueTimeout,
    /// The caller hung up before an agent answered. Only the IVR runner decides where.
    Abandoned {
        place: AbandonPlace,
    },
    /// It rang at an agent.
    Offered {
        agent: String,
    },
    /// The ring ended unanswered (not answered in time, declined, the agent's browser went away).
    OfferWithdrawn,
    AgentAnswered {
        agent: String,
    },
    /// The agent left the call (browser gone, or a transfer): the caller waits again.
    AgentLeft {
        agent: String,
    },
    AgentHungUp {
        agent: String,
    },
    Hold {
        on: bool,
    },
    /// A call-back is being placed by this agent.
    Dialing {
        agent: String,
    },
    /// The resident answered the call-back.
    OutboundAnswered {
        agent: String,
    },
    OutboundFailed {
        why: OutboundFailure,
    },
    /// What the media tap saw of one bridge: 20 ms frames each way.
    BridgedAudio {
        from_caller: u64,
        from_agent: u64,
    },
    /// Sent away by the flow's transfer node.
    Transferred {
        uri: String,
    },
    /// The caller pressed nothing usable in a menu.
    MenuFailed {
        node: String,
    },
    Ended {
        cause: EndCause,
        side: Side,
    },
    /// A row this version cannot read (a newer version wrote it): kept as it was.
    Unknown {
        kind: String,
        detail: String,
    },
}

/// How `Closed` spells the next opening.
const OPENING_FORMAT: &str = "%Y-%m-%d %H:%M";

impl Step {
    /// The row's `kind` and `detail`.
    pub fn encode(&self) -> (&str, String) {
        let none = String::new;
        match self {
            Step::Arrived => ("arrived", none()),
            Step::Shed { why } => ("shed", why.as_str().into()),
            Step::Rejected { code } => ("rejected", code.to_string()),
            Step::IvrAnswered { codec } => ("ivr_answered", codec.as_str().into()),
            Step::Language(lang) => ("language", lang.code().into()),
            Step::InHours => ("in_hours", none()),
            Step::Closed { reason, next_opening } => (
                "closed",
                match next_opening {
                    Some(next) => format!("{reason}; opens {}", next.strftime(OPENING_FORMAT)),
                    None => reason.clone(),
                },
            ),
            Step::Busy => ("busy", none()),
            Step::Enqueued { queue } => ("enqueued", queue.clone()),
            Step::QueueTimeout => ("queue_timeout", none()),
            Step::Abandoned { place } => ("abandoned", place.as_str().into()),
            Step::Offered { agent } => ("offered", agent.clone()),
            Step::OfferWithdrawn => ("offer_withdrawn", none()),
            Step::AgentAnswered { agent } => ("agent_answered", agent.clone()),
            Step::AgentLeft { agent } => ("agent_left", agent.clone()),
            Step::AgentHungUp { agent } => ("agent_hung_up", agent.clone()),
            Step::Hold { on } => ("hold", if *on { "on" } else { "off" }.into()),
            Step::Dialing { agent } => ("dialing", agent.clone()),
            Step::OutboundAnswered { agent } => ("outbound_answered", agent.clone()),
            Step::OutboundFailed { why } => (
                "outbound_failed",
                match why {
                    OutboundFailure::NoAnswer => "no-answer".into(),
                    OutboundFailure::Refused(code) => format!("refused {code}"),
                    OutboundFailure::NotPlaced => "not-placed".into(),
                },
            ),
            Step::BridgedAudio {
                from_caller,
                from_agent,
            } => (
                "bridged_audio",
                format!("from_caller={from_caller};from_agent={from_agent}"),
            ),
            Step::Transferred { uri } => ("transferred", uri.clone()),
            Step::MenuFailed { node } => ("menu_failed", node.clone()),
            Step::Ended { cause, side } => ("ended", format!("{cause};{side}")),
            Step::Unknown { kind, detail } => (kind.as_str(), detail.clone()),
        }
    }

    /// The step a row holds; a row it cannot read becomes [`Step::Unknown`], never an error.
    pub fn decode(kind: &str, detail: &str) -> Step {
        Step::known(kind, detail).unwrap_or_else(|| Step::Unknown {
            kind: kind.to_string(),
            detail: detail.to_string(),
        })
    }

    fn known(kind: &str, detail: &str) -> Option<Step> {
        let agent = || Some(detail.to_string());
        let empty = || detail.is_empty().then_some(());
        Some(match kind {
            "arrived" => empty().map(|()| Step::Arrived)?,
            "shed" => Step::Shed {
                why: ShedReason::parse(detail)?,
            },
            "rejected" => Step::Rejected {
                code: detail.parse().ok()?,
            },
            "ivr_answered" => Step::IvrAnswered {
                codec: Codec::parse(detail)?,
            },
            "language" => Step::Language(Lang::from_code(detail)?),
            "in_hours" => empty().map(|()| Step::InHours)?,
            "closed" => {
                let opening = detail.rsplit_once("; opens ").and_then(|(reason, at)| {
                    let at = DateTime::strptime(OPENING_FORMAT, at).ok()?;
                    Some((reason.to_string(), at))
                });
                match opening {
                    Some((reason, at)) => Step::Closed {
                        reason,
                        next_opening: Some(at),
                    },
                    None => Step::Closed {
                        reason: detail.to_string(),
                        next_opening: None,
                    },
                }
            }
            "busy" => empty().map(|()| Step::Busy)?,
            "enqueued" => Step::Enqueued { queue: agent()? },
            "queue_timeout" => empty().map(|()| Step::QueueTimeout)?,
            "abandoned" => Step::Abandoned {
                place: AbandonPlace::parse(detail)?,
            },
            "offered" => Step::Offered { agent: agent()? },
            "offer_withdrawn" => Step::OfferWithdrawn,
            "agent_answered" => Step::AgentAnswered { agent: agent()? },
            "agent_left" => Step::AgentLeft { agent: agent()? },
            "agent_hung_up" => Step::AgentHungUp { agent: agent()? },
            "hold" => Step::Hold {
                on: match detail {
                    "on" => true,
                    "off" => false,
                    _ => return None,
                },
            },
            "dialing" => Step::Dialing { agent: agent()? },
            "outbound_answered" => Step::OutboundAnswered { agent: agent()? },
            "outbound_failed" => Step::OutboundFailed {
                why: decode_outbound_failure(detail),
            },
            "bridged_audio" => {
                let (caller, agent) = detail.split_once(';')?;
                Step::BridgedAudio {
                    from_caller: caller.strip_prefix("from_caller=")?.parse().ok()?,
                    from_agent: agent.strip_prefix("from_agent=")?.parse().ok()?,
                }
            }
            "transferred" => Step::Transferred { uri: agent()? },
            "menu_failed" => Step::MenuFailed { node: agent()? },
            "ended" => {
                let (cause, side) = detail.split_once(';')?;
                Step::Ended {
                    cause: EndCause::parse(cause)?,
                    side: Side::parse(side)?,
                }
            }
            _ => return None,
        })
    }

    /// `kind` or `kind:detail`, as logs and tests show a step.
    pub fn label(&self) -> String {
        match self.encode() {
            (kind, detail) if detail.is_empty() => kind.to_string(),
            (kind, detail) => format!("{kind}:{detail}"),
        }
    }
}

/// Reads this version's spelling and the free text earlier versions kept (`no answer`,
/// `the other side answered 486`, `the call could not be placed: …`).
fn decode_outbound_failure(detail: &str) -> OutboundFailure {
    if detail == "no-answer" || detail == "no answer" {
        return OutboundFailure::NoAnswer;
    }
    let code = detail
        .strip_prefix("refused ")
        .or_else(|| detail.strip_prefix("the other side answered "))
        .and_then(|code| code.trim().parse().ok());
    match code {
        Some(code) => OutboundFailure::Refused(code),
        None => OutboundFailure::NotPlaced,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every step of this version, for round trips.
    fn every_step() -> Vec<Step> {
        let opening = DateTime::strptime(OPENING_FORMAT, "2027-01-04 09:00").ok();
        let mut steps = vec![
            Step::Arrived,
            Step::Rejected { code: 488 },
            Step::Language(Lang::Vi),
            Step::InHours,
            Step::Closed {
                reason: "年末年始 (year-end break)".into(),
                next_opening: opening,
            },
            Step::Closed {
                reason: "no hours; defined".into(),
                next_opening: None,
            },
            Step::Busy,
            Step::Enqueued {
                queue: "general".into(),
            },
            Step::QueueTimeout,
            Step::Offered { agent: "tanaka".into() },
            Step::OfferWithdrawn,
            Step::AgentAnswered { agent: "tanaka".into() },
            Step::AgentLeft { agent: "tanaka".into() },
            Step::AgentHungUp { agent: "sato".into() },
            Step::Hold { on: true },
            Step::Hold { on: false },
            Step::Dialing { agent: "sato".into() },
            Step::OutboundAnswered { agent: "sato".into() },
            Step::OutboundFailed {
                why: OutboundFailure::NoAnswer,
            },
            Step::OutboundFailed {
                why: OutboundFailure::Refused(486),
            },
            Step::OutboundFailed {
                why: OutboundFailure::NotPlaced,
            },
            Step::BridgedAudio {
                from_caller: 201,
                from_agent: 199,
            },
            Step::Transferred {
                uri: "sip:backup@192.0.2.1".into(),
            },
            Step::MenuFailed {
                node: "language".into(),
            },
            Step::Unknown {
                kind: "from_the_future".into(),
                detail: "x".into(),
            },
        ];
        steps.extend(ShedReason::ALL.iter().map(|&why| Step::Shed { why }));
        steps.extend(Codec::ALL.iter().map(|&codec| Step::IvrAnswered { codec }));
        steps.extend(AbandonPlace::ALL.iter().map(|&place| Step::Abandoned { place }));
        for &cause in EndCause::ALL {
            steps.extend(Side::ALL.iter().map(|&side| Step::Ended { cause, side }));
        }
        steps
    }

    #[test]
    fn every_step_reads_back_as_itself() {
        for step in every_step() {
            let (kind, detail) = step.encode();
            assert_eq!(Step::decode(kind, &detail), step, "{kind}:{detail}");
        }
    }

    /// The rows the string vocabulary of earlier versions wrote (`cdr.rs`, the call task, the
    /// call-back task), spelled as they were.
    #[test]
    fn rows_written_before_the_steps_were_typed_read_as_the_same_steps() {
        let opening = DateTime::strptime(OPENING_FORMAT, "2026-12-03 09:00").ok();
        for (kind, detail, step) in [
            ("arrived", "", Step::Arrived),
            ("rejected", "503", Step::Rejected { code: 503 }),
            ("ivr_answered", "Ulaw", Step::IvrAnswered { codec: Codec::Ulaw }),
            ("language", "en", Step::Language(Lang::En)),
            ("in_hours", "", Step::InHours),
            (
                "closed",
                "closed for the day; opens 2026-12-03 09:00",
                Step::Closed {
                    reason: "closed for the day".into(),
                    next_opening: opening,
                },
            ),
            (
                "enqueued",
                "general",
                Step::Enqueued {
                    queue: "general".into(),
                },
            ),
            (
                "abandoned",
                "ringing",
                Step::Abandoned {
                    place: AbandonPlace::Ringing,
                },
            ),
            (
                "outbound_failed",
                "the other side answered 486",
                Step::OutboundFailed {
                    why: OutboundFailure::Refused(486),
                },
            ),
            (
                "outbound_failed",
                "no answer",
                Step::OutboundFailed {
                    why: OutboundFailure::NoAnswer,
                },
            ),
            (
                "outbound_failed",
                "the call could not be placed: transport error",
                Step::OutboundFailed {
                    why: OutboundFailure::NotPlaced,
                },
            ),
            (
                "bridged_audio",
                "from_caller=203;from_agent=0",
                Step::BridgedAudio {
                    from_caller: 203,
                    from_agent: 0,
                },
            ),
            (
                "ended",
                "caller-bye;caller",
                Step::Ended {
                    cause: EndCause::CallerBye,
                    side: Side::Caller,
                },
            ),
            (
                "ended",
                "center-bye;agent",
                Step::Ended {
                    cause: EndCause::CenterBye,
                    side: Side::Agent,
                },
            ),
            (
                "ended",
                "not-answered;callee",
                Step::Ended {
                    cause: EndCause::NotAnswered,
                    side: Side::Callee,
                },
            ),
        ] {
            assert_eq!(Step::decode(kind, detail), step, "{kind}:{detail}");
        }
    }

    #[test]
    fn damaged_rows_are_kept_as_they_are_rather_than_refused() {
        for (kind, detail) in [
            ("rejected", "lots"),
            ("ended", "caller-bye"),
            ("hold", "maybe"),
            ("language", "fr"),
            ("bridged_audio", "from_caller=x;from_agent=1"),
            ("arrived", "twice"),
        ] {
            let step = Step::decode(kind, detail);
            assert!(matches!(step, Step::Unknown { .. }), "{kind}:{detail} → {step:?}");
            assert_eq!(step.encode(), (kind, detail.to_string()));
        }
    }
}
