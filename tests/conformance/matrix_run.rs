//! Runs the suite's configurations on the engine once, for every trial to read.

use crate::configurations::{suite, SuiteConfiguration};
use libtest_mimic::{Completion, Failed};
use seccomp_harness::engine::EngineError;
use seccomp_harness::run::{execute, load_profile, RunError, RunOptions};
use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::plan::input::CapSpec;
use std::sync::OnceLock;

enum Run {
    Done(Box<Matrix>),
    /// No daemon answered: the reason.
    Unavailable(String),
    Failed(String),
}

static RUN: OnceLock<Run> = OnceLock::new();

pub const REQUIRE_DOCKER: &str = "SECCOMP_HARNESS_REQUIRE_DOCKER";

/// The suite's matrix; `Ok(Err(completion))` when the Docker trials are to be ignored.
pub fn matrix() -> Result<Result<&'static Matrix, Completion>, Failed> {
    match RUN.get_or_init(run) {
        Run::Done(m) => Ok(Ok(m)),
        Run::Unavailable(why) if std::env::var(REQUIRE_DOCKER).as_deref() == Ok("1") => {
            Err(format!("{REQUIRE_DOCKER}=1 but no Docker daemon answers: {why}").into())
        }
        Run::Unavailable(why) => Ok(Err(Completion::ignored_with(format!(
            "no Docker daemon: {why}"
        )))),
        Run::Failed(why) => Err(why.clone().into()),
    }
}

fn run() -> Run {
    let suite = suite();
    // Group configurations by capability set: one `execute` per set, each with its own
    // unconfined baseline, all at once.
    let mut groups: Vec<(CapSpec, Vec<&SuiteConfiguration>)> = Vec::new();
    for c in &suite.configurations {
        match groups.iter_mut().find(|(caps, _)| *caps == c.caps) {
            Some((_, list)) => list.push(c),
            None => groups.push((c.caps.clone(), vec![c])),
        }
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return Run::Failed(format!("cannot start tokio: {e}")),
    };
    let opts = RunOptions {
        progress: false,
        ..Default::default()
    };
    let results = runtime.block_on(async {
        let runs = groups.iter().map(|(caps, confs)| {
            let opts = &opts;
            async move {
                let profiles = confs
                    .iter()
                    .map(|c| load_profile(&c.profile))
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(RunError::from)?;
                execute(profiles, vec![caps.clone()], opts).await
            }
        });
        futures_util::future::join_all(runs).await
    });
    let mut merged: Option<Matrix> = None;
    for r in results {
        match r {
            Ok(report) => match &mut merged {
                None => merged = Some(report.matrix),
                Some(m) => {
                    m.configurations.extend(report.matrix.configurations);
                    m.cells.extend(report.matrix.cells);
                }
            },
            Err(RunError::Engine(EngineError::Connect(e))) => {
                return Run::Unavailable(e.to_string())
            }
            Err(e) => return Run::Failed(format!("the suite's run failed: {e}")),
        }
    }
    match merged {
        Some(m) => match keep(&m) {
            Ok(()) => Run::Done(Box::new(m)),
            Err(why) => Run::Failed(why),
        },
        None => Run::Failed("the suite has no configuration".into()),
    }
}

/// Where `SECCOMP_HARNESS_SUITE_MATRIX` names a file, the suite's matrix is written there as
/// `run --format json` would: the snapshots keep only what a reviewer reads, and this keeps
/// every observation, so two suite runs (or a suite run and a `run`) can be compared cell by
/// cell, or diffed with `seccomp-harness diff`.
pub const SUITE_MATRIX: &str = "SECCOMP_HARNESS_SUITE_MATRIX";

fn keep(matrix: &Matrix) -> Result<(), String> {
    let Some(path) = std::env::var_os(SUITE_MATRIX) else {
        return Ok(());
    };
    std::fs::write(&path, seccomp_harness_core::report::json::render(matrix)).map_err(|e| {
        format!(
            "failed to write the suite's matrix to {} ({SUITE_MATRIX}): {e}",
            std::path::Path::new(&path).display()
        )
    })
}
