//! The approved entries agents see: the shipped files, then every approved revision (the newest
//! of an entry wins). Readers take a snapshot; an approval swaps in a new map.

use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

use super::entry::Entry;

#[derive(Debug, Default)]
pub struct Book {
    entries: RwLock<Arc<BTreeMap<String, Entry>>>,
}

impl Book {
    pub fn snapshot(&self) -> Arc<BTreeMap<String, Entry>> {
        Arc::clone(&self.entries.read().unwrap_or_else(|p| p.into_inner()))
    }

    pub fn get(&self, id: &str) -> Option<Entry> {
        self.snapshot().get(id).cloned()
    }

    /// Puts `entry` in, unless the book holds a later revision of it.
    pub fn put(&self, entry: Entry) {
        let mut guard = self.entries.write().unwrap_or_else(|p| p.into_inner());
        if guard.get(&entry.id).is_some_and(|old| old.revision > entry.revision) {
            return;
        }
        let mut next = (**guard).clone();
        next.insert(entry.id.clone(), entry);
        *guard = Arc::new(next);
    }

    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
