//! The harness's binary as a user runs it: `seccomp-harness run ARGS` in a child process whose
//! pid the test keeps, because the run id labelling the run's containers carries it (see
//! [`super::containers`]).

use std::process::{Command, Output, Stdio};

/// The binary cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

/// `--case getpid --case unshare(CLONE_NEWUSER)`: a call every profile here lets through and one
/// that the shipped deny-namespaces denies (and Docker's default too, without CAP_SYS_ADMIN),
/// so that a small run has cells of both kinds.
pub const GETPID_AND_UNSHARE: [&str; 4] = ["--case", "getpid", "--case", "unshare(CLONE_NEWUSER)"];

/// `seccomp-harness run ARGS`, with whatever DOCKER_HOST the test runs with: its output and
/// its pid.
pub fn run(args: &[&str]) -> (Output, u32) {
    let child = Command::new(BIN)
        .arg("run")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{BIN} did not start: {e}"));
    let pid = child.id();
    (child.wait_with_output().unwrap(), pid)
}

/// [`run`] with `--format json` into a temporary file: the matrix, the exit code and the pid.
/// Panics, with the run's stderr, when no matrix was written.
pub fn run_json(args: &[&str]) -> (serde_json::Value, Option<i32>, u32) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--format", "json", "--output", out.to_str().unwrap()]);
    let (o, pid) = run(&all);
    let m = serde_json::from_slice(&std::fs::read(&out).unwrap_or_default())
        .unwrap_or_else(|e| panic!("no matrix ({e}): {}", stderr(&o)));
    (m, o.status.code(), pid)
}

/// A child's stderr as text, for assertion messages.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The host's engine address, as the binary finds it.
pub fn host_engine() -> String {
    std::env::var("DOCKER_HOST").unwrap_or_else(|_| "unix:///var/run/docker.sock".into())
}

/// The string `field` of each object in the JSON array `list`, in order: e.g. the ids of a
/// matrix's `configurations`. Panics where `list` is not an array of such objects.
pub fn strs<'a>(list: &'a serde_json::Value, field: &str) -> Vec<&'a str> {
    list.as_array()
        .unwrap_or_else(|| panic!("not an array: {list}"))
        .iter()
        .map(|e| {
            e[field]
                .as_str()
                .unwrap_or_else(|| panic!("no string {field}: {e}"))
        })
        .collect()
}
