//! Without a fuzzer at hand, the same message path as the fuzz target (tests/fuzz) is fed
//! deterministic mutations of the RFC 4475 corpus: truncations, bit flips, inserted CRLFs and
//! spaces, random bytes. None may panic.

use std::path::PathBuf;

use tsunagu::sip::fuzzing::message_path;

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
    assert_eq!(corpus.len(), 49);
    let mut rng = Rng(0x5EED_CAFE_F00D_D00D);
    let mut runs = 0;
    for round in 0..400 {
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
            message_path(&message);
            runs += 1;
        }
        if round == 0 {
            // The unmutated corpus too.
            corpus.iter().for_each(|m| message_path(m));
        }
    }
    assert_eq!(runs, 400 * 49);
}
