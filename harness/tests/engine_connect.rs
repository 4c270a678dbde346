//! An unreachable daemon is an environment error (exit 3) whose message names the host that was
//! tried and what to do. Needs no daemon.

use seccomp_harness::engine::{ConnectError, Engine};
use seccomp_harness_core::exit::ExitCode;
use std::process::Command;

#[tokio::test]
async fn an_unreachable_socket_names_the_host() {
    let err = Engine::connect(Some("unix:///nonexistent.sock"))
        .await
        .expect_err("nothing listens there");
    assert!(matches!(err, ConnectError::Unreachable { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(msg.contains("unix:///nonexistent.sock"), "{msg}");
    assert!(msg.contains("DOCKER_HOST"), "{msg}");
}

#[tokio::test]
async fn a_closed_tcp_port_names_the_host() {
    let err = Engine::connect(Some("tcp://127.0.0.1:1"))
        .await
        .expect_err("nothing listens there");
    assert!(err.to_string().contains("tcp://127.0.0.1:1"), "{err}");
}

/// `seccomp-harness clean ARGS` with `DOCKER_HOST` at a socket nothing listens on: asserts the
/// environment error's exit code (3) and returns stderr, whose message the test checks.
fn clean_unreachable(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_seccomp-harness"))
        .arg("clean")
        .args(args)
        .env("DOCKER_HOST", "unix:///nonexistent.sock")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(ExitCode::Environment.code()),
        "{stderr}"
    );
    stderr
}

#[test]
fn the_cli_maps_an_unreachable_docker_host_to_exit_3() {
    let stderr = clean_unreachable(&[]);
    assert!(
        stderr.contains("cannot reach the docker daemon at unix:///nonexistent.sock"),
        "{stderr}"
    );
}

#[test]
fn the_flag_wins_over_docker_host() {
    let stderr = clean_unreachable(&["--docker-host", "unix:///also-nonexistent.sock"]);
    assert!(stderr.contains("unix:///also-nonexistent.sock"), "{stderr}");
}
