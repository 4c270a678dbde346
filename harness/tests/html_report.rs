//! The HTML report in a real browser: `render --format html` and `diff --format html` as a user
//! runs them, the page loaded by headless Chromium, its DOM read back. No Docker: the matrices
//! are written here. (The conformance suite does the same with the default run's matrix.)
//!
//! A libtest-mimic file (`harness = false`): whether the browser is there is known only at run
//! time, which `#[ignore]` can't express, so without it a browser trial is reported as ignored
//! with the reason rather than passed, and fails under `SECCOMP_HARNESS_REQUIRE_DOCKER=1`
//! ([`browser::required`]). What needs no browser (the commands' exit codes, the page written,
//! its text escaped) is a plain trial of its own, so it runs everywhere.

#[path = "common/browser.rs"]
mod browser;

use libtest_mimic::{Arguments, Completion, Failed, Trial};
use seccomp_harness_core::exit::ExitCode;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

/// A [`browser_trial`] named after its body.
macro_rules! browser_trial {
    ($body:ident) => {
        browser_trial(stringify!($body), $body)
    };
}

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        Trial::test(
            "render_html_exits_0_and_writes_the_page_without_a_browser",
            || {
                render_html_exits_0_and_writes_the_page_without_a_browser();
                Ok(())
            },
        ),
        Trial::test(
            "diff_html_exits_with_findings_and_writes_the_page_without_a_browser",
            || {
                diff_html_exits_with_findings_and_writes_the_page_without_a_browser();
                Ok(())
            },
        ),
        browser_trial!(
            render_html_opens_in_chromium_with_one_row_per_case_and_one_column_per_configuration
        ),
        browser_trial!(diff_html_opens_in_chromium_and_groups_the_changes),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// A trial that runs `body` with the browser, or is ignored or fails with the reason when there
/// is none ([`browser::required`]). A panic in `body` is the trial's failure.
fn browser_trial(name: &str, body: fn(&Path)) -> Trial {
    Trial::ignorable_test(name, move || match browser::required() {
        Ok(chromium) => {
            body(&chromium);
            Ok(Completion::Completed)
        }
        Err(browser::Missing::Ignore(why)) => Ok(Completion::ignored_with(why)),
        Err(browser::Missing::Fail(why)) => Err(Failed::from(why)),
    })
}

fn cell(conf: &str, case: &str, outcome: &str, errno: &str, verdict: &str) -> String {
    let syscall = case.split('(').next().unwrap();
    format!(
        r#"{{ "configuration": "{conf}", "profile": "{conf}", "caps": [], "case": "{case}",
             "syscall": "{syscall}", "abi": "x86_64",
             "observed": {{ "outcome": "{outcome}", "errno": {errno}, "signal": null, "rule": "default",
                            "note": "a note with <markup> & \"quotes\"" }},
             "expected": {{ "outcome": "errno", "errno": 1, "rule": "default" }},
             "verdict": "{verdict}" }}"#
    )
}

/// Three configurations × four cases, one failing cell and one missing cell.
fn matrix(kernel: &str, vsock: &str) -> String {
    let confs = ["strict", "loose", "builtin"];
    let configurations: Vec<String> = confs
        .iter()
        .map(|c| {
            format!(r#"{{ "id": "{c}", "profile": "{c}", "source": "{c}.json", "sha256": null, "caps": [] }}"#)
        })
        .collect();
    let mut cells = Vec::new();
    for c in confs {
        cells.push(cell(c, "unshare(CLONE_NEWUSER)", "errno", "1", "pass"));
        cells.push(cell(c, "mkdir", "errno", "1", "pass"));
        cells.push(cell(
            c,
            "socket(AF_VSOCK)",
            vsock,
            "null",
            if vsock == "allowed" { "fail" } else { "pass" },
        ));
        if c != "builtin" {
            cells.push(cell(c, "io_uring_setup", "killed", "null", "fail"));
        }
    }
    format!(
        r#"{{ "schema_version": 1,
  "host": {{ "kernel": "{kernel}", "arch": "x86_64", "engine": "docker", "engine_version": "20.10.24",
            "api_version": "1.41", "runtime": "rt-a", "runtime_version": "1.1.5",
            "seccomp": {{ "config_seccomp": true, "config_seccomp_filter": true,
                         "actions_available": ["kill_process", "errno"], "engine_profile": "default",
                         "runtime_unknown_syscalls": ["mseal"] }} }},
  "configurations": [ {} ],
  "cells": [ {} ] }}"#,
        configurations.join(","),
        cells.join(",")
    )
}

/// Runs `seccomp-harness ARGS PAGE` (ARGS end with the output flag) and checks its exit code;
/// the message shows its stderr.
fn write_page(args: &[&str], page: &Path, code: ExitCode) {
    let out = Command::new(BIN).args(args).arg(page).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code.code()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("html-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `render --format html` of a matrix with failures, into `<stem>.html`: exit 0 (rendering
/// judges nothing).
fn render_page(stem: &str) -> PathBuf {
    let dir = artifacts();
    let json = dir.join(format!("{stem}-input.json"));
    std::fs::write(&json, matrix("6.1.0", "allowed")).unwrap();
    let page = dir.join(format!("{stem}.html"));
    write_page(
        &[
            "render",
            json.to_str().unwrap(),
            "--format",
            "html",
            "--output",
        ],
        &page,
        ExitCode::Ok,
    );
    page
}

fn render_html_exits_0_and_writes_the_page_without_a_browser() {
    let html = std::fs::read_to_string(render_page("render-plain")).unwrap();
    assert!(html.contains("5 of 11 cells failed"), "the headline");
    assert!(html.contains("&lt;markup&gt;"), "the note escaped");
    assert!(!html.contains("<markup>"));
}

fn render_html_opens_in_chromium_with_one_row_per_case_and_one_column_per_configuration(
    chromium: &Path,
) {
    let page = render_page("render");
    let loaded = browser::load(chromium, &page).unwrap();
    browser::assert_clean(&loaded);
    assert_eq!(browser::count_class(&loaded.dom, "tr", "case"), 4);
    assert_eq!(browser::count_class(&loaded.dom, "th", "conf"), 3);
    // 11 cells and the one builtin has no io_uring_setup cell for.
    assert_eq!(browser::count_class(&loaded.dom, "td", "c"), 12);
    assert!(loaded.dom.contains("5 of 11 cells failed"), "the headline");
    // The note's markup stays text.
    assert!(!loaded.dom.contains("<markup>"));
    browser::screenshot(
        chromium,
        &page,
        &artifacts().join("render.png"),
        (1200, 900),
    )
    .unwrap();
}

/// `diff --format html` of two matrices that differ, into `<stem>.html`.
fn diff_page(stem: &str) -> PathBuf {
    let dir = artifacts();
    let old = dir.join(format!("{stem}-old.json"));
    let new = dir.join(format!("{stem}-new.json"));
    std::fs::write(&old, matrix("6.1.0", "errno")).unwrap();
    std::fs::write(&new, matrix("6.8.0", "allowed")).unwrap();
    let page = dir.join(format!("{stem}.html"));
    // Changes found: exit 1.
    write_page(
        &[
            "diff",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--format",
            "html",
            "-o",
        ],
        &page,
        ExitCode::Findings,
    );
    page
}

fn diff_html_exits_with_findings_and_writes_the_page_without_a_browser() {
    let html = std::fs::read_to_string(diff_page("diff-plain")).unwrap();
    assert!(html.contains("data-kind=\"newly allowed\""));
    assert!(html.contains("6.8.0"), "host context");
}

fn diff_html_opens_in_chromium_and_groups_the_changes(chromium: &Path) {
    let page = diff_page("diff");
    let loaded = browser::load(chromium, &page).unwrap();
    browser::assert_clean(&loaded);
    assert!(loaded.dom.contains("data-kind=\"newly allowed\""));
    assert_eq!(
        loaded.dom.matches("<code>socket(AF_VSOCK)</code>").count(),
        3
    );
    assert!(loaded.dom.contains("6.8.0"), "host context");
}
