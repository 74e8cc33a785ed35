//! A call's link to the agent who took it: the bridge between the call's trunk leg and the
//! agent's leg, hold and mute, and the tap that counts what went each way (written to the
//! record when the link ends). Inbound calls and call-backs use it alike.

use std::sync::Arc;

use tracing::info;

use super::steps::CallSteps;
use crate::journal::Step;
use crate::media::bridge::{Bridge, CountingTap, MediaTap, Mode};
use crate::media::leg::MediaLeg;

#[derive(Default)]
pub struct AgentLink {
    bridge: Option<Bridge>,
    agent: Option<String>,
    tap: Arc<CountingTap>,
}

impl AgentLink {
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
        self.bridge = Some(Bridge::start(
            caller,
            agent_leg,
            Arc::clone(&self.tap) as Arc<dyn MediaTap>,
        ));
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
        self.agent.take()
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
        bridge.set_mode(if on { Mode::Held } else { Mode::Talking });
        steps.step(Step::Hold { on });
        true
    }

    /// Cuts the agent's microphone at our side (not while held).
    pub fn mute(&self, on: bool) {
        if let Some(bridge) = &self.bridge {
            if bridge.mode() != Mode::Held {
                bridge.set_mode(if on { Mode::Muted } else { Mode::Talking });
            }
        }
    }
}
