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
use seccomp_harness::matrix::Verdict;
use seccomp_harness::outcome::Outcome;

fn main() {
    let args = Arguments::from_args();
    let suite = configurations::suite();
    let mut trials = Vec::new();
    for conf in &suite.configurations {
        for case in &suite.case_ids {
            let (conf_id, case_id) = (conf.id.clone(), case.clone());
            trials.push(
                Trial::ignorable_test(format!("{conf_id}::{case_id}"), move || {
                    cell_trial(&conf_id, &case_id)
                })
                .with_kind("cell"),
            );
        }
        let conf_id = conf.id.clone();
        trials.push(
            Trial::ignorable_test(format!("snapshot::{conf_id}"), move || {
                snapshot::trial(&conf_id)
            })
            .with_kind("snapshot"),
        );
    }
    trials.push(Trial::ignorable_test("html::chromium", html::trial).with_kind("html"));
    libtest_mimic::run(&args, trials).exit();
}

/// One cell: the observed outcome equals the prediction. The builtin profile has no
/// prediction (the engine's profile can't be read); its cells must at least have run.
fn cell_trial(configuration: &str, case: &str) -> Result<Completion, Failed> {
    let matrix = match matrix_run::matrix()? {
        Ok(m) => m,
        Err(ignored) => return Ok(ignored),
    };
    let cell = matrix
        .cell(configuration, case)
        .ok_or_else(|| format!("the matrix has no cell {configuration}::{case}"))?;
    match cell.verdict {
        Verdict::Pass => Ok(Completion::Completed),
        Verdict::Fail => Err(format!(
            "observed {} but the oracle expected {} (observed rule {:?}, note {:?}; expected note {:?})",
            seccomp_harness::report::glyph::describe_observed(&cell.observed),
            seccomp_harness::report::glyph::describe_expected(&cell.expected),
            cell.observed.rule,
            cell.observed.note,
            cell.expected.note,
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
