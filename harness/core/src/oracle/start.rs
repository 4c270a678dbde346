//! Whether a container under a profile starts and its probe reaches the cases: one typed
//! answer that `check`, `explain` and `run` all use.
//!
//! Three things stand between a profile and its first case, checked in this order:
//! 1. the filter itself: libseccomp or the runtime refuses some profiles outright;
//! 2. the calls the runtime makes after it loads the filter
//!    ([`RuntimeModel`](crate::runtime::RuntimeModel): they differ by runtime), those it makes
//!    before the engine reports the start (a denial fails the start) and those after
//!    ([`RuntimeModel::after_start_fatal`](crate::runtime::RuntimeModel::after_start_fatal):
//!    the probe never runs);
//! 3. the probe's footprint (`seccomp_catalog::own_calls`).
//!
//! The probe's machinery (fork, wait, signal, reap, exit) has fallbacks, so it blocks nothing:
//! [`Oracle::probe_avoid`] lists the calls the probe must not try.

use super::{Oracle, Prediction};
use crate::outcome::Outcome;
use seccomp_catalog::own_calls::{self, OnErrno, OwnArg, Role};
use seccomp_catalog::{Arch, Arg, Case, Catalog};
use std::fmt;

use crate::runtime::{runtime_model, RuntimeSite};

/// A call with the outcome the oracle predicts for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    pub syscall: String,
    pub outcome: Outcome,
    pub errno: Option<i32>,
    /// The call whose failure made the runtime take the fallback that makes this one
    /// ([`FallbackNeeds`](crate::runtime::FallbackNeeds)), so the note says why a call the
    /// runtime usually skips matters here.
    pub fallback_from: Option<&'static str>,
}

impl fmt::Display for CallOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.outcome, self.errno) {
            (Outcome::Errno, Some(e)) => write!(f, "{} (errno {e}", self.syscall)?,
            (o, _) => write!(f, "{} ({o}", self.syscall)?,
        }
        match self.fallback_from {
            Some(from) => write!(f, "; its fallback where {from} fails)"),
            None => f.write_str(")"),
        }
    }
}

/// What keeps the cases from running.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// libseccomp or the runtime refuses the filter itself.
    Filter(String),
    /// The profile does not allow calls the runtime makes after it loads the filter.
    RuntimeCalls {
        runtime: String,
        calls: Vec<CallOutcome>,
    },
    /// The profile does not allow calls the runtime makes after the engine reported the
    /// container started ([`crate::runtime::RuntimeModel::after_start_fatal`]): the container
    /// ends before the probe's first case.
    RuntimeCallsAfterStart {
        runtime: String,
        calls: Vec<CallOutcome>,
    },
    /// The profile kills, traps or fatally denies a call the probe makes before its first
    /// case, as every static program does.
    Footprint { calls: Vec<CallOutcome> },
}

fn list(calls: &[CallOutcome]) -> String {
    calls
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

impl fmt::Display for Blocker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocker::Filter(why) => f.write_str(why),
            Blocker::RuntimeCalls { runtime, calls } => write!(
                f,
                "the profile does not allow what {runtime} calls after it loads the filter: {}",
                list(calls)
            ),
            Blocker::RuntimeCallsAfterStart { runtime, calls } => write!(
                f,
                "the profile does not allow what {runtime} calls after the engine reported the start, before the probe runs: {}",
                list(calls)
            ),
            Blocker::Footprint { calls } => write!(
                f,
                "the profile stops the probe before its first case: {} (calls every static program makes at start-up, not the runtime's)",
                list(calls)
            ),
        }
    }
}

/// The one start prediction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    /// The container starts and the probe reaches its cases.
    Starts,
    /// The runtime fails to start the container: `start_failed` cells with its message.
    Refused(Blocker),
    /// The harness does not start the container at all: the profile kills a call the runtime
    /// makes after loading the filter, and a runtime whose start such a kill hangs then hangs
    /// for good (the engine can neither start nor remove the container:
    /// [`crate::runtime::RuntimeModel::kill_hangs_start`]). Its cells get the verdict
    /// `held_back` unless the run starts it anyway (`--start-held-back`), where the hang is
    /// observed as `start_failed`.
    HeldBack(Blocker),
    /// The container starts, but the probe dies or stays mute before its first case:
    /// `not_run` cells.
    ProbeCannotRun(Blocker),
}

impl Start {
    pub fn blocker(&self) -> Option<&Blocker> {
        match self {
            Start::Starts => None,
            Start::Refused(b) | Start::HeldBack(b) | Start::ProbeCannotRun(b) => Some(b),
        }
    }

    /// The outcome every cell gets when the cases can't run.
    pub(crate) fn cell_outcome(&self) -> Option<Outcome> {
        match self {
            Start::Starts => None,
            Start::Refused(_) | Start::HeldBack(_) => Some(Outcome::StartFailed),
            Start::ProbeCannotRun(_) => Some(Outcome::NotRun),
        }
    }

    /// Why, as a cell's note.
    pub fn note(&self) -> Option<String> {
        Some(match self {
            Start::Starts => return None,
            Start::Refused(b) => format!("the runtime refuses to start the container: {b}"),
            Start::HeldBack(b) => crate::runtime::prose::held_back(b),
            Start::ProbeCannotRun(b) => b.to_string(),
        })
    }
}

/// `case` with the arguments a call site really passes.
fn at_site(case: &Case, args: [OwnArg; 6]) -> Case {
    let mut c = case.clone();
    c.args = args.map(|a| match a {
        OwnArg::Fixed(v) => Arg::Value(v),
        // An address-like value no profile can predict.
        OwnArg::RunTime => Arg::Words32(&[]),
    });
    c
}

impl Oracle<'_> {
    /// The outcome of the runtime's call `syscall` after loading the filter: at each of its
    /// measured call sites ([`RuntimeModel::sites`] and the `extra` sites of a fallback it
    /// takes, the worst one), else with the native plain case's arguments, if the arch has it.
    fn call(&self, catalog: &Catalog, syscall: &str, extra: &[RuntimeSite]) -> Option<CallOutcome> {
        let case = native_case(catalog, syscall)?;
        let model = runtime_model(&self.resolved.host.runtime);
        let mut sites: Vec<Case> = model
            .sites
            .iter()
            .chain(extra)
            .filter(|s| s.syscall == syscall)
            .map(|s| at_site(case, s.args))
            .collect();
        if sites.is_empty() {
            sites.push(case.clone());
        }
        self.worst(syscall, &sites)
    }

    /// The probe's own call `syscall` at each of its call sites, with the arguments it really
    /// passes there ([`own_calls::real_args`]); one site with every argument unknown where the
    /// table has none.
    fn own_call_sites(catalog: &Catalog, syscall: &str) -> Vec<Case> {
        let Some(case) = native_case(catalog, syscall) else {
            return Vec::new();
        };
        let mut sites = own_calls::real_args(catalog.arch(), syscall);
        if sites.is_empty() {
            sites.push([OwnArg::RunTime; 6]);
        }
        sites.into_iter().map(|args| at_site(case, args)).collect()
    }

    /// The outcome of the probe's own call `syscall` where it is worst. Arguments known only
    /// at run time are taken not to match a condition (as for a case's pointers).
    fn own_call(&self, catalog: &Catalog, syscall: &str) -> Option<CallOutcome> {
        self.worst(syscall, &Self::own_call_sites(catalog, syscall))
    }

    /// The outcome of call `syscall` at the site where it is worst: the first whose outcome is
    /// not `allowed`, else the first. `None` without a site.
    fn worst(&self, syscall: &str, sites: &[Case]) -> Option<CallOutcome> {
        let predictions: Vec<Prediction> = sites.iter().map(|c| self.predict_filter(c)).collect();
        let p = predictions
            .iter()
            .find(|p| p.outcome != Outcome::Allowed)
            .or(predictions.first())?;
        Some(CallOutcome {
            syscall: syscall.to_string(),
            outcome: p.outcome,
            errno: p.errno,
            fallback_from: None,
        })
    }

    /// Whether the probe's own call `syscall` may be anything but allowed at one of its sites:
    /// the prediction says so, or a rule of the syscall whose conditions on the known arguments
    /// hold (those on arguments known only at run time may hold too) does not allow. Used to
    /// choose what the probe avoids, where a needless avoidance only costs a fallback.
    fn own_call_may_be_stopped(&self, catalog: &Catalog, syscall: &str) -> bool {
        Self::own_call_sites(catalog, syscall).iter().any(|c| {
            self.predict_filter(c).outcome != Outcome::Allowed
                || self.rules_that_may_match(c).any(|o| o != Outcome::Allowed)
        })
    }

    /// What the runtime's own calls after loading the filter do to the start: `None` when
    /// the profile allows all it needs, before the engine reports the start and after.
    fn runtime_start(&self, catalog: &Catalog) -> Option<Start> {
        let runtime = &self.resolved.host.runtime;
        let model = runtime_model(runtime);
        // The fallbacks the runtime takes under this filter, and the call sites they add.
        let fallbacks: Vec<_> = model
            .fallback_needs
            .iter()
            .filter(|f| {
                self.call(catalog, f.unless_allowed, &[])
                    .is_some_and(|c| c.outcome != Outcome::Allowed)
            })
            .collect();
        let extra: Vec<RuntimeSite> = fallbacks.iter().flat_map(|f| f.sites).copied().collect();
        let blocking = |fatal: &[&str], tolerated: &[&str]| -> Vec<CallOutcome> {
            let tolerant = tolerated
                .iter()
                .filter_map(|n| self.call(catalog, n, &extra))
                // A call the kernel lacks answers ENOSYS: an errno, which these tolerate.
                .filter(|c| {
                    !matches!(
                        c.outcome,
                        Outcome::Allowed | Outcome::Errno | Outcome::Absent
                    )
                });
            fatal
                .iter()
                .filter_map(|n| self.call(catalog, n, &extra))
                .filter(|c| c.outcome != Outcome::Allowed)
                .chain(tolerant)
                .collect()
        };
        let mut calls = blocking(model.fatal, model.tolerated);
        for fallback in fallbacks {
            calls.extend(
                blocking(fallback.fatal, &[])
                    .into_iter()
                    .map(|c| CallOutcome {
                        fallback_from: Some(fallback.unless_allowed),
                        ..c
                    }),
            );
        }
        if !calls.is_empty() {
            let hangs =
                model.kill_hangs_start && calls.iter().any(|c| c.outcome == Outcome::Killed);
            let blocker = Blocker::RuntimeCalls {
                runtime: runtime.to_string(),
                calls,
            };
            return Some(if hangs {
                Start::HeldBack(blocker)
            } else {
                Start::Refused(blocker)
            });
        }
        let calls = blocking(model.after_start_fatal, model.after_start_tolerated);
        (!calls.is_empty()).then(|| {
            Start::ProbeCannotRun(Blocker::RuntimeCallsAfterStart {
                runtime: runtime.to_string(),
                calls,
            })
        })
    }

    /// Whether the container starts and the probe reaches its cases.
    pub fn start(&self, catalog: &Catalog) -> Start {
        if let Some(why) = self.filter_refusal() {
            return Start::Refused(Blocker::Filter(why.to_string()));
        }
        if let Some(stopped) = self.runtime_start(catalog) {
            return stopped;
        }
        let arch = catalog.arch();
        let footprint: Vec<CallOutcome> = own_calls::footprint(arch)
            .iter()
            .filter_map(|f| Some((f, self.own_call(catalog, f.syscall)?)))
            .filter(|(f, c)| match c.outcome {
                Outcome::Allowed => false,
                Outcome::Errno | Outcome::Absent => f.on_errno == OnErrno::Fatal,
                // A trap before the SIGSYS handler is in place kills; after, the call is
                // skipped with a nonsense result.
                _ => true,
            })
            .map(|(_, c)| c)
            .collect();
        if !footprint.is_empty() {
            return Start::ProbeCannotRun(Blocker::Footprint { calls: footprint });
        }
        // The probe's records need write, writev or vmsplice to fd 1. The runtime may need
        // write too, but on its own fds (`RuntimeModel::sites`): a rule on write's fd can leave
        // the runtime its writes and take the probe's.
        let avoid = self.probe_avoid(catalog);
        let writes = Role::Write.options(arch);
        if writes.iter().all(|n| avoid.contains(n)) {
            return Start::ProbeCannotRun(Blocker::Footprint {
                calls: writes
                    .iter()
                    .filter_map(|n| self.own_call(catalog, n))
                    .collect(),
            });
        }
        Start::Starts
    }

    /// The machinery calls the probe must never make under this filter: every one the oracle
    /// does not predict `allowed` (a kill can't be tried, a trap or an errno only costs time).
    pub fn probe_avoid(&self, catalog: &Catalog) -> Vec<&'static str> {
        let mut names = own_calls::machinery_calls(catalog.arch());
        // The probe's in-process fallback drops the controlling terminal with it.
        names.push("ioctl");
        names
            .into_iter()
            .filter(|n| self.own_call_may_be_stopped(catalog, n))
            .collect()
    }
}

/// The native plain case of `syscall`, if the arch has it.
fn native_case<'c>(catalog: &'c Catalog, syscall: &str) -> Option<&'c Case> {
    catalog
        .get(syscall)
        .filter(|c| c.abi == catalog.arch().native_abi())
}

/// Whether the probe can install its SIGSYS and wake-up handlers and return from them, given
/// the calls it must avoid.
pub(crate) fn probe_has_handlers(avoid: &[&str], arch: Arch) -> bool {
    Role::SignalHandlers
        .options(arch)
        .iter()
        .all(|n| !avoid.contains(n))
}

/// Whether anything can wake a sleeping case: a signal from the parent or the child's own
/// timer (which needs the handlers).
pub(crate) fn probe_can_wake(avoid: &[&str], arch: Arch) -> bool {
    let signal = Role::Signal
        .options(arch)
        .iter()
        .any(|n| !avoid.contains(n));
    let timer = Role::SelfTimer
        .options(arch)
        .iter()
        .all(|n| !avoid.contains(n));
    probe_has_handlers(avoid, arch) && (signal || timer)
}

impl Oracle<'_> {
    /// What the matrix expects of each of `cases` under this filter, given its [`Start`]: the
    /// start's outcome for every cell when the cases can't run, else the probe's view of each.
    pub fn expect<'c>(
        &self,
        cases: impl IntoIterator<Item = &'c Case>,
        start: &Start,
        catalog: &Catalog,
    ) -> Vec<Prediction> {
        let blocked = start.cell_outcome().zip(start.note());
        let avoid = if blocked.is_none() {
            self.probe_avoid(catalog)
        } else {
            Vec::new()
        };
        cases
            .into_iter()
            .map(|case| match &blocked {
                Some((outcome, note)) => {
                    Prediction::new(*outcome, None, None).with_note(note.clone())
                }
                None => self.predict(case, &avoid, catalog),
            })
            .collect()
    }
}
