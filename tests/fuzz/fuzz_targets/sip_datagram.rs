//! Fuzz target: any bytes arriving on the SIP port.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tsunagu::sip::fuzzing::message_path(data);
});
