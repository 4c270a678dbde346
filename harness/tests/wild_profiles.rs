//! The corpus of public profiles (tests/fixtures/wild, provenance in SOURCES.json): every one
//! has its source recorded, and every Docker-format and OCI-config profile runs end to end on
//! the engine with every cell passing. Kubernetes YAML resources (k8s/) are read too: one of
//! them runs and must give the same cells as its `spec` given as a JSON profile.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them.

mod common;

use seccomp_harness::run::{ProfileInput, RunOptions};
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

/// A derived file (`derived_from` in SOURCES.json) is its original with exactly one rule
/// appended: an ALLOW of calls a modelled runtime makes after loading the filter (its start
/// needs, or those of a fallback the original makes it take), none of which the original
/// names. So every rule of the original is in it unchanged, and decides
/// its syscall as in the original (a filter decides a call by that call's rules and the
/// default); the entry records the edit.
#[test]
fn a_derived_corpus_file_only_adds_the_runtimes_own_calls() {
    use seccomp_harness_core::profile::{parse_str, Action};
    let mut derived = 0;
    for s in sources() {
        let Some(original) = s["derived_from"].as_str() else {
            continue;
        };
        derived += 1;
        let file = s["file"].as_str().unwrap();
        let read = |f: &str| std::fs::read_to_string(dir().join(f)).unwrap();
        let o = parse_str(&read(original), original).unwrap();
        let d = parse_str(&read(file), file).unwrap();
        assert!(s["edit"].as_str().is_some_and(|e| !e.is_empty()), "{file}");
        assert_eq!(d.rules.len(), o.rules.len() + 1, "{file}");
        assert_eq!(d.rules[..o.rules.len()], o.rules[..], "{file}");
        assert_eq!(
            (d.default_action, d.default_errno_ret, &d.arches),
            (o.default_action, o.default_errno_ret, &o.arches),
            "{file}"
        );
        let added = d.rules.last().unwrap();
        assert_eq!(added.action, Action::Allow, "{file}");
        assert!(added.args.is_empty() && added.includes.is_empty(), "{file}");
        for n in &added.names {
            assert!(
                seccomp_harness_core::runtime::models().any(|m| m.fatal.contains(&n.as_str())
                    || m.fallback_needs
                        .iter()
                        .any(|f| f.fatal.contains(&n.as_str()))),
                "{file}: {n} is no runtime's start need"
            );
            assert!(
                !o.rules.iter().any(|r| r.names.contains(n)),
                "{file}: {n} is named by the original"
            );
        }
    }
    assert!(derived >= 2, "{derived} derived files");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn every_json_profile_of_the_corpus_passes_on_the_engine() {
    common::engine().await;
    let profiles = sources()
        .iter()
        .filter(|s| matches!(s["format"].as_str(), Some("docker-json" | "oci-config")))
        .map(|s| common::load_file(dir().join(s["file"].as_str().unwrap())))
        .collect::<Vec<_>>();
    assert!(profiles.len() >= 20);
    let matrix = common::run_matrix(profiles, RunOptions::default()).await;
    let failing: Vec<String> = matrix
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
    print_argument_rule_figures(&matrix.coverage);
}

/// Prints each configuration's native figure and the corpus's argument rules proven on both
/// sides: every file as it is, and with each original that can't start counted through its
/// derived start-able copy (`derived_from`; the copy holds the original's rules unchanged).
fn print_argument_rule_figures(coverage: &[seccomp_harness_core::coverage::Coverage]) {
    let derived: Vec<(String, String)> = sources()
        .iter()
        .filter_map(|s| {
            let stem = |f: &str| f.trim_end_matches(".json").to_string();
            Some((
                stem(s["derived_from"].as_str()?),
                stem(s["file"].as_str().unwrap()),
            ))
        })
        .collect();
    let native = |c: &seccomp_harness_core::coverage::Coverage| c.figures.first().cloned();
    let (mut all, mut all_proven, mut through, mut through_proven) = (0, 0, 0, 0);
    for c in coverage {
        let Some(f) = native(c) else { continue };
        eprintln!(
            "{:<45} {} rules {}/{}, argument rules {}/{}",
            c.configuration, f.abi, f.proven, f.rules, f.argument_proven, f.argument_rules
        );
        all += f.argument_rules;
        all_proven += f.argument_proven;
        if derived.iter().any(|(_, d)| *d == c.configuration) {
            continue;
        }
        let stand_in = derived
            .iter()
            .find(|(o, _)| *o == c.configuration)
            .and_then(|(_, d)| coverage.iter().find(|x| x.configuration == *d))
            .and_then(native)
            .unwrap_or(f);
        through += stand_in.argument_rules;
        through_proven += stand_in.argument_proven;
    }
    let pct = |a: usize, b: usize| a as f64 * 100.0 / b.max(1) as f64;
    eprintln!(
        "corpus argument rules proven on both sides: {all_proven}/{all} ({:.1}%) file by file; \
         {through_proven}/{through} ({:.1}%) with each original that can't start counted through \
         its start-able copy",
        pct(all_proven, all),
        pct(through_proven, through)
    );
}

/// A Kubernetes SeccompProfile (the security-profiles-operator's recorded nginx profile) runs
/// as a configuration named by its resource, and gives the same cells as its `spec` given as
/// a JSON profile.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn a_seccompprofile_yaml_runs_like_the_same_profile_as_json() {
    common::engine().await;
    let yaml = dir().join("k8s/spo-nginx-1.19.1.v1alpha1.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    let docs = seccomp_harness_core::profile::k8s::split(&text, "nginx.yaml").unwrap();
    assert_eq!(docs.len(), 1);
    let tmp = tempfile::tempdir().unwrap();
    let json = tmp.path().join("nginx-as-json.json");
    std::fs::write(&json, &docs[0].json).unwrap();
    let mut profiles = seccomp_harness::run::load_profiles(&ProfileInput::File(yaml)).unwrap();
    profiles.push(common::load_file(json));
    let m = common::run_matrix(profiles, RunOptions::default()).await;
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

/// SPO's base profile for the default runtime lists x86_64 alone and allows no
/// set_robust_list, which glibc's start-up calls: the tagged copy must allow it (x32's own
/// number for it is no stub of this filter), or the copy's trapping default killed the probe
/// before it installed its SIGSYS handler, and each of its 21 denials was left undecided.
/// Every cell passes, none undecided.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn spo_default_runtime_base_profile_has_every_denial_attributed() {
    common::engine().await;
    let yaml = dir().join("k8s/spo-baseprofile-runc.v1beta1.yaml");
    let profiles = seccomp_harness::run::load_profiles(&ProfileInput::File(yaml)).unwrap();
    // The configuration is named after the profile (its `metadata.name`, with the default caps).
    let [profile] = &profiles[..] else {
        panic!("one profile in the file, not {}", profiles.len())
    };
    let configuration = profile.name.clone();
    let m = common::run_matrix(profiles, RunOptions::default()).await;
    let cells: Vec<_> = m
        .cells
        .iter()
        .filter(|c| c.configuration == configuration)
        .collect();
    assert!(cells.len() > 100, "{} cells", cells.len());
    let not_passing: Vec<String> = cells
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| format!("{}: {:?} ({:?})", c.case, c.verdict, c.observed))
        .collect();
    assert!(
        not_passing.is_empty(),
        "{} cells not passing, first: {:#?}",
        not_passing.len(),
        &not_passing[..not_passing.len().min(5)]
    );
}
