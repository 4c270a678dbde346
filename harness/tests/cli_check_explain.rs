//! `check` and `explain` through the real binary: exit codes, messages naming the file, JSON.

use seccomp_harness_core::exit::ExitCode;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_seccomp-harness"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn check(path: &Path) -> Output {
    bin().arg("check").arg(path).output().unwrap()
}

#[test]
fn check_accepts_real_profiles() {
    let out = check(&fixture("docker-default-v25.0.0.json"));
    assert_eq!(
        out.status.code(),
        Some(ExitCode::Ok.code()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = check(&fixture("moby-fixture-conditional_include.json"));
    assert_eq!(out.status.code(), Some(ExitCode::Ok.code()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("warning: "));
}

#[test]
fn check_names_what_a_containerd_node_drops() {
    // Docker's own default: archMap and capability-gated rules, all lost as a Localhost
    // profile on containerd.
    let out = check(&fixture("docker-default-v25.0.0.json"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(ExitCode::Ok.code()), "{stderr}");
    assert!(
        stderr.contains("archMap: a containerd node drops archMap"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a containerd node drops includes: SCMP_ACT_ALLOW then applies to"),
        "{stderr}"
    );
    // A profile with neither keeps quiet about containerd.
    let out = check(&fixture("moby-fixture-example.json"));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("containerd"));
}

#[test]
fn check_rejects_each_class_of_broken_input_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "syntax",
            "{\"defaultAction\": \"SCMP_ACT_ERRNO\",,}",
            "invalid JSON",
        ),
        ("not-object", "[1,2]", "not a seccomp profile"),
        (
            "action",
            r#"{"defaultAction":"SCMP_ACT_DENY"}"#,
            "unknown action",
        ),
        (
            "op",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":1,"op":"EQ"}]}]}"#,
            "unknown operator",
        ),
        (
            "arch",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["x86_64"]}"#,
            "unknown architecture",
        ),
        (
            "errno",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ERRNO","errnoRet":70000}]}"#,
            "out of range",
        ),
        (
            "both-arches",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"archMap":[{"architecture":"SCMP_ARCH_X86_64"}]}"#,
            "archMap",
        ),
        (
            "index",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["a"],"action":"SCMP_ACT_ALLOW","args":[{"index":7,"value":1,"op":"SCMP_CMP_EQ"}]}]}"#,
            "argument index 7",
        ),
        (
            "names",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":[],"action":"SCMP_ACT_ALLOW"}]}"#,
            "no syscall names",
        ),
    ];
    for (name, text, expect) in cases {
        let path = dir.path().join(format!("{name}.json"));
        std::fs::write(&path, text).unwrap();
        let out = check(&path);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(
            out.status.code(),
            Some(ExitCode::BadInput.code()),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(&format!("{name}.json")), "{name}: {stderr}");
        assert!(stderr.contains(expect), "{name}: {stderr}");
    }
    let missing = dir.path().join("absent.json");
    assert_eq!(
        check(&missing).status.code(),
        Some(ExitCode::BadInput.code())
    );
}

/// `explain` of Docker's default profile (v25.0.0) with `args` (the case and the options).
fn explain_docker_default(args: &[&str]) -> Output {
    bin()
        .arg("explain")
        .arg(fixture("docker-default-v25.0.0.json"))
        .args(args)
        .output()
        .unwrap()
}

/// [`explain_docker_default`] with `--format json` on x86_64 and kernel `kernel`: the JSON it
/// printed, after checking that it exited 0 (the message shows its stderr).
fn explain_json(case: &str, kernel: &str, more: &[&str]) -> serde_json::Value {
    let args = [
        case, "--arch", "x86_64", "--kernel", kernel, "--format", "json",
    ];
    let out = explain_docker_default(&[&args[..], more].concat());
    assert_eq!(
        out.status.code(),
        Some(ExitCode::Ok.code()),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn explain_prints_json_and_text() {
    let v = explain_json("clone3", "6.1", &[]);
    assert_eq!(v["case"], "clone3");
    assert_eq!(v["abi"], "x86_64");
    assert_eq!(v["outcome"], "errno");
    assert_eq!(v["errno"], 38);
    assert_eq!(v["rule"], 18);
    // clone3's CAP_SYS_ADMIN rule does not apply with Docker's default capabilities.
    assert!(
        v["skipped"].as_array().is_some_and(|s| s
            .iter()
            .any(|r| r["reason"].as_str().unwrap_or("").contains("CAP_SYS_ADMIN"))),
        "{v}"
    );

    let out = explain_docker_default(&["ptrace", "--arch", "x86_64", "--kernel", "4.4"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("outcome: errno 1") && text.contains("defaultAction"),
        "{text}"
    );
    // The ptrace rule needs kernel 4.8: explain says it was skipped, and why.
    assert!(
        text.contains("skipped: syscalls[") && text.contains("4.8"),
        "{text}"
    );
}

#[test]
fn explain_applies_an_added_capability() {
    let v = explain_json("clone3", "6.1", &["--cap-add", "CAP_SYS_ADMIN"]);
    assert_eq!(v["outcome"], "allowed");
}

#[test]
fn explain_reads_an_abi_prefixed_case() {
    let v = explain_json("i386:getpid", "6.1", &[]);
    assert_eq!(
        (v["abi"].as_str(), v["outcome"].as_str()),
        (Some("i386"), Some("allowed"))
    );
}

#[test]
fn explain_reads_the_sublevel_of_kernel() {
    // uretprobe passes every filter from 6.12.14 on (a stable backport); before it, or with
    // no sublevel, Docker's default denies it like any call it doesn't list.
    let explain = |kernel: &str| explain_json("uretprobe", kernel, &[]);
    let v = explain("6.12.14");
    assert_eq!(
        (v["outcome"].as_str(), &v["rule"]),
        (Some("allowed"), &serde_json::Value::Null),
        "{v}"
    );
    assert!(
        v["note"]
            .as_str()
            .unwrap_or("")
            .contains("backported to 6.12.14"),
        "{v}"
    );
    assert_eq!(explain("6.12.117+deb13-amd64")["outcome"], "allowed");
    for kernel in ["6.12.13", "6.12"] {
        let v = explain(kernel);
        assert_eq!(
            (v["outcome"].as_str(), v["rule"].as_str()),
            (Some("errno"), Some("default")),
            "{kernel}: {v}"
        );
    }
}

#[test]
fn explain_rejects_unknown_cases_and_caps() {
    let out = explain_docker_default(&["no_such_call", "--kernel", "6.1"]);
    assert_eq!(out.status.code(), Some(ExitCode::BadInput.code()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown case"));
    let out = explain_docker_default(&["getpid", "--kernel", "6.1", "--cap-add", "FLY"]);
    assert_eq!(out.status.code(), Some(ExitCode::BadInput.code()));
}

#[test]
fn cases_as_json_list_every_case_with_its_arguments() {
    let out = bin()
        .args(["cases", "--arch", "x86_64", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(ExitCode::Ok.code()));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    let text = bin().args(["cases", "--arch", "x86_64"]).output().unwrap();
    assert_eq!(
        cases.len(),
        String::from_utf8_lossy(&text.stdout).lines().count()
    );
    let find = |id: &str| cases.iter().find(|c| c["id"] == id).unwrap().clone();
    let futex = find("futex");
    assert_eq!(futex["nr"], 202);
    assert_eq!(futex["args"][1], 129, "FUTEX_WAKE_PRIVATE: {futex}");
    // A pointer argument shows the words it points to, not a value a filter could compare.
    let vsock = find("i386:socketcall(SYS_SOCKET,AF_VSOCK)");
    assert_eq!(vsock["args"][1]["pointer_to_words32"][0], 40);
    assert_eq!(find("i386:ipc(SEMCTL)")["args"][0], 3);
}
