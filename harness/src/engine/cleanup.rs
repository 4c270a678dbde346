//! No container of the harness survives it.
//!
//! Three layers, because each covers what the one before can miss:
//! 1. [`super::container`] removes its container on every path it controls (success, a start
//!    failure, an API error, a timeout).
//! 2. A [`ContainerGuard`] removes the container when the future running it is dropped
//!    half-way (cancellation), from a task spawned on the runtime.
//! 3. Every container carries the label [`RUN_LABEL`]`=<run id>`. On Ctrl-C or SIGTERM,
//!    [`with_interrupt_cleanup`] drops the run and removes everything with the run's label, even
//!    a container whose create request was still in flight; `seccomp-harness clean` removes
//!    whatever a killed harness (SIGKILL, a crash) left, by the label's key alone.

use super::connect::Engine;
use bollard::errors::Error as BollardError;
use bollard::models::ContainerSummary;
use bollard::query_parameters::{ListContainersOptionsBuilder, RemoveContainerOptionsBuilder};
use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

/// Label on every container the harness creates; its value is the [`RunId`].
pub const RUN_LABEL: &str = "io.seccomp-harness.run";

/// Identifies one harness invocation's containers: `<unix millis>-<pid>-<host>`, unique
/// across the hosts that share an engine and readable in `docker ps`. The pid and host tell
/// `clean` whether the run is still alive.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RunId(String);

/// The millisecond stamp of the last run id this process made. Two runs started in the same
/// millisecond by one process (a test binary's threads) would otherwise share a label, and one
/// run's cleanup after an engine error would remove the other's containers.
static LAST_STAMP: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

impl RunId {
    pub fn new() -> RunId {
        use std::sync::atomic::Ordering;
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or_default();
        // The stamp only moves forward: each id of this process gets one of its own.
        let previous = LAST_STAMP
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last.saturating_add(1)))
            })
            .unwrap_or_default();
        let millis = now.max(previous.saturating_add(1));
        RunId(format!("{millis}-{}-{}", std::process::id(), this_host()))
    }

    /// The pid of the process that made a run id, if the id has one.
    pub fn pid_of(id: &str) -> Option<u32> {
        id.split('-').nth(1)?.parse().ok()
    }

    /// Whether the run that made `id` may still be alive: made on another host (which can't
    /// be told from here), or by a process of this host that still exists.
    pub(crate) fn may_be_alive(id: &str) -> bool {
        let mut parts = id.splitn(3, '-');
        let (Some(_), Some(pid), Some(host)) = (parts.next(), parts.next(), parts.next()) else {
            // An id from before hosts were recorded: its run is long gone.
            return false;
        };
        host != this_host() || std::path::Path::new("/proc").join(pid).exists()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for RunId {
    fn default() -> Self {
        RunId::new()
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// This machine's name, as run ids carry it (no `-`, which separates their parts).
fn this_host() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| {
            h.trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '.' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .unwrap_or_else(|_| "unknown".into())
}

/// Which labelled containers to remove.
#[derive(Debug, Clone, Copy)]
pub enum Sweep<'a> {
    /// One run's.
    Run(&'a RunId),
    /// Those of runs that are no longer alive (`seccomp-harness clean`).
    Dead,
    /// Every run's (`clean --all`).
    All,
}

/// A container `remove_containers` took away.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Removed {
    pub id: String,
    pub name: String,
    pub run: String,
    pub state: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CleanupError {
    #[error("cannot list the harness's containers on {host}: {}", super::connect::explain(.source))]
    List {
        host: String,
        #[source]
        source: BollardError,
    },
    #[error("cannot remove container {id} on {host}: {}", super::connect::explain(.source))]
    Remove {
        id: String,
        host: String,
        #[source]
        source: BollardError,
    },
    /// A forced removal the engine did not answer within its patience ([`super::busy`]).
    #[error("the engine at {host} did not remove container {id} {why}; run `seccomp-harness clean` again")]
    RemoveUnanswered {
        id: String,
        host: String,
        why: String,
    },
}

/// Force-removes the harness's labelled containers that `sweep` selects. A container that
/// vanished meanwhile is not an error.
pub async fn remove_containers(
    engine: &Engine,
    sweep: Sweep<'_>,
) -> Result<Vec<Removed>, CleanupError> {
    let list = list_labelled(engine, sweep.label()).await?;
    let mut removed = Vec::new();
    for c in list {
        let Some(id) = c.id.clone() else { continue };
        if !sweep.takes(&c) {
            continue;
        }
        remove_patiently(engine, &id).await?;
        removed.push(Removed::from_summary(id, c));
    }
    Ok(removed)
}

impl Sweep<'_> {
    /// The label filter that lists the containers this sweep looks at.
    fn label(self) -> String {
        match self {
            Sweep::Run(r) => format!("{RUN_LABEL}={r}"),
            Sweep::Dead | Sweep::All => RUN_LABEL.to_string(),
        }
    }

    /// Whether this sweep removes listed container `c`: a `Dead` sweep leaves the containers of
    /// runs that may still be alive.
    fn takes(self, c: &ContainerSummary) -> bool {
        let run = c
            .labels
            .as_ref()
            .and_then(|l| l.get(RUN_LABEL))
            .map(String::as_str)
            .unwrap_or_default();
        !(matches!(self, Sweep::Dead) && RunId::may_be_alive(run))
    }
}

impl Removed {
    /// What a listed container `c`, removed as `id`, is reported as.
    fn from_summary(id: String, c: ContainerSummary) -> Removed {
        Removed {
            name: c
                .names
                .and_then(|n| n.into_iter().next())
                .map(|n| n.trim_start_matches('/').to_string())
                .unwrap_or_default(),
            run: c
                .labels
                .and_then(|l| l.get(RUN_LABEL).cloned())
                .unwrap_or_default(),
            state: c.state.map(|s| s.to_string()).unwrap_or_default(),
            id,
        }
    }
}

/// The containers, running or not, that carry `label` (a key, or `key=value`).
async fn list_labelled(
    engine: &Engine,
    label: String,
) -> Result<Vec<ContainerSummary>, CleanupError> {
    let filters = HashMap::from([("label".to_string(), vec![label])]);
    let options = ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    // Podman 5.8 lists a container it is tearing down as `"State": "stopped"`, which bollard's
    // state enum lacks, so the whole answer fails to parse (seen on the lab's Podman 5.8.6
    // right after a SIGKILLed run's container stopped). The state passes within moments: ask
    // again for a few seconds before giving up.
    let mut tries = 0;
    loop {
        match engine.docker().list_containers(Some(options.clone())).await {
            Err(BollardError::JsonDataError { .. } | BollardError::JsonSerdeError { .. })
                if tries < 10 =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            r => {
                return r.map_err(|source| CleanupError::List {
                    host: engine.host().to_string(),
                    source,
                })
            }
        }
    }
}

/// Force-removes container `id`. A busy engine can take minutes over one forced removal: it is
/// waited for while it answers.
async fn remove_patiently(engine: &Engine, id: &str) -> Result<(), CleanupError> {
    let removal = engine
        .patiently(|docker| async move { remove_with(&docker, id).await })
        .await
        .map_err(|gave_up| CleanupError::RemoveUnanswered {
            id: id.to_string(),
            host: engine.host().to_string(),
            why: gave_up.why(),
        })?;
    removal.map_err(|source| CleanupError::Remove {
        id: id.to_string(),
        host: engine.host().to_string(),
        source,
    })
}

/// Force-removes one container; "already gone" and "removal already in progress" count as done.
pub(crate) async fn remove_container(engine: &Engine, id: &str) -> Result<(), BollardError> {
    remove_with(engine.docker(), id).await
}

/// [`remove_container`] with a given client (one with a longer deadline of its own).
async fn remove_with(docker: &bollard::Docker, id: &str) -> Result<(), BollardError> {
    let options = RemoveContainerOptionsBuilder::default()
        .force(true)
        .v(true)
        .build();
    match docker.remove_container(id, Some(options)).await {
        Ok(()) => Ok(()),
        Err(BollardError::DockerResponseServerError {
            status_code: 404 | 409,
            ..
        }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Removes its container when dropped before [`ContainerGuard::disarm`]: the path of a future
/// cancelled between create and remove. The removal runs on a spawned task, so it needs a live
/// runtime; the label sweep covers the case where the runtime is going down.
pub(crate) struct ContainerGuard {
    engine: Engine,
    id: Option<String>,
}

impl ContainerGuard {
    pub(crate) fn new(engine: &Engine, id: &str) -> Self {
        ContainerGuard {
            engine: engine.clone(),
            id: Some(id.to_string()),
        }
    }

    /// The container was removed on the normal path.
    pub(crate) fn disarm(mut self) {
        self.id = None;
    }
}

impl Drop for ContainerGuard {
    fn drop(&mut self) {
        let Some(id) = self.id.take() else { return };
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            let engine = self.engine.clone();
            handle.spawn(async move {
                let _ = remove_container(&engine, &id).await;
            });
        }
    }
}

/// The run was stopped by a signal; its containers were removed.
#[derive(Debug, thiserror::Error)]
#[error("interrupted by {signal}; removed {removed} container(s) of run {run}")]
pub struct Interrupted {
    /// `SIGINT` or `SIGTERM`.
    pub signal: &'static str,
    pub run: RunId,
    pub removed: usize,
    /// Set when the sweep itself failed: containers may be left (`seccomp-harness clean`).
    pub cleanup_error: Option<String>,
}

impl Interrupted {
    /// The shell's convention: 128 + the signal number (130 for Ctrl-C).
    pub fn exit_code(&self) -> seccomp_harness_core::exit::ExitCode {
        use seccomp_harness_core::exit::ExitCode;
        match self.signal {
            "SIGTERM" => ExitCode::Terminated,
            _ => ExitCode::Interrupted,
        }
    }
}

pub(crate) async fn interrupt_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}

/// Runs `work` unless SIGINT or SIGTERM comes first; then `work` is dropped (cancelling every
/// container run inside it) and all containers labelled with `run` are removed. The CLI exits
/// with [`Interrupted::exit_code`].
pub async fn with_interrupt_cleanup<F: Future>(
    engine: &Engine,
    run: &RunId,
    work: F,
) -> Result<F::Output, Interrupted> {
    let signal = tokio::select! {
        out = work => return Ok(out),
        s = interrupt_signal() => s,
    };
    // A create request sent just before the signal may still be completing on the daemon:
    // sweep, let in-flight requests land, sweep again.
    let mut removed = 0;
    let mut cleanup_error = None;
    for pause in [Duration::ZERO, Duration::from_millis(500)] {
        tokio::time::sleep(pause).await;
        match remove_containers(engine, Sweep::Run(run)).await {
            Ok(r) => removed += r.len(),
            Err(e) => cleanup_error = Some(e.to_string()),
        }
    }
    Err(Interrupted {
        signal,
        run: run.clone(),
        removed,
        cleanup_error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_lists_by_the_run_label_and_reports_what_it_removed() {
        let run = RunId::new();
        assert_eq!(Sweep::Run(&run).label(), format!("{RUN_LABEL}={run}"));
        assert_eq!(Sweep::All.label(), RUN_LABEL);
        let c = ContainerSummary {
            names: Some(vec!["/probe_1".into()]),
            labels: Some(HashMap::from([(RUN_LABEL.to_string(), run.to_string())])),
            ..Default::default()
        };
        // This process's own run is alive: a sweep of dead runs leaves its container.
        assert!(!Sweep::Dead.takes(&c));
        assert!(Sweep::All.takes(&c) && Sweep::Run(&run).takes(&c));
        let removed = Removed::from_summary("abc".into(), c);
        assert_eq!(
            removed,
            Removed {
                id: "abc".into(),
                name: "probe_1".into(),
                run: run.to_string(),
                state: String::new(),
            }
        );
    }

    #[test]
    fn run_ids_made_at_once_in_one_process_differ() {
        let ids: Vec<String> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..8)
                .map(|_| scope.spawn(|| (0..50).map(|_| RunId::new().0).collect::<Vec<_>>()))
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let distinct: std::collections::HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "a run label was made twice");
        let pid = std::process::id();
        assert!(ids.iter().all(|id| RunId::pid_of(id) == Some(pid)));
    }

    #[test]
    fn run_ids_are_label_safe() {
        let id = RunId::new();
        assert!(id
            .as_str()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        assert_eq!(RunId::pid_of(id.as_str()), Some(std::process::id()));
        assert!(RunId::may_be_alive(id.as_str()));
        assert!(!RunId::may_be_alive(
            "1700000000000-4194305-nohost_here_at_all_x"
                .replace("nohost_here_at_all_x", &super::this_host())
                .as_str()
        ));
        assert!(!RunId::may_be_alive("1700000000000-123"));
    }

    #[test]
    fn interrupted_exit_codes_follow_the_shell() {
        use seccomp_harness_core::exit::ExitCode;
        let i = Interrupted {
            signal: "SIGINT",
            run: RunId::new(),
            removed: 0,
            cleanup_error: None,
        };
        assert_eq!(i.exit_code(), ExitCode::Interrupted);
        let t = Interrupted {
            signal: "SIGTERM",
            ..i
        };
        assert_eq!(t.exit_code(), ExitCode::Terminated);
    }
}
