//! One call's recording: a tap the bridge hands its frames to, and a thread that places them
//! on the 20 ms clock and writes the file. The audio path never waits here: frames go through
//! a bounded buffer of a few seconds, and a frame that finds it full is dropped and counted
//! (per call, and in the center's total on `/metrics`). Mode changes and the end of the call go
//! through their own channel, which is never full, so they are never the ones lost.

// The recorder is an edge: it stamps frames with the time they pass the tap, which is what
// places them on the recording's clock.
#![allow(clippy::disallowed_methods)]

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender, TrySendError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::oneshot;
use tracing::warn;

use super::file::{Finished, RecordingFile, RecordingFileError};
use super::mixer::{Mixer, SLOT};
use crate::media::bridge::{Direction, MediaTap, Mode};

/// How often the header is rewritten (what a crash can lose at most, beside the buffer).
const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);
/// How often the thread writes what is ready when no frame comes.
const TICK: Duration = Duration::from_millis(100);

/// What happened in the call, marked on the recording's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MarkKind {
    /// An agent joined (the first answer, or a transfer).
    Agent,
    AgentLeft,
    Hold,
    Unhold,
    Mute,
    Unmute,
}

impl MarkKind {
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Agent => "agent",
            MarkKind::AgentLeft => "agent_left",
            MarkKind::Hold => "hold",
            MarkKind::Unhold => "unhold",
            MarkKind::Mute => "mute",
            MarkKind::Unmute => "unmute",
        }
    }
}

/// What the thread reports when the file is closed.
#[derive(Debug)]
pub struct Outcome {
    pub file: Result<Finished, RecordingFileError>,
    /// Frames left out: the buffer's drops and the surplus of a side faster than the clock.
    pub dropped_frames: u64,
    /// The surplus alone (the buffer's drops are counted as they happen).
    pub surplus_frames: u64,
}

struct Frame {
    direction: Direction,
    at: Instant,
    payload: Bytes,
}

enum Control {
    Mode(Instant, Mode),
    Finish(Instant),
}

/// The frames' way into a recording; cheap to call on the media path.
pub struct RecordingTap {
    frames: SyncSender<Frame>,
    dropped: Arc<AtomicU64>,
    dropped_total: Arc<AtomicU64>,
}

impl MediaTap for RecordingTap {
    fn frame(&self, direction: Direction, payload: &Bytes) {
        let frame = Frame {
            direction,
            at: Instant::now(),
            payload: payload.clone(),
        };
        match self.frames.try_send(frame) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                self.dropped_total.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// A call's recording while it runs: owned by the call's task.
pub struct Recording {
    tap: Arc<RecordingTap>,
    control: Sender<Control>,
    done: Option<oneshot::Receiver<Outcome>>,
    started: Instant,
}

/// Where a recording goes and how much it may buffer.
pub struct RecordingSpec {
    pub path: PathBuf,
    /// Frames (both sides together) the buffer holds: 100 a second.
    pub buffer_frames: usize,
    /// The center's count of dropped frames, for `/metrics`.
    pub dropped_total: Arc<AtomicU64>,
    /// The call id, for the thread's name and its log lines.
    pub call_id: String,
}

impl Recording {
    /// Creates the file and starts the thread that writes it.
    pub fn start(spec: RecordingSpec) -> Result<Recording, RecordingFileError> {
        let file = RecordingFile::create(&spec.path)?;
        let (frames_tx, frames) = mpsc::sync_channel(spec.buffer_frames.max(1));
        let (control, control_rx) = mpsc::channel();
        let (done_tx, done) = oneshot::channel();
        let dropped = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let worker = Worker {
            file: Some(file),
            path: spec.path,
            frames,
            control: control_rx,
            started,
            mixer: Mixer::default(),
            dropped: Arc::clone(&dropped),
            call_id: spec.call_id.clone(),
        };
        let spawned = std::thread::Builder::new()
            .name(format!("rec-{}", spec.call_id))
            .spawn(move || {
                let outcome = worker.run();
                let _ = done_tx.send(outcome);
            });
        if let Err(e) = spawned {
            return Err(RecordingFileError::Write {
                path: spec.call_id,
                source: e,
            });
        }
        Ok(Recording {
            tap: Arc::new(RecordingTap {
                frames: frames_tx,
                dropped,
                dropped_total: spec.dropped_total,
            }),
            control,
            done: Some(done),
            started,
        })
    }

    pub fn tap(&self) -> Arc<RecordingTap> {
        Arc::clone(&self.tap)
    }

    pub fn mode(&self, mode: Mode) {
        let _ = self.control.send(Control::Mode(Instant::now(), mode));
    }

    /// Milliseconds since the recording began (where a mark goes on its timeline).
    pub fn elapsed_ms(&self) -> i64 {
        i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX)
    }

    /// Ends the recording now; the outcome comes once the file is closed.
    pub fn finish(mut self) -> oneshot::Receiver<Outcome> {
        let _ = self.control.send(Control::Finish(Instant::now()));
        match self.done.take() {
            Some(done) => done,
            None => oneshot::channel().1,
        }
    }
}

impl Drop for Recording {
    /// A recording dropped without `finish` (the call's task ended early) still closes its file.
    fn drop(&mut self) {
        if self.done.is_some() {
            let _ = self.control.send(Control::Finish(Instant::now()));
        }
    }
}

struct Worker {
    file: Option<RecordingFile>,
    path: PathBuf,
    frames: Receiver<Frame>,
    control: Receiver<Control>,
    started: Instant,
    mixer: Mixer,
    dropped: Arc<AtomicU64>,
    call_id: String,
}

impl Worker {
    fn since_start(&self, at: Instant) -> Duration {
        at.saturating_duration_since(self.started)
    }

    fn run(mut self) -> Outcome {
        let mut checkpoint = Instant::now();
        let mut failed: Option<RecordingFileError> = None;
        let end = loop {
            match self.frames.recv_timeout(TICK) {
                Ok(frame) => self.place(frame),
                Err(RecvTimeoutError::Timeout) => {}
                // Every tap is gone and nobody said finish: the call's task is gone.
                Err(RecvTimeoutError::Disconnected) => {
                    if let Some(end) = self.take_control() {
                        break end;
                    }
                    break Instant::now();
                }
            }
            if let Some(end) = self.take_control() {
                break end;
            }
            let ready = self.mixer.ready(self.since_start(Instant::now()));
            self.write(&ready, &mut failed);
            if checkpoint.elapsed() >= CHECKPOINT_EVERY {
                checkpoint = Instant::now();
                if let (Some(file), None) = (self.file.as_mut(), failed.as_ref()) {
                    if let Err(e) = file.checkpoint() {
                        failed = Some(e);
                    }
                }
            }
        };
        // Frames already in the buffer up to the end belong to the call.
        while let Ok(frame) = self.frames.try_recv() {
            if frame.at <= end + SLOT {
                self.place(frame);
            }
        }
        let rest = self.mixer.finish(self.since_start(end));
        self.write(&rest, &mut failed);
        let surplus = self.mixer.surplus();
        let file = match (failed, self.file.take()) {
            (Some(e), _) => Err(e),
            (None, Some(file)) => file.finish(&self.path),
            (None, None) => super::file::describe(&self.path),
        };
        if let Err(e) = &file {
            warn!(call_id = %self.call_id, "the recording could not be written: {e}");
        }
        Outcome {
            file,
            dropped_frames: self.dropped.load(Ordering::Relaxed) + surplus,
            surplus_frames: surplus,
        }
    }

    fn place(&mut self, frame: Frame) {
        let at = self.since_start(frame.at);
        self.mixer.frame(frame.direction, at, &frame.payload);
    }

    /// Applies the control messages waiting; the end time if the call is over.
    fn take_control(&mut self) -> Option<Instant> {
        while let Ok(control) = self.control.try_recv() {
            match control {
                Control::Mode(at, mode) => {
                    let at = self.since_start(at);
                    self.mixer.mode(at, mode);
                }
                Control::Finish(at) => return Some(at),
            }
        }
        None
    }

    fn write(&mut self, samples: &[i16], failed: &mut Option<RecordingFileError>) {
        if failed.is_some() {
            return;
        }
        if let Some(file) = self.file.as_mut() {
            if let Err(e) = file.write(samples) {
                *failed = Some(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::g711::Law;

    fn spec(dir: &std::path::Path, buffer_frames: usize) -> RecordingSpec {
        RecordingSpec {
            path: dir.join("2026/12/02/call.wav"),
            buffer_frames,
            dropped_total: Arc::default(),
            call_id: "call".into(),
        }
    }

    #[tokio::test]
    async fn a_recording_writes_both_sides() {
        let dir = tempfile::tempdir().expect("temp dir");
        let recording = Recording::start(spec(dir.path(), 500)).expect("start");
        let tap = recording.tap();
        let loud = Bytes::from(Law::Ulaw.encode(&[4000i16; 160]));
        for _ in 0..10 {
            tap.frame(Direction::FromCaller, &loud);
            tap.frame(Direction::FromAgent, &loud);
        }
        let outcome = recording.finish().await.expect("outcome");
        let finished = outcome.file.expect("file");
        assert_eq!(outcome.dropped_frames, 0);
        assert!(finished.bytes > 44);
        let (left, _) = super::super::file::read_channel(&dir.path().join("2026/12/02/call.wav"), 0).expect("read");
        assert!(
            left.iter().any(|s| *s > 3000),
            "the caller's frames are in the left channel"
        );
    }

    #[tokio::test]
    async fn a_full_buffer_drops_frames_and_counts_them_without_blocking() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut s = spec(dir.path(), 4);
        let total = Arc::new(AtomicU64::new(0));
        s.dropped_total = Arc::clone(&total);
        let path = s.path.clone();
        let recording = Recording::start(s).expect("start");
        let tap = recording.tap();
        let frame = Bytes::from(Law::Ulaw.encode(&[4000i16; 160]));
        for _ in 0..5000 {
            tap.frame(Direction::FromCaller, &frame);
        }
        let outcome = recording.finish().await.expect("outcome");
        outcome.file.expect("file");
        let buffer_drops = total.load(Ordering::Relaxed);
        assert!(buffer_drops > 0, "5000 frames at once overflow a 4-frame buffer");
        // Every frame is either in the file or counted (the buffer's drops, and the surplus of
        // frames arriving faster than the clock).
        let (left, _) = super::super::file::read_channel(&path, 0).expect("read");
        let written = left.chunks(160).filter(|slot| slot[0] > 3000).count() as u64;
        assert_eq!(written + outcome.dropped_frames, 5000);
        assert!(outcome.dropped_frames >= buffer_drops);
    }
}
