//! The engine with the real, embedded probe against a real Docker daemon: the end-to-end checks
//! of what a profile does. The tests are `#[ignore]`d with the reason (see `common`):
//! `--include-ignored` runs them, and then a daemon that doesn't answer fails them.

use seccomp_catalog::record::CaseRecord;
use seccomp_catalog::Catalog;
use seccomp_harness::engine::cleanup::RUN_LABEL;
use seccomp_harness::engine::{
    run_configuration, CaseResult, ConfigurationRun, ContainerSpec, Engine, ProbeImage,
    RestartLimits, RunId, SeccompMode,
};
use seccomp_harness::probe_binary::EMBEDDED;

mod common;
use std::collections::HashMap;

async fn engine() -> Engine {
    common::engine().await
}

async fn probe_image(engine: &Engine) -> ProbeImage {
    static BUILD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = BUILD.lock().await;
    let facts = engine.facts().await.unwrap();
    engine
        .ensure_probe_image(EMBEDDED, Some(&facts.arch))
        .await
        .unwrap()
}

async fn run(engine: &Engine, mode: SeccompMode, cases: &[String]) -> ConfigurationRun {
    let image = probe_image(engine).await;
    let run_id = RunId::new();
    let result = run_configuration(
        engine,
        &image,
        &run_id,
        &ContainerSpec {
            probe_args: seccomp_catalog::record::ProbeArgs {
                host_facts: true,
                ..Default::default()
            },
            ..ContainerSpec::new(mode)
        },
        cases,
        RestartLimits::default(),
    )
    .await
    .unwrap();
    let filters = HashMap::from([("label".to_string(), vec![format!("{RUN_LABEL}={run_id}")])]);
    let options = bollard::query_parameters::ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    let left = engine
        .docker()
        .list_containers(Some(options))
        .await
        .unwrap();
    assert!(left.is_empty(), "containers left behind: {left:?}");
    result
}

fn ran<'a>(run: &'a ConfigurationRun, id: &str) -> &'a CaseRecord {
    match run.cases.iter().find(|c| c.id() == id) {
        Some(CaseResult::Ran(r)) => r,
        other => panic!("{id}: {other:?}\n{run:#?}"),
    }
}

/// The issue's check: Docker's default profile denies creating a user namespace without
/// CAP_SYS_ADMIN (EPERM from the filter), and without a filter the kernel allows it.
#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn unshare_newuser_is_eperm_under_the_default_profile_and_allowed_unconfined() {
    let engine = engine().await;
    let cases = vec!["unshare(CLONE_NEWUSER)".to_string(), "getpid".to_string()];

    let builtin = run(&engine, SeccompMode::Builtin, &cases).await;
    let host = builtin.host.as_ref().expect("the probe's host record");
    assert_eq!(host.seccomp_mode, Some(2), "a filter is loaded: {host:?}");
    let denied = ran(&builtin, "unshare(CLONE_NEWUSER)");
    assert_eq!(denied.errno, Some(1), "EPERM: {denied:?}");

    let unconfined = run(&engine, SeccompMode::Unconfined, &cases).await;
    assert_eq!(unconfined.host.as_ref().unwrap().seccomp_mode, Some(0));
    let allowed = ran(&unconfined, "unshare(CLONE_NEWUSER)");
    assert_eq!((allowed.ret, allowed.errno), (Some(0), None), "{allowed:?}");
}

/// Every catalog case gets a result under the engine's default profile, in one container.
#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn the_whole_catalog_runs_under_the_default_profile() {
    let engine = engine().await;
    let facts = engine.facts().await.unwrap();
    let ids: Vec<String> = Catalog::native()
        .cases()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    let result = run(&engine, SeccompMode::Builtin, &ids).await;
    assert!(result.start_error.is_none(), "{:?}", result.start_error);
    let not_run: Vec<_> = result
        .cases
        .iter()
        .filter(|c| matches!(c, CaseResult::NotRun { .. }))
        .collect();
    assert!(
        not_run.is_empty(),
        "{not_run:#?}\n{:#?}",
        result.diagnostics
    );
    assert_eq!(result.cases.len(), ids.len());
    eprintln!(
        "{} cases in {} container(s); host: {:#?}",
        ids.len(),
        result.containers,
        facts.host_facts(result.host.as_ref())
    );
}

/// A profile that kills the probe's fork and two of the cases: the probe is rerun in-process
/// and restarted past each killing case, and every case still gets its result.
#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn killing_cases_are_attributed_with_the_real_probe() {
    let engine = engine().await;
    let profile = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["clone","fork","vfork"],"action":"SCMP_ACT_KILL"},
        {"names":["getsid","getpgid"],"action":"SCMP_ACT_KILL"}]}"#;
    let cases: Vec<String> = ["getpid", "getsid", "getuid", "getpgid", "getgid"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let result = run(&engine, SeccompMode::Profile(profile.to_string()), &cases).await;
    assert!(result.start_error.is_none(), "{result:#?}");
    for id in ["getsid", "getpgid"] {
        assert_eq!(ran(&result, id).signal, Some(31), "{id}: {result:#?}");
    }
    for id in ["getpid", "getuid", "getgid"] {
        let r = ran(&result, id);
        assert_eq!((r.signal, r.errno), (None, None), "{id}: {result:#?}");
    }
    // Fork mode, then one in-process container per killing case, then the rest.
    assert!(result.containers <= 4, "{result:#?}");
}
