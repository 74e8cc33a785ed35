//! Prompt audio from WAV files: 16-bit PCM mono at 8, 16 or 48 kHz (or G.711 at 8 kHz),
//! brought to 8 kHz once at load time and kept as linear samples; each call then only
//! copies 160-byte frames of the encoded prompt.

use std::path::Path;

use super::g711;

#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("{path}: cannot read: {source}")]
    Read { path: String, source: hound::Error },
    #[error("{path}: {what} (prompts must be mono, 16-bit PCM at 8, 16 or 48 kHz, or G.711 at 8 kHz)")]
    Format { path: String, what: String },
    #[error("{path}: the prompt is empty")]
    Empty { path: String },
    #[error("{path}: the prompt lasts {seconds:.1} s, longer than the {limit} s allowed")]
    TooLong { path: String, seconds: f64, limit: u32 },
}

/// The longest prompt we accept (hold music loops are cut to this too).
pub const MAX_PROMPT_SECONDS: u32 = 600;

/// Reads a prompt and returns it as 8 kHz 16-bit samples.
pub fn load_8k(path: &Path) -> Result<Vec<i16>, WavError> {
    let name = path.display().to_string();
    if let Some(samples) = g711_wav(path, &name)? {
        return check_length(samples, name);
    }
    let mut reader = hound::WavReader::open(path).map_err(|source| WavError::Read {
        path: name.clone(),
        source,
    })?;
    let spec = reader.spec();
    let format_error = |what: String| WavError::Format {
        path: name.clone(),
        what,
    };
    if spec.channels != 1 {
        return Err(format_error(format!("{} channels", spec.channels)));
    }
    let samples: Vec<i16> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Int, 16) => {
            reader
                .samples::<i16>()
                .collect::<Result<_, _>>()
                .map_err(|source| WavError::Read {
                    path: name.clone(),
                    source,
                })?
        }
        (format, bits) => return Err(format_error(format!("{bits}-bit {format:?} samples"))),
    };
    let resampled = match spec.sample_rate {
        8000 => samples,
        16000 => decimate(&samples, 2),
        48000 => decimate(&samples, 6),
        rate => return Err(format_error(format!("{rate} Hz"))),
    };
    check_length(resampled, name)
}

fn check_length(samples: Vec<i16>, name: String) -> Result<Vec<i16>, WavError> {
    if samples.is_empty() {
        return Err(WavError::Empty { path: name });
    }
    let seconds = samples.len() as f64 / 8000.0;
    if seconds > f64::from(MAX_PROMPT_SECONDS) {
        return Err(WavError::TooLong {
            path: name,
            seconds,
            limit: MAX_PROMPT_SECONDS,
        });
    }
    Ok(samples)
}

/// A G.711 WAV file (format 7 µ-law or 6 A-law, 8 kHz mono), which hound does not read: the
/// RIFF chunks are walked here. `None` when the file is not G.711 (hound takes it from there).
fn g711_wav(path: &Path, name: &str) -> Result<Option<Vec<i16>>, WavError> {
    let bytes = std::fs::read(path).map_err(|e| WavError::Read {
        path: name.to_string(),
        source: hound::Error::IoError(e),
    })?;
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Ok(None);
    }
    let format_error = |what: String| WavError::Format {
        path: name.to_string(),
        what,
    };
    let mut at = 12;
    let mut law = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32::from_le_bytes([bytes[at + 4], bytes[at + 5], bytes[at + 6], bytes[at + 7]]) as usize;
        let body = &bytes[at + 8..(at + 8 + size).min(bytes.len())];
        if id == b"fmt " && body.len() >= 16 {
            let tag = u16::from_le_bytes([body[0], body[1]]);
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
            law = match tag {
                7 => Some(g711::Law::Ulaw),
                6 => Some(g711::Law::Alaw),
                _ => return Ok(None),
            };
            if channels != 1 || rate != 8000 {
                return Err(format_error(format!("G.711 with {channels} channels at {rate} Hz")));
            }
        }
        if id == b"data" {
            let Some(law) = law else {
                return Err(format_error("data before the format chunk".to_string()));
            };
            return Ok(Some(law.decode(body)));
        }
        at += 8 + size + size % 2; // chunks are padded to an even size
    }
    match law {
        Some(_) => Err(format_error("no data chunk".to_string())),
        None => Ok(None),
    }
}

/// Low-pass filters below the new Nyquist frequency (4 kHz) and keeps every `factor`th sample.
/// A windowed-sinc FIR is enough for speech prompts with integer ratios; a general resampler
/// crate (rubato) would add a dependency for rates we refuse anyway.
fn decimate(samples: &[i16], factor: usize) -> Vec<i16> {
    let taps = lowpass_taps(factor, 16 * factor + 1);
    let half = taps.len() / 2;
    (0..samples.len())
        .step_by(factor)
        .map(|center| {
            let acc: f64 = taps
                .iter()
                .enumerate()
                .filter_map(|(k, tap)| {
                    let index = (center + k).checked_sub(half)?;
                    samples.get(index).map(|&s| f64::from(s) * tap)
                })
                .sum();
            acc.round().clamp(f64::from(i16::MIN), f64::from(i16::MAX)) as i16
        })
        .collect()
}

/// Hamming-windowed sinc with its cut-off at 0.9 × the output Nyquist frequency, unit DC gain.
fn lowpass_taps(factor: usize, len: usize) -> Vec<f64> {
    let cutoff = 0.9 / (2.0 * factor as f64); // in cycles per input sample
    let mid = (len / 2) as f64;
    let raw: Vec<f64> = (0..len)
        .map(|n| {
            let x = n as f64 - mid;
            let sinc = if x == 0.0 {
                2.0 * cutoff
            } else {
                (2.0 * std::f64::consts::PI * cutoff * x).sin() / (std::f64::consts::PI * x)
            };
            let window = 0.54 - 0.46 * (2.0 * std::f64::consts::PI * n as f64 / (len - 1) as f64).cos();
            sinc * window
        })
        .collect();
    let sum: f64 = raw.iter().sum();
    raw.into_iter().map(|t| t / sum).collect()
}

/// A prompt encoded for one law, cut into 20 ms frames (the last one padded with silence).
pub fn frames(samples: &[i16], law: g711::Law) -> Vec<bytes::Bytes> {
    let encoded = law.encode(samples);
    encoded
        .chunks(super::rtp_out::SAMPLES_PER_FRAME as usize)
        .map(|chunk| {
            let mut frame = chunk.to_vec();
            frame.resize(super::rtp_out::SAMPLES_PER_FRAME as usize, law.silence());
            bytes::Bytes::from(frame)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_wav(path: &Path, rate: u32, channels: u16, samples: &[i16]) {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut writer = hound::WavWriter::create(path, spec).unwrap_or_else(|e| panic!("{e}"));
        for &s in samples {
            writer.write_sample(s).unwrap_or_else(|e| panic!("{e}"));
        }
        writer.finalize().unwrap_or_else(|e| panic!("{e}"));
    }

    fn tone(rate: u32, hz: f64, seconds: f64) -> Vec<i16> {
        (0..(f64::from(rate) * seconds) as usize)
            .map(|n| ((2.0 * std::f64::consts::PI * hz * n as f64 / f64::from(rate)).sin() * 10_000.0) as i16)
            .collect()
    }

    fn rms(samples: &[i16]) -> f64 {
        (samples.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / samples.len() as f64).sqrt()
    }

    #[test]
    fn resamples_16_and_48_khz_keeping_speech_and_removing_what_8_khz_cannot_carry() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        for rate in [8000, 16000, 48000] {
            let path = dir.path().join(format!("{rate}.wav"));
            write_wav(&path, rate, 1, &tone(rate, 440.0, 1.0));
            let out = load_8k(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(out.len(), 8000, "{rate} Hz: one second at 8 kHz");
            let level = rms(&out[200..7800]);
            assert!(
                (level - 7071.0).abs() < 300.0,
                "{rate} Hz: a 440 Hz tone keeps its level, got {level}"
            );
        }
        // 6 kHz cannot exist at 8 kHz: it must be filtered out, not folded to 2 kHz.
        let path = dir.path().join("alias.wav");
        write_wav(&path, 48000, 1, &tone(48000, 6000.0, 1.0));
        let out = load_8k(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(rms(&out[200..7800]) < 300.0, "aliasing: {}", rms(&out[200..7800]));
    }

    #[test]
    fn refuses_what_it_cannot_play_with_a_clear_message() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let stereo = dir.path().join("stereo.wav");
        write_wav(&stereo, 8000, 2, &[0; 160]);
        let err = load_8k(&stereo).map(|_| ()).unwrap_err().to_string();
        assert!(err.contains("stereo.wav: 2 channels"), "{err}");
        let odd = dir.path().join("odd.wav");
        write_wav(&odd, 22050, 1, &[0; 160]);
        assert!(load_8k(&odd).map(|_| ()).unwrap_err().to_string().contains("22050 Hz"));
        let empty = dir.path().join("empty.wav");
        write_wav(&empty, 8000, 1, &[]);
        assert!(load_8k(&empty).map(|_| ()).unwrap_err().to_string().contains("empty"));
        let text = dir.path().join("text.wav");
        std::fs::write(&text, "not a wav").unwrap_or_else(|e| panic!("{e}"));
        assert!(
            load_8k(&text)
                .map(|_| ())
                .unwrap_err()
                .to_string()
                .contains("text.wav: cannot read")
        );
    }

    #[test]
    fn g711_wav_files_load_as_they_are() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let samples: Vec<i16> = tone(8000, 440.0, 0.5);
        for (tag, law) in [(7u16, g711::Law::Ulaw), (6u16, g711::Law::Alaw)] {
            let data = law.encode(&samples);
            let mut file = Vec::new();
            file.extend_from_slice(b"RIFF");
            file.extend_from_slice(&(4 + 8 + 18 + 8 + data.len() as u32).to_le_bytes());
            file.extend_from_slice(b"WAVEfmt ");
            file.extend_from_slice(&18u32.to_le_bytes());
            for v in [tag, 1] {
                file.extend_from_slice(&v.to_le_bytes());
            }
            file.extend_from_slice(&8000u32.to_le_bytes());
            file.extend_from_slice(&8000u32.to_le_bytes());
            for v in [1u16, 8, 0] {
                file.extend_from_slice(&v.to_le_bytes());
            }
            file.extend_from_slice(b"data");
            file.extend_from_slice(&(data.len() as u32).to_le_bytes());
            file.extend_from_slice(&data);
            let path = dir.path().join(format!("g711-{tag}.wav"));
            std::fs::write(&path, &file).unwrap_or_else(|e| panic!("{e}"));
            let loaded = load_8k(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(loaded, law.decode(&data), "format {tag}");
            // Encoding again gives the same bytes: a G.711 prompt is played as it was recorded.
            assert_eq!(law.encode(&loaded), data);
        }
    }

    #[test]
    fn frames_are_160_bytes_with_the_tail_padded_with_silence() {
        let frames = frames(&[1000; 400], g711::Law::Ulaw);
        assert_eq!(frames.len(), 3);
        assert!(frames.iter().all(|f| f.len() == 160));
        assert_eq!(frames[2][79], g711::linear_to_ulaw(1000));
        assert_eq!(frames[2][80], 0xFF);
    }
}
