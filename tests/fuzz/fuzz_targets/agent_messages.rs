//! Fuzz target: any text an agent's page sends on its WebSocket, read as the protocol reads it
//! and, when it is a message, handed to a softphone session (as a sequence, split on newlines).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    tsunagu::web::agent::session::fuzzing::messages(data);
});
