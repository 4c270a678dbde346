//! `--format sarif` through the binary: `check` puts each finding at its line and column;
//! `run` on the real engine, then `render` and `diff` of its matrix, put a failing cell on the
//! line of the rule that decided it (what a pull request's annotation shows). Every log is
//! valid against the official SARIF 2.1.0 schema.

mod common;

use seccomp_harness_core::exit::ExitCode;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

fn bin(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

/// The SARIF log a command printed, after checking its exit code (the message shows its
/// stderr) and the log against the schema.
fn sarif_exiting(o: &Output, code: ExitCode) -> serde_json::Value {
    assert_eq!(
        o.status.code(),
        Some(code.code()),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    common::schema::valid_sarif(&String::from_utf8_lossy(&o.stdout))
}

fn results(v: &serde_json::Value) -> Vec<serde_json::Value> {
    v["runs"][0]["results"].as_array().unwrap().clone()
}

fn start(r: &serde_json::Value) -> (u64, u64) {
    let reg = &r["locations"][0]["physicalLocation"]["region"];
    (
        reg["startLine"].as_u64().unwrap(),
        reg["startColumn"].as_u64().unwrap(),
    )
}

/// Line 5 holds the mkdir rule's `names`, line 10 a rule no case of the run reaches.
const PROFILE: &str = r#"{
  "defaultAction": "SCMP_ACT_ALLOW",
  "syscalls": [
    {
      "names": ["mkdir"],
      "action": "SCMP_ACT_ERRNO",
      "errnoRet": 13
    },
    {
      "names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 39
    }
  ]
}
"#;

#[test]
fn check_findings_are_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "\n\n{\"defaultAction\": \"SCMP_ACT_DENY\"}\n").unwrap();
    let o = bin(&["check", bad.to_str().unwrap(), "--format", "sarif"]);
    let v = sarif_exiting(&o, ExitCode::BadInput);
    let r = &results(&v)[0];
    assert_eq!(r["ruleId"], "profile-invalid");
    assert_eq!(r["level"], "error");
    assert_eq!(start(r).0, 3);

    // A rule equal to the default action is dropped by the runtime (`runtime::RuntimeModel`'s
    // reading of a profile): a lint at the rule's line.
    let lint = dir.path().join("lint.json");
    std::fs::write(
        &lint,
        "{\"defaultAction\": \"SCMP_ACT_ALLOW\",\n \"syscalls\": [\n  {\"names\": [\"getpid\"], \"action\": \"SCMP_ACT_ALLOW\"}\n]}\n",
    )
    .unwrap();
    let o = bin(&["check", lint.to_str().unwrap(), "--format", "sarif"]);
    let v = sarif_exiting(&o, ExitCode::Ok);
    let lints: Vec<_> = results(&v)
        .into_iter()
        .filter(|r| r["ruleId"] == "profile-lint")
        .collect();
    assert!(!lints.is_empty(), "{v:#}");
    assert!(lints.iter().any(|r| start(r) == (3, 4)), "{lints:#?}");
}

/// The harness in `dir` (relative paths, as in a repository checkout: code scanning resolves
/// them there).
fn bin_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// The run of [`PROFILE`] (as `deny-mkdir.json`) on mkdir and getpid, with `format` added.
fn run_deny_mkdir(dir: &Path, format: &[&str]) -> Output {
    let args = [
        "run",
        "deny-mkdir.json",
        "--case",
        "mkdir",
        "--case",
        "getpid",
    ];
    bin_in(dir, &[&args[..], format].concat())
}

/// A passing run's SARIF: no failed cell, and the one rule no cell reached (rmdir) annotated
/// at its line, in the profile's path relative to the checkout.
fn assert_only_the_unreached_rule_is_annotated(dir: &Path) {
    let o = run_deny_mkdir(dir, &["--format", "sarif"]);
    let v = sarif_exiting(&o, ExitCode::Ok);
    // Every cell passed; the rmdir rule decided none of them.
    let rs = results(&v);
    assert!(!rs.iter().any(|r| r["ruleId"] == "cell-failed"), "{rs:#?}");
    let unproven: Vec<_> = rs
        .iter()
        .filter(|r| r["ruleId"] == "rule-unproven")
        .collect();
    assert_eq!(unproven.len(), 1, "{rs:#?}");
    assert_eq!(start(unproven[0]), (10, 7));
    assert_eq!(
        unproven[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "deny-mkdir.json"
    );
}

/// The same run as JSON into `m.json`, which validates against the published contract; then
/// `failed.json`, the same matrix with the engine "answering" mkdir otherwise than the rule
/// says.
fn write_a_matrix_and_one_with_mkdir_failing(dir: &Path) {
    let o = run_deny_mkdir(dir, &["--format", "json", "--output", "m.json"]);
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()));
    let path = dir.join("m.json");
    let mut m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // The matrix the binary wrote validates against the published contract.
    common::schema::assert_valid_matrix(&m);
    let cell = m["cells"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|c| c["case"] == "mkdir" && c["configuration"] == "deny-mkdir")
        .unwrap();
    assert_eq!(cell["expected"]["rule"], 0);
    cell["observed"]["errno"] = 1.into();
    cell["verdict"] = "fail".into();
    std::fs::write(dir.join("failed.json"), m.to_string()).unwrap();
}

#[test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
fn a_failing_cell_is_annotated_on_the_line_of_its_rule() {
    common::require_engine();
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let dir = dir.path();
    std::fs::write(dir.join("deny-mkdir.json"), PROFILE).unwrap();
    assert_only_the_unreached_rule_is_annotated(dir);
    write_a_matrix_and_one_with_mkdir_failing(dir);

    let o = bin_in(dir, &["render", "failed.json", "--format", "sarif"]);
    let v = sarif_exiting(&o, ExitCode::Ok);
    let failed_results: Vec<_> = results(&v)
        .into_iter()
        .filter(|r| r["ruleId"] == "cell-failed")
        .collect();
    assert_eq!(failed_results.len(), 1);
    assert_eq!(failed_results[0]["level"], "error");
    assert_eq!(start(&failed_results[0]), (5, 7));

    let o = bin_in(dir, &["diff", "m.json", "failed.json", "--format", "sarif"]);
    let v = sarif_exiting(&o, ExitCode::Findings);
    let changed = results(&v);
    assert_eq!(changed.len(), 1, "{changed:#?}");
    assert_eq!(start(&changed[0]), (5, 7));

    // Edited since the run: the findings name the file, without a line that may be wrong.
    std::fs::write(dir.join("deny-mkdir.json"), format!("\n{PROFILE}")).unwrap();
    let o = bin_in(dir, &["render", "failed.json", "--format", "sarif"]);
    let v = sarif_exiting(&o, ExitCode::Ok);
    let r = results(&v)
        .into_iter()
        .find(|r| r["ruleId"] == "cell-failed")
        .unwrap();
    assert!(r["locations"][0]["physicalLocation"]
        .get("region")
        .is_none());
}
