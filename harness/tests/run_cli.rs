//! `seccomp-harness run` end to end through the binary: bad input exits 2 naming the file, an
//! unreachable daemon exits 3, a profile too strict for the runtime gives `start_failed` cells
//! with the runtime's message, and no container of the harness is left on any of these paths.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them. The upgrade to the lab's engine
//! is a lab trial in `lab_runtimes.rs`.

mod common;

use common::binary::{host_engine, stderr, BIN};
use common::containers;
use seccomp_harness_core::exit::ExitCode;
use std::process::{Command, Output};

/// The pids of the `run` processes this file started: their run ids carry them, so the
/// container count below sees only this file's runs, whatever else runs on the engine.
static OURS: std::sync::Mutex<Vec<u32>> = std::sync::Mutex::new(Vec::new());

/// `seccomp-harness run ARGS`, its pid kept in [`OURS`].
fn run(args: &[&str]) -> Output {
    let (o, pid) = common::binary::run(args);
    OURS.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
    o
}

/// The Docker tests of this file run one at a time, so that each count is its own run's.
static DOCKER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Containers left by the runs this file started.
fn leftover_containers() -> Option<usize> {
    let ours = OURS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    common::block_on(async {
        let engine = common::engine().await;
        Some(
            containers::of_runs(&engine, |pid| ours.contains(&pid))
                .await
                .len(),
        )
    })
}

#[test]
fn a_broken_profile_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("broken.json");
    std::fs::write(&bad, "{\"defaultAction\": \"SCMP_ACT_ERRNO\",\n \"syscalls\": [ {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_NOPE\"} ]}").unwrap();
    let o = run(&[bad.to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::BadInput.code()),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("broken.json"), "{}", stderr(&o));
    assert!(stderr(&o).contains("SCMP_ACT_NOPE"), "{}", stderr(&o));

    let o = run(&[dir.path().join("missing.json").to_str().unwrap()]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::BadInput.code()),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("missing.json"), "{}", stderr(&o));
}

#[test]
fn bad_capabilities_exit_2() {
    let o = run(&["unconfined", "--caps", "default,+NOT_A_CAP"]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::BadInput.code()),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("NOT_A_CAP"), "{}", stderr(&o));
}

/// `run ARGS` on a socket no engine listens on.
fn run_on_no_engine(args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("run")
        .args(args)
        .args(["--docker-host", "unix:///nonexistent/docker.sock"])
        .output()
        .unwrap()
}

#[test]
fn an_unreachable_daemon_exits_3() {
    let o = run_on_no_engine(&["unconfined"]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::Environment.code()),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("/nonexistent/docker.sock"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_containers_common_release_is_refused_before_any_engine_is_reached() {
    // An unreachable socket: an exit 2 (not 3) shows the release was refused first.
    let o = run_on_no_engine(&["builtin", "--containers-common", "0.0.1-not-a-release"]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::BadInput.code()),
        "{}",
        stderr(&o)
    );
    assert!(
        stderr(&o).contains("--containers-common") && stderr(&o).contains("release 0.0.1 "),
        "{}",
        stderr(&o)
    );
}

/// Runs `profile_json` on two cases and returns the matrix and the exit code.
fn run_one(profile_json: &str) -> (serde_json::Value, Option<i32>) {
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("strict.json");
    std::fs::write(&profile, profile_json).unwrap();
    run_json(&[
        profile.to_str().unwrap(),
        "--case",
        "getpid",
        "--case",
        "mkdir",
    ])
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn a_profile_too_strict_to_start_gives_start_failed_cells_and_leaves_nothing() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    common::require_engine();
    // The host's runtime calls fstatfs after it loads the filter ("ensure /proc/self/fd is on
    // procfs"): one of the default runtime's start needs (`runtime::RuntimeModel::fatal`).
    let (m, code) = run_one(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["fstatfs"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let error = m["configurations"][0]["start_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.contains("procfs") && error.contains("fstatfs"),
        "{error}"
    );
    let cells = m["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2);
    assert!(
        cells
            .iter()
            .all(|c| c["observed"]["outcome"] == "start_failed" && c["verdict"] == "pass"),
        "{cells:?}"
    );
    assert_eq!(code, Some(ExitCode::Ok.code()));
    assert_eq!(
        leftover_containers(),
        Some(0),
        "a start failure left containers behind"
    );
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn a_profile_that_would_hang_the_runtime_is_not_started() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    common::require_engine();
    // KILL on getppid hangs the host's runtime for good (`RuntimeModel::kill_hangs_start`):
    // the harness must not start it at all, and nothing ran, so no cell passes: each is
    // `held_back`, and the run exits 1.
    let (m, code) = run_one(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL"}]}"#,
    );
    let error = m["configurations"][0]["start_error"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        error.starts_with("not started") && error.contains("getppid"),
        "{error}"
    );
    assert!(m["cells"].as_array().unwrap().iter().all(|c| {
        c["observed"]["outcome"] == "not_run"
            && c["verdict"] == "held_back"
            && c["observed"]["note"]
                .as_str()
                .is_some_and(|n| n.starts_with("not started"))
    }));
    assert_eq!(m["schema_version"], 2);
    assert_eq!(code, Some(ExitCode::Findings.code()));
    assert_eq!(leftover_containers(), Some(0));
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn a_small_run_renders_every_format_and_leaves_nothing() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    common::require_engine();
    let dir = tempfile::tempdir().unwrap();
    let profile = dir.path().join("deny-mkdir.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#,
    )
    .unwrap();
    for (format, needle) in [
        ("table", "mkdir"),
        ("markdown", "| "),
        ("junit", "<testsuites"),
        ("json", "\"schema_version\": 2"),
    ] {
        let o = run(&[
            profile.to_str().unwrap(),
            "unconfined",
            "--case",
            "mkdir",
            "--case",
            "getpid",
            "--format",
            format,
        ]);
        assert_eq!(
            o.status.code(),
            Some(ExitCode::Ok.code()),
            "{format}: {}",
            stderr(&o)
        );
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains(needle), "{format}: {text}");
        if format == "json" {
            let m: serde_json::Value = serde_json::from_str(&text).unwrap();
            let mkdir = m["cells"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["configuration"] == "deny-mkdir" && c["case"] == "mkdir")
                .unwrap();
            assert_eq!(mkdir["observed"]["outcome"], "errno");
            assert_eq!(mkdir["observed"]["errno"], 13);
            assert_eq!(mkdir["observed"]["rule"], 0);
            assert_eq!(mkdir["verdict"], "pass");
        }
    }
    assert_eq!(leftover_containers(), Some(0));
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn render_reads_a_saved_matrix_and_refuses_a_broken_one() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("not-a-matrix.json");
    std::fs::write(&bad, "{\"schema_version\": 9}").unwrap();
    let o = Command::new(BIN).arg("render").arg(&bad).output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(ExitCode::BadInput.code()),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("not-a-matrix.json"), "{}", stderr(&o));

    common::require_engine();
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    let saved = dir.path().join("m.json");
    let o = run(&[
        "unconfined",
        "--case",
        "getpid",
        "--format",
        "json",
        "--output",
        saved.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()), "{}", stderr(&o));
    let o = Command::new(BIN)
        .arg("render")
        .arg(&saved)
        .args(["--format", "markdown"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("getpid"));
}

#[test]
fn cases_lists_every_arch_catalog_and_refuses_an_unknown_arch() {
    for (arch, must) in [
        ("x86_64", "i386:socketcall(SYS_SOCKET,AF_VSOCK)"),
        ("aarch64", "clone(CLONE_NEWUSER)"),
    ] {
        let o = Command::new(BIN)
            .args(["cases", "--arch", arch])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(ExitCode::Ok.code()));
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.lines().any(|l| l == must), "{arch} lacks {must}");
        assert!(text.lines().count() > 300);
    }
    let o = Command::new(BIN)
        .args(["cases", "--arch", "sparc"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(ExitCode::BadInput.code()));
    assert!(stderr(&o).contains("sparc"));
}

/// [`common::binary::run_json`], its pid kept in [`OURS`].
fn run_json(args: &[&str]) -> (serde_json::Value, Option<i32>) {
    let (m, code, pid) = common::binary::run_json(args);
    OURS.lock().unwrap_or_else(|e| e.into_inner()).push(pid);
    (m, code)
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn several_engines_give_one_matrix_and_diff_compares_them() {
    let _one_at_a_time = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
    common::require_engine();
    // The same engine twice, under two names: both run in parallel, each with its own
    // image check, watchdog and cleanup, and must agree cell for cell.
    let host = host_engine();
    let (a, b) = (format!("a={host}"), format!("b={host}"));
    let (m, code) = run_json(
        &[
            &["unconfined", "builtin"][..],
            &common::binary::GETPID_AND_UNSHARE,
            &["--docker-host", &a, "--docker-host", &b],
        ]
        .concat(),
    );
    assert_eq!(code, Some(ExitCode::Ok.code()), "{m}");
    let engines: Vec<&str> = common::binary::strs(&m["engines"], "name");
    assert_eq!(engines, ["a", "b"]);
    let ids: Vec<&str> = common::binary::strs(&m["configurations"], "id");
    assert!(
        ids.contains(&"a/builtin") && ids.contains(&"b/unconfined"),
        "{ids:?}"
    );
    assert_eq!(m["cells"].as_array().unwrap().len(), 2 * ids.len());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, m.to_string()).unwrap();
    let d = Command::new(BIN)
        .args(["diff", file.to_str().unwrap(), "--engines", "a,b"])
        .output()
        .unwrap();
    assert_eq!(
        d.status.code(),
        Some(ExitCode::Ok.code()),
        "{}",
        String::from_utf8_lossy(&d.stdout)
    );
    let d = Command::new(BIN)
        .args(["diff", file.to_str().unwrap(), "--engines", "a,nope"])
        .output()
        .unwrap();
    assert_eq!(d.status.code(), Some(ExitCode::BadInput.code()));
    assert!(stderr(&d).contains("no engine \"nope\""), "{}", stderr(&d));
    assert_eq!(leftover_containers(), Some(0));
}

#[test]
fn engine_names_are_checked_before_any_engine_is_reached() {
    // Unreachable sockets: an exit 2 (not 3) shows the names were refused first.
    for args in [
        [
            "a=unix:///nonexistent/1.sock",
            "a=unix:///nonexistent/2.sock",
        ],
        [
            "my/host=unix:///nonexistent/1.sock",
            "b=unix:///nonexistent/2.sock",
        ],
    ] {
        let o = run(&[
            "unconfined",
            "--docker-host",
            args[0],
            "--docker-host",
            args[1],
        ]);
        assert_eq!(
            o.status.code(),
            Some(ExitCode::BadInput.code()),
            "{}",
            stderr(&o)
        );
        assert!(stderr(&o).contains("name"), "{}", stderr(&o));
    }
}
