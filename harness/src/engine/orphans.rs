//! Stopped containerd tasks of probe containers that Docker no longer knows (`clean`).
//!
//! Seen on Docker 20.10: `ctr -n moby tasks ls` on Docker's containerd listed STOPPED tasks,
//! each held by its shim, whose Docker container was gone. Docker deletes a container's task
//! when it handles the task's exit; an exit it never handles (its event lost while containerd
//! or the daemon was too busy, or the container already gone from the daemon when the exit
//! came) leaves the task for good, and nothing in the Docker API shows or removes it. The
//! harness's own paths (every create has a remove, bounded; kill, wait, then remove) were run
//! through start timeouts, interrupts, SIGKILL and `clean`, a start raced by a forced remove,
//! and 20 default runs back to back without leaving one (ci/soak.sh), so `clean` sweeps what an
//! engine's lost event left.
//!
//! A task is swept only when all of these hold: it is STOPPED, no Docker container has its id,
//! and its container runs the probe image's entrypoint ([`super::image::PROBE_PATH`]): a probe
//! container of the harness, whatever run made it. Anything else in containerd is left alone.
//! Only a local engine: the containerd socket must be on this machine (Docker 20.10's own
//! under /var/run/docker, or the system one that later Docker uses, namespace `moby`), and
//! containerd's `ctr` (or `SECCOMP_HARNESS_CTR`) must be there.

use super::connect::Engine;
use super::ctr::{Ctr, CtrFailure};
use super::image::PROBE_PATH;
use std::path::Path;
use std::time::Duration;

/// Where Docker's tasks live: Docker 20.10's own containerd, then the system's.
const SOCKETS: [&str; 2] = [
    "/var/run/docker/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
];
/// Docker's containerd namespace.
const NAMESPACE: &str = "moby";
/// Every `ctr` call's deadline, past which it is waited for only while containerd answers
/// `ctr version` ([`super::busy`]): a containerd busy with six other runs was seen to take
/// longer over a task's removal.
const CTR_DEADLINE: Duration = Duration::from_secs(20);

#[derive(Debug, thiserror::Error)]
pub enum OrphanError {
    #[error("cannot ask containerd at {socket} about Docker's tasks (`{command}`): {failure}")]
    Ctr {
        socket: String,
        command: String,
        failure: CtrFailure,
    },
    /// The engine did not say whether it still has the task's container: sweeping it could
    /// remove a live container's task, and skipping it silently would report a clean machine.
    #[error("cannot ask the engine at {host} whether Docker still has container {id} (a stopped containerd task): {source}")]
    Inspect {
        host: String,
        id: String,
        source: bollard::errors::Error,
    },
}

/// What the sweep found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Swept {
    /// The stopped probe tasks removed, by container id.
    Removed(Vec<String>),
    /// Not looked at, and why (a remote engine, no containerd socket here, no `ctr`).
    NotChecked(String),
}

/// The STOPPED tasks of a `ctr tasks ls` listing (`TASK PID STATUS`, a header first).
pub(crate) fn stopped_tasks(listing: &str) -> Vec<String> {
    listing
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            let (id, _pid, status) = (words.next()?, words.next()?, words.next()?);
            (status == "STOPPED").then(|| id.to_string())
        })
        .collect()
}

/// Whether a `ctr containers info` answer is a probe container: its process runs the probe
/// image's entrypoint.
pub(crate) fn runs_the_probe(info: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(info)
        .ok()
        .and_then(|v| {
            v["Spec"]["process"]["args"]
                .get(0)
                .and_then(|a| a.as_str())
                .map(|a| a == PROBE_PATH)
        })
        .unwrap_or(false)
}

/// Removes the stopped tasks (and their containerd containers) of probe containers that the
/// engine no longer has.
pub async fn remove_orphan_tasks(engine: &Engine) -> Result<Swept, OrphanError> {
    if !engine.host().starts_with("unix://") {
        return Ok(Swept::NotChecked(format!(
            "{} is not a local socket",
            engine.host()
        )));
    }
    let Some(socket) = SOCKETS.iter().map(Path::new).find(|p| p.exists()) else {
        return Ok(Swept::NotChecked(
            "no containerd socket of Docker's on this machine".into(),
        ));
    };
    let listing = match ctr(socket, &["tasks", "ls"]).await {
        Ok(l) => l,
        Err(OrphanError::Ctr {
            failure: failure @ CtrFailure::NotStarted(_),
            ..
        }) => return Ok(Swept::NotChecked(failure.to_string())),
        Err(e) => return Err(e),
    };
    let mut removed = Vec::new();
    for id in stopped_tasks(&listing) {
        // Docker still has it: its own removal deletes the task.
        match engine.docker().inspect_container(&id, None).await {
            Err(bollard::errors::Error::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Ok(_) => continue,
            Err(source) => {
                return Err(OrphanError::Inspect {
                    host: engine.host().to_string(),
                    id,
                    source,
                })
            }
        }
        // On a shared engine the task's own container may be removed meanwhile (the engine
        // handled the exit late): gone is what the sweep wanted, not an error.
        let Some(info) = unless_gone(ctr(socket, &["containers", "info", &id]).await)? else {
            continue;
        };
        if !runs_the_probe(&info) {
            continue;
        }
        let task = unless_gone(ctr(socket, &["tasks", "delete", &id]).await)?;
        let container = unless_gone(ctr(socket, &["containers", "delete", &id]).await)?;
        if task.is_some() || container.is_some() {
            removed.push(id);
        }
    }
    Ok(Swept::Removed(removed))
}

/// A `ctr` answer, `None` where containerd said the task or container is not there (seen on
/// the shared engine: a stopped task listed, then removed by the engine before `containers
/// info`: `ctr: container "…" in namespace "moby": not found`).
fn unless_gone(answer: Result<String, OrphanError>) -> Result<Option<String>, OrphanError> {
    match answer {
        Ok(out) => Ok(Some(out)),
        Err(OrphanError::Ctr {
            failure: CtrFailure::Failed { stderr, .. },
            ..
        }) if stderr.contains("not found") => Ok(None),
        Err(e) => Err(e),
    }
}

/// One `ctr` call on Docker's namespace at `socket`, with its deadline.
async fn ctr(socket: &Path, args: &[&str]) -> Result<String, OrphanError> {
    let socket = socket.display().to_string();
    let ctr = Ctr::new(
        ["--address", &socket, "--namespace", NAMESPACE]
            .into_iter()
            .chain(args.iter().copied()),
    );
    let patience = super::busy::Patience::for_engine(CTR_DEADLINE);
    let version = Ctr::new(["--address", socket.as_str(), "version"]);
    let answered = super::busy::wait(ctr.output(None, patience.ceiling), patience, || async {
        version.output(None, super::busy::LIVENESS).await.is_ok()
    })
    .await
    .unwrap_or_else(|gave_up| Err(CtrFailure::Unanswered(gave_up.why())));
    answered.map_err(|failure| OrphanError::Ctr {
        command: ctr.line(),
        socket,
        failure,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_stopped_tasks_are_listed() {
        let listing = "TASK    PID    STATUS    \n\
                       aaa     123    RUNNING\n\
                       bbb     456    STOPPED\n\
                       ccc     0      CREATED\n";
        assert_eq!(stopped_tasks(listing), ["bbb"]);
        assert!(stopped_tasks("TASK    PID    STATUS    \n").is_empty());
    }

    #[test]
    fn a_task_or_container_gone_meanwhile_is_no_error() {
        use std::os::unix::process::ExitStatusExt;
        let failed = |stderr: &str| {
            Err(OrphanError::Ctr {
                socket: "s".into(),
                command: "ctr containers info x".into(),
                failure: CtrFailure::Failed {
                    status: std::process::ExitStatus::from_raw(256),
                    stderr: stderr.into(),
                },
            })
        };
        let gone = r#"ctr: container "x" in namespace "moby": not found"#;
        assert!(matches!(unless_gone(failed(gone)), Ok(None)));
        assert!(unless_gone(failed("ctr: permission denied")).is_err());
        assert!(matches!(unless_gone(Ok("{}".into())), Ok(Some(_))));
    }

    #[test]
    fn a_probe_container_runs_the_probe() {
        let probe = r#"{"ID":"x","Spec":{"process":{"args":["/seccomp-probe","--list"]}}}"#;
        let other = r#"{"ID":"y","Spec":{"process":{"args":["/bin/sh"]}}}"#;
        assert!(runs_the_probe(probe));
        assert!(!runs_the_probe(other));
        assert!(!runs_the_probe("not json"));
        assert!(!runs_the_probe(r#"{"Spec":{}}"#));
    }
}
