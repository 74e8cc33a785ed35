//! Without a fuzzer at hand, the same message path as the fuzz target (tests/fuzz) is fed
//! deterministic mutations of the RFC 4475 corpus: truncations, bit flips, inserted CRLFs and
//! spaces, random bytes. None may panic; the mutations reach every way a datagram can end
//! (refused from its bytes, unparsable, a request, a response); and the unmutated messages read
//! the same before and after (nothing the mutations did left a trace).

use std::path::PathBuf;

use std::collections::HashSet;

use tsunagu::sip::fuzzing::{Outcome, authorization_path, message_path};

/// A small deterministic generator (xorshift), so that a failure can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn corpus() -> Vec<Vec<u8>> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475");
    let mut messages = Vec::new();
    for dir in ["valid", "invalid", "semantic"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("{e}"))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        messages.extend(paths.iter().map(|p| std::fs::read(p).unwrap_or_else(|e| panic!("{e}"))));
    }
    messages
}

#[test]
fn mutated_torture_messages_never_panic_the_message_path() {
    let corpus = corpus();
    let before: Vec<Outcome> = corpus.iter().map(|m| message_path(m)).collect();
    let mut rng = Rng(0x5EED_CAFE_F00D_D00D);
    let mut kinds = HashSet::new();
    for _round in 0..400 {
        for original in &corpus {
            let mut message = original.clone();
            for _ in 0..=rng.below(4) {
                match rng.below(6) {
                    0 if !message.is_empty() => message.truncate(rng.below(message.len())),
                    1 if !message.is_empty() => {
                        let at = rng.below(message.len());
                        message[at] ^= 1 << rng.below(8);
                    }
                    2 => {
                        let at = rng.below(message.len() + 1);
                        message.splice(at..at, *b"\r\n ");
                    }
                    3 => {
                        let at = rng.below(message.len() + 1);
                        let noise: Vec<u8> = (0..rng.below(32)).map(|_| rng.next() as u8).collect();
                        message.splice(at..at, noise);
                    }
                    4 if !message.is_empty() => {
                        let at = rng.below(message.len());
                        message.remove(at);
                    }
                    _ => message = (0..rng.below(600)).map(|_| rng.next() as u8).collect(),
                }
            }
            kinds.insert(std::mem::discriminant(&message_path(&message)));
            // The same bytes as an Authorization header: never let in.
            assert!(!authorization_path(
                &String::from_utf8_lossy(&message),
                "sip:0120380366@127.0.0.1"
            ));
        }
    }
    let reached: HashSet<_> = [
        Outcome::Refused(400),
        Outcome::Unparsable,
        Outcome::Request { offer: false },
        Outcome::Response,
    ]
    .iter()
    .map(std::mem::discriminant)
    .collect();
    assert_eq!(kinds, reached, "the mutations reach every way a datagram can end");
    let after: Vec<Outcome> = corpus.iter().map(|m| message_path(m)).collect();
    assert_eq!(before, after, "the torture messages read as before");
    assert!(
        before.iter().any(|o| matches!(o, Outcome::Request { offer: true })),
        "the corpus holds INVITEs with usable offers: {before:?}"
    );
}
