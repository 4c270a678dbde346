//! `minKernel` on both sides of its boundary: a profile whose rules are included
//! (`includes.minKernel`) or excluded (`excludes.minKernel`) from Linux 6.8 on, run on the
//! engine of `DOCKER_HOST`. This host's 6.18 is above the boundary; the kernel lab's bookworm
//! machine (Linux 6.1, `ci/kernels/lab.sh up bookworm`) is below it, and `.ci/run` runs this
//! test against it too. Every cell must pass, and the two rules must do what the engine's side
//! of the boundary says.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them.

mod common;

use seccomp_harness::run::RunOptions;
use seccomp_harness_core::matrix::{Matrix, Verdict};
use seccomp_harness_core::outcome::Outcome;
use seccomp_harness_core::profile::KernelVersion;
use std::path::PathBuf;

const BOUNDARY: KernelVersion = KernelVersion::new(6, 8);

fn fixture() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kernel/min-kernel-6.8.json")
}

fn cell<'m>(m: &'m Matrix, case: &str) -> &'m seccomp_harness_core::matrix::Cell {
    m.cells
        .iter()
        .find(|c| c.case == case)
        .unwrap_or_else(|| panic!("no cell for {case}"))
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn min_kernel_rules_follow_the_engines_kernel() {
    common::engine().await;
    let opts = RunOptions {
        cases: vec!["getpgid".into(), "getsid".into(), "getpid".into()],
        ..Default::default()
    };
    let m = common::run_matrix(vec![common::load_file(fixture())], opts).await;
    let kernel = KernelVersion::parse_release(&m.host.kernel).unwrap();
    let failing: Vec<_> = m
        .cells
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| format!("{}: {:?} vs {:?}", c.case, c.observed, c.expected))
        .collect();
    assert!(failing.is_empty(), "on {kernel}: {failing:#?}");
    let (pgid, sid) = (cell(&m, "getpgid"), cell(&m, "getsid"));
    if kernel.at_least(BOUNDARY) {
        eprintln!("kernel {kernel}: at or above minKernel {BOUNDARY}");
        assert_eq!(
            (pgid.observed.outcome, pgid.observed.errno),
            (Outcome::Errno, Some(72))
        );
        assert_eq!(sid.observed.outcome, Outcome::Allowed);
    } else {
        eprintln!("kernel {kernel}: below minKernel {BOUNDARY}");
        assert_eq!(pgid.observed.outcome, Outcome::Allowed);
        assert_eq!(
            (sid.observed.outcome, sid.observed.errno),
            (Outcome::Errno, Some(73))
        );
    }
}
