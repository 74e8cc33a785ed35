//! A call's link to the agent who took it: the bridge between the call's trunk leg and the
//! agent's leg, hold and mute, the tap that counts what went each way (written to the record
//! when the link ends), and the call's recording: started at the first agent's answer, marked
//! at each agent change, hold and mute, finished when the call ends (one file across
//! transfers). Inbound calls and call-backs use it alike.

use std::sync::Arc;

use bytes::Bytes;
use tracing::info;

use super::steps::{CallSteps, now};
use crate::journal::Step;
use crate::lang::Lang;
use crate::media::bridge::{Bridge, CountingTap, Direction, MediaTap, Mode};
use crate::media::leg::MediaLeg;
use crate::recording::recorder::RecordingTap;
use crate::recording::{CallRecording, MarkKind, Recorder};

/// The bridge's frames to the counter and, when recording, to the recording.
struct LinkTap {
    counting: Arc<CountingTap>,
    recording: Option<Arc<RecordingTap>>,
}

impl MediaTap for LinkTap {
    fn frame(&self, direction: Direction, payload: &Bytes) {
        self.counting.frame(direction, payload);
        if let Some(recording) = &self.recording {
            recording.frame(direction, payload);
        }
    }
}

#[derive(Default)]
pub struct AgentLink {
    bridge: Option<Bridge>,
    agent: Option<String>,
    tap: Arc<CountingTap>,
    recorder: Option<Arc<Recorder>>,
    recording: Option<CallRecording>,
}

impl AgentLink {
    /// A link whose conversations `recorder` records (none: not recorded).
    pub fn new(recorder: Option<Arc<Recorder>>) -> AgentLink {
        AgentLink {
            recorder,
            ..AgentLink::default()
        }
    }

    /// Bridges the call to `agent`'s leg (ending any earlier bridge first).
    pub fn connect(
        &mut self,
        steps: &CallSteps,
        agent: String,
        caller: Arc<dyn MediaLeg>,
        agent_leg: Arc<dyn MediaLeg>,
    ) {
        self.disconnect(steps);
        info!(%agent, "bridged to the agent");
        if self.recording.is_none() {
            if let Some(recorder) = &self.recorder {
                self.recording = recorder.start(&steps.id, now().1);
            }
        }
        if let Some(recording) = &self.recording {
            recording.mode(Mode::Talking);
            recording.mark(MarkKind::Agent, &agent);
        }
        let tap = LinkTap {
            counting: Arc::clone(&self.tap),
            recording: self.recording.as_ref().and_then(CallRecording::tap),
        };
        self.bridge = Some(Bridge::start(caller, agent_leg, Arc::new(tap) as Arc<dyn MediaTap>));
        self.agent = Some(agent);
    }

    /// Ends the bridge, if any, and records what went through it; returns the agent it was to.
    pub fn disconnect(&mut self, steps: &CallSteps) -> Option<String> {
        let bridge = self.bridge.take()?;
        bridge.stop();
        let (from_caller, from_agent) = self.tap.take();
        steps.step(Step::BridgedAudio {
            from_caller,
            from_agent,
        });
        let agent = self.agent.take();
        if let Some(recording) = &self.recording {
            recording.mark(MarkKind::AgentLeft, agent.as_deref().unwrap_or_default());
        }
        agent
    }

    /// The call is over: the recording, if any, is closed (`lang`: the caller's language, for
    /// its transcription).
    pub fn finish(&mut self, steps: &CallSteps, lang: Option<Lang>) {
        self.disconnect(steps);
        if let Some(recording) = self.recording.take() {
            recording.finish(lang);
        }
    }

    pub fn agent(&self) -> Option<&str> {
        self.agent.as_deref()
    }

    pub fn is_bridged(&self) -> bool {
        self.bridge.is_some()
    }

    pub fn is_held(&self) -> bool {
        self.bridge.as_ref().is_some_and(|b| b.mode() == Mode::Held)
    }

    /// Holds the call (neither hears the other) or takes it back; false when not bridged. The
    /// caller's side plays the hold audio.
    pub fn hold(&self, steps: &CallSteps, on: bool) -> bool {
        let Some(bridge) = &self.bridge else {
            return false;
        };
        let mode = if on { Mode::Held } else { Mode::Talking };
        bridge.set_mode(mode);
        self.marked(mode, if on { MarkKind::Hold } else { MarkKind::Unhold });
        steps.step(Step::Hold { on });
        true
    }

    /// Cuts the agent's microphone at our side (not while held).
    pub fn mute(&self, on: bool) {
        if let Some(bridge) = &self.bridge {
            if bridge.mode() != Mode::Held {
                let mode = if on { Mode::Muted } else { Mode::Talking };
                bridge.set_mode(mode);
                self.marked(mode, if on { MarkKind::Mute } else { MarkKind::Unmute });
            }
        }
    }

    fn marked(&self, mode: Mode, kind: MarkKind) {
        if let Some(recording) = &self.recording {
            recording.mode(mode);
            recording.mark(kind, self.agent.as_deref().unwrap_or_default());
        }
    }
}
