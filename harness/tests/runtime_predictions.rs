//! The runtime module's end-to-end tests, per runtime version, so they name runtimes.
//!
//! Predictions the oracle once got wrong, pinned end to end on every runc the project can
//! reach (`tests/fixtures/runtime`, README there): the ENOSYS stub by runc version and listed
//! arches, runc's `close` after loading the filter, the probe's own `write(1, …)` judged with
//! its real arguments, and runc 1.3's readlinkat where openat2 fails. On the host's engine (runc 1.1.5 here) always; on the lab's
//! trixie-runc (runc 1.1.15) and sid-runc (runc 1.3.6) where `SECCOMP_HARNESS_LAB_TRIXIE_RUNC`
//! and `SECCOMP_HARNESS_LAB_SID_RUNC` hold their DOCKER_HOST (`.ci/run` sets them; unset, that
//! engine's trials are reported as ignored with the reason: a libtest-mimic file,
//! `harness = false`, see `common::lab_trial`). The host's trial is ignored unless
//! `--include-ignored`, like every Docker-backed test.
//!
//! Each engine must give 0 failing cells, and the cells that tell the versions apart must be
//! what that version does, so a test passes only where the oracle and the engine agree on
//! the fact itself.

mod common;

use common::lab_trial;
use libtest_mimic::{Arguments, Completion};
use seccomp_harness::run::RunOptions;
use seccomp_harness_core::matrix::{Matrix, Verdict};
use seccomp_harness_core::outcome::{Outcome, RuleRef};
use std::path::PathBuf;

const ENOSYS: i32 = 38;
/// The lab's runc 1.1.15 and 1.3.6 engines: each holds the DOCKER_HOST `ci/lab.sh host NAME`
/// prints.
const LAB_TRIXIE_RUNC: &str = "SECCOMP_HARNESS_LAB_TRIXIE_RUNC";
const LAB_SID_RUNC: &str = "SECCOMP_HARNESS_LAB_SID_RUNC";

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        common::docker_trial(&args, "on_the_hosts_engine", || {
            common::block_on(on_the_hosts_engine());
            Ok(Completion::Completed)
        }),
        lab_trial("on_runc_1_1_15", LAB_TRIXIE_RUNC, on_runc_1_1_15),
        lab_trial("on_runc_1_3_6", LAB_SID_RUNC, on_runc_1_3_6),
        lab_trial(
            "a_held_back_profile_started_anyway_hangs_runc_1_1_15_and_is_cleaned_up",
            LAB_TRIXIE_RUNC,
            held_back_started_anyway,
        ),
        lab_trial(
            "a_held_back_profile_started_anyway_hangs_runc_1_3_6_and_is_cleaned_up",
            LAB_SID_RUNC,
            held_back_started_anyway,
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

async fn run(host: Option<String>) -> Matrix {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/runtime");
    let opts = RunOptions {
        docker_host: host,
        ..Default::default()
    };
    common::run_inputs(&common::profile_files(&dir), opts).await
}

fn cell<'m>(m: &'m Matrix, conf: &str, case: &str) -> &'m seccomp_harness_core::matrix::Cell {
    m.cells
        .iter()
        .find(|c| c.configuration == conf && c.case == case)
        .unwrap_or_else(|| panic!("no cell {conf}::{case}"))
}

/// Every cell passes, and the version-dependent cells show `stub_native` (runc ≥ 1.1.15) and
/// `walks_proc` (runc ≥ 1.3.3, which needs readlinkat where openat2 fails).
fn check(m: &Matrix, stub_native: bool, walks_proc: bool) {
    assert_eq!(
        common::failing_cells(m),
        Vec::<String>::new(),
        "{:?}",
        m.host.runtime_version
    );
    for conf in ["stub-no-architectures", "stub-x86-only"] {
        for case in ["mseal", "process_madvise"] {
            let c = cell(m, conf, case);
            let want = if stub_native {
                (Some(ENOSYS), Some(RuleRef::ENOSYS_STUB))
            } else {
                (Some(1), Some(RuleRef::DEFAULT))
            };
            // The observation is the errno; the rule is the oracle's (a stub's ENOSYS carries
            // no sentinel for the tagged run to attribute), and the cell passed above.
            assert_eq!(c.observed.outcome, Outcome::Errno, "{conf}::{case}");
            assert_eq!((c.observed.errno, c.expected.rule), want, "{conf}::{case}");
        }
    }
    assert_eq!(
        cell(m, "stub-all-x86-arches", "mseal").observed.errno,
        Some(ENOSYS)
    );
    // runc's close after loading the filter: the start fails.
    assert_eq!(
        cell(m, "deny-close", "getpid").observed.outcome,
        Outcome::StartFailed
    );
    // An errno on openat2 and readlinkat: runc from 1.3.3 walks /proc by hand and fails.
    let walk = cell(m, "deny-openat2-readlinkat", "getpid");
    if walks_proc {
        assert_eq!(walk.observed.outcome, Outcome::StartFailed);
        let note = walk.observed.note.as_deref().unwrap_or_default();
        assert!(note.contains("readlinkat"), "{note}");
    } else {
        assert_eq!(walk.observed.outcome, Outcome::Allowed);
    }
    // The probe avoided write(1, …) and wrote its records with writev: the cases ran.
    assert_eq!(
        cell(m, "kill-write-to-stdout", "getpid").observed.outcome,
        Outcome::Allowed
    );
}

/// Needs a Docker daemon: ignored unless `--include-ignored`.
async fn on_the_hosts_engine() {
    common::engine().await;
    let m = run(None).await;
    let version = m.host.runtime_version.clone();
    // This project's host has runc 1.1.5; another host's runc decides by its version.
    let at_least = |a, b, c| {
        seccomp_harness_core::runtime::Runtime::parse("runc", Some(&version))
            .version
            .is_none_or(|v| v >= seccomp_harness_core::version::Version::new(a, b, c))
    };
    check(&m, at_least(1, 1, 15), at_least(1, 3, 3));
}

async fn on_runc_1_1_15(host: String) {
    let m = run(Some(host)).await;
    assert!(
        m.host.runtime_version.starts_with("1.1.15"),
        "{}",
        m.host.runtime_version
    );
    check(&m, true, false);
}

async fn on_runc_1_3_6(host: String) {
    let m = run(Some(host)).await;
    assert!(
        m.host.runtime_version.starts_with("1.3"),
        "{}",
        m.host.runtime_version
    );
    check(&m, true, true);
}

/// A profile killing a call runc makes after loading the filter is held back (every cell
/// `held_back`, none passing); started anyway on the lab's runc 1.1.15 and 1.3.6, the hang is
/// observed: the start's deadline ends the wait, the harness kills the hung `runc:[2:INIT]`,
/// every cell is `start_failed` as predicted, and the run removes its containers (a removal
/// that hung would fail the run).
async fn held_back_started_anyway(host: String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("kill-getppid.json");
    std::fs::write(
        &file,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL"}]}"#,
    )
    .unwrap();
    let run = |start_held_back: bool| {
        let host = host.clone();
        let file = file.clone();
        async move {
            let opts = RunOptions {
                docker_host: Some(host),
                cases: vec!["getpid".into(), "getppid".into()],
                start_held_back,
                ..Default::default()
            };
            common::run_matrix(vec![common::load_file(file)], opts).await
        }
    };
    let held = run(false).await;
    assert!(held
        .cells
        .iter()
        .all(|c| c.verdict == Verdict::HeldBack && c.observed.outcome == Outcome::NotRun));
    let started = run(true).await;
    for c in &started.cells {
        assert_eq!(c.observed.outcome, Outcome::StartFailed, "{c:?}");
        assert_eq!(c.verdict, Verdict::Pass, "{c:?}");
        let note = c.observed.note.as_deref().unwrap_or_default();
        assert!(
            note.contains("did not start the container within") && note.contains("killed the hung"),
            "{note}"
        );
    }
}
