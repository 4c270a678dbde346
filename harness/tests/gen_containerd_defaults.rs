//! ci/gen-containerd-defaults.sh, offline: a throwaway git repository whose tags hold a made-up
//! `contrib/seccomp/seccomp_default.go` with one of each construct containerd's file uses
//! (tests/fixtures/gen-containerd/, written for this test). The script must turn each into the
//! Docker-format field the data README names, name files after the first release with the
//! content, change nothing on a second run, and stop (exit 1, naming the tag) at a statement
//! it does not know. Needs git and python3, as the script does.

use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Command;

const LINES: [&str; 5] = ["v1.6.0", "v1.7.0", "v2.0.0", "v2.1.0", "v2.2.0"];

fn fixture() -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/gen-containerd/seccomp_default.go.txt"),
    )
    .unwrap()
}

fn git(repo: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A repository where `v2.2.0` adds `mseal` to the first rule and `last` is the source of the
/// last tag.
fn repo(dir: &Path, last: &str) -> PathBuf {
    let repo = dir.join("repo");
    std::fs::create_dir_all(repo.join("contrib/seccomp")).unwrap();
    git(&repo, &["init", "-q"]);
    std::fs::write(
        repo.join("LICENSE"),
        "Apache License\nVersion 2.0, January 2004\n",
    )
    .unwrap();
    let go = repo.join("contrib/seccomp/seccomp_default.go");
    std::fs::write(&go, fixture()).unwrap();
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    for tag in &LINES[..4] {
        git(&repo, &["tag", tag]);
    }
    std::fs::write(&go, last).unwrap();
    git(&repo, &["commit", "-q", "-am", "second"]);
    git(&repo, &["tag", LINES[4]]);
    repo
}

/// The script's exit where the Go function it reads holds a statement it does not know (its
/// header: "Anything else in the function stops the script (exit 1, …)").
const STOPPED_ON_UNKNOWN_STATEMENT: i32 = 1;

fn generate(repo: &Path, out: &Path) -> std::process::Output {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("../ci/gen-containerd-defaults.sh"))
        .arg(repo)
        .env("CONTAINERD_DEFAULTS_DIR", out)
        .output()
        .unwrap()
}

fn read(p: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap()
}

#[test]
fn each_construct_becomes_its_docker_field_and_a_second_run_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let newer = fixture().replace("\"read\",", "\"read\",\n\t\t\t\t\"mseal\",");
    let repo = repo(dir.path(), &newer);
    let out = dir.path().join("out");
    let run = generate(&repo, &out);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let index = read(&out.join("index.json"));
    let releases = index["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 5);
    let files: Vec<&str> = releases
        .iter()
        .map(|r| r["file"].as_str().unwrap())
        .collect();
    assert_eq!(
        files,
        [
            "containerd/v1.6.0.json",
            "containerd/v1.6.0.json",
            "containerd/v1.6.0.json",
            "containerd/v1.6.0.json",
            "containerd/v2.2.0.json"
        ]
    );
    assert_eq!(releases[0]["path"], "contrib/seccomp/seccomp_default.go");
    assert_eq!(releases[0]["blob"].as_str().unwrap().len(), 40);

    let p = read(&out.join("v2.2.0.json"));
    assert_eq!(p["defaultAction"], "SCMP_ACT_ERRNO");
    assert_eq!(
        p["archMap"],
        json!([
            {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]},
            {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]}
        ])
    );
    let masked = 0x00020000u64 | 0x10000000;
    let clone_arg = |index: u64| json!([{"index": index, "value": masked, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]);
    assert_eq!(
        p["syscalls"],
        json!([
            {"names": ["getpid", "read", "mseal"], "action": "SCMP_ACT_ALLOW"},
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 39, "valueTwo": 0, "op": "SCMP_CMP_EQ"}]},
            {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
            {"names": ["arm_sync_file_range"], "action": "SCMP_ACT_ALLOW",
             "includes": {"arches": ["arm", "arm64"]}},
            {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["reboot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_BOOT"]}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": clone_arg(1),
             "includes": {"arches": ["s390", "s390x"]}, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": clone_arg(0),
             "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38,
             "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
        ])
    );
    let first = read(&out.join("v1.6.0.json"));
    assert_eq!(first["syscalls"][0]["names"], json!(["getpid", "read"]));

    let before: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| {
            let p = e.unwrap().path();
            (p.display().to_string(), std::fs::read(&p).unwrap())
        })
        .collect();
    let again = generate(&repo, &out);
    assert!(again.status.success());
    for (path, bytes) in before {
        assert_eq!(std::fs::read(&path).unwrap(), bytes, "{path}");
    }
}

#[test]
fn an_unknown_statement_stops_the_script_naming_the_tag() {
    let dir = tempfile::tempdir().unwrap();
    let odd = fixture().replace("\treturn s\n}", "\ts.Flags = nil\n\treturn s\n}");
    assert_ne!(odd, fixture());
    let repo = repo(dir.path(), &odd);
    let run = generate(&repo, &dir.path().join("out"));
    assert_eq!(run.status.code(), Some(STOPPED_ON_UNKNOWN_STATEMENT));
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        err.contains("v2.2.0") && err.contains("unknown statement"),
        "{err}"
    );
}
