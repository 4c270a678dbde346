//! Turns the records of a plan's container runs into the matrix: classification per cell, the
//! oracle's expectation beside it, and the verdict. Pure.

use super::input::ProfileKind;
use super::plan::{JobKind, Plan, Predictions};
use seccomp_catalog::record::{CaseRecord, HostRecord};
use seccomp_harness_core::classify::{
    classify, describe_record, filter_errnos, same_behaviour, verdict, Attribution, CaseRuns,
    TaggedRun,
};
use seccomp_harness_core::matrix::{
    Cell, Configuration, Expected, HostFacts, Matrix, Observed, Verdict,
};
use seccomp_harness_core::oracle::Start;
use seccomp_harness_core::outcome::Outcome;
use seccomp_harness_core::profile::tag::Slot;
use seccomp_harness_core::runtime::runtime_model;
use seccomp_harness_core::runtime::Runtime;
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
    /// What the job was for, as progress and diagnostics name it.
    pub label: String,
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

/// Tallies the jobs' results, each with the number of containers it took.
pub fn tally(jobs: Vec<(JobKind, JobResult, usize)>) -> Tally {
    let containers = jobs.iter().map(|(_, _, n)| n).sum();
    let containers_by_job = jobs.iter().map(|(_, r, n)| (r.label.clone(), *n)).collect();
    let results: JobResults = jobs.into_iter().map(|(k, r, _)| (k, r)).collect();
    let mut diagnostics: Vec<(String, Vec<String>)> = results
        .values()
        .filter(|r| !r.diagnostics.is_empty())
        .map(|r| (r.label.clone(), r.diagnostics.clone()))
        .collect();
    diagnostics.sort();
    Tally {
        containers,
        containers_by_job,
        results,
        diagnostics,
    }
}

/// Builds the matrix from the jobs' results and the oracle's predictions.
// Over 80 lines: its phases are still to be split into named steps (issue #20).
#[allow(clippy::too_many_lines)]
pub fn assemble(
    plan: &Plan,
    predictions: &Predictions,
    results: &JobResults,
    host: HostFacts,
) -> Matrix {
    let mut configurations = Vec::new();
    let mut cells = Vec::new();
    for (c, conf) in plan.configurations.iter().enumerate() {
        let profile = &plan.profiles[conf.profile];
        let caps = plan.cap_sets[conf.cap_set].written();
        let as_is = results.get(&plan.as_is_job(c));
        let tagged = results.get(&JobKind::Tagged { configuration: c });
        let baseline = results.get(&JobKind::Baseline {
            cap_set: conf.cap_set,
            runtime: conf.runtime,
        });
        let runtime = &plan.runtimes[conf.runtime];
        // A runtime whose errnos carry no sentinel gets a tagged copy that traps.
        let trapping = !runtime.model.returns_sentinels();
        // A runtime that ignored the calibration's rules ignored this profile too: none of
        // its cells shows what the profile does (unconfined has no profile to ignore).
        let not_enforced = match profile.kind {
            ProfileKind::Unconfined => None,
            _ => host.seccomp.not_enforced.get(runtime.engine_name()),
        };
        // Held back and not started (`--start-held-back` starts it: then its run decides).
        let held_back = matches!(conf.start, Start::HeldBack(_)) && as_is.is_none();
        let start_error = if held_back {
            conf.start.note()
        } else {
            as_is.and_then(|r| r.start_error.clone()).map(|e| {
                let outside = seccomp_harness_core::start_failure::outside_seccomp(
                    &e,
                    &plan.cap_sets[conf.cap_set].caps,
                    bounding_set(),
                    baseline.and_then(|b| b.start_error.as_deref()),
                );
                match outside {
                    Some(cause) => format!("{e} ({cause})"),
                    None => start_failure_message(&e, &conf.start, &runtime.model),
                }
            })
        };
        configurations.push(Configuration {
            id: conf.id.clone(),
            profile: profile.name.clone(),
            source: profile.source.clone(),
            sha256: profile.sha256.clone(),
            caps: caps.clone(),
            runtime: runtime.name.clone(),
            start_error: start_error.clone(),
            engine: None,
        });
        let errnos = match &profile.kind {
            ProfileKind::File { profile: p, .. } => filter_errnos(p),
            _ => Vec::new(),
        };
        let upstream_errnos = match &profile.kind {
            ProfileKind::Builtin => plan
                .upstream_configuration(conf.cap_set, conf.runtime)
                .and_then(
                    |u| match &plan.profiles[plan.configurations[u].profile].kind {
                        ProfileKind::File { profile: p, .. } => Some(filter_errnos(p)),
                        _ => None,
                    },
                )
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let attribution = match &profile.kind {
            ProfileKind::File { .. } if trapping => Attribution::Trapping,
            ProfileKind::File { tagged, .. } => Attribution::Tagged {
                sentinels: &tagged.sentinels,
                default_traps: tagged.default_traps,
                errnos: &errnos,
            },
            ProfileKind::Unconfined => Attribution::NoFilter,
            ProfileKind::Builtin => Attribution::Untaggable,
        };
        // builtin can't be tagged: upstream's profile for the engine's release, run as a
        // file beside it (as written and tagged), attributes its denials where the two
        // behave alike, and shows drift where they don't.
        let upstream = match &profile.kind {
            ProfileKind::Builtin => plan
                .upstream_configuration(conf.cap_set, conf.runtime)
                .and_then(|u| {
                    let up = &plan.profiles[plan.configurations[u].profile];
                    match &up.kind {
                        ProfileKind::File { tagged, .. } => Some(Upstream {
                            id: &plan.configurations[u].id,
                            as_is: results.get(&JobKind::AsIs { configuration: u }),
                            tagged: results.get(&JobKind::Tagged { configuration: u }),
                            tagged_allows: &plan.configurations[u].tagged_allows,
                            attribution: if trapping {
                                Attribution::Trapping
                            } else {
                                Attribution::Tagged {
                                    sentinels: &tagged.sentinels,
                                    default_traps: tagged.default_traps,
                                    errnos: &upstream_errnos,
                                }
                            },
                        }),
                        _ => None,
                    }
                }),
            _ => None,
        };
        for (i, id) in plan.case_ids.iter().enumerate() {
            if !plan.has_cell(c, id) {
                continue;
            }
            let mut drift: Option<String> = None;
            let case = plan.case(id).expect("planned cases are known");
            let mut expected = predictions.get(c, i).map(|p| p.to_expected());
            if start_error.is_none() {
                let baseline = baseline.and_then(|b| b.records.get(id));
                expected = runtime
                    .model
                    .measured_expectation(case, baseline)
                    .or(expected);
            }
            let observed = if held_back {
                // Nothing ran, so nothing was observed: the cell says why, and its verdict
                // is `held_back`, never a pass.
                Observed {
                    outcome: Outcome::NotRun,
                    errno: None,
                    signal: None,
                    rule: None,
                    note: start_error.clone(),
                }
            } else if let Some(msg) = &start_error {
                Observed {
                    outcome: Outcome::StartFailed,
                    errno: None,
                    signal: None,
                    rule: None,
                    note: Some(msg.clone()),
                }
            } else if let Some(why) = runtime.model.abi_not_run(case.abi) {
                // The probe's call ran (and answered ENOSYS, unconfined too), but no profile
                // can decide it: the runtime runs no call of its ABI.
                let saw = as_is
                    .and_then(|r| r.records.get(id))
                    .map(|r| format!(" (the probe's call: {})", describe_record(r)))
                    .unwrap_or_default();
                Observed {
                    outcome: Outcome::NotRun,
                    errno: None,
                    signal: None,
                    rule: None,
                    note: Some(format!("{why}{saw}")),
                }
            } else if let Some(reason) = as_is.and_then(|r| r.not_run.get(id)) {
                Observed {
                    outcome: Outcome::NotRun,
                    errno: None,
                    signal: None,
                    rule: None,
                    note: Some(not_run_note(reason, &conf.start)),
                }
            } else {
                let silence = tagged_silence(tagged, id, case.syscall, &conf.tagged_allows);
                let runs = CaseRuns {
                    observed: as_is.and_then(|r| r.records.get(id)),
                    baseline: baseline.and_then(|r| r.records.get(id)),
                    tagged: tagged_run(tagged, id, silence.as_deref()),
                };
                match &upstream {
                    Some(up) => {
                        let (observed, why) = up.classify(Slot::of(case), id, case.syscall, runs);
                        drift = why;
                        observed
                    }
                    None => classify(Slot::of(case), runs, &attribution),
                }
            };
            let mut observed = observed;
            let verdict = match (not_enforced, drift.take()) {
                _ if held_back => Verdict::HeldBack,
                (Some(why), _) => {
                    let why = format!("not enforced on this runtime: {why}");
                    observed.note = Some(match observed.note.take() {
                        Some(n) => format!("{why}; {n}"),
                        None => why,
                    });
                    Verdict::NotEnforced
                }
                (None, Some(_)) => Verdict::Drift,
                (None, None) => verdict(&observed, expected.as_ref()),
            };
            cells.push(Cell {
                configuration: conf.id.clone(),
                profile: profile.name.clone(),
                caps: caps.clone(),
                case: id.clone(),
                syscall: case.syscall.to_string(),
                abi: case.abi.name().to_string(),
                observed,
                expected: expected.unwrap_or_else(|| unpredicted(plan)),
                verdict,
            });
        }
    }
    let mut matrix = Matrix::new(host, configurations, cells);
    matrix.readiness = seccomp_harness_core::readiness::of(&matrix);
    matrix
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
            missing.push(seccomp_harness_core::matrix::MissingConfiguration {
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
    matrix.readiness = seccomp_harness_core::readiness::of(matrix);
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
                observed.note = Some(match observed.note.take() {
                    Some(n) => format!("{why}; {n}"),
                    None => why.clone(),
                });
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

/// The capability bounding set where the harness runs (`CapBnd` of /proc/self/status): a
/// local engine's runtime starts containers under the same one, so a capability missing here
/// is one no container of that engine can hold. `None` where /proc can't tell.
fn bounding_set() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| seccomp_harness_core::start_failure::parse_cap_bnd(&s))
}

/// The runtime's message, with the oracle's cause where it predicted the failure. runc's
/// message for a killed call ("cannot start a stopped process") names nothing by itself.
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
