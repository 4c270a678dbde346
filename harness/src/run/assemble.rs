//! Turns the records of a plan's container runs into the matrix: classification per cell, the
//! oracle's expectation beside it, and the verdict. Pure.

use super::plan::{JobKind, Plan, ProfileKind, RUNTIME_NEEDS};
use crate::classify::{classify, verdict, Attribution, CaseRuns};
use crate::matrix::{
    Cell, Configuration, Expected, HostFacts, Matrix, Observed, Verdict, SCHEMA_VERSION,
};
use crate::outcome::Outcome;
use seccomp_catalog::record::{CaseRecord, HostRecord};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// What one container run (with its restarts) gave, engine-neutral.
#[derive(Debug, Clone, Default)]
pub struct JobResult {
    pub host: Option<HostRecord>,
    pub records: HashMap<String, CaseRecord>,
    /// Cases the probe never reached, with the reason.
    pub not_run: HashMap<String, String>,
    /// The runtime's message when the container could not start.
    pub start_error: Option<String>,
}

/// Builds the matrix; `results` are in the order of `plan.jobs`.
pub fn assemble(plan: &Plan, results: &[JobResult], host: HostFacts) -> Matrix {
    let find = |kind: JobKind| {
        plan.jobs
            .iter()
            .position(|j| j.kind == kind)
            .map(|i| &results[i])
    };
    let mut configurations = Vec::new();
    let mut cells = Vec::new();
    for (c, conf) in plan.configurations.iter().enumerate() {
        let profile = &plan.profiles[conf.profile];
        let caps = plan.cap_sets[conf.cap_set].changes.clone();
        let as_is = find(JobKind::AsIs { configuration: c });
        let tagged = find(JobKind::Tagged { configuration: c });
        let baseline = find(JobKind::Baseline {
            cap_set: conf.cap_set,
        });
        let start_error = match &conf.not_started {
            Some(why) => Some(why.clone()),
            None => as_is.and_then(|r| r.start_error.clone()).map(|e| {
                start_failure_message(
                    &e,
                    conf.predicted_start_failure.as_deref(),
                    &conf.runtime_conflicts,
                )
            }),
        };
        configurations.push(Configuration {
            id: conf.id.clone(),
            profile: profile.name.clone(),
            source: profile.source.clone(),
            sha256: profile.sha256.clone(),
            caps: caps.clone(),
            start_error: start_error.clone(),
        });
        let attribution = match &profile.kind {
            ProfileKind::File { tagged, .. } => Attribution::Tagged {
                sentinels: &tagged.sentinels,
                default_traps: tagged.default_traps,
            },
            ProfileKind::Unconfined => Attribution::NoFilter,
            ProfileKind::Builtin => Attribution::Untaggable,
        };
        for (i, id) in plan.case_ids.iter().enumerate() {
            let case = plan
                .catalog
                .get(id)
                .expect("planned cases come from the catalog");
            let expected = conf.predictions.as_ref().map(|p| {
                let mut e = p[i].to_expected();
                if let Some(why) = &conf.predicted_start_failure {
                    e = Expected {
                        outcome: Outcome::StartFailed,
                        errno: None,
                        rule: None,
                        note: Some(why.clone()),
                    };
                }
                e
            });
            let observed = if let Some(msg) = &start_error {
                Observed {
                    outcome: Outcome::StartFailed,
                    errno: None,
                    signal: None,
                    rule: None,
                    note: Some(msg.clone()),
                }
            } else if let Some(reason) = as_is.and_then(|r| r.not_run.get(id)) {
                Observed {
                    outcome: Outcome::NotRun,
                    errno: None,
                    signal: None,
                    rule: None,
                    note: Some(reason.clone()),
                }
            } else {
                let runs = CaseRuns {
                    observed: as_is.and_then(|r| r.records.get(id)),
                    baseline: baseline.and_then(|r| r.records.get(id)),
                    tagged: tagged.and_then(|r| r.records.get(id)),
                };
                classify(runs, &attribution)
            };
            let verdict = verdict(&observed, expected.as_ref());
            cells.push(Cell {
                configuration: conf.id.clone(),
                profile: profile.name.clone(),
                caps: caps.clone(),
                case: id.clone(),
                syscall: case.syscall.to_string(),
                abi: case.abi.name().to_string(),
                observed,
                expected: expected.unwrap_or_else(unpredicted),
                verdict,
            });
        }
    }
    Matrix {
        schema_version: SCHEMA_VERSION,
        host,
        configurations,
        cells,
    }
}

/// The names the runtime's libseccomp doesn't know, from the calibration container's records
/// (`results` in the order of `plan.jobs`). `None` when the plan has no calibration or the
/// container gave no record (the oracle then assumes every name is known).
pub fn calibrate(plan: &Plan, results: &[JobResult]) -> Option<BTreeSet<String>> {
    let calibration = plan.calibration.as_ref()?;
    let i = plan
        .jobs
        .iter()
        .position(|j| j.kind == JobKind::Calibration)?;
    let result = results.get(i)?;
    if result.start_error.is_some() {
        return None;
    }
    let errnos: BTreeMap<String, Option<i32>> = result
        .records
        .iter()
        .map(|(id, r)| (id.clone(), r.errno))
        .collect();
    calibration.unknown_names(&errnos)
}

/// The builtin profile's cells have nothing to compare with: the engine's profile is not
/// visible through the API, and a newer engine ships a different one.
fn unpredicted() -> Expected {
    Expected {
        outcome: Outcome::NotRun,
        errno: None,
        rule: None,
        note: Some("the engine's builtin profile can't be read, so nothing is predicted".into()),
    }
}

/// The runtime's message, with the likely cause: the oracle's reason where it predicted the
/// failure, else the runtime's own post-filter syscalls that the profile denies. runc's message
/// for a killed call ("cannot start a stopped process") names nothing by itself.
fn start_failure_message(runtime: &str, predicted: Option<&str>, conflicts: &[String]) -> String {
    match (predicted, conflicts) {
        (Some(why), _) => format!("{runtime} (predicted: {why})"),
        (None, []) => format!(
            "{runtime} (the profile allows every call the runtime makes after loading the filter that the harness knows of: {})",
            RUNTIME_NEEDS.join(", ")
        ),
        (None, c) => format!(
            "{runtime} (likely cause: the runtime makes these calls after it loads the filter, and the profile does not allow them: {})",
            c.join(", ")
        ),
    }
}

/// Whether a matrix has a failing cell.
pub fn has_failures(matrix: &Matrix) -> bool {
    matrix.cells.iter().any(|c| c.verdict == Verdict::Fail)
}
