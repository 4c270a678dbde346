//! `kube manifest` prints a valid apps/v1 DaemonSet: read back into k8s-openapi's types (those
//! of Kubernetes 1.33, the oldest the crate's 0.29 has) and written out again, it is the same
//! document, so every field is one Kubernetes knows, with the right type. `kube merge`
//! combines per-node matrices into one fleet matrix named after the files. No cluster runs here.

use k8s_openapi::api::apps::v1::DaemonSet;
use seccomp_harness_core::exit::ExitCode;
use serde_json::Value;
use std::ffi::OsStr;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_seccomp-harness");

/// `seccomp-harness kube ARGS`'s stdout, after checking that it succeeded (the message shows
/// its stderr).
fn kube<I, S>(args: I) -> Vec<u8>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(BIN).arg("kube").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn manifest(args: &[&str]) -> Value {
    let stdout = kube(["manifest"].iter().chain(args));
    serde_saphyr::from_str(&String::from_utf8(stdout).unwrap()).unwrap()
}

fn round_trip(doc: &Value) -> DaemonSet {
    let ds: DaemonSet = serde_json::from_value(doc.clone()).unwrap();
    assert_eq!(&serde_json::to_value(&ds).unwrap(), doc);
    ds
}

#[test]
fn the_manifest_is_a_daemonset_kubernetes_reads_field_for_field() {
    let doc = manifest(&[]);
    let ds = round_trip(&doc);
    let spec = ds.spec.unwrap().template.spec.unwrap();
    let init = &spec.init_containers.as_ref().unwrap()[0];
    let args = init.args.as_ref().unwrap();
    assert!(args.contains(&"$(NODE_NAME)=unix:///run/containerd/containerd.sock".to_string()));
    assert!(args.contains(&"/results/$(NODE_NAME).json".to_string()));
    let volumes = spec.volumes.unwrap();
    let cri = volumes.iter().find(|v| v.name == "cri").unwrap();
    assert_eq!(cri.host_path.as_ref().unwrap().path, "/run/containerd");
    let profiles = volumes.iter().find(|v| v.name == "profiles").unwrap();
    assert_eq!(
        profiles.config_map.as_ref().unwrap().name,
        "seccomp-profiles"
    );

    let spo = manifest(&[
        "--spo-namespace",
        "apps",
        "--socket",
        "/var/run/crio/crio.sock",
        "--namespace",
        "security",
    ]);
    let ds = round_trip(&spo);
    assert_eq!(ds.metadata.namespace.as_deref(), Some("security"));
    let volumes = ds.spec.unwrap().template.spec.unwrap().volumes.unwrap();
    let profiles = volumes.iter().find(|v| v.name == "profiles").unwrap();
    assert_eq!(
        profiles.host_path.as_ref().unwrap().path,
        "/var/lib/kubelet/seccomp/operator/apps"
    );
    let cri = volumes.iter().find(|v| v.name == "cri").unwrap();
    assert_eq!(cri.host_path.as_ref().unwrap().path, "/var/run/crio");
}

#[test]
fn a_bad_socket_path_is_refused_with_exit_2() {
    let out = Command::new(BIN)
        .args(["kube", "manifest", "--socket", "containerd.sock"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(ExitCode::BadInput.code()));
    assert!(String::from_utf8_lossy(&out.stderr).contains("absolute path"));
}

#[test]
fn node_matrices_merge_into_one_fleet_named_after_the_files() {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/matrices/docker-20.10.24-runc-1.1.5.json");
    let dir = tempfile::tempdir().unwrap();
    for node in ["node-a", "node-b.example"] {
        std::fs::copy(&fixture, dir.path().join(format!("{node}.json"))).unwrap();
    }
    let (a, b) = (
        dir.path().join("node-a.json"),
        dir.path().join("node-b.example.json"),
    );
    let stdout = kube([
        OsStr::new("merge"),
        OsStr::new("--format"),
        OsStr::new("json"),
        a.as_os_str(),
        b.as_os_str(),
    ]);
    let fleet: Value = serde_json::from_slice(&stdout).unwrap();
    let engines: Vec<&str> = fleet["engines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(engines, ["node-a", "node-b.example"]);
    let one: Value = serde_json::from_slice(&std::fs::read(&fixture).unwrap()).unwrap();
    assert_eq!(
        fleet["cells"].as_array().unwrap().len(),
        2 * one["cells"].as_array().unwrap().len()
    );
    assert!(fleet["configurations"][0]["id"]
        .as_str()
        .unwrap()
        .starts_with("node-a/"));
}
