//! The sending side of one RTP stream (RFC 3550): sequence numbers, timestamps, SSRC and the
//! marker bit. Pure; the pacer decides when a packet goes out.

use bytes::Bytes;
use rtp::header::Header;
use rtp::packet::Packet;

/// G.711 at 8 kHz: one byte per sample, 160 samples in 20 ms.
pub const SAMPLES_PER_FRAME: u32 = 160;

#[derive(Debug, Clone)]
pub struct RtpOut {
    ssrc: u32,
    sequence: u16,
    timestamp: u32,
    payload_type: u8,
    marker_pending: bool,
}

impl RtpOut {
    /// Random initial sequence number and timestamp, as RFC 3550 asks, come from the caller.
    pub fn new(ssrc: u32, first_sequence: u16, first_timestamp: u32, payload_type: u8) -> RtpOut {
        RtpOut {
            ssrc,
            sequence: first_sequence,
            timestamp: first_timestamp,
            payload_type,
            marker_pending: true,
        }
    }

    /// The next packet starts a talkspurt (a prompt begins after silence): set the marker.
    pub fn start_talkspurt(&mut self) {
        self.marker_pending = true;
    }

    /// Builds the next packet around `payload` (G.711 bytes) and advances the stream.
    pub fn next_packet(&mut self, payload: Bytes) -> Packet {
        let samples = payload.len() as u32;
        let header = Header {
            version: 2,
            marker: std::mem::take(&mut self.marker_pending),
            payload_type: self.payload_type,
            sequence_number: self.sequence,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            ..Header::default()
        };
        self.sequence = self.sequence.wrapping_add(1);
        self.timestamp = self.timestamp.wrapping_add(samples);
        Packet { header, payload }
    }

    /// Time passed without sending (a frame the pacer could not send): the timestamp still
    /// follows the clock so that the receiver's playout stays in step.
    pub fn skip_frame(&mut self) {
        self.timestamp = self.timestamp.wrapping_add(SAMPLES_PER_FRAME);
    }

    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequence_and_timestamp_advance_and_wrap_and_the_marker_starts_a_talkspurt() {
        let mut out = RtpOut::new(0xDEAD_BEEF, u16::MAX - 1, u32::MAX - 100, 0);
        let frame = Bytes::from(vec![0xFF; 160]);
        let p1 = out.next_packet(frame.clone());
        let p2 = out.next_packet(frame.clone());
        let p3 = out.next_packet(frame.clone());
        assert!(p1.header.marker && !p2.header.marker && !p3.header.marker);
        assert_eq!(
            [
                p1.header.sequence_number,
                p2.header.sequence_number,
                p3.header.sequence_number
            ],
            [u16::MAX - 1, u16::MAX, 0]
        );
        assert_eq!(p2.header.timestamp, (u32::MAX - 100).wrapping_add(160));
        assert_eq!(p3.header.timestamp, (u32::MAX - 100).wrapping_add(320));
        out.skip_frame();
        out.start_talkspurt();
        let p4 = out.next_packet(frame);
        assert!(p4.header.marker);
        assert_eq!(p4.header.timestamp, (u32::MAX - 100).wrapping_add(640));
        assert_eq!(p4.header.ssrc, 0xDEAD_BEEF);
    }
}
