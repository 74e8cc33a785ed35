//! One channel to masked segments: voice activity → windows of speech → whisper → times back
//! on the channel's clock → masking. The workers and `tsunagu recordings transcribe` both run
//! exactly this.

use super::TranscriptError;
use super::mask;
use super::splice::{self, Window};
use super::voice;
use super::whisper::{Engine, RawSegment};

/// whisper hears 16 kHz.
const WHISPER_RATE: usize = 16_000;
/// A segment whisper itself thinks is more likely no speech than this is left out.
const NO_SPEECH_LIMIT: f32 = 0.8;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Segment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub text: String,
    /// Masking rules that fired in this segment (names only).
    pub masked: Vec<&'static str>,
}

/// Linear interpolation to 16 kHz, as floats. A resampler crate would do better at high
/// frequencies; telephone audio has nothing above 4 kHz, where this is exact enough.
pub fn to_whisper_audio(samples: &[i16], rate: usize) -> Vec<f32> {
    if samples.is_empty() || rate == 0 {
        return Vec::new();
    }
    let out_len = samples.len() * WHISPER_RATE / rate;
    (0..out_len)
        .map(|n| {
            let position = n as f64 * rate as f64 / WHISPER_RATE as f64;
            let i = position.floor() as usize;
            let frac = position - i as f64;
            let a = f64::from(samples[i.min(samples.len() - 1)]);
            let b = f64::from(samples[(i + 1).min(samples.len() - 1)]);
            ((a + (b - a) * frac) / 32768.0) as f32
        })
        .collect()
}

/// What a window's raw segments say, on the channel's clock (ms), empty text and likely
/// non-speech left out.
fn placed(window: &Window, raw: &[RawSegment], rate: usize) -> Vec<(i64, i64, String)> {
    let to_ms = |window_ms: i64| -> i64 {
        let sample = usize::try_from(window_ms.max(0)).unwrap_or(0) * rate / 1000;
        i64::try_from(window.to_source(sample) * 1000 / rate).unwrap_or(i64::MAX)
    };
    raw.iter()
        .filter(|s| !s.text.is_empty() && s.no_speech < NO_SPEECH_LIMIT)
        .filter(|s| !is_annotation(&s.text))
        .map(|s| (to_ms(s.start_ms), to_ms(s.end_ms), s.text.clone()))
        .collect()
}

/// Whisper's bracketed non-speech notes ("[音楽]", "(拍手)", "[BLANK_AUDIO]").
fn is_annotation(text: &str) -> bool {
    let t = text.trim();
    let bracketed = |open: char, close: char| t.starts_with(open) && t.ends_with(close);
    bracketed('[', ']') || bracketed('(', ')') || bracketed('（', '）') || bracketed('【', '】') || bracketed('♪', '♪')
}

/// Transcribes one channel (`rate` samples a second) in `lang` (whisper's code; None guesses).
pub fn transcribe_channel(
    engine: &Engine,
    samples: &[i16],
    rate: usize,
    lang: Option<&str>,
) -> Result<Vec<Segment>, TranscriptError> {
    let regions = voice::speech_regions(samples, rate);
    if regions.is_empty() {
        return Ok(Vec::new());
    }
    let windows = splice::windows(&regions, rate);
    let audio: Vec<Vec<f32>> = windows
        .iter()
        .map(|w| to_whisper_audio(&w.audio(samples), rate))
        .collect();
    let heard = engine.transcribe(&audio, lang)?;
    let mut found: Vec<(i64, i64, String)> = Vec::new();
    for (window, raw) in windows.iter().zip(&heard) {
        found.extend(placed(window, raw, rate));
    }
    let texts: Vec<String> = found.iter().map(|(_, _, text)| text.clone()).collect();
    let masked = mask::mask_segments(&texts);
    Ok(found
        .into_iter()
        .zip(masked)
        .map(|((start_ms, end_ms, _), masked)| Segment {
            start_ms,
            end_ms,
            masked: masked.rules.iter().map(|r| r.name()).collect(),
            text: masked.text,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eight_khz_becomes_sixteen_with_every_second_sample_in_between() {
        let out = to_whisper_audio(&[0, 16384, -16384], 8000);
        assert_eq!(out.len(), 6);
        assert_eq!(out[0], 0.0);
        assert!((out[1] - 0.25).abs() < 1e-6);
        assert!((out[2] - 0.5).abs() < 1e-6);
        assert!((out[4] + 0.5).abs() < 1e-6);
    }

    #[test]
    fn whispers_notes_on_noise_and_music_are_not_speech() {
        for note in ["[音楽]", "(拍手)", "[BLANK_AUDIO]", "（笑）", "♪～♪"] {
            assert!(is_annotation(note), "{note}");
        }
        assert!(!is_annotation("はい、[確認]します"));
    }

    #[test]
    fn segments_are_placed_on_the_channels_clock() {
        let regions = [voice::Region {
            start: 80_000,
            end: 96_000,
        }];
        let windows = splice::windows(&regions, 8000);
        let raw = [
            RawSegment {
                start_ms: 500,
                end_ms: 1500,
                text: "はい".into(),
                no_speech: 0.1,
            },
            RawSegment {
                start_ms: 1500,
                end_ms: 1900,
                text: "".into(),
                no_speech: 0.1,
            },
            RawSegment {
                start_ms: 0,
                end_ms: 400,
                text: "ご視聴ありがとうございました".into(),
                no_speech: 0.95,
            },
        ];
        assert_eq!(placed(&windows[0], &raw, 8000), [(10_500, 11_500, "はい".to_string())]);
    }
}
