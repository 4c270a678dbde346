//! Profiles of any size (issue: never refuse what the engine runs). A generated 10,000-rule
//! profile (tests/support/large_profile.rs) runs end to end: every cell is observed, every
//! denial by a rule is attributed to that rule, and every verdict passes. `check` (validation
//! and the start prediction) and `run` agree on it. How long it takes is the benchmark's
//! business (`ci/bench-large.sh`), not this test's.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them.

mod common;
#[path = "support/large_profile.rs"]
mod large_profile;

use seccomp_harness::run::RunOptions;
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::matrix::Verdict;
use seccomp_harness_core::outcome::{Outcome, RuleRef};
use std::path::Path;
use std::process::Command;

const RULES: usize = 10_000;

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_accepts_the_large_profile_and_predicts_a_start() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large.json");
    std::fs::write(&file, large_profile::generate(manifest_dir(), RULES)).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_seccomp-harness"))
        .arg("check")
        .arg(&file)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(ExitCode::Ok.code()),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!stdout.contains("too many"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn a_ten_thousand_rule_profile_runs_with_every_cell_observed_and_attributed() {
    common::engine().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("large-10000.json");
    let text = large_profile::generate(manifest_dir(), RULES);
    std::fs::write(&file, &text).unwrap();
    let profile = common::load_file(file);
    let m = &common::run_matrix(vec![profile], RunOptions::default()).await;
    let cells: Vec<_> = m
        .cells
        .iter()
        .filter(|c| c.configuration == "large-10000")
        .collect();
    assert!(cells.len() > 400, "{} cells", cells.len());
    let mut by_rule = 0;
    for cell in &cells {
        let what = format!(
            "{}: observed {:?}, expected {:?}",
            cell.case, cell.observed, cell.expected
        );
        assert_eq!(cell.verdict, Verdict::Pass, "{what}");
        assert!(
            !matches!(
                cell.observed.outcome,
                Outcome::NotRun | Outcome::StartFailed | Outcome::Ambiguous | Outcome::Timeout
            ),
            "{what}"
        );
        if cell.observed.outcome == Outcome::Errno {
            if let Some(RuleRef::Index(_)) = cell.expected.rule {
                assert_eq!(cell.observed.rule, cell.expected.rule, "{what}");
                by_rule += 1;
            }
        }
    }
    // The generated profile denies every syscall outside its allow-list with a matching
    // EACCES rule where the cases agree on arg5: hundreds of cells, each attributed.
    assert!(by_rule > 100, "only {by_rule} cells denied by a rule");
}
