//! The upgrade workflow end to end on the real engine: Docker's default profile of v20.10.24
//! and of v25.0.0, each run as the same configuration (`docker-default`), then `diff`.
//! `io_uring_setup` and `socket(AF_VSOCK)` must show as newly denied.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them.

mod common;

use seccomp_harness_core::exit::ExitCode;
use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

/// Runs `fixture` as `docker-default` and writes the JSON matrix to `out`.
fn run_as_docker_default(fixture: &str, dir: &Path, out: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(fixture);
    let profile = dir.join("docker-default.json");
    std::fs::write(&profile, std::fs::read(src).unwrap()).unwrap();
    let status = Command::new(BIN)
        .arg("run")
        .arg(&profile)
        .args(["--format", "json", "--output"])
        .arg(out)
        .status()
        .unwrap();
    // A failing cell is a finding, not an error of the run.
    assert!(
        [ExitCode::Ok, ExitCode::Findings]
            .iter()
            .any(|c| status.code() == Some(c.code())),
        "run of {fixture} exited {status}"
    );
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn upgrading_from_v20_to_v25_newly_denies_io_uring_and_vsock() {
    common::require_engine();
    let (old_dir, new_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let old = old_dir.path().join("old.json");
    let new = new_dir.path().join("new.json");
    run_as_docker_default("docker-default-v20.10.24.json", old_dir.path(), &old);
    run_as_docker_default("docker-default-v25.0.0.json", new_dir.path(), &new);

    let out = Command::new(BIN)
        .arg("diff")
        .arg(&old)
        .arg(&new)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(ExitCode::Findings.code()),
        "diff must exit 1 when cells changed"
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let kind_of = |case: &str| {
        v["cells"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["configuration"] == "docker-default" && c["case"] == case)
            .map(|c| c["kind"].as_str().unwrap().to_string())
    };
    assert_eq!(kind_of("io_uring_setup").as_deref(), Some("newly_denied"));
    assert_eq!(kind_of("socket(AF_VSOCK)").as_deref(), Some("newly_denied"));
    // Unchanged behaviour is not reported.
    assert_eq!(kind_of("getpid"), None);

    // Diffing a matrix with itself finds nothing.
    let same = Command::new(BIN)
        .arg("diff")
        .arg(&old)
        .arg(&old)
        .output()
        .unwrap();
    assert_eq!(same.status.code(), Some(ExitCode::Ok.code()));
}
