//! `seccomp-harness diff` as a user runs it: the built binary, files on disk, exit codes.

use seccomp_harness_core::exit::ExitCode;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

fn matrix_json(outcome: &str, errno: &str, kernel: &str) -> String {
    format!(
        r#"{{
  "schema_version": 1,
  "host": {{ "kernel": "{kernel}", "arch": "x86_64", "engine": "docker",
            "engine_version": "25.0.3", "api_version": "1.44", "runtime": "rt-a",
            "runtime_version": "1.1.12",
            "seccomp": {{ "config_seccomp": true, "config_seccomp_filter": true,
                         "actions_available": ["kill_process"], "engine_profile": "builtin" }} }},
  "configurations": [ {{ "id": "strict", "profile": "strict", "source": "strict.json",
                        "sha256": "00", "caps": [] }} ],
  "cells": [ {{ "configuration": "strict", "profile": "strict", "caps": [],
               "case": "unshare(CLONE_NEWUSER)", "syscall": "unshare", "abi": "x86_64",
               "observed": {{ "outcome": "{outcome}", "errno": {errno}, "signal": null, "rule": "default" }},
               "expected": {{ "outcome": "errno", "errno": 1, "rule": "default" }},
               "verdict": "pass" }} ]
}}"#
    )
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn diff(args: &[&str]) -> Output {
    Command::new(BIN).arg("diff").args(args).output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unchanged_behaviour_exits_0_even_on_another_kernel() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.json", &matrix_json("errno", "1", "6.1.0"));
    let new = write(dir.path(), "new.json", &matrix_json("errno", "1", "6.8.0"));
    let o = diff(&[&old, &new]);
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("no behaviour changed"),
        "{}",
        stdout(&o)
    );
    assert!(
        stdout(&o).contains("kernel: 6.1.0 -> 6.8.0"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn a_newly_allowed_cell_exits_1_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.json", &matrix_json("errno", "1", "6.1.0"));
    let new = write(
        dir.path(),
        "new.json",
        &matrix_json("allowed", "null", "6.1.0"),
    );
    let o = diff(&[&old, &new]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::Findings.code()),
        "{}",
        stderr(&o)
    );
    let out = stdout(&o);
    assert!(out.contains("newly allowed (1)"), "{out}");
    assert!(out.contains("unshare(CLONE_NEWUSER)"), "{out}");
}

#[test]
fn json_and_markdown_formats_and_an_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let old = write(dir.path(), "old.json", &matrix_json("errno", "1", "6.1.0"));
    let new = write(
        dir.path(),
        "new.json",
        &matrix_json("killed", "null", "6.1.0"),
    );
    let report = dir.path().join("report.json");
    let o = diff(&[
        &old,
        &new,
        "--format",
        "json",
        "--output",
        report.to_str().unwrap(),
    ]);
    assert_eq!(
        o.status.code(),
        Some(ExitCode::Findings.code()),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(v["changed"], true);
    assert_eq!(v["cells"][0]["kind"], "kill_trap_changed");

    let o = diff(&[&old, &new, "--format", "markdown"]);
    assert_eq!(o.status.code(), Some(ExitCode::Findings.code()));
    assert!(
        stdout(&o).contains("#### kill/trap changed (1)"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn bad_input_exits_2_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.json", &matrix_json("errno", "1", "6.1.0"));
    let broken = write(dir.path(), "broken.json", "{ not json");
    let future = write(
        dir.path(),
        "future.json",
        &matrix_json("errno", "1", "6.1.0")
            .replace("\"schema_version\": 1", "\"schema_version\": 3"),
    );
    let missing = dir.path().join("missing.json");
    let missing = missing.to_str().unwrap();

    for (args, file, words) in [
        ([good.as_str(), missing], "missing.json", "failed to read"),
        (
            [broken.as_str(), good.as_str()],
            "broken.json",
            "invalid JSON",
        ),
        (
            [good.as_str(), future.as_str()],
            "future.json",
            "schema_version 3",
        ),
    ] {
        let o = diff(&args);
        assert_eq!(
            o.status.code(),
            Some(ExitCode::BadInput.code()),
            "{args:?}: {}",
            stderr(&o)
        );
        let err = stderr(&o);
        assert!(err.contains(file) && err.contains(words), "{err}");
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn an_unknown_format_is_a_usage_error() {
    let o = diff(&["a.json", "b.json", "--format", "html"]);
    assert_eq!(o.status.code(), Some(ExitCode::BadInput.code()));
}
