//! Turns the records of a plan's container runs into the matrix: classification per cell, the
//! oracle's expectation beside it, and the verdict. Pure.

use super::input::ProfileKind;
use super::plan::{JobKind, Plan, Predictions};
use crate::classify::{classify, verdict, Attribution, CaseRuns};
use crate::matrix::{
    Cell, Configuration, Expected, HostFacts, Matrix, Observed, Verdict, SCHEMA_VERSION,
};
use crate::oracle::start::runtime_model;
use crate::oracle::Start;
use crate::outcome::Outcome;
use crate::profile::Runtime;
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
}

/// The results of a plan's containers, by what each was for.
pub type JobResults = HashMap<JobKind, JobResult>;

/// Builds the matrix from the jobs' results and the oracle's predictions.
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
        let caps = plan.cap_sets[conf.cap_set].changes.clone();
        let as_is = results.get(&plan.as_is_job(c));
        let tagged = results.get(&JobKind::Tagged { configuration: c });
        let baseline = results.get(&JobKind::Baseline {
            cap_set: conf.cap_set,
            runtime: conf.runtime,
        });
        let runtime = &plan.runtimes[conf.runtime];
        let start_error = match &conf.start {
            Start::HeldBack(_) => conf.start.note(),
            _ => as_is
                .and_then(|r| r.start_error.clone())
                .map(|e| start_failure_message(&e, &conf.start, &runtime.model)),
        };
        configurations.push(Configuration {
            id: conf.id.clone(),
            profile: profile.name.clone(),
            source: profile.source.clone(),
            sha256: profile.sha256.clone(),
            caps: caps.clone(),
            runtime: runtime.name.clone(),
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
            let expected = predictions.get(c, i).map(|p| p.to_expected());
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
                    note: Some(not_run_note(reason, &conf.start)),
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

/// Whether a matrix has a failing cell.
pub fn has_failures(matrix: &Matrix) -> bool {
    matrix.cells.iter().any(|c| c.verdict == Verdict::Fail)
}
