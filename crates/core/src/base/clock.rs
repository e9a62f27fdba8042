//! Time and randomness, passed in: business logic asks a [`Clock`] and never reads the
//! system time or entropy itself, so tests can pin both. The [`Hlc`] (hybrid logical clock) stamps operations
//! so that concurrent edits merge in the same order on every laptop.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};

/// The source of the current time, and of randomness for identifiers, for everything
/// in the core.
pub trait Clock: Send + Sync {
    /// The current time in UTC.
    fn now(&self) -> DateTime<Utc>;

    /// Fills `buf` with random bytes (for identifiers such as device ids, not keys:
    /// key generation uses the OpenPGP library's own generator).
    fn fill_random(&self, buf: &mut [u8]);

    /// Today's date in UTC, the calendar day used for claims and interaction dates.
    fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }
}

/// The system clock, for the adapters (CLI, desktop).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        // The OS generator failing is not recoverable; nothing sensible can go on.
        getrandom::fill(buf).expect("the operating system's random number generator failed");
    }
}

/// A clock that starts at a given instant and advances by `step_ms` on every reading,
/// with reproducible "random" bytes, for tests and for generating demo data.
#[derive(Debug)]
pub struct FixedClock {
    ms: AtomicI64,
    step_ms: i64,
}

impl FixedClock {
    /// A clock at `start` that moves forward `step_ms` milliseconds per reading.
    pub fn new(start: DateTime<Utc>, step_ms: i64) -> Self {
        FixedClock { ms: AtomicI64::new(start.timestamp_millis()), step_ms }
    }

    /// A clock at midnight UTC of the given day, advancing one millisecond per reading.
    pub fn at_date(y: i32, m: u32, d: u32) -> Self {
        let start = Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).single().unwrap_or_default();
        Self::new(start, 1)
    }
}

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = self.ms.fetch_add(self.step_ms, Ordering::SeqCst);
        Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
    }

    fn fill_random(&self, buf: &mut [u8]) {
        let seed = self.ms.load(Ordering::SeqCst).to_le_bytes();
        for (i, b) in buf.iter_mut().enumerate() {
            *b = seed[i % 8] ^ (i as u8).wrapping_mul(151);
        }
    }
}

/// A hybrid logical clock reading: wall-clock milliseconds plus a counter that breaks
/// ties and keeps readings strictly increasing when the wall clock stalls or goes back.
///
/// Ordered by `(ms, n)`; ties between authors are broken by the author's fingerprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch (UTC).
    pub ms: i64,
    /// Counter within the same millisecond.
    pub n: u32,
}

impl Hlc {
    /// The zero reading, before any operation.
    pub const ZERO: Hlc = Hlc { ms: 0, n: 0 };

    /// The next reading after `self` at wall time `now_ms`: strictly greater than `self`.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.ms {
            Hlc { ms: now_ms, n: 0 }
        } else {
            Hlc { ms: self.ms, n: self.n.saturating_add(1) }
        }
    }

    /// The wall time of this reading.
    pub fn time(self) -> DateTime<Utc> {
        Utc.timestamp_millis_opt(self.ms).single().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_is_strictly_increasing_even_when_the_wall_clock_goes_back() {
        let a = Hlc::ZERO.tick(1_000);
        let b = a.tick(1_000);
        let c = b.tick(900);
        let d = c.tick(2_000);
        assert!(a < b && b < c && c < d);
        assert_eq!(c, Hlc { ms: 1_000, n: 2 });
        assert_eq!(d, Hlc { ms: 2_000, n: 0 });
    }

    #[test]
    fn fixed_clock_advances_by_its_step() {
        let clock = FixedClock::at_date(2026, 1, 2);
        let first = clock.now();
        assert_eq!(clock.now() - first, chrono::Duration::milliseconds(1));
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 1, 2).unwrap());
    }
}
