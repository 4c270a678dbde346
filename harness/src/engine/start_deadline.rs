//! How long a container's start may take on one engine before it counts as stuck in Created.
//!
//! A start takes well under a second on this host's engine, but the kernel lab's emulated
//! machines (TCG, 2 vCPUs, on a 2-CPU host shared with builds) take tens of seconds, and a
//! fixed 60 s deadline cut a healthy start short there: static-server-allowlist was reported
//! "stuck in Created" twice on sid's 7.2 under TCG. A longer fixed deadline would make every
//! real hang (a runtime stuck in Created under load, a held-back profile started anyway:
//! [`seccomp_harness_core::runtime::hung`]) cost minutes on a fast
//! engine. So the deadline fits the engine: [`FACTOR`] times the slowest start that engine has
//! answered in this process, never below [`FLOOR`] and never above [`CEILING`], so no start is
//! waited for without end. A start still waiting sees the deadline grow when another start on
//! the same engine comes back slower (see [`StartClock::deadline`]), so the first containers of
//! a run on a slow engine are not cut off before anything has been measured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The least a start is given: what the harness always gave it (a healthy start, even on a
/// loaded host, takes well under a second on a native engine).
pub const FLOOR: Duration = Duration::from_secs(60);
/// How many times the slowest answered start a start may take before it counts as hung.
pub const FACTOR: u32 = 4;
/// The most a start is given, however slow the engine has been.
pub const CEILING: Duration = Duration::from_secs(600);

/// The deadline for a start on an engine whose slowest answered start took `slowest` (`None`:
/// none answered yet), and whose every call is capped at `cap` (the engine-call deadline a user
/// set with [`super::connect::TIMEOUT_ENV`], if any).
pub(crate) fn start_deadline(slowest: Option<Duration>, cap: Option<Duration>) -> Duration {
    let fitted = slowest
        .map_or(FLOOR, |s| s.saturating_mul(FACTOR))
        .clamp(FLOOR, CEILING);
    cap.map_or(fitted, |c| fitted.min(c))
}

/// The slowest start one engine has answered, shared by every clone of its [`super::Engine`].
#[derive(Debug, Default)]
pub struct StartClock {
    /// Milliseconds; 0 until a start has been answered.
    slowest_ms: AtomicU64,
}

impl StartClock {
    /// Takes in a start the engine answered (started or refused) after `took`. A start the
    /// harness gave up on is not a measurement: it says only that the deadline passed.
    pub fn record(&self, took: Duration) {
        let ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX).max(1);
        self.slowest_ms.fetch_max(ms, Ordering::Relaxed);
    }

    /// The slowest start answered so far.
    pub fn slowest(&self) -> Option<Duration> {
        match self.slowest_ms.load(Ordering::Relaxed) {
            0 => None,
            ms => Some(Duration::from_millis(ms)),
        }
    }

    /// The deadline for a start now ([`start_deadline`]); it is asked again while a start
    /// waits, so a slower start answered meanwhile extends it.
    pub fn deadline(&self, cap: Option<Duration>) -> Duration {
        start_deadline(self.slowest(), cap)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(n: u64) -> Duration {
        Duration::from_secs(n)
    }

    #[test]
    fn a_fast_engine_keeps_the_floor() {
        assert_eq!(start_deadline(None, None), FLOOR);
        assert_eq!(
            start_deadline(Some(Duration::from_millis(300)), None),
            FLOOR
        );
        assert_eq!(start_deadline(Some(secs(15)), None), FLOOR);
    }

    #[test]
    fn a_slow_engine_gets_a_multiple_of_its_slowest_start_up_to_the_ceiling() {
        assert_eq!(start_deadline(Some(secs(16)), None), secs(64));
        assert_eq!(start_deadline(Some(secs(45)), None), secs(180));
        assert_eq!(start_deadline(Some(secs(400)), None), CEILING);
        assert_eq!(start_deadline(Some(Duration::MAX), None), CEILING);
    }

    #[test]
    fn an_engine_call_deadline_set_by_the_user_still_caps_it() {
        assert_eq!(start_deadline(None, Some(secs(3))), secs(3));
        assert_eq!(start_deadline(Some(secs(45)), Some(secs(120))), secs(120));
        assert_eq!(start_deadline(Some(secs(45)), Some(secs(900))), secs(180));
    }

    #[test]
    fn the_clock_keeps_the_slowest_answered_start() {
        let clock = StartClock::default();
        assert_eq!((clock.slowest(), clock.deadline(None)), (None, FLOOR));
        clock.record(secs(30));
        clock.record(secs(2));
        assert_eq!(clock.slowest(), Some(secs(30)));
        assert_eq!(clock.deadline(None), secs(120));
        clock.record(Duration::ZERO);
        assert_eq!(clock.slowest(), Some(secs(30)));
        clock.record(secs(50));
        assert_eq!(clock.deadline(None), secs(200));
    }
}
