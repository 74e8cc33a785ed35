//! Where someone speaks in one channel, so that whisper only ever hears speech: on silence and
//! on steady noise it invents text ("ご視聴ありがとうございました"). Offline, over the whole
//! channel at once (the call is over when it is transcribed), so the noise floor is measured
//! from the channel itself rather than guessed.
//!
//! A 20 ms frame is voiced when its level stands at least [`ABOVE_FLOOR_DB`] above the
//! channel's floor (the quietest tenth of its non-silent frames) and above [`ABSOLUTE_DB`]. Steady
//! noise, however loud, never stands out from itself; a channel that is digital silence has
//! no frames to measure. Voiced frames closer than [`BRIDGE_MS`] are one region, regions with
//! less than [`MIN_VOICED_MS`] of voice are dropped (clicks, a cough), and each region is widened
//! by [`PAD_MS`] so that word onsets and tails are not cut.

const FRAME_MS: usize = 20;
pub const ABOVE_FLOOR_DB: f64 = 10.0;
pub const ABSOLUTE_DB: f64 = -50.0;
/// Frames quieter than this are digital silence (the recorder's fill), not part of the floor.
const SILENCE_DB: f64 = -75.0;
pub const BRIDGE_MS: usize = 400;
pub const MIN_VOICED_MS: usize = 200;
pub const PAD_MS: usize = 200;

/// A stretch of speech, in samples of the channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    pub start: usize,
    pub end: usize,
}

/// Level of a frame in dB below full scale.
fn level_db(frame: &[i16]) -> f64 {
    if frame.is_empty() {
        return f64::NEG_INFINITY;
    }
    let power = frame.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / frame.len() as f64;
    10.0 * (power / (32768.0 * 32768.0)).max(1e-12).log10()
}

/// The regions of speech in a channel of `rate` samples a second.
pub fn speech_regions(samples: &[i16], rate: usize) -> Vec<Region> {
    let frame = (rate * FRAME_MS / 1000).max(1);
    let levels: Vec<f64> = samples.chunks(frame).map(level_db).collect();
    let mut heard: Vec<f64> = levels.iter().copied().filter(|l| *l > SILENCE_DB).collect();
    if heard.is_empty() {
        return Vec::new();
    }
    heard.sort_by(f64::total_cmp);
    let floor = heard[heard.len() / 10];
    let threshold = (floor + ABOVE_FLOOR_DB).max(ABSOLUTE_DB);
    let voiced: Vec<bool> = levels.iter().map(|l| *l > threshold).collect();

    let bridge = BRIDGE_MS / FRAME_MS;
    let mut regions: Vec<(usize, usize, usize)> = Vec::new(); // (first frame, last frame + 1, voiced frames)
    for (n, _) in voiced.iter().enumerate().filter(|(_, v)| **v) {
        match regions.last_mut() {
            Some((_, end, count)) if n <= *end + bridge => {
                *end = n + 1;
                *count += 1;
            }
            _ => regions.push((n, n + 1, 1)),
        }
    }
    let pad = PAD_MS / FRAME_MS;
    let mut out: Vec<Region> = Vec::new();
    for (first, end, count) in regions {
        if count * FRAME_MS < MIN_VOICED_MS {
            continue;
        }
        let start = first.saturating_sub(pad) * frame;
        let end = ((end + pad) * frame).min(samples.len());
        match out.last_mut() {
            Some(last) if start <= last.end => last.end = end,
            _ => out.push(Region { start, end }),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic pseudo-random sequence (xorshift), for noise.
    fn noise(len: usize, amplitude: f64, seed: u64) -> Vec<i16> {
        let mut x = seed.max(1);
        (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let unit = (x % 20001) as f64 / 10000.0 - 1.0;
                (unit * amplitude) as i16
            })
            .collect()
    }

    /// A syllable-like burst: a 200 Hz voice with a 4 Hz rise and fall.
    fn speech_like(seconds: f64, amplitude: f64) -> Vec<i16> {
        let len = (seconds * 8000.0) as usize;
        (0..len)
            .map(|n| {
                let t = n as f64 / 8000.0;
                let envelope = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * 4.0 * t).cos();
                (amplitude * envelope * (2.0 * std::f64::consts::PI * 200.0 * t).sin()) as i16
            })
            .collect()
    }

    #[test]
    fn digital_silence_has_no_speech() {
        assert!(speech_regions(&vec![0i16; 8000 * 10], 8000).is_empty());
        assert!(speech_regions(&[], 8000).is_empty());
    }

    #[test]
    fn steady_noise_has_no_speech_however_loud() {
        for amplitude in [300.0, 3000.0, 20000.0] {
            assert!(
                speech_regions(&noise(8000 * 20, amplitude, 7), 8000).is_empty(),
                "noise at {amplitude}"
            );
        }
    }

    #[test]
    fn speech_over_noise_is_found_where_it_is_with_its_padding() {
        let mut samples = noise(8000 * 10, 300.0, 3);
        let talk = speech_like(2.0, 12000.0);
        for (n, s) in talk.iter().enumerate() {
            samples[8000 * 4 + n] = samples[8000 * 4 + n].saturating_add(*s);
        }
        let regions = speech_regions(&samples, 8000);
        assert_eq!(regions.len(), 1, "{regions:?}");
        let Region { start, end } = regions[0];
        // Speech from 4.0 s to 6.0 s; padded by up to 0.2 s each side.
        assert!((8000 * 38 / 10..=8000 * 41 / 10).contains(&start), "{start}");
        assert!((8000 * 59 / 10..=8000 * 63 / 10).contains(&end), "{end}");
    }

    #[test]
    fn short_pauses_join_long_ones_split_and_clicks_are_dropped() {
        let mut samples = vec![0i16; 8000 * 12];
        let talk = speech_like(1.0, 10000.0);
        for offset in [8000, 8000 * 2 + 2400, 8000 * 8] {
            samples[offset..offset + talk.len()].copy_from_slice(&talk);
        }
        // A 60 ms click.
        for s in &mut samples[8000 * 11..8000 * 11 + 480] {
            *s = 20000;
        }
        let regions = speech_regions(&samples, 8000);
        assert_eq!(regions.len(), 2, "{regions:?}");
        assert!(regions[0].start < 8000 && regions[0].end > 8000 * 3 + 2400);
        assert!(regions[1].start >= 8000 * 7 && regions[1].end <= 8000 * 10);
    }
}
