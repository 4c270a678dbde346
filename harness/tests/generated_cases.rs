//! The safety table of generated cases (`seccomp_catalog::generated`) checked on this kernel:
//! every case the corpus's argument conditions generate (harness/tests/fixtures, its `wild`
//! folder and the shipped profiles) runs unconfined, with the default capabilities and with
//! every capability, and each must come back with an error and no signal: the poison rejected
//! the call before it acted. The cases that can't be made are counted with their reasons.
//!
//! The Docker-backed tests are `#[ignore]`d with the reason (see `common`): `--include-ignored`
//! runs them, and then a daemon that doesn't answer fails them.

mod common;

use seccomp_catalog::{Arch, Case};
use seccomp_harness::engine::{
    run_configuration, CaseResult, ContainerSpec, RestartLimits, RunId, SeccompMode,
};
use seccomp_harness::probe_binary::EMBEDDED;
use seccomp_harness::run::input::ProfileKind;
use seccomp_harness::run::{load_profiles, ProfileInput};
use seccomp_harness_core::coverage::generate::{for_profile_on, NotGenerated};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "json")
                && p.file_name().is_some_and(|n| n != "SOURCES.json")
        })
        .collect();
    out.sort();
    out
}

/// Every generated case of the corpus and the shipped profiles on `arch`, and the ones that
/// can't be made.
fn corpus_cases(arch: Arch) -> (BTreeMap<String, Case>, Vec<NotGenerated>) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = json_files(&root.join("tests/fixtures"));
    files.extend(json_files(&root.join("tests/fixtures/wild")));
    files.extend(json_files(&root.join("../profiles")));
    let mut cases = BTreeMap::new();
    let mut not = Vec::new();
    for f in files {
        for loaded in load_profiles(&ProfileInput::File(f.clone())).unwrap() {
            if let ProfileKind::File { profile, .. } = &loaded.kind {
                let g = for_profile_on(profile, arch);
                cases.extend(g.cases);
                not.extend(g.not_generated);
            }
        }
    }
    (cases, not)
}

#[test]
fn the_corpus_generates_cases_on_every_arch() {
    for arch in Arch::ALL {
        let (cases, not) = corpus_cases(*arch);
        let syscalls: std::collections::BTreeSet<&str> =
            cases.values().map(|c| c.syscall).collect();
        eprintln!(
            "{arch}: {} generated cases on {} syscalls; {} not generated",
            cases.len(),
            syscalls.len(),
            not.len()
        );
        assert!(cases.len() > 100, "{arch}: {}", cases.len());
        for c in cases.values() {
            assert!(c.id.contains('['), "{}", c.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn generated_cases_are_rejected_unconfined() {
    let engine = common::engine().await;
    let facts = engine.facts().await.unwrap();
    let arch = Arch::parse(&facts.arch).expect("a known arch");
    let (cases, not) = corpus_cases(arch);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for n in &not {
        *reasons
            .entry(format!(
                "{}: {}",
                n.syscall,
                n.reason.split(':').next().unwrap_or("")
            ))
            .or_default() += 1;
    }
    eprintln!(
        "{} generated cases; {} asked for but not generated:",
        cases.len(),
        not.len()
    );
    for (r, n) in &reasons {
        eprintln!("  {n} × {r}");
    }
    let image = engine
        .ensure_probe_image(EMBEDDED, Some(&facts.arch))
        .await
        .unwrap();
    let ids: Vec<String> = cases.keys().cloned().collect();
    // `ALL` is refused here ("unable to apply caps": this host's bounding set lacks
    // CAP_SYS_RESOURCE): the capabilities whose checks the poisons could meet instead.
    let many: Vec<String> = [
        "SYS_ADMIN",
        "NET_ADMIN",
        "SYS_PTRACE",
        "IPC_LOCK",
        "DAC_OVERRIDE",
        "SYS_NICE",
    ]
    .iter()
    .map(|c| c.to_string())
    .collect();
    for cap_add in [vec![], many] {
        let run_id = RunId::new();
        let spec = ContainerSpec {
            cap_add: cap_add.clone(),
            ..ContainerSpec::new(SeccompMode::Unconfined)
        };
        let result = run_configuration(
            &engine,
            &image,
            &run_id,
            &spec,
            &ids,
            RestartLimits::default(),
        )
        .await
        .unwrap();
        assert!(result.start_error.is_none(), "{:?}", result.start_error);
        assert_eq!(
            result.containers, 1,
            "every case in one container: {:#?}",
            result.diagnostics
        );
        let mut errnos: BTreeMap<i32, usize> = BTreeMap::new();
        for r in &result.cases {
            let CaseResult::Ran(rec) = r else {
                panic!("not run: {r:?}");
            };
            assert!(
                rec.signal.is_none() && rec.errno.is_some(),
                "{} with caps {cap_add:?} was not rejected: {rec:?} (args {:?})",
                rec.id,
                cases[&rec.id].args
            );
            *errnos.entry(rec.errno.unwrap()).or_default() += 1;
        }
        assert_eq!(result.cases.len(), ids.len());
        eprintln!("caps {cap_add:?}: every case rejected; errnos {errnos:?}");
    }
}
