//! Lines and queue places in use, for the IVR's capacity check (CC-PROMPT: when every line
//! is in use or the queue is full, the caller hears the all-lines-busy message).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Debug)]
pub struct Capacity {
    max_lines: usize,
    max_queue: usize,
    lines: AtomicUsize,
    queued: AtomicUsize,
}

/// Holds one line (or one queue place) until dropped.
#[derive(Debug)]
pub struct Held {
    counter: Arc<Capacity>,
    queue: bool,
}

impl Drop for Held {
    fn drop(&mut self) {
        let counter = if self.queue {
            &self.counter.queued
        } else {
            &self.counter.lines
        };
        counter.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Capacity {
    pub fn new(max_lines: usize, max_queue: usize) -> Arc<Capacity> {
        Arc::new(Capacity {
            max_lines,
            max_queue,
            lines: AtomicUsize::new(0),
            queued: AtomicUsize::new(0),
        })
    }

    /// A call took a line (it was answered by the IVR).
    pub fn take_line(self: &Arc<Self>) -> Held {
        self.lines.fetch_add(1, Ordering::Relaxed);
        Held {
            counter: Arc::clone(self),
            queue: false,
        }
    }

    pub fn take_queue_place(self: &Arc<Self>) -> Held {
        self.queued.fetch_add(1, Ordering::Relaxed);
        Held {
            counter: Arc::clone(self),
            queue: true,
        }
    }

    /// Whether a call that already holds its line may go on to the queue: its line is within
    /// the lines the center has, and the queue has a free place.
    pub fn available(&self) -> bool {
        self.lines.load(Ordering::Relaxed) <= self.max_lines && self.queued.load(Ordering::Relaxed) < self.max_queue
    }

    pub fn lines_in_use(&self) -> usize {
        self.lines.load(Ordering::Relaxed)
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_means_the_second_concurrent_call_is_busy() {
        let capacity = Capacity::new(1, 10);
        let first = capacity.take_line();
        assert!(capacity.available());
        let second = capacity.take_line();
        assert!(!capacity.available());
        drop(first);
        assert!(capacity.available(), "the line is free again");
        drop(second);
        assert_eq!(capacity.lines_in_use(), 0);
        let full = Capacity::new(5, 1);
        let _line = full.take_line();
        let _place = full.take_queue_place();
        assert!(!full.available(), "the queue is full");
    }
}
