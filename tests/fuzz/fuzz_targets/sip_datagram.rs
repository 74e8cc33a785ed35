//! Fuzz target: any bytes arriving on the SIP port (the edge's own checks, rsipstack's parser,
//! SDP and DTMF parsing), and the same bytes as an INVITE's Authorization header.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = tsunagu::sip::fuzzing::message_path(data);
    let _ = tsunagu::sip::fuzzing::authorization_path(&String::from_utf8_lossy(data), "sip:0120380366@127.0.0.1");
});
