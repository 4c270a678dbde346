//! One probe container under one configuration: create, attach, start, collect, remove.
//!
//! Output is read through an attach made before the start (as `docker run` does) rather than
//! from the logs, so it works whatever logging driver the daemon uses, and stdout (the JSON
//! lines) stays apart from stderr (the probe's diagnostics).

use super::cleanup::{remove_container, ContainerGuard, RunId, RUN_LABEL};
use super::connect::Engine;
use super::image::ProbeImage;
use bollard::container::LogOutput;
use bollard::errors::Error as BollardError;
use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, KillContainerOptionsBuilder, WaitContainerOptionsBuilder,
};
use futures_util::StreamExt;
use seccomp_catalog::record::ProbeArgs;
use seccomp_catalog::record::Record;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

/// How the container's seccomp filter is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SeccompMode {
    /// No `seccomp=` option: the engine's own profile (its `profile=` security option).
    Builtin,
    /// `seccomp=unconfined`: no filter, the baseline of what the kernel does alone.
    Unconfined,
    /// `seccomp=<JSON>`: the profile's content, as the docker CLI sends a profile file.
    Profile(String),
    /// `seccomp=<path>`: a file on the engine's side holding the profile, as Podman's API
    /// takes it (see [`super::podman`]).
    ProfilePath(String),
}

/// Everything that makes one container of a configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    pub seccomp: SeccompMode,
    /// Capability names as Docker takes them (`SYS_ADMIN`, `ALL`).
    pub cap_add: Vec<String>,
    pub cap_drop: Vec<String>,
    /// A read-only root keeps a case that creates files from changing later cases' results.
    pub readonly_rootfs: bool,
    /// Bounds a fork bomb a profile might let through.
    pub pids_limit: i64,
    pub memory_bytes: i64,
    /// The watchdog: the longest the probe may go without writing a record (its own hard
    /// deadline per case is 10 s). Past it the container is killed and the case in progress
    /// is recorded as a timeout.
    pub case_timeout: Duration,
    /// Wall-clock limit for the whole container: a last resort behind the watchdog.
    pub timeout: Duration,
    /// The probe's flags (`--host-facts`, `--avoid ...`); the case ids are added per container.
    pub probe_args: ProbeArgs,
    /// A start that passes its deadline is retried once in a new container (a runtime stuck
    /// in Created under load, waiting for its init:
    /// [`seccomp_harness_core::runtime::hung::stuck_note`]). Off for a profile predicted to
    /// hang its runtime's start (started with `run --start-held-back`:
    /// [`seccomp_harness_core::runtime::RuntimeModel::kill_hangs_start`]), whose start never
    /// returns.
    pub retry_hung_start: bool,
    /// Extra labels (the run label is always added).
    pub labels: HashMap<String, String>,
    /// The OCI runtime (`HostConfig.Runtime`), as the engine registered it; `None` for the
    /// engine's default.
    pub runtime: Option<String>,
    /// OCI annotations (`HostConfig.Annotations`, API 1.43+): the one that turns a runtime's
    /// use of the profile on ([`seccomp_harness_core::runtime::PROFILE_ON_ANNOTATION`]), where
    /// the user asks for it.
    pub annotations: HashMap<String, String>,
}

impl Default for ContainerSpec {
    fn default() -> Self {
        ContainerSpec {
            seccomp: SeccompMode::Builtin,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            readonly_rootfs: true,
            pids_limit: 64,
            memory_bytes: 256 * 1024 * 1024,
            case_timeout: DEFAULT_CASE_TIMEOUT,
            timeout: Duration::from_secs(1800),
            probe_args: ProbeArgs::default(),
            retry_hung_start: true,
            labels: HashMap::new(),
            runtime: None,
            annotations: HashMap::new(),
        }
    }
}

/// The watchdog's default: the probe's own hard deadline per case (10 s) plus a margin.
pub const DEFAULT_CASE_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a probe that wrote every record may take to exit before the harness ends the
/// container (a profile may deny exit_group and exit).
const EXIT_GRACE: Duration = Duration::from_secs(2);

impl ContainerSpec {
    pub fn new(seccomp: SeccompMode) -> Self {
        ContainerSpec {
            seccomp,
            ..Default::default()
        }
    }

    /// The `SecurityOpt` list the engine gets.
    pub(crate) fn security_opt(&self) -> Vec<String> {
        match &self.seccomp {
            SeccompMode::Builtin => Vec::new(),
            SeccompMode::Unconfined => vec!["seccomp=unconfined".to_string()],
            SeccompMode::Profile(json) => vec![format!("seccomp={json}")],
            SeccompMode::ProfilePath(path) => vec![format!("seccomp={path}")],
        }
    }

    /// An engine's message made fit to show: the profile's text (which an engine may quote
    /// whole: Podman's "file name too long" for a profile given as content) replaced by its
    /// size, and the rest cut to a readable length.
    pub(crate) fn scrub(&self, message: &str) -> String {
        const MAX: usize = 600;
        let mut m = message.to_string();
        if let SeccompMode::Profile(json) = &self.seccomp {
            if json.len() > 16 {
                m = m.replace(
                    json.as_str(),
                    &format!("<the profile, {} bytes>", json.len()),
                );
            }
        }
        if m.len() > MAX {
            let mut cut = MAX;
            while !m.is_char_boundary(cut) {
                cut -= 1;
            }
            m = format!("{}… ({} bytes cut)", &m[..cut], m.len() - cut);
        }
        m
    }
}

/// What a container that ran produced.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeOutput {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// The container's exit code; 128 + n when signal n ended the probe (159: SIGSYS).
    pub exit_code: i64,
    /// Why the harness ended the container, where the probe did not end on its own.
    pub quiet_end: Option<QuietEnd>,
}

/// Tells when every expected case has its record, from the stdout bytes as they arrive.
#[derive(Debug)]
struct Completion {
    waiting: HashSet<String>,
    partial: Vec<u8>,
}

impl Completion {
    fn new(expect: &[String]) -> Completion {
        Completion {
            waiting: expect.iter().cloned().collect(),
            partial: Vec::new(),
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.partial.drain(..=nl).collect();
            if let Ok(Record::Case(rec)) = serde_json::from_slice::<Record>(&line) {
                self.waiting.remove(&rec.id);
            }
        }
    }

    fn complete(&self) -> bool {
        self.waiting.is_empty()
    }
}

impl ProbeOutput {
    /// The signal that ended the probe, read from the exit code the way the engine encodes it.
    pub fn signal(&self) -> Option<i32> {
        (129..=128 + 64)
            .contains(&self.exit_code)
            .then(|| (self.exit_code - 128) as i32)
    }

    /// The harness killed the probe in the middle of a case: a limit ran out.
    pub(crate) fn ran_out(&self) -> bool {
        matches!(
            self.quiet_end,
            Some(QuietEnd::TimedOut | QuietEnd::Watchdog)
        )
    }
}

/// How one container went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerOutcome {
    Exited(ProbeOutput),
    /// The runtime refused to start it; the message is the engine's, with the runtime's words,
    /// e.g. when the profile denies or kills a call the runtime makes after loading the filter
    /// ([`seccomp_harness_core::runtime::RuntimeModel::fatal`]).
    StartFailed {
        message: String,
    },
}

#[derive(Debug, thiserror::Error)]
pub enum ContainerError {
    #[error("the engine did not answer a request to {action} probe container {id} on {host} within {seconds} s")]
    Hung {
        action: &'static str,
        id: String,
        host: String,
        seconds: u64,
    },
    #[error("cannot create a probe container from {image} on {host}: {message}")]
    Create {
        image: String,
        host: String,
        /// The engine's answer, scrubbed of the profile ([`ContainerSpec::scrub`]).
        message: String,
    },
    /// The probe image went away between the run's check and this create (a `clean` from
    /// elsewhere removed it while no container used it): [`super::Runner`] builds it again
    /// and retries once.
    #[error("the probe image {image} is gone from {host} (removed while the run went on)")]
    ImageGone { image: String, host: String },
    /// A CRI node failed a call (`engine::cri`); the message names the call.
    #[error("cannot {action} {id} on {host}: {message}")]
    Cri {
        action: &'static str,
        id: String,
        host: String,
        message: String,
    },
    #[error("cannot {action} probe container {id} on {host}: {}", super::connect::explain(.source))]
    Container {
        action: &'static str,
        id: String,
        host: String,
        #[source]
        source: BollardError,
    },
}

impl ContainerError {
    /// The engine did not answer a request to `action` container `id` within `limit`.
    fn hung(action: &'static str, id: &str, engine: &Engine, limit: Duration) -> ContainerError {
        ContainerError::Hung {
            action,
            id: id.to_string(),
            host: engine.host().to_string(),
            seconds: limit.as_secs(),
        }
    }
}

/// The most output a probe may write to each stream; more is dropped (a probe writes a few
/// hundred short lines, so this only guards against a runaway one).
const OUTPUT_LIMIT: usize = 64 * 1024 * 1024;

/// Runs the probe with `args` in a fresh container made from `spec`, labelled for `run`, and
/// removes the container whatever happens. A start that does not return within its deadline
/// (the container stuck in Created) is tried once more in a new container of the same body,
/// unless the spec says the start is expected to hang; a second hang is a start failure
/// naming the cause.
pub async fn run_probe_container(
    engine: &Engine,
    image: &ProbeImage,
    run: &RunId,
    spec: &ContainerSpec,
    args: &[String],
    expect: &[String],
) -> Result<ContainerOutcome, ContainerError> {
    let body = create_body(&image.tag, run, spec, args);
    let attempt = || run_probe_container_once(engine, &image.tag, spec, body.clone(), expect);
    let first = attempt().await?;
    let freed_first = match &first {
        Attempt::StartHung { freed, .. } if spec.retry_hung_start => freed.clone(),
        _ => return Ok(first.into_outcome()),
    };
    match attempt().await? {
        Attempt::StartHung { seconds, freed } => Ok(ContainerOutcome::StartFailed {
            message: seccomp_harness_core::runtime::hung::stuck_note(
                seconds,
                &[freed_first, freed].concat(),
            ),
        }),
        second => Ok(second.into_outcome()),
    }
}

/// How one container went, with a start that passed its deadline told apart.
enum Attempt {
    Done(ContainerOutcome),
    /// The start did not return within `seconds`; `freed` holds the hung init processes the
    /// harness killed so that the engine could remove the container.
    StartHung {
        seconds: u64,
        freed: Vec<i32>,
    },
}

impl Attempt {
    fn into_outcome(self) -> ContainerOutcome {
        match self {
            Attempt::Done(o) => o,
            Attempt::StartHung { seconds, freed } => ContainerOutcome::StartFailed {
                message: seccomp_harness_core::runtime::hung::note(seconds, &freed),
            },
        }
    }
}

/// One container of `body`, from the probe image `tag`: create, drive, remove.
async fn run_probe_container_once(
    engine: &Engine,
    tag: &str,
    spec: &ContainerSpec,
    body: ContainerCreateBody,
    expect: &[String],
) -> Result<Attempt, ContainerError> {
    let id = create(engine, tag, spec, body).await?;
    let guard = ContainerGuard::new(engine, &id);
    let result = drive(engine, &id, spec, expect).await;
    let removed = remove_within_deadline(engine, &id).await;
    guard.disarm();
    first_error(result, removed, container_error(engine, &id, "remove"))
}

/// A container's outcome, or the first error of its run and its removal. Removal errors are
/// reported only when the run itself went well: on a stalled engine the call that stalled
/// (the watchdog's kill, a wait) is the one to name, not the removal that followed it and
/// stalled too, and the label sweep retries the removal anyway.
// ContainerError is as large as bollard's errors; the async callers return it too, where the
// lint does not look.
#[allow(clippy::result_large_err)]
fn first_error<T>(
    result: Result<T, ContainerError>,
    removed: Result<Result<(), BollardError>, ContainerError>,
    remove_error: impl FnOnce(BollardError) -> ContainerError,
) -> Result<T, ContainerError> {
    let outcome = result?;
    removed?.map_err(remove_error)?;
    Ok(outcome)
}

/// The container `spec` asks for, running the probe image `tag` with `args`, labelled for
/// `run` so that a sweep finds it whatever happens to this process.
fn create_body(
    tag: &str,
    run: &RunId,
    spec: &ContainerSpec,
    args: &[String],
) -> ContainerCreateBody {
    let mut labels = spec.labels.clone();
    labels.insert(RUN_LABEL.to_string(), run.to_string());
    ContainerCreateBody {
        image: Some(tag.to_string()),
        cmd: Some(args.to_vec()),
        tty: Some(false),
        open_stdin: Some(false),
        attach_stdin: Some(false),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        network_disabled: Some(true),
        labels: Some(labels),
        host_config: Some(HostConfig {
            security_opt: Some(spec.security_opt()),
            cap_add: Some(spec.cap_add.clone()),
            cap_drop: Some(spec.cap_drop.clone()),
            network_mode: Some("none".to_string()),
            readonly_rootfs: Some(spec.readonly_rootfs),
            pids_limit: Some(spec.pids_limit),
            memory: Some(spec.memory_bytes),
            // No swap on top of the memory limit.
            memory_swap: Some(spec.memory_bytes),
            auto_remove: Some(false),
            runtime: spec.runtime.clone(),
            // Only when asked: an older engine has no such field.
            annotations: (!spec.annotations.is_empty()).then(|| spec.annotations.clone()),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// Creates the container; returns its id. A 404 means the image `tag` went away since the
/// run checked it ([`ContainerError::ImageGone`], retried by the runner).
async fn create(
    engine: &Engine,
    tag: &str,
    spec: &ContainerSpec,
    body: ContainerCreateBody,
) -> Result<String, ContainerError> {
    let created =
        engine
            .docker()
            .create_container(None, body)
            .await
            .map_err(|source| match source {
                BollardError::DockerResponseServerError {
                    status_code: 404, ..
                } => ContainerError::ImageGone {
                    image: tag.to_string(),
                    host: engine.host().to_string(),
                },
                source => ContainerError::Create {
                    image: tag.to_string(),
                    host: engine.host().to_string(),
                    message: spec.scrub(&super::connect::explain(&source)),
                },
            })?;
    Ok(created.id)
}

/// Removes container `id`, with a deadline too: an engine whose runtime hangs can't remove
/// the container. The outer `Err` is that hang; the inner result is the engine's answer.
async fn remove_within_deadline(
    engine: &Engine,
    id: &str,
) -> Result<Result<(), BollardError>, ContainerError> {
    tokio::time::timeout(REMOVE_TIMEOUT, remove_container(engine, id))
        .await
        .map_err(|_| ContainerError::hung("remove", id, engine, REMOVE_TIMEOUT))
}

/// How often a start that is still waiting asks for its deadline again: a slower start
/// answered meanwhile on the same engine extends it ([`super::start_deadline`]).
const START_RECHECK: Duration = Duration::from_secs(5);

/// Starts container `id`, waiting at most the engine's start deadline, which is fitted to its
/// slowest answered start ([`Engine::start_deadline`]) and asked again every
/// [`START_RECHECK`]. An answered start (started or refused) is measured into the engine's
/// clock; `Err(seconds)` is a start that passed its deadline of that many seconds (bollard's
/// own deadline included: the same hang).
async fn start_within_deadline(engine: &Engine, id: &str) -> Result<Result<(), BollardError>, u64> {
    let docker = engine.docker_for_start();
    let began = Instant::now();
    let start = docker.start_container(id, None);
    tokio::pin!(start);
    loop {
        let deadline = engine.start_deadline();
        let left = deadline.saturating_sub(began.elapsed());
        if left.is_zero() {
            return Err(deadline.as_secs());
        }
        match tokio::time::timeout(left.min(START_RECHECK), &mut start).await {
            Ok(Err(BollardError::RequestTimeoutError)) => return Err(deadline.as_secs()),
            Ok(answered) => {
                engine.starts().record(began.elapsed());
                return Ok(answered);
            }
            Err(_) => {}
        }
    }
}

/// How long a forced removal may take (it waits for the runtime to kill the container).
const REMOVE_TIMEOUT: Duration = Duration::from_secs(60);

/// Attach, start, collect, wait: the part between create and remove. An attach or start the
/// runtime refuses, or a start that hangs, ends the attempt early with what it shows.
async fn drive(
    engine: &Engine,
    id: &str,
    spec: &ContainerSpec,
    expect: &[String],
) -> Result<Attempt, ContainerError> {
    let stream = match attach(engine, id, spec).await? {
        ControlFlow::Continue(stream) => stream,
        ControlFlow::Break(attempt) => return Ok(attempt),
    };
    if let ControlFlow::Break(attempt) = start(engine, id, spec).await? {
        return Ok(attempt);
    }
    let mut out = collect(engine, id, spec, expect, stream).await?;
    out.exit_code = exit_code(engine, id).await?;
    Ok(Attempt::Done(ContainerOutcome::Exited(out)))
}

/// The output stream of a container attached to before its start (so it sees everything).
type Output =
    std::pin::Pin<Box<dyn futures_util::Stream<Item = Result<LogOutput, BollardError>> + Send>>;

/// An engine error on container `id`, for `action`.
fn container_error(
    engine: &Engine,
    id: &str,
    action: &'static str,
) -> impl FnOnce(BollardError) -> ContainerError {
    let id = id.to_string();
    let host = engine.host().to_string();
    move |source| call_error(action, id, host, source)
}

/// [`container_error`]'s error. bollard's own deadline (the engine-call deadline, which these
/// calls' client has) says only "Timeout error": it is told as the hang it is, with the call
/// and the seconds.
fn call_error(
    action: &'static str,
    id: String,
    host: String,
    source: BollardError,
) -> ContainerError {
    match source {
        BollardError::RequestTimeoutError => ContainerError::Hung {
            action,
            id,
            host,
            seconds: super::connect::request_timeout_secs(),
        },
        source => ContainerError::Container {
            action,
            id,
            host,
            source,
        },
    }
}

/// Attaches to the container's output, or ends the attempt where the runtime refused it.
async fn attach(
    engine: &Engine,
    id: &str,
    spec: &ContainerSpec,
) -> Result<ControlFlow<Attempt, Output>, ContainerError> {
    let attach = AttachContainerOptionsBuilder::default()
        .stream(true)
        .stdout(true)
        .stderr(true)
        // Attached before the start, the stream sees everything; asking for the logs as well
        // would fail on daemons whose logging driver cannot be read back (`none`, `syslog`).
        .logs(false)
        .build();
    match engine.docker().attach_container(id, Some(attach)).await {
        Ok(a) => Ok(ControlFlow::Continue(a.output)),
        // Podman prepares (creates in the runtime) the container for an attach, so the
        // runtime's refusal comes here ("preparing container … for attach: " and the
        // runtime's message, Podman 5.8.6; runtime::RuntimeModel::fatal).
        Err(BollardError::DockerResponseServerError {
            status_code: 500,
            message,
        }) => Ok(ControlFlow::Break(Attempt::Done(
            ContainerOutcome::StartFailed {
                message: spec.scrub(&message),
            },
        ))),
        Err(e) => Err(container_error(engine, id, "attach to")(e)),
    }
}

/// Starts the container within the engine's deadline, or ends the attempt: the runtime refused
/// the start, or it hung.
async fn start(
    engine: &Engine,
    id: &str,
    spec: &ContainerSpec,
) -> Result<ControlFlow<Attempt>, ContainerError> {
    match start_within_deadline(engine, id).await {
        Ok(Ok(())) => Ok(ControlFlow::Continue(())),
        Err(seconds) => {
            // The engine can't remove the container while the runtime waits for its init: free
            // it where its processes are visible from here (a local socket), so that the
            // removal works (engine/hung.rs).
            let freed = if engine.host().starts_with("unix://") {
                super::hung::free_hung_init(id)
            } else {
                Vec::new()
            };
            Ok(ControlFlow::Break(Attempt::StartHung { seconds, freed }))
        }
        // 500 is the runtime's refusal (the profile stopped it); anything else (404, a
        // broken connection) is the harness's or the engine's trouble.
        Ok(Err(BollardError::DockerResponseServerError {
            status_code: 500,
            message,
        })) => Ok(ControlFlow::Break(Attempt::Done(
            ContainerOutcome::StartFailed {
                message: spec.scrub(&message),
            },
        ))),
        Ok(Err(e)) => Err(container_error(engine, id, "start")(e)),
    }
}

/// Reads the container's output until it ends, or until it stays quiet for a whole wait
/// ([`wait_limit`]), when the container is killed and the output says why ([`quiet_end`]).
async fn collect(
    engine: &Engine,
    id: &str,
    spec: &ContainerSpec,
    expect: &[String],
    mut stream: Output,
) -> Result<ProbeOutput, ContainerError> {
    let mut out = ProbeOutput::default();
    let mut completion = Completion::new(expect);
    let last_resort = Instant::now() + spec.timeout;
    loop {
        let left = last_resort.saturating_duration_since(Instant::now());
        let limit = wait_limit(completion.complete(), left, spec.case_timeout);
        match tokio::time::timeout(limit, stream.next()).await {
            Ok(Some(Ok(LogOutput::StdOut { message })))
            | Ok(Some(Ok(LogOutput::Console { message }))) => {
                push_limited(&mut out.stdout, &message);
                completion.feed(&message);
            }
            Ok(Some(Ok(LogOutput::StdErr { message }))) => push_limited(&mut out.stderr, &message),
            Ok(Some(Ok(LogOutput::StdIn { .. }))) => {}
            // The stream ending or breaking (the container gone) ends the output; the exit
            // code tells what happened.
            Ok(None) | Ok(Some(Err(_))) => return Ok(out),
            Err(_) => {
                out.quiet_end = Some(quiet_end(completion.complete(), left, spec.case_timeout));
                kill(engine, id).await?;
                return Ok(out);
            }
        }
    }
}

/// How long to wait for the next output: the exit grace once every record is in, else the
/// watchdog's wait; never past the whole-run limit (`left` of it).
fn wait_limit(complete: bool, left: Duration, case_timeout: Duration) -> Duration {
    if complete { EXIT_GRACE } else { case_timeout }.min(left)
}

/// Why a container whose output stayed quiet for a whole wait is ended: one reason, so a
/// container ended by the watchdog can't also read as one that outlived its whole-run limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuietEnd {
    /// Every record is in and the probe did not exit within the grace.
    AllIn,
    /// The whole-run limit ([`ContainerSpec::timeout`]) ran out.
    TimedOut,
    /// The watchdog: a case gave no record within [`ContainerSpec::case_timeout`].
    Watchdog,
}

/// [`QuietEnd`] for a wait that ran out with `left` of the whole-run limit before it.
fn quiet_end(complete: bool, left: Duration, case_timeout: Duration) -> QuietEnd {
    if complete {
        QuietEnd::AllIn
    } else if left <= case_timeout {
        QuietEnd::TimedOut
    } else {
        QuietEnd::Watchdog
    }
}

/// Kills the container; one that exited on its own meanwhile is no error.
async fn kill(engine: &Engine, id: &str) -> Result<(), ContainerError> {
    let kill = KillContainerOptionsBuilder::default()
        .signal("SIGKILL")
        .build();
    match engine.docker().kill_container(id, Some(kill)).await {
        Ok(())
        | Err(BollardError::DockerResponseServerError {
            status_code: 404 | 409,
            ..
        }) => Ok(()),
        Err(e) => Err(container_error(engine, id, "kill")(e)),
    }
}

/// Waits for the container to stop running, within the engine's start deadline (the runtime
/// ends a container about as slowly as it starts one), and gives its exit code.
async fn exit_code(engine: &Engine, id: &str) -> Result<i64, ContainerError> {
    let wait = WaitContainerOptionsBuilder::default()
        .condition("not-running")
        .build();
    let docker = engine.docker_for_start();
    let mut waits = docker.wait_container(id, Some(wait));
    let deadline = engine.start_deadline();
    let waited = tokio::time::timeout(deadline, waits.next())
        .await
        .map_err(|_| ContainerError::hung("wait for", id, engine, deadline))?;
    match waited {
        Some(Ok(r)) => Ok(r.status_code),
        // bollard turns a non-zero exit into an error carrying the code.
        Some(Err(BollardError::DockerContainerWaitError { code, .. })) => Ok(code),
        Some(Err(e)) => Err(container_error(engine, id, "wait for")(e)),
        None => {
            let state = engine
                .docker()
                .inspect_container(id, None)
                .await
                .map_err(container_error(engine, id, "inspect"))?
                .state;
            Ok(state.and_then(|s| s.exit_code).unwrap_or(-1))
        }
    }
}

fn push_limited(buf: &mut Vec<u8>, data: &[u8]) {
    let room = OUTPUT_LIMIT.saturating_sub(buf.len());
    buf.extend_from_slice(&data[..data.len().min(room)]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_probe_container_is_labelled_for_its_run_and_has_no_network() {
        let mut spec = ContainerSpec::new(SeccompMode::Unconfined);
        spec.cap_add = vec!["SYS_ADMIN".into()];
        let run = RunId::new();
        let body = create_body("probe:1", &run, &spec, &["--list".to_string()]);
        assert_eq!(body.image.as_deref(), Some("probe:1"));
        assert_eq!(body.cmd, Some(vec!["--list".to_string()]));
        let labels = body.labels.unwrap();
        assert_eq!(labels.get(RUN_LABEL), Some(&run.to_string()));
        assert_eq!(body.network_disabled, Some(true));
        let host = body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        assert_eq!(host.cap_add, Some(vec!["SYS_ADMIN".to_string()]));
        assert_eq!(
            host.security_opt,
            Some(vec!["seccomp=unconfined".to_string()])
        );
        assert_eq!(host.memory_swap, host.memory);
        // No annotations asked for: the field stays out, for older engines.
        assert_eq!(host.annotations, None);
    }

    #[test]
    fn security_opt_follows_the_mode() {
        assert!(ContainerSpec::new(SeccompMode::Builtin)
            .security_opt()
            .is_empty());
        assert_eq!(
            ContainerSpec::new(SeccompMode::Unconfined).security_opt(),
            vec!["seccomp=unconfined"]
        );
        assert_eq!(
            ContainerSpec::new(SeccompMode::Profile("{\"a\":1}".into())).security_opt(),
            vec!["seccomp={\"a\":1}"]
        );
    }

    #[test]
    fn messages_never_carry_the_profile() {
        let json = format!(
            "{{\"defaultAction\":\"SCMP_ACT_ERRNO\",{}}}",
            "x".repeat(5000)
        );
        let spec = ContainerSpec::new(SeccompMode::Profile(json.clone()));
        let m = spec.scrub(&format!("open {json}: file name too long"));
        assert!(m.contains("<the profile, ") && m.len() < 200, "{m}");
        let m = spec.scrub(&"y".repeat(5000));
        assert!(m.len() < 700 && m.ends_with("bytes cut)"), "{m}");
        assert_eq!(
            ContainerSpec::new(SeccompMode::ProfilePath("/run/p.json".into())).security_opt(),
            vec!["seccomp=/run/p.json"]
        );
    }

    #[test]
    fn a_quiet_container_is_ended_by_why_its_wait_ran_out() {
        let case = Duration::from_secs(15);
        let long = Duration::from_secs(600);
        // All in: the exit grace, and the harness ends it.
        assert_eq!(wait_limit(true, long, case), EXIT_GRACE);
        assert_eq!(quiet_end(true, Duration::ZERO, case), QuietEnd::AllIn);
        // Still waiting on a case: the watchdog's wait, cut by the whole run's limit.
        assert_eq!(wait_limit(false, long, case), case);
        assert_eq!(quiet_end(false, long, case), QuietEnd::Watchdog);
        let short = Duration::from_secs(3);
        assert_eq!(wait_limit(false, short, case), short);
        assert_eq!(quiet_end(false, short, case), QuietEnd::TimedOut);
        assert_eq!(quiet_end(false, case, case), QuietEnd::TimedOut);
    }

    fn hung(action: &'static str) -> ContainerError {
        call_error(
            action,
            "c1".into(),
            "tcp://127.0.0.1:1".into(),
            BollardError::RequestTimeoutError,
        )
    }

    #[test]
    fn an_unanswered_call_is_told_as_a_hang_naming_the_call() {
        let text = hung("kill").to_string();
        assert!(
            text.contains("did not answer a request to kill probe container c1"),
            "{text}"
        );
        assert!(text.contains("on tcp://127.0.0.1:1 within "), "{text}");
        let refused = call_error(
            "kill",
            "c1".into(),
            "h".into(),
            BollardError::DockerResponseServerError {
                status_code: 500,
                message: "no".into(),
            },
        );
        assert!(matches!(refused, ContainerError::Container { .. }));
    }

    #[test]
    fn the_call_that_stalled_is_named_before_the_removal_after_it() {
        let remove_err = |_| hung("remove");
        // The kill stalled, then the removal: the kill is the error.
        let both = first_error::<()>(Err(hung("kill")), Err(hung("remove")), remove_err);
        assert!(matches!(
            both,
            Err(ContainerError::Hung { action: "kill", .. })
        ));
        // A run that went well reports its removal's hang, or the engine's refusal.
        let removal = first_error(Ok(1), Err(hung("remove")), remove_err);
        assert!(matches!(
            removal,
            Err(ContainerError::Hung {
                action: "remove",
                ..
            })
        ));
        let refused = first_error(Ok(1), Ok(Err(BollardError::RequestTimeoutError)), |e| {
            call_error("remove", "c1".into(), "h".into(), e)
        });
        assert!(matches!(
            refused,
            Err(ContainerError::Hung {
                action: "remove",
                ..
            })
        ));
        assert_eq!(first_error(Ok(1), Ok(Ok(())), remove_err).unwrap(), 1);
    }

    #[test]
    fn signals_come_from_exit_codes() {
        let out = |exit_code| ProbeOutput {
            exit_code,
            ..Default::default()
        };
        assert_eq!(out(159).signal(), Some(31));
        assert_eq!(out(137).signal(), Some(9));
        assert_eq!(out(0).signal(), None);
        assert_eq!(out(1).signal(), None);
        assert_eq!(out(128).signal(), None);
    }
}
