//! Turns the records of a plan's container runs into the matrix: classification per cell, the
//! oracle's expectation beside it, and the verdict. Pure.

use crate::classify::{
    classify, describe_record, filter_errnos, same_behaviour, verdict, Attribution, CaseRuns,
    TaggedRun,
};
use crate::matrix::{Cell, Configuration, Expected, HostFacts, Matrix, Observed, Verdict};
use crate::oracle::Start;
use crate::outcome::Outcome;
use crate::plan::input::{LoadedProfile, ProfileKind};
use crate::plan::{JobKind, Plan, PlannedConfiguration, PlannedRuntime, Predictions};
use crate::profile::tag::Slot;
use crate::runtime::runtime_model;
use crate::runtime::Runtime;
use seccomp_catalog::record::{CaseRecord, HostRecord};
use std::collections::HashMap;

/// Why a case has no record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRun {
    pub message: String,
    /// The probe never reached its first case (it died or hung in its start-up).
    pub before_first_case: bool,
}

/// What one container run (with its restarts) gave, engine-neutral.
#[derive(Debug, Clone, Default)]
pub struct JobResult {
    pub host: Option<HostRecord>,
    pub records: HashMap<String, CaseRecord>,
    /// Cases the probe never reached, with the reason.
    pub not_run: HashMap<String, NotRun>,
    /// The runtime's message when the container could not start.
    pub start_error: Option<String>,
    /// What the harness saw but could not use (see `ConfigurationRun::diagnostics`).
    pub diagnostics: Vec<String>,
}

/// The results of a plan's containers, by what each was for.
pub type JobResults = HashMap<JobKind, JobResult>;

/// What a run's containers came back with, tallied once for the Docker and the CRI paths.
pub struct Tally {
    /// Containers started in all, and per job (the benchmark's count).
    pub containers: usize,
    pub containers_by_job: Vec<(String, usize)>,
    pub results: JobResults,
    /// What each job saw but could not use (`run --diagnostics`), sorted by job.
    pub diagnostics: Vec<(String, Vec<String>)>,
}

/// Tallies the jobs' results, each with the number of containers it took; each job is named
/// by its label in `plan` ([`Plan::job_label`]).
pub fn tally(plan: &Plan, jobs: Vec<(JobKind, JobResult, usize)>) -> Tally {
    let containers = jobs.iter().map(|(_, _, n)| n).sum();
    let containers_by_job = jobs
        .iter()
        .map(|(k, _, n)| (plan.job_label(*k), *n))
        .collect();
    let results: JobResults = jobs.into_iter().map(|(k, r, _)| (k, r)).collect();
    let mut diagnostics: Vec<(String, Vec<String>)> = results
        .iter()
        .filter(|(_, r)| !r.diagnostics.is_empty())
        .map(|(k, r)| (plan.job_label(*k), r.diagnostics.clone()))
        .collect();
    diagnostics.sort();
    Tally {
        containers,
        containers_by_job,
        results,
        diagnostics,
    }
}

/// Builds the matrix from the jobs' results and the oracle's predictions: per configuration
/// its [`Column`] (its runs, its start, how its denials are attributed), then a cell per case
/// it has. `bounding_set` is the capability bounding set where the harness runs, which the
/// harness reads (`None` where it can't tell): a start error names a capability outside it.
pub fn assemble(
    plan: &Plan,
    predictions: &Predictions,
    results: &JobResults,
    host: HostFacts,
    bounding_set: Option<u64>,
) -> Matrix {
    let mut configurations = Vec::new();
    let mut cells = Vec::new();
    for c in 0..plan.configurations.len() {
        let column = Column::of(plan, c, results, &host, bounding_set);
        configurations.push(column.configuration());
        let errnos = column.errnos();
        let upstream_errnos = column.upstream_errnos();
        let attribution = column.attribution(&errnos);
        let upstream = column.upstream(results, &upstream_errnos);
        for (i, id) in plan.case_ids.iter().enumerate() {
            if plan.has_cell(c, id) {
                cells.push(column.cell(i, id, predictions, &attribution, upstream.as_ref()));
            }
        }
    }
    let mut matrix = Matrix::new(host, configurations, cells);
    matrix.readiness = crate::readiness::of(&matrix);
    matrix
}

/// One configuration of the matrix as its cells are assembled: its runs (as written, tagged,
/// the baseline of its capability set and runtime) and what decides every one of its cells.
struct Column<'a> {
    plan: &'a Plan,
    c: usize,
    conf: &'a PlannedConfiguration,
    profile: &'a LoadedProfile,
    runtime: &'a PlannedRuntime,
    caps: Vec<String>,
    as_is: Option<&'a JobResult>,
    tagged: Option<&'a JobResult>,
    baseline: Option<&'a JobResult>,
    /// The runtime's errnos carry no sentinel: its tagged copy traps instead.
    trapping: bool,
    /// Why the runtime ignored the calibration's rules, so this profile too: none of its
    /// cells shows what the profile does (unconfined has no profile to ignore).
    not_enforced: Option<&'a String>,
    /// Held back and not started (`--start-held-back` starts it: then its run decides).
    held_back: bool,
    start_error: Option<String>,
}

impl<'a> Column<'a> {
    fn of(
        plan: &'a Plan,
        c: usize,
        results: &'a JobResults,
        host: &'a HostFacts,
        bounding_set: Option<u64>,
    ) -> Column<'a> {
        let conf = &plan.configurations[c];
        let profile = &plan.profiles[conf.profile];
        let runtime = &plan.runtimes[conf.runtime];
        let as_is = results.get(&plan.as_is_job(c));
        let baseline = results.get(&JobKind::Baseline {
            cap_set: conf.cap_set,
            runtime: conf.runtime,
        });
        let not_enforced = match profile.kind {
            ProfileKind::Unconfined => None,
            _ => host.seccomp.not_enforced.get(runtime.engine_name()),
        };
        let held_back = matches!(conf.start, Start::HeldBack(_)) && as_is.is_none();
        let start_error = if held_back {
            conf.start.note()
        } else {
            as_is
                .and_then(|r| r.start_error.as_deref())
                .map(|e| start_error(plan, conf, e, baseline, bounding_set))
        };
        Column {
            plan,
            c,
            conf,
            profile,
            runtime,
            caps: plan.cap_sets[conf.cap_set].written(),
            as_is,
            tagged: results.get(&JobKind::Tagged { configuration: c }),
            baseline,
            trapping: !runtime.model.returns_sentinels(),
            not_enforced,
            held_back,
            start_error,
        }
    }

    /// The configuration's entry in the matrix.
    fn configuration(&self) -> Configuration {
        Configuration {
            id: self.conf.id.clone(),
            profile: self.profile.name.clone(),
            source: self.profile.source.clone(),
            sha256: self.profile.sha256.clone(),
            caps: self.caps.clone(),
            runtime: self.runtime.name.clone(),
            start_error: self.start_error.clone(),
            engine: None,
        }
    }

    /// The errnos the profile's filter can answer (a file's; none for builtin and unconfined).
    fn errnos(&self) -> Vec<i32> {
        match &self.profile.kind {
            ProfileKind::File { profile: p, .. } => filter_errnos(p),
            _ => Vec::new(),
        }
    }

    /// builtin's: the errnos of upstream's profile beside it.
    fn upstream_errnos(&self) -> Vec<i32> {
        let ProfileKind::Builtin = self.profile.kind else {
            return Vec::new();
        };
        self.upstream_configuration()
            .and_then(|u| match &self.plan.profiles[u.profile].kind {
                ProfileKind::File { profile: p, .. } => Some(filter_errnos(p)),
                _ => None,
            })
            .unwrap_or_default()
    }

    fn upstream_configuration(&self) -> Option<&'a PlannedConfiguration> {
        let u = self
            .plan
            .upstream_configuration(self.conf.cap_set, self.conf.runtime)?;
        Some(&self.plan.configurations[u])
    }

    /// How the configuration's denials are attributed to rules.
    fn attribution<'e>(&self, errnos: &'e [i32]) -> Attribution<'e>
    where
        'a: 'e,
    {
        match &self.profile.kind {
            ProfileKind::File { tagged, .. } => {
                Attribution::of_tagged(tagged, self.trapping, errnos)
            }
            ProfileKind::Unconfined => Attribution::NoFilter,
            ProfileKind::Builtin => Attribution::Untaggable,
        }
    }

    /// builtin's stand-in: builtin can't be tagged, so upstream's profile for the engine's
    /// release, run as a file beside it (as written and tagged), attributes its denials where
    /// the two behave alike, and shows drift where they don't. `None` for every other kind.
    fn upstream<'e>(&self, results: &'a JobResults, errnos: &'e [i32]) -> Option<Upstream<'e>>
    where
        'a: 'e,
    {
        let ProfileKind::Builtin = self.profile.kind else {
            return None;
        };
        let u = self
            .plan
            .upstream_configuration(self.conf.cap_set, self.conf.runtime)?;
        let up = &self.plan.configurations[u];
        let ProfileKind::File { tagged, .. } = &self.plan.profiles[up.profile].kind else {
            return None;
        };
        Some(Upstream {
            id: &up.id,
            as_is: results.get(&JobKind::AsIs { configuration: u }),
            tagged: results.get(&JobKind::Tagged { configuration: u }),
            tagged_allows: &up.tagged_allows,
            attribution: Attribution::of_tagged(tagged, self.trapping, errnos),
        })
    }

    /// The cell of case `id` (`i` in the plan's case order).
    fn cell(
        &self,
        i: usize,
        id: &str,
        predictions: &Predictions,
        attribution: &Attribution<'_>,
        upstream: Option<&Upstream<'_>>,
    ) -> Cell {
        let case = self.plan.case(id).expect("planned cases are known");
        let mut expected = predictions.get(self.c, i).map(|p| p.to_expected());
        if self.start_error.is_none() {
            let baseline = self.baseline.and_then(|b| b.records.get(id));
            expected = self
                .runtime
                .model
                .measured_expectation(case, baseline)
                .or(expected);
        }
        let (mut observed, drift) = self.observe(id, case, attribution, upstream);
        let verdict = self.verdict(&mut observed, drift, expected.as_ref());
        Cell {
            configuration: self.conf.id.clone(),
            profile: self.profile.name.clone(),
            caps: self.caps.clone(),
            case: id.to_string(),
            syscall: case.syscall.to_string(),
            abi: case.abi.name().to_string(),
            observed,
            expected: expected.unwrap_or_else(|| unpredicted(self.plan)),
            verdict,
        }
    }

    /// What the runs show of case `id`, and for builtin, why it drifts from upstream's
    /// profile where it does.
    fn observe(
        &self,
        id: &str,
        case: &seccomp_catalog::Case,
        attribution: &Attribution<'_>,
        upstream: Option<&Upstream<'_>>,
    ) -> (Observed, Option<String>) {
        if self.held_back {
            // Nothing ran, so nothing was observed: the cell says why, and its verdict is
            // `held_back`, never a pass.
            return (
                nothing_observed(Outcome::NotRun, self.start_error.clone()),
                None,
            );
        }
        if let Some(msg) = &self.start_error {
            return (
                nothing_observed(Outcome::StartFailed, Some(msg.clone())),
                None,
            );
        }
        if let Some(why) = self.runtime.model.abi_not_run(case.abi) {
            // The probe's call ran (and answered ENOSYS, unconfined too), but no profile can
            // decide it: the runtime runs no call of its ABI.
            let saw = self
                .as_is
                .and_then(|r| r.records.get(id))
                .map(|r| format!(" (the probe's call: {})", describe_record(r)))
                .unwrap_or_default();
            let note = format!("{why}{saw}");
            return (nothing_observed(Outcome::NotRun, Some(note)), None);
        }
        if let Some(reason) = self.as_is.and_then(|r| r.not_run.get(id)) {
            let note = not_run_note(reason, &self.conf.start);
            return (nothing_observed(Outcome::NotRun, Some(note)), None);
        }
        let silence = tagged_silence(self.tagged, id, case.syscall, &self.conf.tagged_allows);
        let runs = CaseRuns {
            observed: self.as_is.and_then(|r| r.records.get(id)),
            baseline: self.baseline.and_then(|r| r.records.get(id)),
            tagged: tagged_run(self.tagged, id, silence.as_deref()),
        };
        match upstream {
            Some(up) => up.classify(Slot::of(case), id, case.syscall, runs),
            None => (classify(Slot::of(case), runs, attribution), None),
        }
    }

    /// The cell's verdict: held back, not enforced (named first in the note), drift, or the
    /// observation judged against the expectation.
    fn verdict(
        &self,
        observed: &mut Observed,
        drift: Option<String>,
        expected: Option<&Expected>,
    ) -> Verdict {
        match (self.not_enforced, drift) {
            _ if self.held_back => Verdict::HeldBack,
            (Some(why), _) => {
                let why = format!("not enforced on this runtime: {why}");
                crate::matrix::prepend_note(&mut observed.note, why);
                Verdict::NotEnforced
            }
            (None, Some(_)) => Verdict::Drift,
            (None, None) => verdict(observed, expected),
        }
    }
}

/// A cell where nothing was observed, with why.
fn nothing_observed(outcome: Outcome, note: Option<String>) -> Observed {
    Observed {
        outcome,
        errno: None,
        signal: None,
        rule: None,
        note,
    }
}

/// A configuration's start error as the matrix gives it: with its cause where it lies outside
/// seccomp (a capability the host's bounding set lacks, a baseline that failed alike), else
/// with the oracle's account of the start.
fn start_error(
    plan: &Plan,
    conf: &PlannedConfiguration,
    message: &str,
    baseline: Option<&JobResult>,
    bounding_set: Option<u64>,
) -> String {
    let outside = crate::start_failure::outside_seccomp(
        message,
        &plan.cap_sets[conf.cap_set].caps,
        bounding_set,
        baseline.and_then(|b| b.start_error.as_deref()),
    );
    match outside {
        Some(cause) => format!("{message} ({cause})"),
        None => start_failure_message(message, &conf.start, &plan.runtimes[conf.runtime].model),
    }
}

/// Takes out of `matrix` every configuration that needs a job whose container run ended in an
/// engine error (its own run, its tagged copy, its baseline, its runtime's calibration, and
/// for builtin upstream's runs), with its cells and coverage, and names each in
/// `missing_configurations` with the first such job's error. The other configurations keep
/// everything: their jobs all completed.
pub fn leave_out_failed(matrix: &mut Matrix, plan: &Plan, failed: &[(JobKind, String)]) {
    if failed.is_empty() {
        return;
    }
    let error_of = |kind: JobKind| {
        failed
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, e)| e.clone())
    };
    let mut missing = Vec::new();
    for (c, conf) in plan.configurations.iter().enumerate() {
        let mut needs = vec![
            plan.as_is_job(c),
            JobKind::Tagged { configuration: c },
            JobKind::Baseline {
                cap_set: conf.cap_set,
                runtime: conf.runtime,
            },
            JobKind::Calibration {
                runtime: conf.runtime,
            },
        ];
        if matches!(plan.profiles[conf.profile].kind, ProfileKind::Builtin) {
            if let Some(u) = plan.upstream_configuration(conf.cap_set, conf.runtime) {
                needs.push(JobKind::AsIs { configuration: u });
                needs.push(JobKind::Tagged { configuration: u });
            }
        }
        if let Some(error) = needs.into_iter().find_map(error_of) {
            missing.push(crate::matrix::MissingConfiguration {
                id: conf.id.clone(),
                error,
            });
        }
    }
    let gone = |id: &str| missing.iter().any(|m| m.id == id);
    matrix.configurations.retain(|c| !gone(&c.id));
    matrix.cells.retain(|c| !gone(&c.configuration));
    matrix.coverage.retain(|c| !gone(&c.configuration));
    matrix.missing_configurations.extend(missing);
    matrix.readiness = crate::readiness::of(matrix);
}

/// Why the tagged run has nothing to say about case `id` on `syscall`: it failed to start (the
/// tagged copy of a huge profile once exceeded the kernel's filter size while the original
/// loaded), it never reached the case, its copy allows the call on purpose (`allows`: the
/// runtime's and the probe's calls, which survive an errno but not the copy's trap), or it
/// gave no record. Its denials in the as-is run then can't be attributed to a rule, and an
/// errno the kernel gives unconfined too can't be told from the filter's. `None` where it can
/// speak, or where there is no tagged run.
fn tagged_silence(
    tagged: Option<&JobResult>,
    id: &str,
    syscall: &str,
    allows: &[String],
) -> Option<String> {
    let tagged = tagged?;
    if let Some(e) = &tagged.start_error {
        return Some(format!(
            "the tagged copy of the profile failed to start ({e})"
        ));
    }
    if let Some(r) = tagged.not_run.get(id) {
        return Some(format!(
            "the tagged run did not reach this case ({})",
            r.message
        ));
    }
    if allows.iter().any(|a| a == syscall) {
        return Some(format!(
            "the tagged copy allows {syscall} on purpose (the runtime and the probe survive an errno there, not the copy's trapping default)"
        ));
    }
    if !tagged.records.contains_key(id) {
        return Some("the tagged run gave no record of this case".into());
    }
    None
}

/// The tagged run's word on case `id`: silent for `silence`, else its record.
fn tagged_run<'a>(
    tagged: Option<&'a JobResult>,
    id: &str,
    silence: Option<&'a str>,
) -> TaggedRun<'a> {
    match (silence, tagged.and_then(|r| r.records.get(id))) {
        (Some(why), _) => TaggedRun::Silent(why),
        (None, Some(r)) => TaggedRun::Record(r),
        (None, None) => TaggedRun::None,
    }
}

/// Why a case has no observation, with the oracle's cause where the probe never reached its
/// cases: the user learns which call stopped it and whose call it is.
fn not_run_note(reason: &NotRun, start: &Start) -> String {
    match (reason.before_first_case, start) {
        (true, Start::ProbeCannotRun(b)) => format!("{}: {b}", reason.message),
        (true, _) => format!(
            "{}; the oracle predicted no call of the probe's footprint or output to stop it",
            reason.message
        ),
        (false, _) => reason.message.clone(),
    }
}

/// Upstream's profile for the engine's release, run beside builtin with the same
/// capabilities.
struct Upstream<'a> {
    id: &'a str,
    as_is: Option<&'a JobResult>,
    tagged: Option<&'a JobResult>,
    tagged_allows: &'a [String],
    attribution: Attribution<'a>,
}

impl Upstream<'_> {
    /// builtin's cell: classified with upstream's tagged run where builtin behaved as
    /// upstream's profile did, so the denial gets its rule; otherwise classified alone, with
    /// the reason it drifts.
    fn classify(
        &self,
        slot: Slot,
        id: &str,
        syscall: &str,
        runs: CaseRuns<'_>,
    ) -> (Observed, Option<String>) {
        let upstream = self.as_is.and_then(|r| r.records.get(id));
        match (runs.observed, upstream) {
            (Some(b), Some(u)) if same_behaviour(b, u) => {
                let silence = tagged_silence(self.tagged, id, syscall, self.tagged_allows);
                let runs = CaseRuns {
                    tagged: tagged_run(self.tagged, id, silence.as_deref()),
                    ..runs
                };
                (classify(slot, runs, &self.attribution), None)
            }
            (Some(b), u) => {
                let why = match u {
                    Some(u) => format!(
                        "drift: builtin {}, upstream's profile as a file ({}) {}",
                        describe_record(b),
                        self.id,
                        describe_record(u)
                    ),
                    None => format!(
                        "drift: upstream's profile as a file ({}) gave no record to compare with",
                        self.id
                    ),
                };
                let mut observed = classify(slot, runs, &Attribution::Untaggable);
                crate::matrix::prepend_note(&mut observed.note, why.clone());
                (observed, Some(why))
            }
            (None, _) => (classify(slot, runs, &Attribution::Untaggable), None),
        }
    }
}

/// builtin's cells where no upstream profile stands for the engine's release: the engine's
/// profile is not visible through the API, so nothing is predicted, and the note says why.
fn unpredicted(plan: &Plan) -> Expected {
    let why = match &plan.builtin_upstream {
        Err(reason) => reason.clone(),
        Ok(_) => "upstream's profile did not run with these capabilities".into(),
    };
    Expected {
        outcome: Outcome::NotRun,
        errno: None,
        rule: None,
        note: Some(format!(
            "the engine's builtin profile can't be read and {why}, so nothing is predicted"
        )),
    }
}

/// The runtime's message, with the oracle's cause where it predicted the failure: the
/// runtime's message for a killed call names nothing by itself (its messages:
/// [`crate::runtime::RuntimeModel`]).
fn start_failure_message(message: &str, start: &Start, runtime: &Runtime) -> String {
    match start.blocker() {
        Some(why) => format!("{message} (predicted: {why})"),
        None => {
            let model = runtime_model(runtime);
            format!(
                "{message} (the profile allows every call the harness knows {runtime} to make after loading the filter: {}; and {} get no kill or trap)",
                model.fatal.join(", "),
                model.tolerated.join(", ")
            )
        }
    }
}

/// Whether a matrix has a failing cell, or a held-back one (nothing proven there: a profile
/// that would hang the runtime is a finding in itself).
pub fn has_failures(matrix: &Matrix) -> bool {
    matrix
        .cells
        .iter()
        .any(|c| matches!(c.verdict, Verdict::Fail | Verdict::HeldBack))
}

/// Whether a matrix has a cell whose profile the runtime ignored.
pub fn has_unenforced(matrix: &Matrix) -> bool {
    matrix
        .cells
        .iter()
        .any(|c| c.verdict == Verdict::NotEnforced)
}

#[cfg(test)]
mod tests;
