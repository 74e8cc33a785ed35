//! G.711 µ-law (PCMU) and A-law (PCMA), per ITU-T G.711 (the segment/bias form of the
//! reference implementation). Pure and table-free: the per-sample cost is a few shifts,
//! and prompts are encoded once when loaded, not per call.
//!
//! Why not a crate: the G.711 crates on crates.io are unmaintained one-file crates; the
//! algorithm is 60 lines, and the tests below pin it to the standard's code points.

const ULAW_BIAS: i32 = 0x84;
const ULAW_CLIP: i32 = 32635;

/// Encodes one 16-bit linear sample as µ-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample);
    let sign = if pcm < 0 {
        pcm = -pcm;
        0x80
    } else {
        0x00
    };
    pcm = pcm.min(ULAW_CLIP) + ULAW_BIAS;
    // The segment is the position of the highest set bit above the 7 lowest ones.
    let high = (pcm >> 7) as u32 & 0xFF;
    let exponent = if high == 0 { 0 } else { 31 - high.leading_zeros() as i32 };
    let mantissa = (pcm >> (exponent + 3)) & 0x0F;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// Decodes one µ-law byte to a 16-bit linear sample.
pub fn ulaw_to_linear(code: u8) -> i16 {
    let code = !code;
    let sign = code & 0x80;
    let exponent = i32::from((code >> 4) & 0x07);
    let mantissa = i32::from(code & 0x0F);
    let magnitude = (((mantissa << 3) + ULAW_BIAS) << exponent) - ULAW_BIAS;
    (if sign != 0 { -magnitude } else { magnitude }) as i16
}

/// Encodes one 16-bit linear sample as A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    let mut pcm = i32::from(sample) >> 3; // A-law works on 13-bit samples
    let sign = if pcm >= 0 {
        0xD5
    } else {
        pcm = -pcm - 1;
        0x55
    };
    let code = if pcm < 32 {
        (pcm >> 1) as u8
    } else {
        let mut exponent = 1u8;
        let mut shifted = pcm >> 5;
        while shifted > 1 && exponent < 7 {
            shifted >>= 1;
            exponent += 1;
        }
        let mantissa = ((pcm >> exponent) & 0x0F) as u8;
        (exponent << 4) | mantissa
    };
    let code = if pcm >= 4096 { 0x7F } else { code };
    code ^ sign
}

/// Decodes one A-law byte to a 16-bit linear sample.
pub fn alaw_to_linear(code: u8) -> i16 {
    let code = code ^ 0x55;
    let exponent = i32::from((code & 0x70) >> 4);
    let mantissa = i32::from(code & 0x0F);
    let magnitude = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    (if code & 0x80 != 0 { magnitude } else { -magnitude }) as i16
}

/// The two G.711 laws, as negotiated in SDP (PCMU = payload type 0, PCMA = 8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Law {
    Ulaw,
    Alaw,
}

impl Law {
    pub fn encode(self, samples: &[i16]) -> Vec<u8> {
        match self {
            Law::Ulaw => samples.iter().map(|&s| linear_to_ulaw(s)).collect(),
            Law::Alaw => samples.iter().map(|&s| linear_to_alaw(s)).collect(),
        }
    }

    pub fn decode(self, codes: &[u8]) -> Vec<i16> {
        match self {
            Law::Ulaw => codes.iter().map(|&c| ulaw_to_linear(c)).collect(),
            Law::Alaw => codes.iter().map(|&c| alaw_to_linear(c)).collect(),
        }
    }

    /// The code of digital silence.
    pub fn silence(self) -> u8 {
        match self {
            Law::Ulaw => 0xFF,
            Law::Alaw => 0xD5,
        }
    }

    pub fn payload_type(self) -> u8 {
        match self {
            Law::Ulaw => 0,
            Law::Alaw => 8,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_ulaw_code_survives_a_round_trip() {
        for code in 0..=255u8 {
            let expected = if code == 0x7F { 0xFF } else { code }; // -0 and +0 both encode as +0
            assert_eq!(linear_to_ulaw(ulaw_to_linear(code)), expected, "code {code:#04x}");
        }
    }

    #[test]
    fn every_alaw_code_survives_a_round_trip() {
        for code in 0..=255u8 {
            assert_eq!(linear_to_alaw(alaw_to_linear(code)), code, "code {code:#04x}");
        }
    }

    #[test]
    fn known_code_points() {
        // From the G.711 tables: silence, full scale and a mid value.
        assert_eq!(linear_to_ulaw(0), 0xFF);
        assert_eq!(linear_to_ulaw(i16::MAX), 0x80);
        assert_eq!(linear_to_ulaw(i16::MIN), 0x00);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(linear_to_alaw(0), 0xD5);
        assert_eq!(alaw_to_linear(0xD5), 8);
        assert_eq!(alaw_to_linear(0xAA), 32256);
        assert_eq!(linear_to_alaw(i16::MAX), 0xAA);
    }

    #[test]
    fn quantisation_error_stays_within_half_a_segment_step() {
        for sample in (i16::MIN..=i16::MAX).step_by(7) {
            let bound = i32::from(sample).abs() / 16 + 16;
            let u = ulaw_to_linear(linear_to_ulaw(sample));
            let a = alaw_to_linear(linear_to_alaw(sample));
            assert!(
                (i32::from(u) - i32::from(sample)).abs() <= bound,
                "ulaw {sample} -> {u}"
            );
            assert!(
                (i32::from(a) - i32::from(sample)).abs() <= bound,
                "alaw {sample} -> {a}"
            );
        }
    }
}
