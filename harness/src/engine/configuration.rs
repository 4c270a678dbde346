//! A whole configuration: every requested case gets a result, even when cases kill the probe.
//!
//! The probe runs each case in a forked child; a profile can still kill the probe itself (deny
//! `fork` with KILL, say). So:
//! - when the probe dies in fork mode before reporting any case, it is rerun with
//!   `--in-process`;
//! - in in-process mode it writes `Begin{id}` before each case, so a death after a `Begin` with
//!   no `Case` is that case's result (killed by the signal in the exit code), and a fresh
//!   container carries on from the next case;
//! - a probe that dies between cases in fork mode is switched to in-process mode for the rest,
//!   so the next death can be attributed;
//! - a case's first timeout (the probe's own deadline, or the harness's watchdog) is not
//!   recorded: the case runs once more in a fresh container, and only a second timeout stands
//!   ([`Ledger::retry_timeout`]);
//! - every container must make progress (a case recorded, a case's one retry, or the mode
//!   changed) or the remaining cases are marked not run with the reason, so the loop ends;
//!   [`RestartLimits`] also bounds the number of containers.

use super::cleanup::RunId;
use super::connect::Engine;
use super::container::{
    run_probe_container, ContainerError, ContainerOutcome, ContainerSpec, ProbeOutput, QuietEnd,
};
use super::image::ProbeImage;
use seccomp_catalog::record::{CaseRecord, HostRecord, ProbeArgs, ProbeExit, Record, RunMode};
use std::collections::{HashMap, HashSet};
use std::fmt;

/// Bounds on one configuration's containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RestartLimits {
    /// Containers one configuration may use, the first included. Each case that kills the
    /// probe costs one; the default covers a profile that kills on a few hundred syscalls while
    /// keeping a pathological one from running for hours.
    pub max_containers: usize,
}

impl Default for RestartLimits {
    fn default() -> Self {
        RestartLimits {
            max_containers: 256,
        }
    }
}

/// The result of one requested case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseResult {
    /// The probe's record, or one the harness wrote for a case that killed the probe
    /// (`mode: in_process`, `signal` from the exit code, or `timed_out`).
    Ran(CaseRecord),
    NotRun {
        id: String,
        reason: NotRunReason,
    },
}

impl CaseResult {
    pub fn id(&self) -> &str {
        match self {
            CaseResult::Ran(r) => &r.id,
            CaseResult::NotRun { id, .. } => id,
        }
    }
}

/// Why a case has no result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotRunReason {
    /// The runtime could not start the container (see [`ConfigurationRun::start_error`]).
    StartFailed,
    /// [`RestartLimits::max_containers`] containers were used up.
    RestartLimit { containers: usize },
    /// The probe stopped without reporting the case and without a case to blame.
    ProbeFailed {
        exit_code: i64,
        stderr: String,
        /// It never reached its first case (no `ready` record): its footprint or set-up.
        before_first_case: bool,
    },
    /// No record came within the watchdog's deadline before the probe's first case, or the
    /// container outlived the whole-run limit.
    Timeout { before_first_case: bool },
}

impl NotRunReason {
    /// Whether the probe never reached a case: the cause is its start-up, not a case.
    pub(crate) fn before_first_case(&self) -> bool {
        match self {
            NotRunReason::ProbeFailed {
                before_first_case, ..
            }
            | NotRunReason::Timeout { before_first_case } => *before_first_case,
            NotRunReason::StartFailed | NotRunReason::RestartLimit { .. } => false,
        }
    }
}

/// A signal's name, for notes a user reads.
fn signal_name(sig: i64) -> String {
    let name = match sig {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        31 => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.to_string()
}

impl fmt::Display for NotRunReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotRunReason::StartFailed => f.write_str("the container could not start"),
            NotRunReason::RestartLimit { containers } => {
                write!(f, "stopped after {containers} containers (restart limit)")
            }
            NotRunReason::ProbeFailed {
                exit_code,
                stderr,
                before_first_case,
            } => {
                let when = if *before_first_case {
                    "before its first case"
                } else {
                    "before reaching this case"
                };
                match (exit_code, ProbeExit::from_code(*exit_code)) {
                    (129..=192, _) => write!(
                        f,
                        "the probe was killed by {} (exit {exit_code}) {when}",
                        signal_name(exit_code - 128)
                    )?,
                    (_, Some(ProbeExit::OutputFailed)) => write!(
                        f,
                        "the probe could not write its records (write, writev and vmsplice failed) {when}"
                    )?,
                    _ => write!(f, "the probe exited with {exit_code} {when}")?,
                }
                if !stderr.is_empty() {
                    write!(f, ": {stderr}")?;
                }
                Ok(())
            }
            NotRunReason::Timeout {
                before_first_case: true,
            } => f.write_str(
                "the probe gave no record within the watchdog's deadline before its first case",
            ),
            NotRunReason::Timeout {
                before_first_case: false,
            } => f.write_str("the container outlived the whole-run limit before this case"),
        }
    }
}

/// Everything one configuration produced.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConfigurationRun {
    /// The probe's host record from the first container that wrote one.
    pub host: Option<HostRecord>,
    /// One result per requested case, in the order asked.
    pub cases: Vec<CaseResult>,
    /// The runtime's message when a container could not start.
    pub start_error: Option<String>,
    /// How many containers were used.
    pub containers: usize,
    /// What the harness saw but could not use: stdout lines that are not records, the probe's
    /// stderr, mode changes, watchdog kills. Shown by `run --diagnostics`.
    pub diagnostics: Vec<String>,
}

impl ConfigurationRun {
    /// One configuration's run from runs of parts of its cases, each in containers of its
    /// own: one result per case of `case_ids` in that order, the containers added up, the
    /// first host record and start error, the parts' diagnostics one after another.
    pub fn merge(case_ids: &[String], parts: Vec<ConfigurationRun>) -> ConfigurationRun {
        let mut out = ConfigurationRun::default();
        let mut results: HashMap<String, CaseResult> = HashMap::new();
        for part in parts {
            out.host = out.host.or(part.host);
            out.start_error = out.start_error.or(part.start_error);
            out.containers += part.containers;
            out.diagnostics.extend(part.diagnostics);
            for case in part.cases {
                results.insert(case.id().to_string(), case);
            }
        }
        let mut seen = HashSet::new();
        out.cases = case_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter_map(|id| results.remove(id))
            .collect();
        out
    }
}

/// Most diagnostics kept per configuration.
const DIAGNOSTICS_LIMIT: usize = 200;
/// Most stderr characters quoted in a reason.
const STDERR_QUOTE: usize = 500;

/// The bookkeeping between containers (cases left, results, mode): the ledger of one
/// configuration's run; pure, so the restart logic is tested without Docker.
#[derive(Debug)]
struct Ledger {
    remaining: Vec<String>,
    results: HashMap<String, CaseResult>,
    mode: RunMode,
    host: Option<HostRecord>,
    diagnostics: Vec<String>,
    /// Cases whose first run timed out, run once more ([`Ledger::retry_timeout`]).
    retried: HashSet<String>,
}

/// What one container's output said about how far the probe got.
#[derive(Debug, Default)]
struct Reading {
    /// A case the probe began and never recorded: the one that ended it.
    open_begin: Option<String>,
    /// Cases recorded from this container.
    recorded: usize,
    /// Cases whose timeout in this container was not recorded, to be run once more.
    retrying: Vec<String>,
    /// The probe got as far as its `ready` record.
    ready: bool,
}

#[derive(Debug, PartialEq, Eq)]
enum Step {
    Again,
    Done,
}

impl Ledger {
    fn new(case_ids: &[String]) -> Self {
        let mut seen = HashSet::new();
        let remaining = case_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .cloned()
            .collect();
        Ledger {
            remaining,
            results: HashMap::new(),
            mode: RunMode::Fork,
            host: None,
            diagnostics: Vec::new(),
            retried: HashSet::new(),
        }
    }

    /// Whether `id`, which just timed out (`why`), runs once more instead of being recorded.
    ///
    /// A timeout is the one outcome the machine's load can make up: both deadlines are wall
    /// clock (the probe's 10 s per case, the watchdog's `--case-timeout` without a record),
    /// and an emulated engine on a busy host stalls for that long. A baseline's timeout then
    /// makes every configuration of its capability set read the kernel's answer as the
    /// filter's: on sid's 7.2 under TCG both `+SYS_ADMIN` configurations, which share one
    /// baseline, failed on `recvmmsg` alone with the kernel's EINVAL (its all-ones flags hold
    /// MSG_CMSG_COMPAT, refused before anything else on every kernel). So the first timeout of
    /// a case is noted, not recorded; the case stays among the remaining ones for the next
    /// container, and a second timeout stands. A case that really blocks costs one container
    /// and one deadline more.
    fn retry_timeout(&mut self, id: &str, why: &str) -> bool {
        self.retry_once(id, || {
            format!("{id} timed out ({why}); running it once more in a fresh container")
        })
    }

    /// Whether `id` may run once more (it is still to run and has not been retried), noting
    /// why when it may. A case gets one retry, whatever the reasons.
    fn retry_once(&mut self, id: &str, why: impl FnOnce() -> String) -> bool {
        if !self.remaining.iter().any(|r| r == id) || !self.retried.insert(id.to_string()) {
            return false;
        }
        self.note(why());
        true
    }

    /// Whether `id`, in flight when its container ended with exit status `code` and no record,
    /// runs once more instead of being blamed for it.
    ///
    /// A filter ends the probe with a signal, and the catalog's calls that end a process exit
    /// with 0, so a case that really ends the probe with another status does so every time. A
    /// runtime that crashes does it at random, and its sandbox's exit looks the same: a
    /// runtime whose sandbox panicked now and then exited 2, and the case in flight was blamed
    /// (`exited 2`, read as allowed; measured in [`seccomp_harness_core::runtime`]'s models).
    /// So the first such end of a case is noted, not recorded, and a second one stands.
    fn retry_exit(&mut self, id: &str, code: i64) -> bool {
        self.retry_once(id, || {
            format!(
                "the container ended with exit {code} and no record while {id} ran; running \
                 it once more in a fresh container"
            )
        })
    }

    /// The probe's command line for the next container: `flags`, in-process where the mode
    /// says so, and the cases left.
    fn args(&self, flags: &ProbeArgs) -> Vec<String> {
        ProbeArgs {
            in_process: flags.in_process || self.mode == RunMode::InProcess,
            ids: self.remaining.clone(),
            ..flags.clone()
        }
        .to_args()
    }

    fn note(&mut self, s: String) {
        if self.diagnostics.len() < DIAGNOSTICS_LIMIT {
            self.diagnostics.push(s);
        }
    }

    fn record(&mut self, result: CaseResult) -> bool {
        let id = result.id().to_string();
        let Some(pos) = self.remaining.iter().position(|r| *r == id) else {
            return false;
        };
        self.remaining.remove(pos);
        self.results.insert(id, result);
        true
    }

    fn fail_remaining(&mut self, reason: NotRunReason) {
        for id in std::mem::take(&mut self.remaining) {
            self.results.insert(
                id.clone(),
                CaseResult::NotRun {
                    id,
                    reason: reason.clone(),
                },
            );
        }
    }

    /// The watchdog ended a fork-mode probe that had reached its cases. They run in the order
    /// given, so the first without a record (other than those this container timed out and
    /// left for a retry, `retrying`) is the one that hung the probe (its child could be
    /// neither woken nor killed): run once more, or recorded as a timeout.
    fn blame_watchdog(&mut self, retrying: &[String]) {
        let Some(id) = self
            .remaining
            .iter()
            .find(|r| !retrying.contains(r))
            .cloned()
        else {
            return;
        };
        if self.retry_timeout(&id, "no record within the watchdog's deadline") {
            return;
        }
        self.note(format!(
            "no record within the watchdog's deadline: {id} hung the probe; restarting after it"
        ));
        self.record(CaseResult::Ran(CaseRecord {
            id,
            mode: RunMode::Fork,
            timed_out: true,
            abandoned: true,
            ..Default::default()
        }));
    }

    /// Takes in one container's output and says whether another container is needed.
    fn absorb(&mut self, out: &ProbeOutput) -> Step {
        let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
        if !stderr.is_empty() {
            self.note(format!("probe stderr: {stderr}"));
        }
        let Reading {
            open_begin,
            recorded,
            retrying,
            ready,
        } = self.read_records(&String::from_utf8_lossy(&out.stdout));
        if self.remaining.is_empty() {
            return Step::Done;
        }

        // A Begin without its Case: that case ended the probe.
        if let Some(id) = open_begin {
            // The watchdog's kill, not the whole-container limit (a last resort, too long to
            // wait for twice).
            if out.quiet_end == Some(QuietEnd::Watchdog)
                && self.retry_timeout(&id, "no record within the watchdog's deadline")
            {
                return Step::Again;
            }
            let signal = out.signal();
            if signal.is_none()
                && !out.ran_out()
                && out.exit_code != 0
                && self.retry_exit(&id, out.exit_code)
            {
                return Step::Again;
            }
            let rec = CaseRecord {
                id: id.clone(),
                mode: RunMode::InProcess,
                signal,
                timed_out: out.ran_out(),
                exit_status: (signal.is_none() && !out.ran_out()).then_some(out.exit_code as i32),
                ..Default::default()
            };
            if self.record(CaseResult::Ran(rec)) {
                return Step::Again;
            }
            self.note(format!("probe began a case not asked for: {id}"));
        }

        if out.quiet_end == Some(QuietEnd::Watchdog) && ready && self.mode == RunMode::Fork {
            self.blame_watchdog(&retrying);
            return Step::Again;
        }
        if !retrying.is_empty() {
            // A fresh container in the same mode: a death that comes again is handled then.
            return Step::Again;
        }
        if self.mode == RunMode::Fork {
            // Died before any case (the fork itself was denied), or between cases: either way
            // the parent was hit, and only in-process mode can say by which case.
            self.mode = RunMode::InProcess;
            self.note(format!(
                "probe exited with {} in fork mode after {recorded} case(s); rerunning the rest \
                 with --in-process",
                out.exit_code
            ));
            return Step::Again;
        }
        if recorded > 0 {
            return Step::Again;
        }
        let before_first_case = !ready && self.results.is_empty();
        let reason = if out.ran_out() {
            NotRunReason::Timeout { before_first_case }
        } else {
            NotRunReason::ProbeFailed {
                exit_code: out.exit_code,
                stderr: stderr.chars().take(STDERR_QUOTE).collect(),
                before_first_case,
            }
        };
        self.fail_remaining(reason);
        Step::Done
    }

    /// Records the probe's output, line by line: its host record, its cases, and notes for
    /// what is no record or a case not asked for.
    fn read_records(&mut self, stdout: &str) -> Reading {
        let mut reading = Reading::default();
        for line in stdout.lines().map(str::trim).filter(|l| !l.is_empty()) {
            match serde_json::from_str::<Record>(line) {
                Ok(Record::Host(h)) => {
                    if self.host.is_none() {
                        self.host = Some(h);
                    }
                }
                Ok(Record::Ready { .. }) => reading.ready = true,
                Ok(Record::Begin { id }) => reading.open_begin = Some(id),
                Ok(Record::Case(rec)) => {
                    if reading.open_begin.as_deref() == Some(rec.id.as_str()) {
                        reading.open_begin = None;
                    }
                    let id = rec.id.clone();
                    if rec.timed_out && self.retry_timeout(&id, "the probe's own deadline") {
                        reading.retrying.push(id);
                        continue;
                    }
                    if self.record(CaseResult::Ran(rec)) {
                        reading.recorded += 1;
                    } else {
                        self.note(format!("probe reported a case not asked for: {id}"));
                    }
                }
                Err(e) => self.note(format!("not a probe record ({e}): {line}")),
            }
        }
        reading
    }

    fn finish(
        mut self,
        case_ids: &[String],
        containers: usize,
        start_error: Option<String>,
    ) -> ConfigurationRun {
        let mut seen = HashSet::new();
        let cases = case_ids
            .iter()
            .filter(|id| seen.insert(id.as_str()))
            .filter_map(|id| self.results.remove(id))
            .collect();
        ConfigurationRun {
            host: self.host,
            cases,
            start_error,
            containers,
            diagnostics: self.diagnostics,
        }
    }
}

/// Runs `case_ids` under `spec`, restarting the probe past cases that kill it, and returns a
/// result for each case. An empty `case_ids` runs nothing (the probe would take it as "all").
///
/// A container that cannot start is a result ([`ConfigurationRun::start_error`]), not an error;
/// errors are the engine failing the harness (create, attach, wait, remove).
pub async fn run_configuration(
    engine: &Engine,
    image: &ProbeImage,
    run: &RunId,
    spec: &ContainerSpec,
    case_ids: &[String],
    limits: RestartLimits,
) -> Result<ConfigurationRun, ContainerError> {
    run_configuration_with(case_ids, spec, limits, |args, expect| async move {
        run_probe_container(engine, image, run, spec, &args, &expect).await
    })
    .await
}

/// [`run_configuration`] with the container run given as a function of the probe's arguments
/// and the cases it is expected to report: the Docker engine's container, or a CRI node's pod
/// (`engine::cri`). The restart bookkeeping is the same for both.
pub(crate) async fn run_configuration_with<F, Fut>(
    case_ids: &[String],
    spec: &ContainerSpec,
    limits: RestartLimits,
    mut run_one: F,
) -> Result<ConfigurationRun, ContainerError>
where
    F: FnMut(Vec<String>, Vec<String>) -> Fut,
    Fut: std::future::Future<Output = Result<ContainerOutcome, ContainerError>>,
{
    let mut ledger = Ledger::new(case_ids);
    let mut containers = 0;
    let mut start_error = None;
    while !ledger.remaining.is_empty() {
        if containers >= limits.max_containers {
            ledger.fail_remaining(NotRunReason::RestartLimit { containers });
            break;
        }
        containers += 1;
        let args = ledger.args(&spec.probe_args);
        match run_one(args, ledger.remaining.clone()).await? {
            ContainerOutcome::StartFailed { message } => {
                start_error = Some(message);
                ledger.fail_remaining(NotRunReason::StartFailed);
                break;
            }
            ContainerOutcome::Exited(out) => {
                if ledger.absorb(&out) == Step::Done {
                    break;
                }
            }
        }
    }
    Ok(ledger.finish(case_ids, containers, start_error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn line(r: &Record) -> String {
        serde_json::to_string(r).unwrap() + "\n"
    }

    fn case(id: &str, mode: RunMode, errno: Option<i32>) -> Record {
        Record::Case(CaseRecord {
            id: id.into(),
            mode,
            ret: Some(if errno.is_some() { -1 } else { 0 }),
            errno,
            ..Default::default()
        })
    }

    /// The probe's own exits, as the container reports them.
    const DONE: i64 = ProbeExit::Done.code() as i64;
    const USAGE: i64 = ProbeExit::Usage.code() as i64;

    fn output(lines: &[Record], exit_code: i64) -> ProbeOutput {
        ProbeOutput {
            stdout: lines.iter().map(line).collect::<String>().into_bytes(),
            exit_code,
            ..Default::default()
        }
    }

    #[test]
    fn a_clean_run_needs_one_container() {
        let mut p = Ledger::new(&ids(&["a", "b"]));
        assert_eq!(p.args(&ProbeArgs::default()), ids(&["a", "b"]));
        let out = output(
            &[
                Record::Host(HostRecord::default()),
                case("a", RunMode::Fork, None),
                case("b", RunMode::Fork, Some(1)),
            ],
            DONE,
        );
        assert_eq!(p.absorb(&out), Step::Done);
        let run = p.finish(&ids(&["a", "b"]), 1, None);
        assert!(run.host.is_some());
        assert_eq!(run.cases.len(), 2);
        assert!(matches!(&run.cases[1], CaseResult::Ran(r) if r.errno == Some(1)));
    }

    #[test]
    fn a_fork_that_dies_first_is_rerun_in_process_and_a_killing_case_is_skipped() {
        let all = ids(&["a", "b", "c"]);
        let mut p = Ledger::new(&all);
        // The fork itself was killed: only the host record came out.
        let out = output(&[Record::Host(HostRecord::default())], 159);
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(
            p.args(&ProbeArgs::default()),
            ids(&["--in-process", "a", "b", "c"])
        );
        // In process, b kills the probe.
        let out = output(
            &[
                Record::Begin { id: "a".into() },
                case("a", RunMode::InProcess, None),
                Record::Begin { id: "b".into() },
            ],
            159,
        );
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(p.args(&ProbeArgs::default()), ids(&["--in-process", "c"]));
        let out = output(
            &[
                Record::Begin { id: "c".into() },
                case("c", RunMode::InProcess, None),
            ],
            DONE,
        );
        assert_eq!(p.absorb(&out), Step::Done);
        let run = p.finish(&all, 3, None);
        let CaseResult::Ran(b) = &run.cases[1] else {
            panic!("{:?}", run.cases[1])
        };
        assert_eq!(
            (b.id.as_str(), b.signal, b.mode),
            ("b", Some(31), RunMode::InProcess)
        );
        assert_eq!(
            run.cases.iter().map(CaseResult::id).collect::<Vec<_>>(),
            all
        );
    }

    #[test]
    fn a_probe_that_makes_no_progress_stops_the_configuration() {
        let mut p = Ledger::new(&ids(&["a", "b"]));
        let failed = ProbeOutput {
            stderr: b"unknown case id a".to_vec(),
            exit_code: USAGE,
            ..Default::default()
        };
        assert_eq!(p.absorb(&failed), Step::Again); // fork -> in-process
        assert_eq!(p.absorb(&failed), Step::Done);
        let run = p.finish(&ids(&["a", "b"]), 2, None);
        assert!(run.cases.iter().all(|c| matches!(
            c,
            CaseResult::NotRun { reason: NotRunReason::ProbeFailed { exit_code: USAGE, stderr, .. }, .. }
                if stderr.contains("unknown case id")
        )));
        assert!(!run.diagnostics.is_empty());
    }

    #[test]
    fn a_failed_probes_note_tells_its_own_exits_from_a_signal() {
        let note = |exit_code| {
            NotRunReason::ProbeFailed {
                exit_code,
                stderr: String::new(),
                before_first_case: true,
            }
            .to_string()
        };
        let unwritten = note(ProbeExit::OutputFailed.code().into());
        assert!(
            unwritten.contains("could not write its records"),
            "{unwritten}"
        );
        assert_eq!(note(USAGE), "the probe exited with 2 before its first case");
        assert!(note(159).contains("killed by SIGSYS (exit 159)"));
    }

    #[test]
    fn garbage_lines_are_kept_as_diagnostics_and_duplicates_run_once() {
        let mut p = Ledger::new(&ids(&["a", "a"]));
        assert_eq!(p.args(&ProbeArgs::default()), ids(&["a"]));
        let mut out = output(&[case("a", RunMode::Fork, None)], DONE);
        out.stdout.splice(0..0, b"421\n".iter().copied());
        assert_eq!(p.absorb(&out), Step::Done);
        let run = p.finish(&ids(&["a", "a"]), 1, None);
        assert_eq!(run.cases.len(), 1);
        assert!(run.diagnostics[0].contains("421"), "{:?}", run.diagnostics);
    }

    #[test]
    fn parts_merge_into_one_run_in_the_order_asked() {
        let part = |cases: &[&str], containers, diagnostic: &str| ConfigurationRun {
            cases: cases
                .iter()
                .map(|id| {
                    CaseResult::Ran(CaseRecord {
                        id: id.to_string(),
                        ..Default::default()
                    })
                })
                .collect(),
            containers,
            diagnostics: vec![diagnostic.to_string()],
            ..Default::default()
        };
        let run = ConfigurationRun::merge(
            &ids(&["a", "b", "c", "d"]),
            vec![
                part(&["d"], 1, "second"),
                part(&["c", "a", "b"], 2, "first"),
            ],
        );
        assert_eq!(
            run.cases.iter().map(CaseResult::id).collect::<Vec<_>>(),
            ["a", "b", "c", "d"]
        );
        assert_eq!(run.containers, 3);
        assert_eq!(run.diagnostics, ["second", "first"]);
        assert_eq!((run.host, run.start_error), (None, None));
    }

    fn timed_out(id: &str) -> Record {
        Record::Case(CaseRecord {
            id: id.into(),
            mode: RunMode::Fork,
            timed_out: true,
            ..Default::default()
        })
    }

    #[test]
    fn a_case_past_the_probes_deadline_runs_once_more_and_its_second_answer_stands() {
        let all = ids(&["a", "b"]);
        let mut p = Ledger::new(&all);
        // A starved machine: a, which answers at once, passed the probe's 10 s.
        let out = output(&[timed_out("a"), case("b", RunMode::Fork, None)], DONE);
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(p.args(&ProbeArgs::default()), ids(&["a"]));
        assert!(!p.results.contains_key("a"));
        let out = output(&[case("a", RunMode::Fork, Some(22))], DONE);
        assert_eq!(p.absorb(&out), Step::Done);
        let run = p.finish(&all, 2, None);
        let CaseResult::Ran(a) = &run.cases[0] else {
            panic!("{:?}", run.cases[0])
        };
        assert_eq!((a.errno, a.timed_out), (Some(22), false));
        assert!(
            run.diagnostics[0].contains("a timed out (the probe's own deadline)"),
            "{:?}",
            run.diagnostics
        );
    }

    #[test]
    fn a_second_timeout_is_recorded() {
        let mut p = Ledger::new(&ids(&["a"]));
        assert_eq!(p.absorb(&output(&[timed_out("a")], DONE)), Step::Again);
        assert_eq!(p.absorb(&output(&[timed_out("a")], DONE)), Step::Done);
        let CaseResult::Ran(a) = &p.results["a"] else {
            panic!()
        };
        assert!(a.timed_out);
    }

    #[test]
    fn the_watchdogs_first_kill_reruns_the_case_it_blames() {
        let all = ids(&["a", "b", "c"]);
        let mut p = Ledger::new(&all);
        let ready = Record::Ready {
            mode: RunMode::Fork,
        };
        let watchdog = |records: &[Record]| ProbeOutput {
            quiet_end: Some(QuietEnd::Watchdog),
            ..output(records, 137)
        };
        // a recorded, then nothing for the watchdog's deadline: b is blamed, and run again.
        let out = watchdog(&[ready.clone(), case("a", RunMode::Fork, None)]);
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(p.args(&ProbeArgs::default()), ids(&["b", "c"]));
        // b times out on the probe's deadline, its second timeout: recorded. Then c hangs the
        // probe: c is blamed (not b), and run again.
        let out = watchdog(&[ready.clone(), timed_out("b")]);
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(p.args(&ProbeArgs::default()), ids(&["c"]));
        // c hangs it again: recorded as the watchdog's timeout.
        p.absorb(&watchdog(&[ready]));
        assert!(p.remaining.is_empty());
        let run = p.finish(&all, 3, None);
        for c in &run.cases[1..] {
            let CaseResult::Ran(r) = c else {
                panic!("{c:?}")
            };
            assert!(r.timed_out, "{r:?}");
        }
        let CaseResult::Ran(c) = &run.cases[2] else {
            panic!()
        };
        assert!(c.abandoned, "{c:?}");
    }

    #[test]
    fn the_watchdogs_kill_in_process_is_retried_once_but_not_the_whole_run_limit() {
        let mut p = Ledger::new(&ids(&["a", "b"]));
        p.mode = RunMode::InProcess;
        let mut out = output(&[Record::Begin { id: "a".into() }], 137);
        out.quiet_end = Some(QuietEnd::Watchdog);
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(
            p.args(&ProbeArgs::default()),
            ids(&["--in-process", "a", "b"])
        );
        assert_eq!(p.absorb(&out), Step::Again);
        let CaseResult::Ran(a) = &p.results["a"] else {
            panic!()
        };
        assert!(a.timed_out);
    }

    #[test]
    fn a_case_in_flight_when_its_container_exits_nonzero_runs_once_more() {
        let all = ids(&["a", "b"]);
        let mut p = Ledger::new(&all);
        p.mode = RunMode::InProcess;
        // The sandbox crashed while a ran: exit 2, no record of a.
        let out = output(&[Record::Begin { id: "a".into() }], 2);
        assert_eq!(p.absorb(&out), Step::Again);
        assert!(!p.results.contains_key("a"));
        assert_eq!(
            p.args(&ProbeArgs::default()),
            ids(&["--in-process", "a", "b"])
        );
        let out = output(
            &[
                case("a", RunMode::InProcess, None),
                case("b", RunMode::InProcess, None),
            ],
            DONE,
        );
        assert_eq!(p.absorb(&out), Step::Done);
        let run = p.finish(&all, 2, None);
        let CaseResult::Ran(a) = &run.cases[0] else {
            panic!("{:?}", run.cases[0])
        };
        assert_eq!((a.exit_status, a.ret), (None, Some(0)));
        assert!(
            run.diagnostics[0].contains("ended with exit 2 and no record while a ran"),
            "{:?}",
            run.diagnostics
        );
    }

    #[test]
    fn a_second_nonzero_exit_is_the_cases_and_an_exit_with_0_is_at_once() {
        let mut p = Ledger::new(&ids(&["a", "b"]));
        p.mode = RunMode::InProcess;
        let out = output(&[Record::Begin { id: "a".into() }], 2);
        assert_eq!(p.absorb(&out), Step::Again);
        assert_eq!(p.absorb(&out), Step::Again);
        let CaseResult::Ran(a) = &p.results["a"] else {
            panic!()
        };
        assert_eq!(a.exit_status, Some(2));
        // b calls exit(0): the catalog's way to end a process, recorded the first time.
        let out = output(&[Record::Begin { id: "b".into() }], 0);
        p.absorb(&out);
        let CaseResult::Ran(b) = &p.results["b"] else {
            panic!()
        };
        assert_eq!(b.exit_status, Some(0));
    }

    #[test]
    fn a_timed_out_in_process_case_is_recorded_as_such() {
        let mut p = Ledger::new(&ids(&["a", "b"]));
        p.mode = RunMode::InProcess;
        let mut out = output(&[Record::Begin { id: "a".into() }], 137);
        out.quiet_end = Some(QuietEnd::TimedOut);
        assert_eq!(p.absorb(&out), Step::Again);
        let CaseResult::Ran(a) = &p.results["a"] else {
            panic!()
        };
        assert!(a.timed_out);
    }
}

#[cfg(test)]
mod stream_props;
