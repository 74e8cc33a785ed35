//! The two sides of a bridged call on one 20 ms clock, as stereo PCM (caller left, agent
//! right). Sans-IO: frames come in with the time they reached the tap, samples go out once a
//! slot is old enough that no frame of it can still arrive; the recorder's thread drives it
//! and owns the file.
//!
//! A frame belongs to the slot of its arrival time, or to the next slot its side has not yet
//! filled (two frames of one side never overwrite each other: a burst after a network pause
//! fills consecutive slots). A side that sent nothing in a slot is silence there. While held
//! neither side is kept and while muted the agent's side is not: those stretches are silence
//! in the file and marks in the recording's row, never speech.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::media::bridge::{Direction, Mode};
use crate::media::g711::Law;

/// Samples per 20 ms slot at 8 kHz.
pub const SLOT_SAMPLES: usize = 160;
pub const SLOT: Duration = Duration::from_millis(20);
/// How far behind the newest time a slot is written: frames delayed by up to this much
/// (jitter, a busy runtime) still land in their own slot.
pub const LAG_SLOTS: u64 = 10;
/// A frame whose side already runs this many slots ahead of its arrival time is surplus (a
/// sender faster than 50 frames a second): it is counted, not written.
const MAX_AHEAD_SLOTS: u64 = 25;

/// One side's frames waiting for their slot.
#[derive(Debug, Default)]
struct Side {
    pending: BTreeMap<u64, Vec<i16>>,
    /// The next slot this side may fill.
    next: u64,
}

impl Side {
    fn place(&mut self, arrival_slot: u64, written: u64, samples: Vec<i16>) -> bool {
        let slot = arrival_slot.max(self.next).max(written);
        if slot > arrival_slot + MAX_AHEAD_SLOTS {
            return false;
        }
        self.pending.insert(slot, samples);
        self.next = slot + 1;
        true
    }

    fn take(&mut self, slot: u64) -> Option<Vec<i16>> {
        self.pending.remove(&slot)
    }
}

#[derive(Debug)]
pub struct Mixer {
    caller: Side,
    agent: Side,
    /// The mode from a slot on, in slot order.
    modes: Vec<(u64, Mode)>,
    /// Slots before this one are out.
    written: u64,
    surplus: u64,
}

impl Default for Mixer {
    fn default() -> Self {
        Mixer {
            caller: Side::default(),
            agent: Side::default(),
            modes: vec![(0, Mode::Talking)],
            written: 0,
            surplus: 0,
        }
    }
}

pub fn slot_of(at: Duration) -> u64 {
    u64::try_from(at.as_millis() / SLOT.as_millis()).unwrap_or(u64::MAX)
}

impl Mixer {
    /// A µ-law frame from one side that reached the tap `at` after the recording began.
    pub fn frame(&mut self, direction: Direction, at: Duration, ulaw: &[u8]) {
        let mut samples = Law::Ulaw.decode(ulaw);
        samples.resize(SLOT_SAMPLES, 0);
        let side = match direction {
            Direction::FromCaller => &mut self.caller,
            Direction::FromAgent => &mut self.agent,
        };
        if !side.place(slot_of(at), self.written, samples) {
            self.surplus += 1;
        }
    }

    /// The bridge's mode from `at` on.
    pub fn mode(&mut self, at: Duration, mode: Mode) {
        let slot = slot_of(at).max(self.written);
        self.modes.retain(|(from, _)| *from < slot);
        self.modes.push((slot, mode));
    }

    /// Frames that could not be placed (a side sending faster than the clock).
    pub fn surplus(&self) -> u64 {
        self.surplus
    }

    /// Slots written so far (the recording's length in 20 ms).
    pub fn slots_written(&self) -> u64 {
        self.written
    }

    /// Interleaved stereo samples of every slot old enough at `now`.
    pub fn ready(&mut self, now: Duration) -> Vec<i16> {
        let until = slot_of(now).saturating_sub(LAG_SLOTS);
        self.emit_until(until)
    }

    /// Everything left, up to the later of `end` and the last frame placed (the call is over).
    pub fn finish(&mut self, end: Duration) -> Vec<i16> {
        let last = self.caller.next.max(self.agent.next).max(slot_of(end));
        self.emit_until(last)
    }

    fn emit_until(&mut self, until: u64) -> Vec<i16> {
        let mut out =
            Vec::with_capacity(usize::try_from(until.saturating_sub(self.written)).unwrap_or(0) * SLOT_SAMPLES * 2);
        while self.written < until {
            let slot = self.written;
            let mode = self.mode_at(slot);
            let left = self.caller.take(slot).filter(|_| mode != Mode::Held);
            let right = self.agent.take(slot).filter(|_| mode == Mode::Talking);
            for n in 0..SLOT_SAMPLES {
                out.push(left.as_ref().map_or(0, |s| s[n]));
                out.push(right.as_ref().map_or(0, |s| s[n]));
            }
            self.written += 1;
        }
        // Modes before the last one in force are history.
        let current = self
            .modes
            .iter()
            .rposition(|(from, _)| *from <= self.written)
            .unwrap_or(0);
        self.modes.drain(..current);
        out
    }

    fn mode_at(&self, slot: u64) -> Mode {
        self.modes
            .iter()
            .rev()
            .find(|(from, _)| *from <= slot)
            .map_or(Mode::Talking, |(_, mode)| *mode)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A µ-law frame whose samples all decode to about `level`.
    fn frame_of(level: i16) -> Vec<u8> {
        Law::Ulaw.encode(&[level; SLOT_SAMPLES])
    }

    /// (left, right) level of each slot in interleaved output.
    fn slots(samples: &[i16]) -> Vec<(i16, i16)> {
        samples
            .chunks(SLOT_SAMPLES * 2)
            .map(|slot| (slot[0], slot[1]))
            .collect()
    }

    #[test]
    fn each_side_lands_in_its_own_channel_and_a_missing_frame_is_silence() {
        let mut mixer = Mixer::default();
        mixer.frame(Direction::FromCaller, ms(1), &frame_of(1000));
        mixer.frame(Direction::FromAgent, ms(5), &frame_of(-2000));
        mixer.frame(Direction::FromCaller, ms(41), &frame_of(1000));
        let out = mixer.finish(ms(60));
        let got = slots(&out);
        assert_eq!(got.len(), 3);
        assert!(got[0].0 > 900 && got[0].1 < -1900, "{got:?}");
        assert_eq!(got[1], (0, 0), "nobody sent in the second slot");
        assert!(got[2].0 > 900 && got[2].1 == 0);
    }

    #[test]
    fn a_burst_after_a_pause_fills_consecutive_slots_instead_of_overwriting() {
        let mut mixer = Mixer::default();
        // Three frames held up by the network arrive within a millisecond.
        for level in [100, 200, 300] {
            mixer.frame(Direction::FromCaller, ms(60), &frame_of(level));
        }
        let got = slots(&mixer.finish(ms(0)));
        let left: Vec<i16> = got.iter().map(|(l, _)| *l).collect();
        assert_eq!(left.len(), 6);
        assert_eq!(left[..3], [0, 0, 0]);
        assert!(
            (90..110).contains(&left[3]) && (190..210).contains(&left[4]) && (290..310).contains(&left[5]),
            "{left:?}"
        );
    }

    #[test]
    fn only_slots_older_than_the_lag_are_written_so_late_frames_still_fit() {
        let mut mixer = Mixer::default();
        assert!(mixer.ready(ms(100)).is_empty(), "5 slots are younger than the lag");
        let out = mixer.ready(SLOT * (LAG_SLOTS as u32 + 2));
        assert_eq!(out.len(), 2 * SLOT_SAMPLES * 2);
        // A frame for slot 1 (already written) arrives late: it goes to the first open slot.
        mixer.frame(Direction::FromAgent, ms(25), &frame_of(500));
        let got = slots(&mixer.finish(ms(0)));
        assert!(got[0].1 > 400, "{got:?}");
        assert_eq!(mixer.slots_written(), 3);
    }

    #[test]
    fn held_slots_are_silent_on_both_sides_and_muted_slots_on_the_agents() {
        let mut mixer = Mixer::default();
        for n in 0..6u64 {
            mixer.frame(Direction::FromCaller, ms(n * 20 + 1), &frame_of(1000));
            mixer.frame(Direction::FromAgent, ms(n * 20 + 2), &frame_of(1000));
        }
        mixer.mode(ms(40), Mode::Held);
        mixer.mode(ms(80), Mode::Muted);
        mixer.mode(ms(100), Mode::Talking);
        let got: Vec<(bool, bool)> = slots(&mixer.finish(ms(120)))
            .iter()
            .map(|(l, r)| (*l != 0, *r != 0))
            .collect();
        assert_eq!(
            got,
            [
                (true, true),
                (true, true),
                (false, false),
                (false, false),
                (true, false),
                (true, true)
            ]
        );
    }

    #[test]
    fn a_side_sending_too_fast_is_counted_not_stretched() {
        let mut mixer = Mixer::default();
        for _ in 0..(MAX_AHEAD_SLOTS + 5) {
            mixer.frame(Direction::FromAgent, ms(0), &frame_of(10));
        }
        assert_eq!(mixer.surplus(), 4);
    }
}
