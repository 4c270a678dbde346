//! Waiting for a call that a busy engine answers slowly, and still never without end.
//!
//! On a shared engine one call can take minutes: an image removal on this machine's Docker
//! 20.10.24 took over the 120 s engine-call deadline while six other runs used the engine
//! (docs/src/ci.md, "Time from nothing"), and `clean` failed although the engine was only busy.
//! A longer fixed deadline would make every real hang cost that much more. So such a call is
//! fitted to the engine, as a container start is ([`super::start_deadline`]): it gets the
//! engine-call deadline (its floor); past it, it is waited for as long as the engine shows it
//! is alive, by answering a cheap call (Docker's `/_ping`, `ctr version`) within
//! [`LIVENESS`] at every [`RECHECK`]; never past a ceiling. An engine that stops answering ends
//! the wait at the next check, naming it. A deadline the user set
//! ([`super::connect::TIMEOUT_ENV`]) caps it all, as it caps starts.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often a call past its floor asks the engine whether it is alive.
pub(crate) const RECHECK: Duration = Duration::from_secs(5);
/// How long the liveness call may take: an engine that can't answer a ping in this long is
/// not working on anything.
pub(crate) const LIVENESS: Duration = Duration::from_secs(30);

/// How long a call may be waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Patience {
    /// Waited for whatever the engine shows.
    pub floor: Duration,
    /// The most it is waited for while the engine answers.
    pub ceiling: Duration,
}

impl Patience {
    /// The engine-call deadline as the floor and `ceiling` (never below the floor), or, where
    /// the user set a deadline (`cap`), exactly that.
    pub(crate) fn fitted(floor: Duration, ceiling: Duration, cap: Option<Duration>) -> Patience {
        match cap {
            Some(c) => Patience {
                floor: c,
                ceiling: c,
            },
            None => Patience {
                floor,
                ceiling: ceiling.max(floor),
            },
        }
    }

    /// The patience of an engine's slow calls (a removal, a `ctr` call): `floor` first, then
    /// while the engine answers up to the longest a start may be given
    /// ([`super::start_deadline::CEILING`]); exactly the user's engine-call deadline where one
    /// is set.
    pub(crate) fn for_engine(floor: Duration) -> Patience {
        Patience::fitted(
            floor,
            super::start_deadline::CEILING,
            super::connect::start_cap(),
        )
    }

    /// How long the call may take in all, given what the engine showed at the last check
    /// (`None`: not asked yet, before the floor).
    pub(crate) fn allowed(&self, alive: Option<bool>) -> Duration {
        match alive {
            Some(true) => self.ceiling,
            None | Some(false) => self.floor,
        }
    }
}

/// A call that was given up on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct GaveUp {
    /// How long it was waited for.
    pub seconds: u64,
    /// Whether the engine still answered its last liveness call (`None`: never asked, the
    /// floor was the ceiling).
    pub alive: Option<bool>,
}

impl GaveUp {
    /// Why, for a message: "within N s, while the engine kept answering" or "… and the engine
    /// stopped answering".
    pub(crate) fn why(&self) -> String {
        match self.alive {
            Some(true) => format!(
                "within {} s, while the engine kept answering (a busy engine; try again once it is quieter)",
                self.seconds
            ),
            Some(false) => format!(
                "within {} s, and the engine then stopped answering a ping within {} s",
                self.seconds,
                LIVENESS.as_secs()
            ),
            None => format!("within {} s", self.seconds),
        }
    }
}

/// Waits for `call` as [`Patience`] allows, asking `alive` at every [`RECHECK`] once the floor
/// has passed. `call` keeps being polled while `alive` is asked.
pub(crate) async fn wait<T, A, Fut>(
    call: impl Future<Output = T>,
    patience: Patience,
    mut alive: A,
) -> Result<T, GaveUp>
where
    A: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let began = Instant::now();
    tokio::pin!(call);
    let mut answered: Option<bool> = None;
    let room = patience.ceiling > patience.floor;
    loop {
        if room && began.elapsed() >= patience.floor {
            tokio::select! {
                out = &mut call => return Ok(out),
                a = tokio::time::timeout(LIVENESS, alive()) => answered = Some(a.unwrap_or(false)),
            }
        }
        let limit = patience.allowed(answered);
        let elapsed = began.elapsed();
        if elapsed >= limit {
            return Err(GaveUp {
                seconds: elapsed.as_secs(),
                alive: answered,
            });
        }
        if let Ok(out) = tokio::time::timeout((limit - elapsed).min(RECHECK), &mut call).await {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn a_user_deadline_is_the_whole_patience() {
        let p = Patience::fitted(ms(120_000), ms(600_000), Some(ms(4_000)));
        assert_eq!(
            (p.allowed(None), p.allowed(Some(true))),
            (ms(4_000), ms(4_000))
        );
        let p = Patience::fitted(ms(120_000), ms(600_000), None);
        assert_eq!(p.allowed(None), ms(120_000));
        assert_eq!(p.allowed(Some(true)), ms(600_000));
        assert_eq!(p.allowed(Some(false)), ms(120_000));
        assert_eq!(Patience::fitted(ms(9), ms(5), None).ceiling, ms(9));
    }

    #[test]
    fn the_reason_says_whether_the_engine_answered() {
        let busy = GaveUp {
            seconds: 600,
            alive: Some(true),
        };
        assert!(busy.why().contains("kept answering"), "{}", busy.why());
        let gone = GaveUp {
            seconds: 125,
            alive: Some(false),
        };
        assert!(gone.why().contains("stopped answering"), "{}", gone.why());
        let capped = GaveUp {
            seconds: 4,
            alive: None,
        };
        assert_eq!(capped.why(), "within 4 s");
    }

    /// Only the floor when the call answers before it: the engine is never asked.
    #[tokio::test]
    async fn a_call_within_its_floor_asks_nothing() {
        let asked = AtomicUsize::new(0);
        let p = Patience {
            floor: ms(2_000),
            ceiling: ms(4_000),
        };
        let got = wait(async { 7 }, p, || async {
            asked.fetch_add(1, Ordering::Relaxed);
            true
        })
        .await;
        assert_eq!(got, Ok(7));
        assert_eq!(asked.load(Ordering::Relaxed), 0);
    }

    /// A floor of zero: the first check comes at once, so the tests need no [`RECHECK`] wait.
    /// An engine that answers keeps a slow call waited for; one that doesn't ends it.
    #[tokio::test]
    async fn past_the_floor_the_call_waits_while_the_engine_answers() {
        let p = Patience {
            floor: Duration::ZERO,
            ceiling: ms(60_000),
        };
        let slow = tokio::time::sleep(ms(300));
        assert_eq!(wait(slow, p, || async { true }).await, Ok(()));

        let never = std::future::pending::<()>();
        let got = wait(never, p, || async { false }).await;
        assert_eq!(
            got,
            Err(GaveUp {
                seconds: 0,
                alive: Some(false)
            })
        );
    }

    /// Even an engine that answers every ping is waited for no longer than the ceiling.
    #[tokio::test]
    async fn the_ceiling_bounds_a_live_engine() {
        let p = Patience {
            floor: Duration::ZERO,
            ceiling: ms(300),
        };
        let began = Instant::now();
        let got = wait(std::future::pending::<()>(), p, || async { true }).await;
        assert_eq!(got.unwrap_err().alive, Some(true));
        assert!(began.elapsed() >= ms(300) && began.elapsed() < ms(5_000));
    }
}
