//! The hostile profiles (tests/fixtures/hostile), end to end on the engine: signals trapped,
//! waits denied, exit denied, output denied, a start-up call killed, a default-KILL allow-list
//! and a trap-everything profile. Every cell must carry an observation, or a `not_run`,
//! `timeout` or `start_failed` whose note names the cause, and every verdict must pass. How
//! long they take is the benchmark's business (ci/bench.sh), not this test's.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them.

mod common;

use seccomp_harness::run::RunOptions;
use seccomp_harness_core::matrix::Verdict;
use seccomp_harness_core::outcome::Outcome;
use std::path::PathBuf;

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn every_hostile_profile_gives_every_cell_an_observation_or_a_named_cause() {
    common::engine().await;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 7, "one profile per hostile class");
    let profiles = files.iter().map(common::load_file).collect();
    let m = &common::run_matrix(profiles, RunOptions::default()).await;
    for cell in &m.cells {
        assert_eq!(
            cell.verdict,
            Verdict::Pass,
            "{}::{}: observed {:?}, expected {:?}",
            cell.configuration,
            cell.case,
            cell.observed,
            cell.expected
        );
        if matches!(
            cell.observed.outcome,
            Outcome::NotRun | Outcome::Timeout | Outcome::StartFailed
        ) {
            let note = cell.observed.note.as_deref().unwrap_or_default();
            assert!(
                !note.is_empty(),
                "{}::{} has no cause",
                cell.configuration,
                cell.case
            );
        }
    }
    let outcomes = |conf: &str| -> Vec<Outcome> {
        m.cells
            .iter()
            .filter(|c| c.configuration == conf)
            .map(|c| c.observed.outcome)
            .collect()
    };
    // The default-KILL allow-list gives real kills and real allowed calls.
    let kill = outcomes("default-kill-allowlist");
    assert!(kill.contains(&Outcome::Killed) && kill.contains(&Outcome::Allowed));
    // A killed start-up call is named, as the probe's footprint, not the runtime's.
    let startup = m
        .cells
        .iter()
        .find(|c| c.configuration == "startup-killed")
        .unwrap();
    let note = startup.observed.note.as_deref().unwrap();
    assert!(
        note.contains("SIGSYS") && note.contains("rseq") && note.contains("static program"),
        "{note}"
    );
    // Output denied: write is also the runtime's, and the start failure says so.
    let output = m
        .cells
        .iter()
        .find(|c| c.configuration == "output-denied")
        .unwrap();
    assert!(output.observed.note.as_deref().unwrap().contains("write"));
}
