//! The runtime module's end-to-end tests on the lab's engines, so they name runtimes.
//!
//! crun and Podman end to end, on the engine lab's engines (`ci/lab.sh up sid-crun`, `ci/lab.sh
//! up podman`): gated on `SECCOMP_HARNESS_LAB_CRUN` and `SECCOMP_HARNESS_LAB_PODMAN`, each the
//! DOCKER_HOST that `ci/lab.sh` printed (`.ci/run` sets them when the lab is up).
//!
//! A libtest-mimic harness (`harness = false`), so that a trial whose lab engine is not named
//! is reported as ignored with the reason, never as passed: libtest's `#[ignore]` is decided at
//! compile time and `--include-ignored` would run it anyway. The lab is optional even with
//! `SECCOMP_HARNESS_REQUIRE_DOCKER=1` (that variable is about the host's daemon); a named engine
//! that doesn't answer fails the trial.
//!
//! - sid-crun (Docker 28.5.2, crun 1.28 by default, runc 1.3.6 registered): the shipped
//!   profiles on `--runtime runc,crun` give both columns, every cell passing, and `diff`
//!   between the runtimes shows only the runtimes' real differences; two identical runs give
//!   identical cells (crun's filter cache must not leak between the as-is and tagged runs).
//! - Podman 5.8.6: the shipped profiles and the real upstream ones pass, and no profile file
//!   is left beside the socket; a run SIGKILLed mid-run leaves its containers and profile
//!   files, and `clean` removes both; with the lab's containers-common named, builtin is
//!   predicted from that release's profile and every builtin cell passes.
//! - sid-runc (Docker 28.5.2, runc 1.3.6), `SECCOMP_HARNESS_LAB_SID_RUNC`: the upgrade from the
//!   host's engine to it is tried before doing it, one run on both and `diff` between them.
//! - sid-crun, a hung init: the engine's container cgroups frozen (the lab's own cgroup
//!   parent), every start hangs with crun's init frozen; the run ends within its deadlines
//!   with every cell `start_failed` naming the stuck start and the init the harness killed,
//!   and nothing of the run is left. The crun trials hold one lock: a frozen engine would
//!   hang the others' containers.
//! - trixie-containerd (containerd 1.7.24 / runc 1.1.15 through the CRI, `ci/lab.sh up
//!   trixie-containerd`, `SECCOMP_HARNESS_LAB_TRIXIE_CONTAINERD`, the endpoint `ci/lab.sh host`
//!   prints): a node's run reports rule coverage as a Docker engine's run does, for every
//!   Localhost profile, with the rules proven by its cells.

mod common;

use common::binary::{host_engine, run_json, stderr, BIN};
use common::{containers, lab_trial};
use libtest_mimic::Arguments;
use seccomp_harness::engine::cleanup::RunId;
use seccomp_harness::engine::podman::PROFILE_DIR_PREFIX;
use seccomp_harness::engine::Engine;
use seccomp_harness::run::{ProfileInput, RunOptions};
use seccomp_harness_core::coverage::RuleState;
use seccomp_harness_core::diff::{ChangeKind, MatrixDiff};
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::matrix::{Matrix, Verdict};
use seccomp_harness_core::outcome::{Outcome, RuleRef};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The lab engines these trials need: each holds the DOCKER_HOST `ci/lab.sh host NAME` prints.
const LAB_CRUN: &str = "SECCOMP_HARNESS_LAB_CRUN";
const LAB_PODMAN: &str = "SECCOMP_HARNESS_LAB_PODMAN";
const LAB_TRIXIE_CONTAINERD: &str = "SECCOMP_HARNESS_LAB_TRIXIE_CONTAINERD";
const LAB_SID_RUNC: &str = "SECCOMP_HARNESS_LAB_SID_RUNC";

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        lab_trial(
            "runc_and_crun_columns_pass_and_differ_only_where_the_runtimes_do",
            LAB_CRUN,
            runc_and_crun_columns_pass_and_differ_only_where_the_runtimes_do,
        ),
        lab_trial(
            "two_runs_on_crun_give_the_same_cells",
            LAB_CRUN,
            two_runs_on_crun_give_the_same_cells,
        ),
        lab_trial(
            "a_hung_crun_init_is_killed_and_named_and_nothing_is_left",
            LAB_CRUN,
            a_hung_crun_init_is_killed_and_named_and_nothing_is_left,
        ),
        lab_trial(
            "podman_runs_the_shipped_and_upstream_profiles_by_path",
            LAB_PODMAN,
            podman_runs_the_shipped_and_upstream_profiles_by_path,
        ),
        lab_trial(
            "podmans_builtin_is_predicted_from_the_hosts_containers_common",
            LAB_PODMAN,
            podmans_builtin_is_predicted_from_the_hosts_containers_common,
        ),
        lab_trial(
            "clean_after_a_sigkill_removes_the_containers_and_podmans_profile_files",
            LAB_PODMAN,
            clean_after_a_sigkill_removes_the_containers_and_podmans_profile_files,
        ),
        lab_trial(
            "an_upgrade_to_the_lab_engine_is_tried_before_doing_it",
            LAB_SID_RUNC,
            an_upgrade_to_the_lab_engine_is_tried_before_doing_it,
        ),
        lab_trial(
            "a_containerd_nodes_run_reports_rule_coverage",
            LAB_TRIXIE_CONTAINERD,
            a_containerd_nodes_run_reports_rule_coverage,
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// builtin, unconfined and the profiles shipped with the project.
fn shipped() -> Vec<ProfileInput> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../profiles");
    let mut inputs = vec![ProfileInput::Builtin, ProfileInput::Unconfined];
    inputs.extend(common::profile_files(&dir));
    inputs
}

async fn run(host: &str, inputs: &[ProfileInput], runtimes: &[&str]) -> Matrix {
    let opts = RunOptions {
        runtimes: runtimes.iter().map(|r| r.to_string()).collect(),
        ..Default::default()
    };
    run_with(host, inputs, opts).await
}

async fn run_with(host: &str, inputs: &[ProfileInput], opts: RunOptions) -> Matrix {
    let opts = RunOptions {
        docker_host: Some(host.to_string()),
        ..opts
    };
    common::run_inputs(inputs, opts).await
}

/// The sid-crun trials, one at a time: the hung-init trial freezes the engine's containers.
static CRUN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn runc_and_crun_columns_pass_and_differ_only_where_the_runtimes_do(host: String) {
    let _one = CRUN.lock().await;
    let m = run(&host, &shipped(), &["runc", "crun"]).await;
    assert_eq!(common::failing_cells(&m), Vec::<String>::new());
    assert!(m
        .configurations
        .iter()
        .any(|c| c.id == "deny-namespaces@runc"));
    assert!(m
        .configurations
        .iter()
        .any(|c| c.id == "deny-namespaces@crun"));
    let (runc, crun) = (
        m.for_runtime("runc").unwrap(),
        m.for_runtime("crun").unwrap(),
    );
    let diff = MatrixDiff::between(&runc, &crun);
    for c in &diff.cells {
        let cell = crun
            .cells
            .iter()
            .find(|x| x.configuration == c.configuration && x.case == c.case)
            .unwrap();
        // What crun does differently: no ENOSYS stub (the default answers), and a start
        // crun's own needs refuse.
        let stub = c.old.observed.errno == Some(38)
            && matches!(c.kind, ChangeKind::ErrnoChanged)
            && (cell.observed.rule == Some(RuleRef::DEFAULT) || c.configuration == "builtin");
        let start = cell.observed.outcome == Outcome::StartFailed;
        assert!(stub || start, "not a runtime difference: {c:?}");
    }
    assert!(diff.configurations_added.is_empty() && diff.configurations_removed.is_empty());
}

async fn two_runs_on_crun_give_the_same_cells(host: String) {
    let _one = CRUN.lock().await;
    let inputs = shipped();
    let (a, b) = (
        run(&host, &inputs, &[]).await,
        run(&host, &inputs, &[]).await,
    );
    assert_eq!(common::failing_cells(&a), Vec::<String>::new());
    assert_eq!(a.host.runtime, "crun");
    assert_eq!(a.cells, b.cells);
}

async fn podman_runs_the_shipped_and_upstream_profiles_by_path(host: String) {
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut inputs = shipped();
    for name in [
        "docker-default-v25.0.0.json",
        "podman-containers-common-2025-08.json",
    ] {
        inputs.push(ProfileInput::File(fixtures.join(name)));
    }
    let m = run(&host, &inputs, &[]).await;
    assert_eq!(m.host.engine, "podman");
    assert_eq!(m.host.arch, std::env::consts::ARCH);
    assert_eq!(common::failing_cells(&m), Vec::<String>::new());
    // Only this process's runs: others may share the lab's Podman meanwhile.
    let left = profile_dirs_of(&host, std::process::id());
    assert!(left.is_empty(), "profile files left: {left:?}");
}

/// The lab's Podman (Debian's 5.8.6, newer than the data's Podman releases) reads
/// `/usr/share/containers/seccomp.json` from Debian's golang-github-containers-common 0.67.1-3
/// (`dpkg-query -S` in the lab's sid root): named, that release's profile runs as
/// builtin-upstream and predicts every builtin cell. A Debian update that changes the file shows
/// here as drift.
async fn podmans_builtin_is_predicted_from_the_hosts_containers_common(host: String) {
    let opts = RunOptions {
        containers_common: Some("0.67.1-3".into()),
        ..Default::default()
    };
    let m = run_with(
        &host,
        &[ProfileInput::Builtin, ProfileInput::Unconfined],
        opts,
    )
    .await;
    assert_eq!(m.host.engine, "podman");
    let upstream = m
        .configurations
        .iter()
        .find(|c| c.id == "builtin-upstream")
        .expect("builtin-upstream runs beside builtin");
    assert!(
        upstream.source.contains("containers-common v0.67.1"),
        "{}",
        upstream.source
    );
    let builtin: Vec<_> = m
        .cells
        .iter()
        .filter(|c| c.configuration == "builtin")
        .collect();
    assert!(builtin.len() > 300, "{} builtin cells", builtin.len());
    let not_passing: Vec<String> = builtin
        .iter()
        .filter(|c| c.verdict != Verdict::Pass)
        .map(|c| {
            format!(
                "{}: {:?} {:?} {:?}",
                c.case, c.verdict, c.observed, c.expected
            )
        })
        .collect();
    assert_eq!(not_passing, Vec::<String>::new());
    assert_eq!(common::failing_cells(&m), Vec::<String>::new());
}

/// The shipped profiles on a containerd node through the CRI: no cell fails, every file
/// configuration (each a Localhost profile, and containerd's own default beside
/// runtime-default) has its rule coverage and no other (runtime-default and unconfined have no
/// file to cover), every rule not proven says why, and the node's cells prove the rules:
/// all of deny-namespaces's argument rules, most of docker-default-hardened's. Measured on
/// containerd 1.7.24/runc 1.1.15: builtin-upstream 303/309 (x86_64), deny-namespaces 27/27
/// (argument rules 14/14), docker-default-hardened 344/363, static-server-allowlist 93/93,
/// demo-trace 0/1 (TRACE without a tracer answers ENOSYS, which no tagged run attributes).
async fn a_containerd_nodes_run_reports_rule_coverage(url: String) {
    // Through the CLI, as a user runs it: `run builtin unconfined profiles/*.json --cri
    // NAME=URL`; the ids then carry the engine's name.
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../profiles");
    let files = common::files_with_extension(&dir, "json");
    let mut args: Vec<&str> = vec!["builtin", "unconfined"];
    args.extend(files.iter().map(|f| f.to_str().unwrap()));
    let node = format!("trixie={url}");
    args.extend(["--cri", node.as_str()]);
    let (json, code, _) = run_json(&args);
    assert!(
        [ExitCode::Ok, ExitCode::Findings]
            .iter()
            .any(|c| code == Some(c.code())),
        "exit {code:?}"
    );
    let mut m = Matrix::from_json(&json.to_string()).unwrap();
    for c in &mut m.configurations {
        c.id = c.id.trim_start_matches("trixie/").to_string();
    }
    for c in &mut m.coverage {
        c.configuration = c.configuration.trim_start_matches("trixie/").to_string();
    }
    assert_eq!(common::failing_cells(&m), Vec::<String>::new());
    assert!(
        m.missing_configurations.is_empty(),
        "{:?}",
        m.missing_configurations
    );
    let covered: Vec<&str> = m
        .coverage
        .iter()
        .map(|c| c.configuration.as_str())
        .collect();
    for conf in &m.configurations {
        let file = conf.sha256.is_some();
        assert_eq!(
            covered.contains(&conf.id.as_str()),
            file,
            "{}: coverage for every file configuration and no other ({covered:?})",
            conf.id
        );
    }
    assert!(covered.len() >= 5, "{covered:?}");
    // Every rule not proven says why (demo-trace's TRACE rule, say, answers ENOSYS with no
    // tracer, which no tagged run can attribute).
    for c in &m.coverage {
        for r in &c.rules {
            assert!(
                r.state == RuleState::Proven
                    || r.reason.is_some()
                    || r.hit.is_some()
                    || r.miss.is_some(),
                "{}: {r:?}",
                c.configuration
            );
        }
    }
    let proven = |id: &str| {
        let c = m.coverage.iter().find(|c| c.configuration == id).unwrap();
        c.figures.iter().find(|f| f.abi == "x86_64").unwrap().proven
    };
    assert!(proven("docker-default-hardened") > 200);
    assert!(proven("static-server-allowlist") > 0);
    let ns = m
        .coverage
        .iter()
        .find(|c| c.configuration == "deny-namespaces")
        .expect("deny-namespaces's coverage");
    let x86 = ns.figures.iter().find(|f| f.abi == "x86_64").unwrap();
    assert!(x86.argument_rules > 0, "{x86:?}");
    assert_eq!(x86.argument_proven, x86.argument_rules, "{ns:?}");
}

/// The profile directories a run of process `pid` wrote beside the Podman socket `url`.
fn profile_dirs_of(url: &str, pid: u32) -> Vec<PathBuf> {
    let socket = Path::new(url.strip_prefix("unix://").expect("a local socket"));
    std::fs::read_dir(socket.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(PROFILE_DIR_PREFIX))
                .and_then(RunId::pid_of)
                == Some(pid)
        })
        .collect()
}

/// The harness SIGKILLed mid-run on Podman: its containers and the profile files it wrote
/// beside the socket stay, and `clean` removes both.
async fn clean_after_a_sigkill_removes_the_containers_and_podmans_profile_files(url: String) {
    let mut child = Command::new(BIN)
        .args([
            "run",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../profiles/deny-namespaces.json"
            ),
        ])
        // Long enough to be caught mid-run: one container at a time, three capability sets.
        .args([
            "--docker-host",
            &url,
            "--parallel",
            "1",
            "--caps",
            "default,+SYS_ADMIN,+SYS_PTRACE",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let engine = Engine::connect(Some(&url)).await.unwrap();
    // Mid-run: the profile files are written and a container of the run exists.
    let deadline = Instant::now() + Duration::from_secs(180);
    while profile_dirs_of(&url, pid).is_empty() || containers::of_run(&engine, pid).await.is_empty()
    {
        assert!(Instant::now() < deadline, "the run never got going");
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !profile_dirs_of(&url, pid).is_empty(),
        "a SIGKILLed run can't remove its profile files"
    );
    let o = Command::new(BIN)
        .args(["clean", "--docker-host", &url])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let said = String::from_utf8_lossy(&o.stdout);
    assert!(said.contains("removed profile directory"), "{said}");
    let left = profile_dirs_of(&url, pid);
    assert!(left.is_empty(), "profile files left: {left:?}");
    let left = containers::settled_of_run(&engine, pid).await;
    assert!(left.is_empty(), "containers left: {left:?}");
}

/// The upgrade from this host's engine to the lab's Docker 28.5 (sid-runc) is tried before
/// doing it: one run on both, and `diff` names what the builtin profile changes.
async fn an_upgrade_to_the_lab_engine_is_tried_before_doing_it(sid: String) {
    let host = format!("host={}", host_engine());
    let sid = format!("sid-runc={sid}");
    let cases = [
        "io_uring_setup",
        "socket(AF_VSOCK)",
        "name_to_handle_at",
        "lsm_list_modules",
    ];
    let mut args = vec!["builtin", "--docker-host", &host, "--docker-host", &sid];
    for c in &cases {
        args.extend(["--case", c]);
    }
    let (m, code, _) = run_json(&args);
    assert_eq!(code, Some(ExitCode::Ok.code()), "{m}");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.json");
    std::fs::write(&file, m.to_string()).unwrap();
    let d = Command::new(BIN)
        .args(["diff", file.to_str().unwrap(), "--engines", "host,sid-runc"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&d.stdout);
    assert_eq!(d.status.code(), Some(ExitCode::Findings.code()), "{text}");
    for c in cases {
        assert!(text.contains(c), "{c} missing from the diff:\n{text}");
    }
}

/// The freezer of a lab engine's containers: their cgroup parent (ci/lab.sh's
/// `cgroup-parent`), cgroup v2's `cgroup.freeze` or v1's `freezer.state`, with what freezes and
/// what thaws it.
#[derive(Clone)]
struct Freezer {
    path: PathBuf,
    frozen: &'static str,
    thawed: &'static str,
}

impl Freezer {
    /// The freezer of the lab engine at `host` (`…/engines/NAME/sock/docker.sock`).
    fn of_lab_engine(host: &str) -> Freezer {
        let name = host
            .split("/engines/")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .expect("a lab engine's socket");
        let v2 = PathBuf::from(format!(
            "/sys/fs/cgroup/seccomp-harness-lab/{name}/containers/cgroup.freeze"
        ));
        if v2.exists() {
            return Freezer {
                path: v2,
                frozen: "1",
                thawed: "0",
            };
        }
        let v1 = PathBuf::from(format!(
            "/sys/fs/cgroup/freezer/seccomp-harness-lab/{name}/containers/freezer.state"
        ));
        assert!(v1.exists(), "no freezer for {name}: {}", v1.display());
        Freezer {
            path: v1,
            frozen: "FROZEN",
            thawed: "THAWED",
        }
    }

    fn set(&self, state: &str) {
        std::fs::write(&self.path, state).unwrap();
    }

    /// Until `stop`: thaws the engine whenever a crun init has a SIGKILL pending (the harness
    /// killed it; frozen, it can't die), and freezes it again as soon as that init died (a
    /// zombie is dead), so the harness's next start finds the engine frozen. How many times
    /// it thawed.
    fn thaw_each_killed_init_until(&self, stop: &AtomicBool) -> usize {
        let mut thaws = 0;
        while !stop.load(Ordering::Relaxed) {
            let killed: Vec<String> = std::fs::read_dir("/proc")
                .unwrap()
                .filter_map(|e| e.ok()?.file_name().into_string().ok())
                .filter(|p| p.parse::<u32>().is_ok() && is_crun_create(p) && kill_pending(p))
                .collect();
            if !killed.is_empty() {
                self.set(self.thawed);
                thaws += 1;
                let gone = Instant::now() + Duration::from_secs(10);
                while killed.iter().any(|p| still_running(p)) && Instant::now() < gone {
                    std::thread::sleep(Duration::from_millis(20));
                }
                self.set(self.frozen);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        thaws
    }
}

/// Whether process `pid` runs `crun … create …` (crun's init keeps that argv until it execs).
fn is_crun_create(pid: &str) -> bool {
    let argv = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let mut words = argv.split(|&b| b == 0).map(String::from_utf8_lossy);
    words.next().is_some_and(|w| w.ends_with("crun")) && words.any(|w| w == "create")
}

/// Whether process `pid` exists and has not died (a zombie, `Z`, or dead, `X`, has).
fn still_running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            let state = stat
                .get(stat.rfind(')')? + 1..)?
                .split_whitespace()
                .next()?;
            Some(!matches!(state, "Z" | "X"))
        })
        .unwrap_or(false)
}

/// Whether process `pid` has a SIGKILL pending (the harness killed it; a task frozen by
/// cgroup v1's freezer takes it only once thawed).
fn kill_pending(pid: &str) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .filter(|l| l.starts_with("SigPnd:") || l.starts_with("ShdPnd:"))
        .filter_map(|l| u64::from_str_radix(l.split_whitespace().nth(1)?, 16).ok())
        .any(|mask| mask & (1 << (libc::SIGKILL - 1)) != 0)
}

/// crun 1.28 on the lab's sid-crun with every container's init hung (frozen in the engine's
/// containers cgroup, which is where crun puts it before it answers `crun create`): each start
/// passes its deadline (the engine-call deadline, 20 s here), the harness kills crun's init
/// (a freezer holds a SIGKILL until it thaws, so this test thaws the engine once the kill is
/// pending, then freezes it again for the next start), the start is tried once more and hangs
/// again, and the run ends: every cell `start_failed` with the stuck start and the killed init
/// named, no container of the run left, in well under the time of an unbounded wait.
async fn a_hung_crun_init_is_killed_and_named_and_nothing_is_left(host: String) {
    let _one = CRUN.lock().await;
    let freezer = Freezer::of_lab_engine(&host);
    freezer.set(freezer.frozen);
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let thawer = {
        let (freezer, stop) = (freezer.clone(), stop.clone());
        std::thread::spawn(move || freezer.thaw_each_killed_init_until(&stop))
    };
    let out = tempfile::tempdir().unwrap();
    let matrix = out.path().join("m.json");
    // Bounded: each job's two starts of 20 s, their removals, and the image: far less.
    let limit = Duration::from_secs(600);
    let (status, err, pid) = run_within(&host, &matrix, limit);
    stop.store(true, Ordering::Relaxed);
    let thaws = thawer.join().unwrap();
    freezer.set(freezer.thawed);
    let status = status.unwrap_or_else(|| panic!("the run did not end within {limit:?}: {err}"));
    // Nothing of the run is left on the engine.
    let engine = Engine::connect(Some(&host)).await.unwrap();
    let left = containers::of_run(&engine, pid).await;
    assert!(left.is_empty(), "containers left: {left:?}");
    assert!(thaws >= 2, "the harness killed {thaws} hung init(s): {err}");
    let m = Matrix::from_json(
        &std::fs::read_to_string(&matrix)
            .unwrap_or_else(|e| panic!("no matrix ({e}), exit {status:?}: {err}")),
    )
    .unwrap();
    assert!(!m.cells.is_empty());
    for c in &m.cells {
        assert_eq!(c.observed.outcome, Outcome::StartFailed, "{c:?}: {err}");
        let note = c.observed.note.as_deref().unwrap_or_default();
        assert!(
            note.contains("stuck in Created") && note.contains("the harness killed the hung init"),
            "{note}"
        );
    }
}

/// `run unconfined --case getpid` on the engine at `host`, one container at a time, its JSON
/// matrix written to `matrix`, with an engine-call deadline of 20 s, killed if it has not
/// ended within `limit`: its exit status (`None` when killed), its stderr and its pid.
fn run_within(
    host: &str,
    matrix: &Path,
    limit: Duration,
) -> (Option<std::process::ExitStatus>, String, u32) {
    let began = Instant::now();
    let mut child = Command::new(BIN)
        .args(["run", "unconfined", "--case", "getpid", "--parallel", "1"])
        .args(["--docker-host", host, "--format", "json", "--output"])
        .arg(matrix)
        .env("SECCOMP_HARNESS_ENGINE_TIMEOUT", "20")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break Some(s);
        }
        if began.elapsed() > limit {
            child.kill().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    (status, err, pid)
}
