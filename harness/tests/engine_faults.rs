//! Faults of the engine, end to end through the binary on the real engine: a socket that
//! accepts and never answers, and an engine that stops answering one call in the middle of a
//! run. Every engine call has a deadline (`SECCOMP_HARNESS_ENGINE_TIMEOUT`, a few seconds
//! here), the run ends with exit 3 naming the engine and the call, and nothing of the run is
//! left on the engine.
//!
//! In a run over several engines, one engine down and another dying mid-run leave the host's
//! part complete and the matrix naming them.
//!
//! The mid-run fault is a proxy in front of the host's engine socket that passes every request
//! through except the one named, which it holds open and never answers: the real engine does
//! everything else (facts, the image build, the other calls).
//!
//! A libtest-mimic harness (`harness = false`): what a Docker-backed trial needs besides a
//! daemon (a proxy can front only the local socket; some need Docker's containerd and `ctr`,
//! or root to mount a tmpfs) is known only once the engine answers, so a trial whose need is
//! unmet is reported as ignored with the reason, never as passed. Like every Docker-backed
//! test, each runs only with `--include-ignored` (else it is ignored with that reason), and a
//! daemon that doesn't answer then fails it.

mod common;

use common::binary::{self, stderr, BIN, GETPID_AND_UNSHARE};
use common::containers;
use libtest_mimic::{Arguments, Completion, Trial};
use seccomp_harness::engine::cleanup::{RunId, RUN_LABEL};
use seccomp_harness::engine::Engine;
use seccomp_harness_core::exit::ExitCode;
use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const ENGINE_SOCKET: &str = "/var/run/docker.sock";
/// The deadline the runs here get for each engine call.
const DEADLINE_SECS: u64 = 4;

/// A trial that needs no engine: the binary against a socket the test itself serves.
macro_rules! plain_trial {
    ($body:ident) => {
        Trial::test(stringify!($body), || {
            $body();
            Ok(())
        })
    };
}

/// A trial on the host's engine ([`engine_trial`]), named after its body.
macro_rules! engine_trial {
    ($args:expr, $needs:expr, $body:ident) => {
        engine_trial($args, stringify!($body), $needs, $body)
    };
}

fn main() {
    let args = Arguments::from_args();
    let trials = vec![
        plain_trial!(a_socket_that_never_answers_ends_the_run_naming_the_engine_and_the_call),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            an_engine_that_stops_answering_mid_run_ends_the_run_naming_the_call
        ),
        engine_trial!(
            &args,
            Needs::Daemon,
            an_unwritable_output_path_fails_before_any_container
        ),
        engine_trial!(
            &args,
            Needs::Root,
            a_full_disk_at_the_end_names_the_path_and_leaves_nothing
        ),
        engine_trial!(
            &args,
            Needs::Daemon,
            cap_add_all_names_the_capability_the_bounding_set_lacks
        ),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            one_engine_of_several_down_or_dying_leaves_the_others_complete_and_names_it
        ),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            an_engine_killed_mid_run_leaves_a_partial_matrix_per_configuration
        ),
        plain_trial!(a_socket_that_closes_every_connection_ends_the_run_saying_so),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            clean_removes_the_unused_probe_images_and_keeps_one_in_use
        ),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            a_probe_image_removed_mid_run_is_built_again
        ),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            a_start_stuck_once_is_retried_in_a_new_container
        ),
        engine_trial!(
            &args,
            Needs::LocalSocket,
            a_start_stuck_twice_is_a_named_start_failure_of_that_configuration_alone
        ),
        engine_trial!(
            &args,
            Needs::Containerd,
            clean_removes_stopped_containerd_tasks_of_probe_containers_docker_lost
        ),
        engine_trial!(
            &args,
            Needs::Containerd,
            clean_names_a_task_it_could_not_check_and_leaves_it
        ),
    ];
    libtest_mimic::run(&args, trials).exit();
}

/// What a trial on the host's engine needs besides a daemon that answers.
#[derive(Clone, Copy)]
enum Needs {
    /// Nothing more.
    Daemon,
    /// The engine on [`ENGINE_SOCKET`], the socket a [`Proxy`] fronts.
    LocalSocket,
    /// That, and Docker's containerd with a `ctr` to ask it.
    Containerd,
    /// Root, to mount a small tmpfs.
    Root,
}

impl Needs {
    /// Why the trial can't run on `engine`, if it can't.
    fn unmet(self, engine: &Engine) -> Option<String> {
        let local = || {
            let path = engine
                .host()
                .strip_prefix("unix://")
                .map(std::fs::canonicalize);
            match (path, std::fs::canonicalize(ENGINE_SOCKET)) {
                (Some(Ok(a)), Ok(b)) if a == b => None,
                _ => Some(format!(
                    "the proxy fronts {ENGINE_SOCKET}, and the engine is {}",
                    engine.host()
                )),
            }
        };
        match self {
            Needs::Daemon => None,
            Needs::LocalSocket => local(),
            Needs::Containerd => local().or_else(|| docker_containerd().err()),
            Needs::Root => (!is_root()).then(|| "mounting a small tmpfs needs root".to_string()),
        }
    }
}

/// A trial that runs `body` on the host's engine, one such trial at a time (each looks at its
/// own run's leftovers), when `--include-ignored` asks for it ([`common::docker_trial`]); it
/// is ignored with the reason when the engine can't give what it `needs`.
fn engine_trial(args: &Arguments, name: &str, needs: Needs, body: fn(&Runtime, &Engine)) -> Trial {
    common::docker_trial(args, name, move || {
        let _one = DOCKER.lock().unwrap_or_else(|e| e.into_inner());
        let rt = Runtime::new().unwrap();
        let engine = rt.block_on(common::engine());
        if let Some(why) = needs.unmet(&engine) {
            return Ok(Completion::ignored_with(why));
        }
        body(&rt, &engine);
        Ok(Completion::Completed)
    })
}

/// Whether this process is root (only root may mount).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
        s.lines()
            .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
    })
}

/// What a [`Proxy`] does with one request, picked by the request's first line.
enum Step {
    /// Passes it to the engine, and the engine's answer back.
    Forward,
    /// Answers it unforwarded, as if the engine had: a status line's code and reason, and a
    /// JSON body.
    Answer(&'static str, String),
    /// Holds it unforwarded and unanswered (the connection open, silent) until the proxy stops.
    Hold,
    /// Dies as a killed daemon does: the request gets no answer, every open connection is
    /// closed, and the socket refuses new ones (it stays in place, unlistened, as a dead
    /// dockerd leaves `docker.sock`).
    Die,
}

type Decide = dyn Fn(&str) -> Step + Send + Sync;

/// A unix socket in front of the engine's that does with each request what `decide` says
/// ([`Step`]). Stops, closing every connection, when dropped.
struct Proxy {
    dir: tempfile::TempDir,
    stop: Arc<AtomicBool>,
    /// A request was held (or, for [`Proxy::silent`], a connection accepted).
    hung: Arc<AtomicBool>,
    /// The proxy died ([`Step::Die`]).
    died: Arc<AtomicBool>,
}

impl Proxy {
    /// A socket that accepts and never answers: the engine is not even dialled.
    fn silent() -> Proxy {
        Proxy::listen(None, false)
    }

    /// Holds the requests whose first line contains `hang_on` and passes the rest.
    fn holding(hang_on: &'static str) -> Proxy {
        Proxy::start(move |line| {
            if line.contains(hang_on) {
                Step::Hold
            } else {
                Step::Forward
            }
        })
    }

    /// Passes every request through until the `n`-th whose first line contains `on`, and
    /// dies there ([`Step::Die`]).
    fn dying_at(on: &'static str, n: usize) -> Proxy {
        let seen = std::sync::atomic::AtomicUsize::new(0);
        let decide = move |line: &str| {
            if line.contains(on) && seen.fetch_add(1, Ordering::SeqCst) + 1 >= n {
                Step::Die
            } else {
                Step::Forward
            }
        };
        Proxy::listen(Some(Arc::new(decide)), true)
    }

    /// A proxy that never dies: `decide` answers no request with [`Step::Die`].
    fn start(decide: impl Fn(&str) -> Step + Send + Sync + 'static) -> Proxy {
        Proxy::listen(Some(Arc::new(decide)), false)
    }

    /// `dies`: the proxy keeps every connection to close them when it dies (one that never
    /// dies keeps none: a long run's connections would hold their descriptors).
    fn listen(decide: Option<Arc<Decide>>, dies: bool) -> Proxy {
        let dir = tempfile::tempdir().unwrap();
        let listener = UnixListener::bind(dir.path().join("engine.sock")).unwrap();
        listener.set_nonblocking(true).unwrap();
        let proxy = Proxy {
            dir,
            stop: Arc::default(),
            hung: Arc::default(),
            died: Arc::default(),
        };
        let flags = Flags {
            stop: proxy.stop.clone(),
            hung: proxy.hung.clone(),
            died: proxy.died.clone(),
            open: dies.then(Arc::default),
        };
        std::thread::spawn(move || {
            let mut held = Vec::new();
            // Dropping the listener when the proxy dies leaves the socket file refusing.
            while !flags.died.load(Ordering::SeqCst) && !flags.stop.load(Ordering::Relaxed) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(20));
                    continue;
                };
                client.set_nonblocking(false).unwrap();
                match &decide {
                    None => {
                        flags.hung.store(true, Ordering::Relaxed);
                        held.push(client);
                    }
                    Some(decide) => relay(client, decide.clone(), flags.clone()),
                }
            }
        });
        proxy
    }

    fn url(&self) -> String {
        format!("unix://{}", self.dir.path().join("engine.sock").display())
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What a proxy's threads share.
#[derive(Clone)]
struct Flags {
    stop: Arc<AtomicBool>,
    hung: Arc<AtomicBool>,
    died: Arc<AtomicBool>,
    /// Every connection of a proxy that can die, both ends, for [`Step::Die`] to close.
    open: Option<Arc<std::sync::Mutex<Vec<UnixStream>>>>,
}

/// Copies client → engine, doing with each chunk what `decide` says of its first line, and
/// engine → client.
fn relay(client: UnixStream, decide: Arc<Decide>, flags: Flags) {
    let Ok(engine) = UnixStream::connect(ENGINE_SOCKET) else {
        return;
    };
    if let Some(open) = &flags.open {
        let mut open = open.lock().unwrap();
        open.push(client.try_clone().unwrap());
        open.push(engine.try_clone().unwrap());
    }
    let (mut c_read, mut c_write) = (client.try_clone().unwrap(), client);
    let (mut e_read, mut e_write) = (engine.try_clone().unwrap(), engine);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match c_read.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            let head = String::from_utf8_lossy(&buf[..n.min(512)]).into_owned();
            match decide(head.lines().next().unwrap_or_default()) {
                Step::Forward => {
                    if flags.died.load(Ordering::SeqCst) || e_write.write_all(&buf[..n]).is_err() {
                        return;
                    }
                }
                Step::Answer(status, body) => {
                    // The client sends one request at a time on a connection: the answer
                    // goes back on it, as the engine's would.
                    let reply = format!(
                        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\n\r\n{body}",
                        body.len()
                    );
                    let mut c = c_read.try_clone().unwrap();
                    if c.write_all(reply.as_bytes()).is_err() {
                        return;
                    }
                }
                Step::Hold => {
                    flags.hung.store(true, Ordering::Relaxed);
                    while !flags.stop.load(Ordering::Relaxed) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    return;
                }
                Step::Die => {
                    flags.died.store(true, Ordering::SeqCst);
                    let open = flags
                        .open
                        .as_ref()
                        .expect("a proxy that dies keeps its connections");
                    for s in open.lock().unwrap().iter() {
                        let _ = s.shutdown(std::net::Shutdown::Both);
                    }
                    return;
                }
            }
        }
    });
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut e_read, &mut c_write);
    });
}

/// Refuses every image removal as the engine refuses an image in use, and passes the rest:
/// `clean` through it leaves the probe images of concurrent runs on the shared engine, which
/// are not a test's to remove.
fn keeping_images() -> Proxy {
    Proxy::start(|line| {
        if line.starts_with("DELETE ") && line.contains("/images/") {
            Step::Answer(
                "409 Conflict",
                r#"{"message":"images are kept by the test's proxy"}"#.to_string(),
            )
        } else {
            Step::Forward
        }
    })
}

fn run_with_deadline(host: &str, args: &[&str]) -> (Output, Duration, u32) {
    run_on_engines(&[host], args)
}

/// `run ARGS --docker-host H` for each of `hosts`, each engine call with the deadline here.
fn run_on_engines(hosts: &[&str], args: &[&str]) -> (Output, Duration, u32) {
    let started = Instant::now();
    let child = Command::new(BIN)
        .arg("run")
        .args(args)
        .args(hosts.iter().flat_map(|h| ["--docker-host", h]))
        .env("SECCOMP_HARNESS_ENGINE_TIMEOUT", DEADLINE_SECS.to_string())
        .env_remove("DOCKER_HOST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    (out, started.elapsed(), pid)
}

/// `run unconfined --case getpid --format json`, `more` added, through the engine at `url`
/// with the deadline here ([`run_with_deadline`]).
fn run_getpid_as_json(url: &str, more: &[&str]) -> (Output, Duration, u32) {
    let args = [
        &["unconfined", "--case", "getpid", "--format", "json"][..],
        more,
    ]
    .concat();
    run_with_deadline(url, &args)
}

/// The JSON matrix a run printed (a run that printed none fails the test with its stderr).
fn printed_matrix(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("no matrix printed ({e}): {}", stderr(o)))
}

/// The engine trials here run one at a time: each looks at its own run's leftovers.
static DOCKER: std::sync::Mutex<()> = std::sync::Mutex::new(());

fn a_socket_that_never_answers_ends_the_run_naming_the_engine_and_the_call() {
    let proxy = Proxy::silent();
    let (o, took, _) = run_with_deadline(&proxy.url(), &["unconfined", "--case", "getpid"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(ExitCode::Environment.code()), "{err}");
    assert!(
        proxy.hung.load(Ordering::Relaxed),
        "the run never reached the socket"
    );
    assert!(err.contains(&proxy.url()), "the engine is named: {err}");
    assert!(err.contains("GET /version"), "the call is named: {err}");
    assert!(
        err.contains(&format!("within {DEADLINE_SECS} s")),
        "the deadline is said: {err}"
    );
    // One deadline (and the version negotiation's retry at most), not bollard's default.
    assert!(
        took < Duration::from_secs(6 * DEADLINE_SECS),
        "took {took:?}"
    );
}

/// Each call of a run on an engine that stops answering it: the run ends within a few
/// deadlines, exit 3, naming the engine and the call, with none of its containers left.
fn an_engine_that_stops_answering_mid_run_ends_the_run_naming_the_call(
    rt: &Runtime,
    engine: &Engine,
) {
    // (the request line's fragment, what the error must name)
    for (hang_on, named) in [
        ("/containers/create", "create"),
        ("/attach", "attach"),
        ("/info", "/info"),
        ("/images/", "image"),
    ] {
        let proxy = Proxy::holding(hang_on);
        let started = Instant::now();
        let args = [&["unconfined", DENY_NAMESPACES][..], &GETPID_AND_UNSHARE].concat();
        let (o, took, pid) = run_with_deadline(&proxy.url(), &args);
        let err = stderr(&o);
        assert!(
            proxy.hung.load(Ordering::Relaxed),
            "{hang_on}: the run never made that call: {err}"
        );
        assert_eq!(
            o.status.code(),
            Some(ExitCode::Environment.code()),
            "{hang_on}: {err}"
        );
        assert!(
            err.contains(&proxy.url()),
            "{hang_on}: the engine is named: {err}"
        );
        assert!(
            err.contains(named),
            "{hang_on}: the call is named ({named}): {err}"
        );
        assert!(
            took < Duration::from_secs(10 * DEADLINE_SECS) + Duration::from_secs(30),
            "{hang_on}: took {took:?}"
        );
        drop(proxy);
        // The run's sweep went through the proxy, whose held call may have gone through to the
        // engine after all (a create): nothing of the run is left once the engine settles.
        let left = rt.block_on(containers::settled_of_run(engine, pid));
        assert!(left.is_empty(), "{hang_on}: containers left: {left:?}");
        eprintln!(
            "{hang_on}: exit 3 in {:.1} s: {}",
            started.elapsed().as_secs_f64(),
            err.trim()
        );
    }
}

/// An output path that can't be written fails the run before any container starts, with
/// exit 2 naming the path.
fn an_unwritable_output_path_fails_before_any_container(rt: &Runtime, engine: &Engine) {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    for bad in [
        d.path().join("no-such-dir/m.json"),
        d.path().to_path_buf(),
        file.join("under-a-file.json"),
        "/proc/m.json".into(),
    ] {
        let started = Instant::now();
        let (o, pid) = binary::run(&[
            "unconfined",
            "--case",
            "getpid",
            "--output",
            bad.to_str().unwrap(),
        ]);
        let err = stderr(&o);
        assert_eq!(
            o.status.code(),
            Some(ExitCode::BadInput.code()),
            "{}: {err}",
            bad.display()
        );
        assert!(
            err.contains(bad.to_str().unwrap()),
            "the path is named: {err}"
        );
        // Refused before the engine is asked anything: no image build, no container.
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{}: {:?}",
            bad.display(),
            started.elapsed()
        );
        assert!(rt.block_on(containers::of_run(engine, pid)).is_empty());
    }
    let left: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, vec![std::ffi::OsString::from("a-file")]);
}

/// A disk that fills up when the matrix is written (a 4 KB tmpfs, mounted here for the test):
/// the run ends with exit 3 naming the path and the cause, leaves no file there (neither the
/// report cut short nor its temporary), and no container.
fn a_full_disk_at_the_end_names_the_path_and_leaves_nothing(rt: &Runtime, engine: &Engine) {
    let d = tempfile::tempdir().unwrap();
    let mounted = Command::new("mount")
        .args([
            "-t",
            "tmpfs",
            "-o",
            "size=4k",
            "seccomp-harness-full",
            d.path().to_str().unwrap(),
        ])
        .status()
        .is_ok_and(|s| s.success());
    // Root was checked before the trial: a root that can't mount is a failure.
    assert!(mounted, "could not mount a small tmpfs as root");
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(d.path());
    let out = d.path().join("m.html");
    // The HTML page is well over 4 KB; the check before the run (a new empty file) passes.
    let (o, pid) = binary::run(&[
        "unconfined",
        "--case",
        "getpid",
        "--format",
        "html",
        "--output",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(ExitCode::Environment.code()), "{err}");
    assert!(
        err.contains(out.to_str().unwrap()),
        "the path is named: {err}"
    );
    assert!(err.contains("No space left"), "the cause is said: {err}");
    assert_eq!(
        std::fs::read_dir(d.path()).unwrap().count(),
        0,
        "nothing is left on the full disk"
    );
    assert!(rt.block_on(containers::of_run(engine, pid)).is_empty());
}

/// `--cap-add ALL` on a host whose capability bounding set lacks a capability (this project's
/// host lacks CAP_SYS_RESOURCE): the start failure names the missing capability and says the
/// profile is not the cause; on a host with the full set, the configuration starts.
fn cap_add_all_names_the_capability_the_bounding_set_lacks(rt: &Runtime, engine: &Engine) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let bounding = seccomp_harness_core::start_failure::parse_cap_bnd(&status).unwrap();
    let all = seccomp_harness_core::profile::CapSet::all();
    let missing = seccomp_harness_core::start_failure::outside_bounding_set(&all, bounding);
    let (o, pid) = binary::run(&[
        "builtin",
        "unconfined",
        "--cap-add",
        "ALL",
        "--case",
        "getpid",
        "--format",
        "json",
    ]);
    let m = printed_matrix(&o);
    let confs = m["configurations"].as_array().unwrap();
    assert!(!confs.is_empty());
    for c in confs {
        let start_error = c["start_error"].as_str();
        if missing.is_empty() {
            assert_eq!(start_error, None, "{c}");
            continue;
        }
        let e = start_error
            .unwrap_or_else(|| panic!("{c}: started with {missing:?} outside the bounding set"));
        assert!(e.contains("not caused by the profile"), "{e}");
        assert!(!e.contains("the profile allows every call"), "{e}");
        for cap in &missing {
            assert!(e.contains(cap), "{cap} is named: {e}");
        }
    }
    assert!(rt.block_on(containers::of_run(engine, pid)).is_empty());
}

/// One engine of a run over several is down (a socket nobody listens on) and another stops
/// answering in the middle of the run (a proxy in front of the host's engine that holds its
/// container creates, after the facts and the image check went through): the host's engine
/// completes its part, the matrix written names each missing engine with its error, the run
/// exits 3 (never 0: the matrix lacks engines), and nothing of the run is left.
fn one_engine_of_several_down_or_dying_leaves_the_others_complete_and_names_it(
    rt: &Runtime,
    engine: &Engine,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    let proxy = Proxy::holding("/containers/create");
    let host = format!("host={}", engine.host());
    let dies = format!("dies={}", proxy.url());
    let args = [
        &["unconfined", "builtin"][..],
        &GETPID_AND_UNSHARE,
        &["--format", "json", "--output", out.to_str().unwrap()],
    ]
    .concat();
    let (o, took, pid) = run_on_engines(&[&host, &format!("gone={GONE}"), &dies], &args);
    let reached = proxy.hung.load(Ordering::Relaxed);
    let err = assert_ended_by_the_fault(&o, took, reached, "the dying engine was never reached");
    for name in ["gone", "dies"] {
        assert!(
            err.contains(&format!("engine {name} is missing from the matrix")),
            "{name} is named on stderr: {err}"
        );
    }
    let m = written_matrix(&out, &err);
    assert_the_hosts_part_is_whole(&m);
    assert_the_missing_engines_are_named_with_why(&m, &proxy.url());
    assert_the_reports_and_diff_name_the_missing_engine(&out);
    drop(proxy);
    // A create the proxy held may have reached the engine: nothing of the run is left once it
    // settles.
    let left = rt.block_on(containers::settled_of_run(engine, pid));
    assert!(left.is_empty(), "containers left: {left:?}");
}

/// An engine's address nobody listens on: an engine that is down.
const GONE: &str = "unix:///nonexistent/engine.sock";

/// The host's part of a matrix from several engines is whole: both configurations, each with
/// both cases, all passing.
fn assert_the_hosts_part_is_whole(m: &serde_json::Value) {
    let engines: Vec<&str> = binary::strs(&m["engines"], "name");
    assert_eq!(engines, ["host"]);
    // (builtin-upstream joins builtin where upstream's profile for the engine is known.)
    let ids: Vec<&str> = binary::strs(&m["configurations"], "id");
    assert!(
        ids.contains(&"host/builtin")
            && ids.contains(&"host/unconfined")
            && ids.iter().all(|id| id.starts_with("host/")),
        "{ids:?}"
    );
    let cells = m["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 2 * ids.len(), "{cells:?}");
    assert!(
        cells.iter().all(|c| c["verdict"] == "pass"),
        "the host's cells: {cells:?}"
    );
}

/// The missing engines, in the order given (`gone`, then `dies` at `dying_url`), each with
/// why: the down one can't be reached, the dying one's call is named.
fn assert_the_missing_engines_are_named_with_why(m: &serde_json::Value, dying_url: &str) {
    let missing = m["missing_engines"].as_array().unwrap();
    let names: Vec<&str> = missing
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["gone", "dies"], "{missing:?}");
    assert_eq!(missing[0]["url"], GONE);
    assert_eq!(missing[1]["url"], dying_url);
    let why = |i: usize| missing[i]["error"].as_str().unwrap().to_string();
    assert!(
        why(0).contains("cannot reach") && why(0).contains("/nonexistent/engine.sock"),
        "the down engine's error: {}",
        why(0)
    );
    assert!(
        why(1).contains("create") && why(1).contains(dying_url),
        "the dying engine's call is named: {}",
        why(1)
    );
}

/// The reports of the matrix at `out` say the engine `dies` is missing, and `diff` refuses
/// the missing engine `gone`, naming why.
fn assert_the_reports_and_diff_name_the_missing_engine(out: &Path) {
    let md = render_markdown(out);
    assert!(
        md.contains("**Engine dies: missing from this matrix**"),
        "{md}"
    );
    let d = Command::new(BIN)
        .args(["diff", out.to_str().unwrap(), "--engines", "host,gone"])
        .output()
        .unwrap();
    assert_eq!(d.status.code(), Some(ExitCode::BadInput.code()));
    assert!(
        stderr(&d).contains("engine \"gone\" gave no matrix in this run"),
        "{}",
        stderr(&d)
    );
}

/// A run that met the engine fault its test set up (`reached`, else it fails saying
/// `unreached`) ended as the environment failing (exit 3), within a few deadlines: its stderr.
fn assert_ended_by_the_fault(o: &Output, took: Duration, reached: bool, unreached: &str) -> String {
    let err = stderr(o);
    assert!(reached, "{unreached}: {err}");
    assert_eq!(o.status.code(), Some(ExitCode::Environment.code()), "{err}");
    assert!(
        took < Duration::from_secs(10 * DEADLINE_SECS) + Duration::from_secs(60),
        "took {took:?}"
    );
    err
}

/// The JSON matrix a run wrote to `out` (a run that wrote none fails the test with its
/// stderr, `err`).
fn written_matrix(out: &Path, err: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(out).unwrap())
        .unwrap_or_else(|e| panic!("no matrix written ({e}): {err}"))
}

/// `render --format markdown` of the matrix at `out`, which must succeed.
fn render_markdown(out: &Path) -> String {
    let r = Command::new(BIN)
        .args(["render", out.to_str().unwrap(), "--format", "markdown"])
        .output()
        .unwrap();
    assert!(r.status.success(), "{}", stderr(&r));
    String::from_utf8_lossy(&r.stdout).into_owned()
}

/// The engine dies in the middle of a run (a proxy in front of the host's engine that closes
/// every connection and refuses new ones at the sixth container start, as a killed daemon
/// does; the host's dockerd is shared and stays up). The run ends with exit 3 naming the
/// configurations it could not complete and why; the matrix it writes keeps the
/// configurations that completed, whole, and names the others in `missing_configurations`, so
/// it never looks complete (every report says PARTIAL). Once the engine is back (here: asked
/// directly), `clean` removes what the run left.
fn an_engine_killed_mid_run_leaves_a_partial_matrix_per_configuration(
    rt: &Runtime,
    engine: &Engine,
) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("m.json");
    // One container at a time, in plan order: the two baselines, the calibration, then
    // deny-namespaces as is and tagged, then the same with +SYS_ADMIN. The sixth start is
    // the +SYS_ADMIN configuration's first.
    let proxy = Proxy::dying_at("/start", 6);
    let args = [
        &[
            "unconfined",
            DENY_NAMESPACES,
            "--caps",
            "default,+SYS_ADMIN",
        ][..],
        &GETPID_AND_UNSHARE,
        &["--parallel", "1", "--format", "json"],
        &["--output", out.to_str().unwrap()],
    ]
    .concat();
    let (o, took, pid) = run_with_deadline(&proxy.url(), &args);
    let died = proxy.died.load(Ordering::SeqCst);
    let err = assert_ended_by_the_fault(&o, took, died, "the run never reached the sixth start");
    let m = written_matrix(&out, &err);
    let present = assert_each_configuration_is_whole_or_named_missing(&m);
    assert_each_missing_configuration_says_why(&m, &proxy.url(), &err);
    // The reports say it is partial.
    let md = render_markdown(&out);
    assert!(md.contains("PARTIAL MATRIX"), "{md}");
    drop(proxy);
    eprintln!(
        "exit 3 in {:.1} s; kept {present:?}; missing {}; left on the engine: {}",
        took.as_secs_f64(),
        m["missing_configurations"],
        rt.block_on(containers::of_run(engine, pid)).len()
    );

    // The engine is back: `clean` removes the containers the dead run could not. (Through a
    // proxy that keeps every image: the probe images of concurrent runs on the shared engine
    // are not this test's to remove.)
    let keep_images = keeping_images();
    let c = Command::new(BIN)
        .args(["clean", "--docker-host", &keep_images.url()])
        .output()
        .unwrap();
    assert!(c.status.success(), "{}", stderr(&c));
    let left = rt.block_on(containers::settled_of_run(engine, pid));
    assert!(left.is_empty(), "containers left: {left:?}");
}

/// The profile that denies namespaces, shipped with the project.
const DENY_NAMESPACES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../profiles/deny-namespaces.json"
);

/// The ids in the matrix `m`'s list `key` (`configurations`, `missing_configurations`): none
/// where the list is absent.
fn configuration_ids(m: &serde_json::Value, key: &str) -> Vec<String> {
    m[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c["id"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Every configuration of the killed run (unconfined and deny-namespaces, each with and
/// without +SYS_ADMIN) is either kept whole, both cases passing, or named missing with no
/// cell; some of each: the ids of the kept ones.
fn assert_each_configuration_is_whole_or_named_missing(m: &serde_json::Value) -> Vec<String> {
    let present = configuration_ids(m, "configurations");
    let missing = configuration_ids(m, "missing_configurations");
    assert!(!present.is_empty(), "nothing kept: {m}");
    assert!(!missing.is_empty(), "nothing named missing: {m}");
    let mut all: Vec<String> = present.iter().chain(&missing).cloned().collect();
    all.sort();
    assert_eq!(
        all,
        [
            "deny-namespaces",
            "deny-namespaces+SYS_ADMIN",
            "unconfined",
            "unconfined+SYS_ADMIN"
        ],
        "every configuration is either whole or named missing"
    );
    // Each kept configuration is whole (both cases) and passes; a missing one has no cell.
    let cells = m["cells"].as_array().unwrap();
    for id in &present {
        let of: Vec<_> = cells.iter().filter(|c| c["configuration"] == *id).collect();
        assert_eq!(of.len(), 2, "{id}: {of:?}");
        assert!(of.iter().all(|c| c["verdict"] == "pass"), "{id}: {of:?}");
    }
    assert!(cells
        .iter()
        .all(|c| !missing.contains(&c["configuration"].as_str().unwrap().to_string())));
    present
}

/// Each missing configuration says why, in the matrix and on the run's stderr (`err`): the
/// closed or refused connection of the engine at `url`, and the call.
fn assert_each_missing_configuration_says_why(m: &serde_json::Value, url: &str, err: &str) {
    for c in m["missing_configurations"].as_array().unwrap() {
        let (id, why) = (c["id"].as_str().unwrap(), c["error"].as_str().unwrap());
        assert!(
            why.contains(url) && (why.contains("closed the connection") || why.contains("refused")),
            "{id}: {why}"
        );
        assert!(
            err.contains(&format!("configuration {id} is missing from the matrix")),
            "{id} is named on stderr: {err}"
        );
    }
}

/// An engine socket that accepts every connection and closes it at once, answering nothing
/// (a daemon going down, or a proxy in front of one that is gone): the run ends at once with
/// exit 3, saying the engine at that address closed the connection without answering and
/// which call, never bollard's bare "client error (SendRequest)".
fn a_socket_that_closes_every_connection_ends_the_run_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("engine.sock");
    let listener = UnixListener::bind(&path).unwrap();
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let a = accepted.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            a.fetch_add(1, Ordering::SeqCst);
            drop(client);
        }
    });
    let url = format!("unix://{}", path.display());
    let (o, took, _) = run_with_deadline(&url, &["unconfined", "--case", "getpid"]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(ExitCode::Environment.code()), "{err}");
    assert!(
        accepted.load(Ordering::SeqCst) > 0,
        "never connected: {err}"
    );
    assert!(
        err.contains(&format!(
            "the engine at {url} accepted the connection but closed it without answering GET /version"
        )),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    // No deadline to wait out: a closed connection is known at once.
    assert!(took < Duration::from_secs(DEADLINE_SECS), "took {took:?}");
}

/// `clean` removes the probe images no container uses (what a killed run left) and keeps
/// one a container still uses, until that container is gone. The images are this test's own
/// (the embedded probe with a few bytes appended: another content hash, another tag); a proxy
/// refuses the removal of any other, so the concurrent runs sharing the engine keep theirs.
/// Nothing of the test is left: both images and the container go.
fn clean_removes_the_unused_probe_images_and_keeps_one_in_use(rt: &Runtime, engine: &Engine) {
    let unused = rt.block_on(own_probe_image(engine, "unused"));
    let in_use = rt.block_on(own_probe_image(engine, "in-use"));
    // A container of this (live) test process's run holds the second image.
    let holder = rt.block_on(create_container_of(engine, &in_use.tag));
    let proxy = removing_only_images(&[&unused.id, &in_use.id]);
    let exists = |tag: &str| rt.block_on(engine.docker().inspect_image(tag)).is_ok();
    let clean = || {
        let o = Command::new(BIN)
            .args(["clean", "--docker-host", &proxy.url()])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };

    let said = clean();
    assert!(
        said.contains(&format!("removed image {}", unused.tag)),
        "{said}"
    );
    assert!(!exists(&unused.tag), "the unused image is gone");
    assert!(exists(&in_use.tag), "the image in use is kept: {said}");
    assert!(
        !said.contains(&format!("removed image {}", in_use.tag)),
        "{said}"
    );

    // Its container gone, the image is unused too.
    rt.block_on(engine.docker().remove_container(
        &holder,
        None::<bollard::query_parameters::RemoveContainerOptions>,
    ))
    .unwrap();
    let said = clean();
    assert!(
        said.contains(&format!("removed image {}", in_use.tag)),
        "{said}"
    );
    assert!(!exists(&in_use.tag));
    drop(proxy);
}

/// A probe image of this test alone, `what` telling it apart: the embedded probe with a few
/// bytes appended (another content hash, another tag).
async fn own_probe_image(engine: &Engine, what: &str) -> seccomp_harness::engine::ProbeImage {
    let arch = seccomp_catalog::Arch::parse(std::env::consts::ARCH).expect("a catalog arch");
    let mut probe = seccomp_harness::probe_binary::for_arch(arch)
        .expect("an embedded probe")
        .to_vec();
    probe.extend_from_slice(
        format!("\n{what}-{}-{:?}", std::process::id(), Instant::now()).as_bytes(),
    );
    engine.ensure_probe_image(&probe, None).await.unwrap()
}

/// A container (created, never started) of a run of this live test process, on `image`:
/// the id of what holds the image in use.
async fn create_container_of(engine: &Engine, image: &str) -> String {
    let run = RunId::new();
    let body = bollard::models::ContainerCreateBody {
        image: Some(image.to_string()),
        labels: Some(std::collections::HashMap::from([(
            RUN_LABEL.to_string(),
            run.to_string(),
        )])),
        network_disabled: Some(true),
        ..Default::default()
    };
    engine
        .docker()
        .create_container(None, body)
        .await
        .unwrap()
        .id
}

/// A proxy that refuses the removal of any image but `allowed` (ids, `sha256:` or not) as the
/// engine refuses an image in use, and passes everything else.
fn removing_only_images(allowed: &[&str]) -> Proxy {
    let allowed: Vec<String> = allowed
        .iter()
        .map(|id| id.trim_start_matches("sha256:").to_string())
        .collect();
    Proxy::start(move |line| {
        if line.starts_with("DELETE ")
            && line.contains("/images/")
            && !allowed.iter().any(|a| line.contains(a.as_str()))
        {
            Step::Answer(
                "409 Conflict",
                r#"{"message":"refused by the test's proxy: not this test's image"}"#.to_string(),
            )
        } else {
            Step::Forward
        }
    })
}

/// The probe image vanishes in the middle of a run (a `clean` elsewhere removed it while no
/// container of the run used it): the create that finds it gone (the engine's 404 "No such
/// image", given here by a proxy for the run's first create) makes the run build the image
/// again and run that configuration once more. The matrix is whole and passes.
fn a_probe_image_removed_mid_run_is_built_again(rt: &Runtime, engine: &Engine) {
    let gone = Arc::new(AtomicBool::new(false));
    let g = gone.clone();
    let proxy = Proxy::start(move |line| {
        if line.starts_with("POST ")
            && line.contains("/containers/create")
            && !g.swap(true, Ordering::SeqCst)
        {
            Step::Answer(
                "404 Not Found",
                r#"{"message":"No such image: seccomp-harness-probe:gone"}"#.to_string(),
            )
        } else {
            Step::Forward
        }
    });
    let (o, _, pid) = run_getpid_as_json(&proxy.url(), &["--parallel", "1"]);
    let err = stderr(&o);
    assert!(gone.load(Ordering::SeqCst), "no create was made: {err}");
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()), "{err}");
    let m = printed_matrix(&o);
    assert!(m.get("missing_configurations").is_none(), "{m}");
    let cells = m["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "{m}");
    assert_eq!(cells[0]["verdict"], "pass");
    drop(proxy);
    assert!(rt.block_on(containers::of_run(engine, pid)).is_empty());
}

/// Holds the first `n` container starts (unforwarded and unanswered: to the engine the
/// container stays in Created, as a runtime stuck in its start leaves it) and passes
/// everything else.
fn holding_starts(n: usize) -> (Proxy, Arc<std::sync::atomic::AtomicUsize>) {
    let held = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let h = held.clone();
    let proxy = Proxy::start(move |line| {
        let start = line.starts_with("POST ") && line.contains("/start");
        if start && h.fetch_add(1, Ordering::SeqCst) < n {
            Step::Hold
        } else {
            Step::Forward
        }
    });
    (proxy, held)
}

/// A container stuck in Created once (its start never answered within the deadline, a few
/// seconds here): the start is tried again in a new container, the run completes whole and
/// passes, and neither container is left.
fn a_start_stuck_once_is_retried_in_a_new_container(rt: &Runtime, engine: &Engine) {
    let (proxy, held) = holding_starts(1);
    let (o, took, pid) = run_getpid_as_json(&proxy.url(), &[]);
    let err = stderr(&o);
    assert!(held.load(Ordering::SeqCst) >= 2, "no second start: {err}");
    assert_eq!(o.status.code(), Some(ExitCode::Ok.code()), "{err}");
    let m = printed_matrix(&o);
    let cells = m["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 1, "{m}");
    assert_eq!(cells[0]["verdict"], "pass", "{m}");
    assert!(took < Duration::from_secs(4 * DEADLINE_SECS) + Duration::from_secs(30));
    drop(proxy);
    assert!(rt.block_on(containers::of_run(engine, pid)).is_empty());
}

/// A configuration whose container is stuck in Created twice (both starts unanswered) is
/// reported as a start failure with the cause named, outside the profile; the other
/// configuration of the run completes and passes; no container is left.
fn a_start_stuck_twice_is_a_named_start_failure_of_that_configuration_alone(
    rt: &Runtime,
    engine: &Engine,
) {
    // One container at a time: the first configuration's two starts are the ones held.
    let (proxy, held) = holding_starts(2);
    let more = ["--caps", "default,+SYS_ADMIN", "--parallel", "1"];
    let (o, _, pid) = run_getpid_as_json(&proxy.url(), &more);
    let err = stderr(&o);
    assert!(held.load(Ordering::SeqCst) >= 3, "{err}");
    // A start failure of a configuration predicted to start is a finding (exit 1), not the
    // environment failing the run.
    assert_eq!(o.status.code(), Some(ExitCode::Findings.code()), "{err}");
    let m = printed_matrix(&o);
    let confs = m["configurations"].as_array().unwrap();
    assert_eq!(confs.len(), 2, "{m}");
    let stuck: Vec<_> = confs
        .iter()
        .filter(|c| c["start_error"].is_string())
        .collect();
    assert_eq!(stuck.len(), 1, "one configuration is stuck: {m}");
    let e = stuck[0]["start_error"].as_str().unwrap();
    assert!(e.contains("stuck in Created") && e.contains("twice"), "{e}");
    assert!(e.contains("not caused by the profile"), "{e}");
    for c in m["cells"].as_array().unwrap() {
        let expected = if c["configuration"] == stuck[0]["id"] {
            "start_failed"
        } else {
            "allowed"
        };
        assert_eq!(c["observed"]["outcome"], expected, "{c}");
    }
    drop(proxy);
    assert!(rt.block_on(containers::of_run(engine, pid)).is_empty());
}

/// Docker's containerd socket on this machine and a `ctr` to ask it, or why not.
fn docker_containerd() -> Result<&'static str, String> {
    let socket = [
        "/var/run/docker/containerd/containerd.sock",
        "/run/containerd/containerd.sock",
    ]
    .into_iter()
    .find(|s| Path::new(s).exists())
    .ok_or("no containerd socket of Docker's here")?;
    Command::new("ctr")
        .arg("--version")
        .output()
        .map_err(|e| format!("no ctr: {e}"))?;
    Ok(socket)
}

/// How long one `ctr` call of the tests may take: ctr ends itself past it (`--timeout`). The
/// harness's engine-call deadline, as a containerd shared with other runs was seen to take
/// more than 20 s.
const CTR_TIMEOUT: &str = "120s";

fn ctr(socket: &str, args: &[&str]) -> Output {
    Command::new("ctr")
        .args([
            "--address",
            socket,
            "--namespace",
            "moby",
            "--timeout",
            CTR_TIMEOUT,
        ])
        .args(args)
        .output()
        .unwrap()
}

/// Runs the probe's `--list` as a containerd task `id` in Docker's namespace and waits, within
/// a deadline fitted to how long containerd took to start it (as a container start's is:
/// `engine::start_deadline`), until it has stopped.
fn ctr_task_stopped(socket: &str, rootfs: &str, id: &str, program: &str) {
    let began = Instant::now();
    let o = ctr(
        socket,
        &[
            "run",
            "-d",
            "--null-io",
            "--rootfs",
            rootfs,
            id,
            program,
            "--list",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let clock = seccomp_harness::engine::start_deadline::StartClock::default();
    clock.record(began.elapsed());
    let deadline = Instant::now() + clock.deadline(None);
    let stopped = || {
        String::from_utf8_lossy(&ctr(socket, &["tasks", "ls"]).stdout)
            .lines()
            .any(|l| l.starts_with(id) && l.contains("STOPPED"))
    };
    while !stopped() {
        assert!(Instant::now() < deadline, "the task {id} never stopped");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A STOPPED containerd task held by its shim whose Docker container is gone (what Docker
/// 20.10 was seen to leave when it lost a task's exit), made here the way it stays: a task in
/// Docker's containerd namespace that ran and exited with no Docker container for it. `clean`
/// removes the probe's (its process is the probe image's entrypoint) and leaves another
/// program's alone.
fn clean_removes_stopped_containerd_tasks_of_probe_containers_docker_lost(
    _rt: &Runtime,
    _engine: &Engine,
) {
    let socket = docker_containerd().expect("checked before the trial");
    let arch = seccomp_catalog::Arch::parse(std::env::consts::ARCH).expect("a catalog arch");
    let probe = seccomp_harness::probe_binary::for_arch(arch).expect("an embedded probe");
    let root = tempfile::tempdir().unwrap();
    for name in ["seccomp-probe", "another-program"] {
        let path = root.path().join(name);
        std::fs::write(&path, probe).unwrap();
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    let id = |what: &str| format!("seccomp-harness-test-{what}-{}", std::process::id());
    let (ours, theirs) = (id("orphan"), id("other"));
    let rootfs = root.path().to_str().unwrap();
    for (id, program) in [(&ours, "/seccomp-probe"), (&theirs, "/another-program")] {
        ctr_task_stopped(socket, rootfs, id, program);
    }
    let stopped = |id: &str| {
        String::from_utf8_lossy(&ctr(socket, &["tasks", "ls"]).stdout)
            .lines()
            .any(|l| l.starts_with(id) && l.contains("STOPPED"))
    };

    // Through a proxy that keeps every image (concurrent runs' probe images are not ours).
    let keep_images = keeping_images();
    let o = Command::new(BIN)
        .args(["clean", "--docker-host", &keep_images.url()])
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&o.stdout).into_owned();
    let known = |id: &str| {
        let listed = |what: &str| {
            String::from_utf8_lossy(&ctr(socket, &[what, "ls", "-q"]).stdout)
                .lines()
                .any(|l| l == id)
        };
        listed("tasks") || listed("containers")
    };
    let ours_left = known(&ours);
    let theirs_left = stopped(&theirs);
    // Another program's task is not the harness's to remove: this test removes its own.
    ctr(socket, &["tasks", "delete", &theirs]);
    ctr(socket, &["containers", "delete", &theirs]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        said.contains(&format!("removed stopped containerd task {}", &ours[..12])),
        "{said}"
    );
    assert!(!ours_left, "the probe's stopped task is left: {said}");
    assert!(theirs_left, "another program's task was removed: {said}");
    assert!(!known(&theirs));
}

/// The engine does not answer whether it still has a stopped task's container (an error other
/// than "no such container"): `clean` neither removes the task (it may be a live container's)
/// nor reports a clean machine; it fails with the engine, the container and the cause named.
fn clean_names_a_task_it_could_not_check_and_leaves_it(_rt: &Runtime, _engine: &Engine) {
    let socket = docker_containerd().expect("checked before the trial");
    let arch = seccomp_catalog::Arch::parse(std::env::consts::ARCH).expect("a catalog arch");
    let probe = seccomp_harness::probe_binary::for_arch(arch).expect("an embedded probe");
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("seccomp-probe");
    std::fs::write(&path, probe).unwrap();
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let ours = format!("seccomp-harness-test-unchecked-{}", std::process::id());
    let rootfs = root.path().to_str().unwrap();
    ctr_task_stopped(socket, rootfs, &ours, "/seccomp-probe");
    let stopped = || {
        String::from_utf8_lossy(&ctr(socket, &["tasks", "ls"]).stdout)
            .lines()
            .any(|l| l.starts_with(ours.as_str()) && l.contains("STOPPED"))
    };

    // The engine fails the question about this one container; images are kept as above.
    let inspect = format!("/containers/{ours}/json");
    let failing = Proxy::start(move |line| {
        if line.starts_with("GET ") && line.contains(inspect.as_str()) {
            Step::Answer(
                "500 Internal Server Error",
                r#"{"message":"failed by the test's proxy"}"#.to_string(),
            )
        } else if line.starts_with("DELETE ") && line.contains("/images/") {
            Step::Answer(
                "409 Conflict",
                r#"{"message":"images are kept by the test's proxy"}"#.to_string(),
            )
        } else {
            Step::Forward
        }
    });
    let o = Command::new(BIN)
        .args(["clean", "--docker-host", &failing.url()])
        .output()
        .unwrap();
    let err = stderr(&o);
    let left = stopped();
    ctr(socket, &["tasks", "delete", &ours]);
    ctr(socket, &["containers", "delete", &ours]);
    assert_eq!(o.status.code(), Some(ExitCode::Environment.code()), "{err}");
    assert!(
        err.contains(&ours) && err.contains("failed by the test's proxy"),
        "{err}"
    );
    assert!(
        left,
        "a task the engine did not vouch for was removed: {err}"
    );
}
