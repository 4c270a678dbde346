//! The engine layer against a real Docker daemon.
//!
//! Every test is `#[ignore]`d with the reason (see `common`): `--include-ignored` runs them,
//! and then a daemon that doesn't answer fails them. x86_64 only (the fake probe below speaks
//! x86_64 syscall numbers): on another arch the file compiles to no test at all, so none is
//! counted as passed without having run.
//!
//! Most tests use a small fake probe, compiled here with rustc as a static binary, that follows
//! the probe's output contract for a handful of case ids: its record lines are serialized from
//! `seccomp_catalog::record`'s own types into its source, so they can't drift. It gives
//! exact control over which syscall a case makes, so that a profile can be aimed at it. After
//! every test, no container of its run may be left.

#![cfg(target_arch = "x86_64")]

mod common;

use seccomp_catalog::record::{CaseRecord, HostRecord, ProbeExit, Record, RunMode};
use seccomp_harness::engine::{
    run_configuration, with_interrupt_cleanup, CaseResult, ConfigurationRun, ContainerSpec, Engine,
    NotRunReason, ProbeImage, RestartLimits, RunId, Runner, SeccompMode,
};
use seccomp_harness_core::exit::ExitCode;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

/// The fake probe. Case ids map to raw syscalls (x86_64 numbers; aarch64 has neither `fork`
/// nor these numbers, so these tests are x86_64 only). In fork mode it forks with the raw
/// `fork` syscall (57), so a profile can kill the fork without touching the runtime, which
/// clones.
const FAKE_PROBE: &str = r##"
use std::io::Write;
extern "C" {
    fn syscall(n: i64, ...) -> i64;
    fn __errno_location() -> *mut i32;
}
fn case(id: &str) -> Option<(i64, i64, i64)> {
    static TS: [i64; 2] = [60, 0];
    Some(match id {
        "getpid" => (39, 0, 0),
        "getuid" => (102, 0, 0),
        "getsid" => (124, 0, 0),
        "unshare(CLONE_NEWUSER)" => (272, 0x10000000, 0),
        "sleep" => (35, TS.as_ptr() as i64, 0),
        _ => return None,
    })
}
fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "null".into())
}
/*RECORDS*/
fn main() {
    let mut ids: Vec<String> = std::env::args().skip(1).collect();
    let in_process = ids.first().is_some_and(|a| a == "--in-process");
    if in_process { ids.remove(0); }
    let mut out = std::io::stdout();
    let _ = writeln!(out, "{}", if in_process { HOST_IN_PROCESS } else { HOST_FORK });
    let _ = out.flush();
    for id in ids {
        let Some((nr, a, b)) = case(&id) else {
            eprintln!("unknown case id {id}");
            std::process::exit(2);
        };
        let (mut ret, mut errno, mut signal) = (None, None, None);
        if in_process {
            let _ = writeln!(out, "{}", BEGIN.replace("@ID@", &id));
            let _ = out.flush();
            let r = unsafe { syscall(nr, a, b) };
            ret = Some(r);
            if r == -1 { errno = Some(unsafe { *__errno_location() }); }
        } else {
            let pid = unsafe { syscall(57) };
            if pid == 0 {
                let r = unsafe { syscall(nr, a, b) };
                let code = if r == -1 { unsafe { *__errno_location() } } else { 0 };
                unsafe { syscall(231, code as i64) };
            }
            if pid < 0 { eprintln!("fork failed"); std::process::exit(3); }
            let mut status: i32 = 0;
            unsafe { syscall(61, pid, &mut status as *mut i32 as i64, 0i64, 0i64) };
            if status & 0x7f != 0 {
                signal = Some(status & 0x7f);
            } else {
                let code = (status >> 8) & 0xff;
                ret = Some(if code == 0 { 0 } else { -1 });
                if code != 0 { errno = Some(code); }
            }
        }
        let template = if in_process { CASE_IN_PROCESS } else { CASE_FORK };
        let line = template
            .replace("@ID@", &id)
            .replace("-111111", &opt(ret))
            .replace("222222", &opt(errno))
            .replace("333333", &opt(signal));
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}
"##;

/// The fake probe's record lines, serialized from the record types: `@ID@` and the numbers
/// -111111 (ret), 222222 (errno) and 333333 (signal) are filled in by the probe.
fn record_templates() -> String {
    let json = |r: Record| serde_json::to_string(&r).unwrap();
    let host = |mode| {
        json(Record::Host(HostRecord {
            kernel_release: "fake".into(),
            machine: "x86_64".into(),
            mode,
            ..Default::default()
        }))
    };
    let case = |mode| {
        json(Record::Case(CaseRecord {
            id: "@ID@".into(),
            mode,
            ret: Some(-111_111),
            errno: Some(222_222),
            signal: Some(333_333),
            ..Default::default()
        }))
    };
    format!(
        "const HOST_FORK: &str = {:?};\nconst HOST_IN_PROCESS: &str = {:?};\nconst BEGIN: &str = {:?};\nconst CASE_FORK: &str = {:?};\nconst CASE_IN_PROCESS: &str = {:?};\n",
        host(RunMode::Fork),
        host(RunMode::InProcess),
        json(Record::Begin { id: "@ID@".into() }),
        case(RunMode::Fork),
        case(RunMode::InProcess),
    )
}

/// Compiles the fake probe once per test binary.
fn fake_probe() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("engine-fake-probe");
        std::fs::create_dir_all(&dir).unwrap();
        let src = dir.join("fake_probe.rs");
        let bin = dir.join("fake-probe");
        std::fs::write(&src, FAKE_PROBE.replace("/*RECORDS*/", &record_templates())).unwrap();
        let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
        let status = std::process::Command::new(rustc)
            .args([
                "--edition",
                "2021",
                "-O",
                "-C",
                "target-feature=+crt-static",
                "-o",
            ])
            .arg(&bin)
            .arg(&src)
            .status()
            .expect("rustc runs");
        assert!(status.success(), "the fake probe must compile");
        std::fs::read(&bin).unwrap()
    })
}

async fn fake_image(engine: &Engine) -> ProbeImage {
    // Tests run in parallel: one build at a time, so two don't race for the tag and leave an
    // untagged twin behind.
    static BUILD: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = BUILD.lock().await;
    let facts = engine.facts().await.unwrap();
    engine
        .ensure_probe_image(fake_probe(), Some(&facts.arch))
        .await
        .unwrap()
}

async fn assert_nothing_left(engine: &Engine, run: &RunId) {
    let left = common::containers::of_run_id(engine, run).await;
    assert!(left.is_empty(), "containers left behind: {left:?}");
}

fn ids(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

fn ran<'a>(run: &'a ConfigurationRun, id: &str) -> &'a CaseRecord {
    match run.cases.iter().find(|c| c.id() == id) {
        Some(CaseResult::Ran(r)) => r,
        other => panic!("{id}: {other:?}\n{run:#?}"),
    }
}

fn profile(json: &str) -> ContainerSpec {
    ContainerSpec::new(SeccompMode::Profile(json.to_string()))
}

async fn run(engine: &Engine, spec: &ContainerSpec, cases: &[&str]) -> (ConfigurationRun, RunId) {
    let image = fake_image(engine).await;
    let run_id = RunId::new();
    let result = run_configuration(
        engine,
        &image,
        &run_id,
        spec,
        &ids(cases),
        RestartLimits::default(),
    )
    .await
    .unwrap();
    assert_nothing_left(engine, &run_id).await;
    (result, run_id)
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn facts_say_what_the_engine_is() {
    let engine = common::engine().await;
    let facts = engine.facts().await.unwrap();
    assert_eq!(facts.engine, "docker");
    assert!(!facts.engine_version.is_empty());
    assert!(!facts.api_version.is_empty());
    assert_eq!(facts.os, "linux");
    assert!(!facts.arch.is_empty() && !facts.kernel.is_empty());
    assert!(facts.runtimes.contains(&facts.default_runtime), "{facts:?}");
    let profile = facts.require_seccomp(engine.host()).unwrap();
    assert!(!profile.is_empty(), "{facts:?}");
    eprintln!("{facts:#?}");
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn the_image_is_built_once_and_reused() {
    let engine = common::engine().await;
    let first = fake_image(&engine).await;
    let second = fake_image(&engine).await;
    assert!(second.reused);
    assert_eq!(first.tag, second.tag);
    assert_eq!(first.id, second.id);
    let inspect = engine.docker().inspect_image(&first.tag).await.unwrap();
    let labels = inspect.config.and_then(|c| c.labels).unwrap_or_default();
    assert!(
        labels.contains_key(seccomp_harness::engine::image::IMAGE_LABEL),
        "{labels:?}"
    );
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn the_default_profile_denies_a_user_namespace_and_unconfined_allows_it() {
    let engine = common::engine().await;
    let cases = ["getpid", "unshare(CLONE_NEWUSER)"];

    let (builtin, _) = run(&engine, &ContainerSpec::new(SeccompMode::Builtin), &cases).await;
    assert_eq!(builtin.containers, 1, "{builtin:#?}");
    assert!(builtin.start_error.is_none());
    let host = builtin.host.as_ref().expect("a host record");
    assert_eq!(host.mode, RunMode::Fork);
    assert_eq!(ran(&builtin, "getpid").errno, None);
    assert_eq!(ran(&builtin, "unshare(CLONE_NEWUSER)").errno, Some(1));

    let (unconfined, _) = run(
        &engine,
        &ContainerSpec::new(SeccompMode::Unconfined),
        &cases,
    )
    .await;
    assert_eq!(ran(&unconfined, "unshare(CLONE_NEWUSER)").errno, None);
    assert_eq!(ran(&unconfined, "unshare(CLONE_NEWUSER)").ret, Some(0));
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn a_profile_too_strict_for_the_runtime_is_start_failed() {
    let engine = common::engine().await;
    // The host's runtime calls getppid after loading the filter (the default runtime's start
    // needs, `runtime::RuntimeModel::fatal`); other runtimes may not, so the assertion is on
    // the shape, and the message is printed.
    let spec = profile(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["getppid"],"action":"SCMP_ACT_KILL"},
            {"names":["fstatfs"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let (result, _) = run(&engine, &spec, &["getpid", "getuid"]).await;
    let message = result.start_error.clone().expect("the start must fail");
    eprintln!("runtime's message: {message}");
    assert!(!message.is_empty());
    assert_eq!(result.containers, 1);
    assert!(result.host.is_none());
    assert!(result.cases.iter().all(|c| matches!(
        c,
        CaseResult::NotRun {
            reason: NotRunReason::StartFailed,
            ..
        }
    )));
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn a_killed_probe_is_rerun_in_process_and_restarted_from_the_next_case() {
    let engine = common::engine().await;
    // KILL on the raw fork: the probe dies before any case in fork mode. KILL on getsid: that
    // case kills the in-process probe.
    let spec = profile(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["fork"],"action":"SCMP_ACT_KILL"},
            {"names":["getsid"],"action":"SCMP_ACT_KILL"}]}"#,
    );
    let (result, _) = run(&engine, &spec, &["getpid", "getsid", "getuid"]).await;
    assert!(result.start_error.is_none(), "{result:#?}");
    assert_eq!(result.containers, 3, "{result:#?}");
    let killed = ran(&result, "getsid");
    assert_eq!(killed.signal, Some(31), "SIGSYS: {result:#?}");
    assert_eq!(killed.mode, RunMode::InProcess);
    assert_eq!(ran(&result, "getpid").mode, RunMode::InProcess);
    assert_eq!(ran(&result, "getuid").ret, Some(0));
    assert_eq!(
        result.cases.iter().map(|c| c.id()).collect::<Vec<_>>(),
        ["getpid", "getsid", "getuid"]
    );
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn a_probe_that_rejects_its_arguments_leaves_the_cases_not_run() {
    let engine = common::engine().await;
    let spec = ContainerSpec::new(SeccompMode::Unconfined);
    let (result, _) = run(&engine, &spec, &["getpid", "no-such-case"]).await;
    assert_eq!(ran(&result, "getpid").errno, None);
    assert!(
        matches!(
            &result.cases[1],
            CaseResult::NotRun {
                reason: NotRunReason::ProbeFailed { exit_code, stderr, .. },
                ..
            } if *exit_code == i64::from(ProbeExit::Usage.code()) && stderr.contains("unknown case id")
        ),
        "{result:#?}"
    );
    // Tried in fork mode, then once in process: no endless restarts.
    assert_eq!(result.containers, 2);
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn the_container_timeout_kills_a_hanging_probe() {
    let engine = common::engine().await;
    let spec = ContainerSpec {
        timeout: Duration::from_secs(3),
        ..ContainerSpec::new(SeccompMode::Unconfined)
    };
    let (result, _) = run(&engine, &spec, &["getpid", "sleep"]).await;
    assert_eq!(ran(&result, "getpid").errno, None);
    // Fork mode: the hang can't be attributed, so the rest is retried in process, where the
    // open Begin names the case.
    assert!(ran(&result, "sleep").timed_out, "{result:#?}");
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn the_runner_runs_configurations_side_by_side() {
    let engine = common::engine().await;
    let image = fake_image(&engine).await;
    let run_id = RunId::new();
    let runner = Runner::new(engine.clone(), image, run_id.clone(), 2);
    let jobs: Vec<_> = [
        SeccompMode::Builtin,
        SeccompMode::Unconfined,
        SeccompMode::Builtin,
    ]
    .into_iter()
    .map(|m| {
        (
            ContainerSpec::new(m),
            ids(&["getpid", "unshare(CLONE_NEWUSER)"]),
        )
    })
    .collect();
    let results =
        futures_util::future::join_all(jobs.iter().map(|(spec, ids)| runner.run(spec, ids))).await;
    let errnos: Vec<_> = results
        .iter()
        .map(|r| ran(r.as_ref().unwrap(), "unshare(CLONE_NEWUSER)").errno)
        .collect();
    assert_eq!(errnos, [Some(1), None, Some(1)]);
    assert_nothing_left(&engine, &run_id).await;
}

/// The fake probe's `sleep` case, unconfined, in run `run_id`: a container that stays up for
/// as long as the future is polled, for the tests of what ends a run early. (The image is
/// built before: the tests time the container, not the build.)
async fn sleeping(
    engine: &Engine,
    image: &ProbeImage,
    run_id: &RunId,
) -> Result<ConfigurationRun, seccomp_harness::engine::ContainerError> {
    let spec = ContainerSpec::new(SeccompMode::Unconfined);
    let cases = ids(&["sleep"]);
    run_configuration(
        engine,
        image,
        run_id,
        &spec,
        &cases,
        RestartLimits::default(),
    )
    .await
}

#[tokio::test]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn a_cancelled_run_leaves_no_container() {
    let engine = common::engine().await;
    let image = fake_image(&engine).await;
    let run_id = RunId::new();
    let work = sleeping(&engine, &image, &run_id);
    // Dropped while the container sleeps: the guard removes it.
    assert!(tokio::time::timeout(Duration::from_secs(3), work)
        .await
        .is_err());
    for _ in 0..50 {
        if common::containers::of_run_id(&engine, &run_id)
            .await
            .is_empty()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_nothing_left(&engine, &run_id).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a Docker daemon: run with `cargo test -- --include-ignored`"]
async fn ctrl_c_removes_the_runs_containers() {
    let engine = common::engine().await;
    let image = fake_image(&engine).await;
    let run_id = RunId::new();
    let work = sleeping(&engine, &image, &run_id);
    // SIGINT to ourselves once the handler is in place and the container is up.
    let pid = std::process::id().to_string();
    let _killer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(3)).await;
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
    });
    let interrupted = with_interrupt_cleanup(&engine, &run_id, work)
        .await
        .expect_err("the signal comes first");
    assert_eq!(interrupted.exit_code(), ExitCode::Interrupted);
    assert!(interrupted.cleanup_error.is_none(), "{interrupted:?}");
    assert_nothing_left(&engine, &run_id).await;
}
