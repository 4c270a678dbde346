//! The corpus of public profiles (tests/fixtures/wild, provenance in SOURCES.json): every one
//! has its source recorded, and every Docker-format and OCI-config profile runs end to end on
//! the engine with every cell passing. Kubernetes YAML resources (k8s/) are read too: one of
//! them runs and must give the same cells as its `spec` given as a JSON profile.
//!
//! Skipped, with the reason printed, when no daemon answers; a failure with
//! `SECCOMP_HARNESS_REQUIRE_DOCKER=1`.

mod common;

use seccomp_harness::run::{execute, load_profile, CapSpec, ProfileInput, RunOptions};
use seccomp_harness_core::matrix::Verdict;
use serde_json::Value;
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/wild")
}

fn sources() -> Vec<Value> {
    let text = std::fs::read_to_string(dir().join("SOURCES.json")).unwrap();
    serde_json::from_str::<Value>(&text)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn every_corpus_file_records_its_source() {
    let sources = sources();
    assert!(sources.len() >= 20, "a corpus of at least 20 profiles");
    for s in &sources {
        let file = s["file"].as_str().unwrap();
        assert!(dir().join(file).is_file(), "{file} is listed but missing");
        let commit = s["commit"].as_str().unwrap_or_default();
        assert!(
            commit.len() == 40 && commit.chars().all(|c| c.is_ascii_hexdigit()),
            "{file}: commit {commit:?}"
        );
        for key in ["repository", "path", "licence", "format"] {
            assert!(
                s[key].as_str().is_some_and(|v| !v.is_empty()),
                "{file}: no {key}"
            );
        }
    }
    // And nothing in the folder without an entry.
    for sub in ["", "k8s"] {
        for entry in std::fs::read_dir(dir().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() || ["SOURCES.json", "README.md"].contains(&name.as_str()) {
                continue;
            }
            let rel = if sub.is_empty() {
                name
            } else {
                format!("{sub}/{name}")
            };
            assert!(
                sources.iter().any(|s| s["file"] == rel.as_str()),
                "{rel} has no entry in SOURCES.json"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_json_profile_of_the_corpus_passes_on_the_engine() {
    if common::engine_or_skip().await.is_none() {
        return;
    }
    let profiles = sources()
        .iter()
        .filter(|s| matches!(s["format"].as_str(), Some("docker-json" | "oci-config")))
        .map(|s| {
            let path = dir().join(s["file"].as_str().unwrap());
            load_profile(&ProfileInput::File(path)).unwrap()
        })
        .collect::<Vec<_>>();
    assert!(profiles.len() >= 20);
    let opts = RunOptions {
        progress: false,
        ..Default::default()
    };
    let report = execute(profiles, vec![CapSpec::docker_default()], &opts)
        .await
        .expect("the run");
    let failing: Vec<String> = report
        .matrix
        .cells
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| {
            format!(
                "{}::{}: observed {:?}, expected {:?}",
                c.configuration, c.case, c.observed, c.expected
            )
        })
        .collect();
    assert!(
        failing.is_empty(),
        "{} failing cells, first: {:#?}",
        failing.len(),
        &failing[..failing.len().min(5)]
    );
}

/// A Kubernetes SeccompProfile (the security-profiles-operator's recorded nginx profile) runs
/// as a configuration named by its resource, and gives the same cells as its `spec` given as
/// a JSON profile.
#[tokio::test(flavor = "multi_thread")]
async fn a_seccompprofile_yaml_runs_like_the_same_profile_as_json() {
    if common::engine_or_skip().await.is_none() {
        return;
    }
    let yaml = dir().join("k8s/spo-nginx-1.19.1.v1alpha1.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    let docs = seccomp_harness_core::profile::k8s::split(&text, "nginx.yaml").unwrap();
    assert_eq!(docs.len(), 1);
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("nginx-as-json.json");
    std::fs::write(&json, &docs[0].json).unwrap();
    let mut profiles = seccomp_harness::run::load_profiles(&ProfileInput::File(yaml)).unwrap();
    profiles.push(load_profile(&ProfileInput::File(json)).unwrap());
    let opts = RunOptions {
        progress: false,
        ..Default::default()
    };
    let m = execute(profiles, vec![CapSpec::docker_default()], &opts)
        .await
        .expect("the run")
        .matrix;
    let of = |conf: &str| -> Vec<_> {
        m.cells
            .iter()
            .filter(|c| c.configuration == conf)
            .map(|c| {
                (
                    c.case.clone(),
                    c.observed.clone(),
                    c.expected.clone(),
                    c.verdict,
                )
            })
            .collect()
    };
    let (from_yaml, from_json) = (of("nginx-1.19.1"), of("nginx-as-json"));
    assert!(!from_yaml.is_empty());
    assert_eq!(from_yaml, from_json);
    assert!(from_yaml.iter().all(|c| c.3 == Verdict::Pass));
}
