//! A recording on disk: 8 kHz 16-bit stereo PCM WAV (caller left, agent right), which every
//! browser plays, 115.2 MB per hour of call. The header is rewritten every second while the
//! call goes on, so the file on disk is a playable WAV at any moment: a crash loses at most
//! the last second written and what still waited in the recorder's buffer.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use super::mixer::SLOT_SAMPLES;

pub const SAMPLE_RATE: u32 = 8000;
pub const CHANNELS: u16 = 2;
/// Bytes of the canonical 44-byte header hound writes for PCM.
const HEADER_BYTES: u64 = 44;
/// Bytes of one second of audio.
pub const BYTES_PER_SECOND: u64 = SAMPLE_RATE as u64 * CHANNELS as u64 * 2;

#[derive(Debug, thiserror::Error)]
pub enum RecordingFileError {
    #[error("cannot write the recording {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the recording {path} is not a WAV file we wrote: {reason}")]
    Foreign { path: String, reason: String },
}

fn spec() -> hound::WavSpec {
    hound::WavSpec {
        channels: CHANNELS,
        sample_rate: SAMPLE_RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    }
}

/// What a finished file is: its length, size and checksum, stored with the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finished {
    pub duration_ms: i64,
    pub bytes: i64,
    pub sha256: String,
}

pub struct RecordingFile {
    path: String,
    writer: hound::WavWriter<BufWriter<File>>,
}

fn io_error(path: &str) -> impl FnOnce(hound::Error) -> RecordingFileError + '_ {
    move |e| RecordingFileError::Write {
        path: path.to_string(),
        source: match e {
            hound::Error::IoError(io) => io,
            other => std::io::Error::other(other.to_string()),
        },
    }
}

impl RecordingFile {
    pub fn create(path: &Path) -> Result<RecordingFile, RecordingFileError> {
        let shown = path.display().to_string();
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| RecordingFileError::Write {
                path: shown.clone(),
                source,
            })?;
        }
        let writer = hound::WavWriter::create(path, spec()).map_err(io_error(&shown))?;
        Ok(RecordingFile { path: shown, writer })
    }

    /// Interleaved stereo samples.
    pub fn write(&mut self, samples: &[i16]) -> Result<(), RecordingFileError> {
        if samples.is_empty() {
            return Ok(());
        }
        let mut out = self
            .writer
            .get_i16_writer(u32::try_from(samples.len()).unwrap_or(u32::MAX));
        for sample in samples {
            out.write_sample(*sample);
        }
        out.flush().map_err(io_error(&self.path))
    }

    /// Writes the header for what is on disk so far and hands the bytes to the OS.
    pub fn checkpoint(&mut self) -> Result<(), RecordingFileError> {
        self.writer.flush().map_err(io_error(&self.path))
    }

    pub fn finish(self, path: &Path) -> Result<Finished, RecordingFileError> {
        self.writer.finalize().map_err(io_error(&self.path))?;
        describe(path)
    }
}

/// Duration, size and sha256 of a recording file.
pub fn describe(path: &Path) -> Result<Finished, RecordingFileError> {
    let shown = path.display().to_string();
    let failed = |source| RecordingFileError::Write {
        path: shown.clone(),
        source,
    };
    let mut file = File::open(path).map_err(failed)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut buffer).map_err(failed)?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&buffer[..n]);
    }
    let audio = bytes.saturating_sub(HEADER_BYTES);
    Ok(Finished {
        duration_ms: i64::try_from(audio * 1000 / BYTES_PER_SECOND).unwrap_or(i64::MAX),
        bytes: i64::try_from(bytes).unwrap_or(i64::MAX),
        sha256: hex(&hasher.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Makes a file cut short by a crash whole again: the audio after the last header rewrite is
/// kept (cut to whole slots), and the header is made to say so.
pub fn repair(path: &Path) -> Result<Finished, RecordingFileError> {
    let shown = path.display().to_string();
    let failed = |source| RecordingFileError::Write {
        path: shown.clone(),
        source,
    };
    let mut file = OpenOptions::new().read(true).write(true).open(path).map_err(failed)?;
    let mut header = [0u8; HEADER_BYTES as usize];
    let len = file.metadata().map_err(failed)?.len();
    if len < HEADER_BYTES {
        return Err(RecordingFileError::Foreign {
            path: shown.clone(),
            reason: format!("{len} bytes, shorter than a header"),
        });
    }
    file.read_exact(&mut header).map_err(failed)?;
    if &header[0..4] != b"RIFF" || &header[8..12] != b"WAVE" || &header[36..40] != b"data" {
        return Err(RecordingFileError::Foreign {
            path: shown.clone(),
            reason: "no RIFF/WAVE header with its data chunk at byte 36".into(),
        });
    }
    let slot_bytes = (SLOT_SAMPLES as u64) * u64::from(CHANNELS) * 2;
    let audio = (len - HEADER_BYTES) / slot_bytes * slot_bytes;
    file.set_len(HEADER_BYTES + audio).map_err(failed)?;
    let riff = u32::try_from(36 + audio).unwrap_or(u32::MAX);
    let data = u32::try_from(audio).unwrap_or(u32::MAX);
    file.seek(SeekFrom::Start(4)).map_err(failed)?;
    file.write_all(&riff.to_le_bytes()).map_err(failed)?;
    file.seek(SeekFrom::Start(40)).map_err(failed)?;
    file.write_all(&data.to_le_bytes()).map_err(failed)?;
    file.sync_all().map_err(failed)?;
    drop(file);
    describe(path)
}

/// One channel of a recording (0 left/caller, 1 right/agent) as 8 kHz samples; a mono file
/// gives its only channel. Any WAV hound reads: the transcription CLI takes other files too.
pub fn read_channel(path: &Path, channel: usize) -> Result<(Vec<i16>, u32), RecordingFileError> {
    let shown = path.display().to_string();
    let foreign = |e: hound::Error| RecordingFileError::Foreign {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let mut reader = hound::WavReader::open(path).map_err(foreign)?;
    let spec = reader.spec();
    let channels = usize::from(spec.channels.max(1));
    let channel = channel.min(channels - 1);
    let samples: Vec<i16> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => reader
            .samples::<i16>()
            .skip(channel)
            .step_by(channels)
            .collect::<Result<_, _>>()
            .map_err(foreign)?,
        (hound::SampleFormat::Int, bits) if bits <= 32 => {
            let shift = bits.saturating_sub(16);
            reader
                .samples::<i32>()
                .skip(channel)
                .step_by(channels)
                .map(|s| s.map(|v| (v >> shift) as i16))
                .collect::<Result<_, _>>()
                .map_err(foreign)?
        }
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .skip(channel)
            .step_by(channels)
            .map(|s| s.map(|v| (v.clamp(-1.0, 1.0) * 32767.0) as i16))
            .collect::<Result<_, _>>()
            .map_err(foreign)?,
        (format, bits) => {
            return Err(RecordingFileError::Foreign {
                path: shown,
                reason: format!("{bits}-bit {format:?} samples"),
            });
        }
    };
    Ok((samples, spec.sample_rate))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_playable_at_every_checkpoint_and_a_crash_keeps_what_was_written() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.wav");
        let mut file = RecordingFile::create(&path).expect("create");
        let second: Vec<i16> = (0..SAMPLE_RATE * 2).map(|n| (n % 100) as i16).collect();
        file.write(&second).expect("write");
        file.checkpoint().expect("checkpoint");
        // What a reader sees now: one second, a valid header.
        let reader = hound::WavReader::open(&path).expect("valid after a checkpoint");
        assert_eq!(reader.duration(), SAMPLE_RATE);
        // Half a second more, then the process dies (the writer is leaked, never finalised).
        file.write(&second[..SAMPLE_RATE as usize]).expect("write");
        std::mem::forget(file);
        let repaired = repair(&path).expect("repair");
        assert_eq!(repaired.duration_ms, 1500);
        assert_eq!(repaired.bytes, 44 + 3 * BYTES_PER_SECOND as i64 / 2);
        let (left, rate) = read_channel(&path, 0).expect("read");
        assert_eq!((left.len(), rate), (12000, SAMPLE_RATE));
        assert_eq!(left[..3], [0, 2, 4]);
        let (right, _) = read_channel(&path, 1).expect("read");
        assert_eq!(right[..3], [1, 3, 5]);
    }

    #[test]
    fn a_finished_file_reports_its_length_size_and_checksum() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.wav");
        let mut file = RecordingFile::create(&path).expect("create");
        file.write(&vec![0i16; (SAMPLE_RATE * 2 * 3) as usize]).expect("write");
        let finished = file.finish(&path).expect("finish");
        assert_eq!(finished.duration_ms, 3000);
        assert_eq!(finished.bytes, 44 + 3 * BYTES_PER_SECOND as i64);
        let bytes = std::fs::read(&path).expect("read");
        assert_eq!(finished.sha256, hex(&Sha256::digest(&bytes)));
    }

    #[test]
    fn a_file_that_is_not_ours_is_refused_by_repair() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("x.wav");
        std::fs::write(&path, b"not a wav at all, but longer than forty-four bytes......").expect("write");
        assert!(matches!(repair(&path), Err(RecordingFileError::Foreign { .. })));
    }
}
