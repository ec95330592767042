//! Plain progress lines on stderr, every few seconds: they read the same on a
//! terminal and in a log file.

use std::time::{Duration, Instant};

const EVERY: Duration = Duration::from_secs(5);

pub struct Ticker {
    what: String,
    started: Instant,
    last: Instant,
    /// The last count seen and when, for a rate over a partial run.
    pub seen: (u64, Instant),
}

impl Ticker {
    pub fn new(what: impl Into<String>) -> Self {
        let now = Instant::now();
        Self {
            what: what.into(),
            started: now,
            last: now,
            seen: (0, now),
        }
    }

    /// Records a count; prints it when the last line is old enough.
    pub fn tick(&mut self, count: u64, unit: &str) {
        let now = Instant::now();
        self.seen = (count, now);
        if now.duration_since(self.last) >= EVERY {
            self.last = now;
            let secs = now.duration_since(self.started).as_secs_f64();
            eprintln!(
                "  [{}] {:>7.0} s  {} {unit}  ({:.0} {unit}/s)",
                self.what,
                secs,
                count,
                count as f64 / secs.max(1e-9)
            );
        }
    }

    /// Count and seconds since the start at the last tick.
    pub fn last_seen(&self) -> (u64, f64) {
        (
            self.seen.0,
            self.seen.1.duration_since(self.started).as_secs_f64(),
        )
    }
}
