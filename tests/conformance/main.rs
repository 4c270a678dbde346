//! The conformance suite: the shipped profiles (plus builtin and unconfined) run once on the
//! real engine, then one trial per cell (`<configuration>::<case>`) asserts that the observed
//! outcome equals the oracle's prediction, and one trial per configuration
//! (`snapshot::<configuration>`) compares the matrix with its insta snapshot for this
//! arch and kernel. `html::chromium` opens the matrix's HTML report in headless Chromium.
//!
//! The trials are known without Docker (the catalog is data), so `--list` and filters work
//! anywhere. The Docker work runs once, in parallel, when the first Docker trial runs. Without
//! a daemon those trials are ignored with the reason, unless
//! `SECCOMP_HARNESS_REQUIRE_DOCKER=1`, which turns that into a failure.

mod configurations;
mod html;
mod matrix_run;
mod snapshot;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use seccomp_harness_core::configuration_id::ConfigurationId;
use seccomp_harness_core::matrix::Verdict;
use seccomp_harness_core::outcome::Outcome;
use seccomp_harness_core::plan::input::BUILTIN_UPSTREAM;

fn main() {
    let args = Arguments::from_args();
    let suite = configurations::suite();
    let mut trials = Vec::new();
    // builtin brings upstream's default for the engine's release along, as a file
    // configuration of its own.
    let upstream: Vec<ConfigurationId> = suite
        .configurations
        .iter()
        .filter(|c| matches!(c.profile, seccomp_harness::run::ProfileInput::Builtin))
        .map(|c| ConfigurationId {
            profile: BUILTIN_UPSTREAM.to_string(),
            ..c.id.clone()
        })
        .collect();
    let ids = suite
        .configurations
        .iter()
        .map(|c| c.id.clone())
        .chain(upstream);
    for conf_id in ids {
        for case in &suite.case_ids {
            let (conf_id, case_id) = (conf_id.clone(), case.clone());
            trials.push(
                Trial::ignorable_test(format!("{conf_id}::{case_id}"), move || {
                    cell_trial(&conf_id, &case_id)
                })
                .with_kind("cell"),
            );
        }
        trials.push(
            Trial::ignorable_test(format!("snapshot::{conf_id}"), move || {
                snapshot::trial(&conf_id)
            })
            .with_kind("snapshot"),
        );
    }
    trials.push(Trial::ignorable_test("html::chromium", html::trial).with_kind("html"));
    trials.push(Trial::ignorable_test("schema::matrix", schema_trial).with_kind("schema"));
    libtest_mimic::run(&args, trials).exit();
}

/// The suite's matrix, as `run --format json` writes it, validates against the published
/// contract (docs/matrix.schema.json, generated from the types by the core's `schema`).
fn schema_trial() -> Result<Completion, Failed> {
    let matrix = match matrix_run::matrix()? {
        Ok(m) => m,
        Err(ignored) => return Ok(ignored),
    };
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/matrix.schema.json");
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
    )
    .map_err(|e| format!("{path}: {e}"))?;
    let validator =
        jsonschema::validator_for(&schema).map_err(|e| format!("{path} does not compile: {e}"))?;
    let json: serde_json::Value =
        serde_json::from_str(&seccomp_harness_core::report::json::render(matrix))
            .map_err(|e| e.to_string())?;
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .take(10)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    if errors.is_empty() {
        Ok(Completion::Completed)
    } else {
        Err(format!("the matrix does not validate against {path}: {errors:#?}").into())
    }
}

/// One cell: the observed outcome equals the prediction. builtin is predicted from upstream's
/// default for the engine's release; a cell where it behaves otherwise is drift, with the
/// reason; where no upstream profile is known it is unpredicted, and must at least have run.
fn cell_trial(id: &ConfigurationId, case: &str) -> Result<Completion, Failed> {
    let matrix = match matrix_run::matrix()? {
        Ok(m) => m,
        Err(ignored) => return Ok(ignored),
    };
    let configuration = &id.to_string();
    if id.profile == BUILTIN_UPSTREAM && matrix.configuration(configuration).is_none() {
        // No upstream profile is known for this engine: builtin's notes say why.
        return Ok(Completion::ignored_with(
            "no upstream default profile for this engine's release",
        ));
    }
    let cell = matrix
        .cell(configuration, case)
        .ok_or_else(|| format!("the matrix has no cell {configuration}::{case}"))?;
    match cell.verdict {
        Verdict::Pass => Ok(Completion::Completed),
        Verdict::Fail => Err(format!(
            "observed {} but the oracle expected {} (observed rule {:?}, note {:?}; expected note {:?})",
            seccomp_harness_core::report::glyph::describe_observed(&cell.observed),
            seccomp_harness_core::report::glyph::describe_expected(&cell.expected),
            cell.observed.rule,
            cell.observed.note,
            cell.expected.note,
        )
        .into()),
        // The engine's runtime ignored the profile (why: `runtime::Runtime::known_by_program`):
        // nothing was proven, so the trial fails with the reason.
        Verdict::NotEnforced => Err(format!(
            "not enforced: {}",
            cell.observed.note.as_deref().unwrap_or("no reason given")
        )
        .into()),
        // builtin behaved otherwise than upstream's profile on this engine: reported, with
        // both observations in the note. The verdict says it is drift; the note must give why.
        Verdict::Drift => match cell.observed.note.as_deref() {
            Some(n) if !n.trim().is_empty() => Ok(Completion::Completed),
            _ => Err("a drifting cell without its reason".into()),
        },
        // Consistent with the oracle but not proven: a shipped profile's cells must be.
        Verdict::Undecided => Err(format!(
            "undecided: {}",
            cell.observed.note.as_deref().unwrap_or("no reason given")
        )
        .into()),
        // Nothing ran: never a pass, and no shipped profile may be held back.
        Verdict::HeldBack => Err(format!(
            "held back, not started: {}",
            cell.observed.note.as_deref().unwrap_or("no reason given")
        )
        .into()),
        Verdict::Unpredicted => match cell.observed.outcome {
            Outcome::NotRun | Outcome::StartFailed | Outcome::Timeout => Err(format!(
                "{} under an unpredicted configuration: {}",
                cell.observed.outcome,
                cell.observed.note.as_deref().unwrap_or("no reason given")
            )
            .into()),
            _ => Ok(Completion::Completed),
        },
    }
}
