//! One probe container on a CRI node, as the kubelet would run it: its own pod sandbox (host
//! network, so no CNI; the sandbox's own seccomp Unconfined, so its pause process survives any
//! profile under test), the container with the configuration's `SecurityProfile`, and the
//! probe's output read from the CRI log file. The sandbox is stopped and removed on every path;
//! a run that is cancelled (Ctrl-C) or killed leaves sandboxes labelled with its run id, which
//! [`sweep`] and `seccomp-harness clean --cri` remove.

use super::api::{
    security_profile::ProfileType, Capability, ContainerConfig, ContainerMetadata, ContainerState,
    ContainerStatusRequest, CreateContainerRequest, ImageSpec, LinuxContainerConfig,
    LinuxContainerResources, LinuxContainerSecurityContext, LinuxPodSandboxConfig,
    LinuxSandboxSecurityContext, ListPodSandboxRequest, NamespaceMode, NamespaceOption,
    PodSandboxConfig, PodSandboxFilter, PodSandboxMetadata, RemovePodSandboxRequest,
    RunPodSandboxRequest, SecurityProfile, StartContainerRequest, StopContainerRequest,
    StopPodSandboxRequest,
};
use super::image::CriImages;
use super::node::CriNode;
use super::{call, log, CriError, RUN_LABEL};
use crate::engine::cleanup::RunId;
use crate::engine::configuration::{run_configuration_with, ConfigurationRun, RestartLimits};
use crate::engine::container::{
    ContainerError, ContainerOutcome, ContainerSpec, ProbeOutput, QuietEnd, SeccompMode,
};
use crate::engine::runner::Slots;
use std::collections::HashMap;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The pod namespace every sandbox of the harness is created in (CRI metadata only).
const POD_NAMESPACE: &str = "seccomp-harness";
/// How often a running container's status and log are looked at.
const POLL: Duration = Duration::from_millis(100);
/// How long a probe that wrote every record may take to exit before it is stopped.
const EXIT_GRACE: Duration = Duration::from_secs(2);

/// Runs configurations on one node, at most `concurrency` pods at a time, all labelled with
/// one run id. Profiles and logs go to a per-run directory beside the node's socket.
#[derive(Debug, Clone)]
pub struct PodRunner {
    node: CriNode,
    images: CriImages,
    run: RunId,
    limits: RestartLimits,
    slots: Slots,
    seq: Arc<AtomicUsize>,
    /// The run's directory as the harness writes it, and as the node reads it.
    host_dir: PathBuf,
    node_dir: PathBuf,
    /// Per seccomp mode ([`mode_key`]), the seccomp object the node applied to its first
    /// container: `ContainerStatus` verbose's `info.runtimeSpec.linux.seccomp` (`None` when the
    /// spec had none: no filter). Not recorded where the node's verbose info has no spec.
    applied: Arc<Mutex<HashMap<String, Option<serde_json::Value>>>>,
}

/// The key [`PodRunner::applied`] files a seccomp mode under.
fn mode_key(mode: &SeccompMode) -> String {
    match mode {
        SeccompMode::Builtin => "builtin".into(),
        SeccompMode::Unconfined => "unconfined".into(),
        SeccompMode::Profile(p) | SeccompMode::ProfilePath(p) => p.clone(),
    }
}

/// A file the node reads: its path on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeFile {
    pub host: PathBuf,
    pub node: PathBuf,
}

impl PodRunner {
    /// Creates the run's directory beside the socket. [`PodRunner::finish`] removes it.
    pub fn new(
        node: CriNode,
        images: CriImages,
        run: RunId,
        concurrency: usize,
    ) -> Result<PodRunner, CriError> {
        let (host, nodeside) = node.shared_dir();
        let name = format!(".seccomp-harness-{run}");
        let host_dir = host.join(&name);
        std::fs::create_dir_all(&host_dir).map_err(|source| CriError::Files {
            path: host_dir.display().to_string(),
            source,
        })?;
        Ok(PodRunner {
            node,
            images,
            run,
            limits: RestartLimits::default(),
            slots: Slots::new(concurrency),
            seq: Arc::new(AtomicUsize::new(0)),
            host_dir,
            node_dir: nodeside.join(name),
            applied: Arc::default(),
        })
    }

    pub fn node(&self) -> &CriNode {
        &self.node
    }

    /// The seccomp object the node applied to a container with this seccomp mode: `None` when
    /// none was recorded, `Some(None)` when the container had no filter.
    pub fn applied(&self, mode: &SeccompMode) -> Option<Option<serde_json::Value>> {
        self.applied
            .lock()
            .expect("the applied map's lock is never poisoned")
            .get(&mode_key(mode))
            .cloned()
    }

    /// Records what the node applied to container `id`, once per seccomp mode.
    async fn record_applied(&self, id: &str, mode: &SeccompMode) {
        let key = mode_key(mode);
        let known = |runner: &PodRunner| {
            runner
                .applied
                .lock()
                .expect("the applied map's lock is never poisoned")
                .contains_key(&key)
        };
        if known(self) {
            return;
        }
        let mut rt = self.node.runtime.clone();
        let Ok(status) = call(
            self.node.url(),
            "ContainerStatus",
            rt.container_status(ContainerStatusRequest {
                container_id: id.to_string(),
                verbose: true,
            }),
        )
        .await
        else {
            return;
        };
        let Some(info) = status
            .info
            .get("info")
            .and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok())
        else {
            return;
        };
        let Some(spec) = info.get("runtimeSpec") else {
            return;
        };
        let seccomp = spec.pointer("/linux/seccomp").cloned();
        self.applied
            .lock()
            .expect("the applied map's lock is never poisoned")
            .entry(key)
            .or_insert(seccomp);
    }

    /// Writes a Localhost profile where the node reads it; the CRI wants its absolute path.
    pub(crate) fn write_profile(&self, index: usize, json: &str) -> Result<NodeFile, CriError> {
        let name = format!("profile-{index}.json");
        let host = self.host_dir.join(&name);
        std::fs::write(&host, json).map_err(|source| CriError::Files {
            path: host.display().to_string(),
            source,
        })?;
        Ok(NodeFile {
            host,
            node: self.node_dir.join(name),
        })
    }

    /// Runs one configuration when a slot is free (restarts reuse the slot).
    pub async fn run(
        &self,
        spec: &ContainerSpec,
        case_ids: &[String],
    ) -> Result<ConfigurationRun, ContainerError> {
        let pods = run_configuration_with(case_ids, spec, self.limits, |args, expect| {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            async move { self.run_pod(seq, spec, &args, &expect).await }
        });
        self.slots.hold_for(pods).await
    }

    fn err(&self, action: &'static str, id: &str, e: CriError) -> ContainerError {
        ContainerError::Cri {
            action,
            id: id.to_string(),
            host: self.node.url().to_string(),
            message: e.to_string(),
        }
    }

    /// One sandbox and one probe container: create, start, watch, collect, remove.
    async fn run_pod(
        &self,
        seq: usize,
        spec: &ContainerSpec,
        args: &[String],
        expect: &[String],
    ) -> Result<ContainerOutcome, ContainerError> {
        let pod_name = format!("probe-{seq}");
        let log_host = self.host_dir.join(&pod_name);
        let log_node = self.node_dir.join(&pod_name);
        std::fs::create_dir_all(&log_host).map_err(|source| {
            self.err(
                "prepare the log directory of",
                &pod_name,
                CriError::Files {
                    path: log_host.display().to_string(),
                    source,
                },
            )
        })?;
        let sandbox = self.sandbox_config(&pod_name, &log_node);
        let mut rt = self.node.runtime.clone();
        let url = self.node.url().to_string();
        let pod = call(
            &url,
            "RunPodSandbox",
            rt.run_pod_sandbox(RunPodSandboxRequest {
                config: Some(sandbox.clone()),
                runtime_handler: String::new(),
            }),
        )
        .await
        .map_err(|e| self.err("run the pod sandbox of", &pod_name, e))?
        .pod_sandbox_id;
        let outcome = self
            .in_sandbox(&pod, &sandbox, spec, args, expect, &log_host)
            .await;
        let removed = self.remove_pod(&pod).await;
        let _ = std::fs::remove_dir_all(&log_host);
        let outcome = outcome?;
        removed.map_err(|e| self.err("remove the pod sandbox", &pod, e))?;
        Ok(outcome)
    }

    fn sandbox_config(&self, name: &str, log_dir: &Path) -> PodSandboxConfig {
        PodSandboxConfig {
            metadata: Some(PodSandboxMetadata {
                name: name.to_string(),
                uid: format!("{}-{name}", self.run),
                namespace: POD_NAMESPACE.to_string(),
                attempt: 0,
            }),
            log_directory: log_dir.display().to_string(),
            labels: HashMap::from([(RUN_LABEL.to_string(), self.run.to_string())]),
            linux: Some(LinuxPodSandboxConfig {
                cgroup_parent: if self.node.systemd_cgroup() {
                    // A systemd node takes a slice name; its kubelet's own parent is used.
                    String::new()
                } else {
                    super::cgroups::parent_for(self.run.as_str())
                },
                security_context: Some(LinuxSandboxSecurityContext {
                    namespace_options: Some(namespaces()),
                    seccomp: Some(SecurityProfile {
                        profile_type: ProfileType::Unconfined as i32,
                        localhost_ref: String::new(),
                    }),
                    ..Default::default()
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn container_config(&self, spec: &ContainerSpec, args: &[String]) -> ContainerConfig {
        let seccomp = match &spec.seccomp {
            SeccompMode::Builtin => SecurityProfile {
                profile_type: ProfileType::RuntimeDefault as i32,
                localhost_ref: String::new(),
            },
            SeccompMode::Unconfined => SecurityProfile {
                profile_type: ProfileType::Unconfined as i32,
                localhost_ref: String::new(),
            },
            // Profiles reach a CRI node as files ([`PodRunner::write_profile`]).
            SeccompMode::ProfilePath(path) | SeccompMode::Profile(path) => SecurityProfile {
                profile_type: ProfileType::Localhost as i32,
                localhost_ref: path.clone(),
            },
        };
        ContainerConfig {
            metadata: Some(ContainerMetadata {
                name: "probe".to_string(),
                attempt: 0,
            }),
            image: Some(ImageSpec {
                image: self.images.probe.clone(),
                ..Default::default()
            }),
            args: args.to_vec(),
            log_path: "probe.log".to_string(),
            labels: HashMap::from([(RUN_LABEL.to_string(), self.run.to_string())]),
            linux: Some(LinuxContainerConfig {
                resources: Some(LinuxContainerResources {
                    memory_limit_in_bytes: spec.memory_bytes,
                    ..Default::default()
                }),
                security_context: Some(LinuxContainerSecurityContext {
                    capabilities: Some(Capability {
                        add_capabilities: spec
                            .cap_add
                            .iter()
                            .map(|c| cri_cap(c))
                            .collect::<Vec<_>>(),
                        drop_capabilities: spec
                            .cap_drop
                            .iter()
                            .map(|c| cri_cap(c))
                            .collect::<Vec<_>>(),
                        ..Default::default()
                    }),
                    namespace_options: Some(namespaces()),
                    readonly_rootfs: spec.readonly_rootfs,
                    seccomp: Some(seccomp),
                    ..Default::default()
                }),
            }),
            ..Default::default()
        }
    }

    /// The probe's container in the pod: created and started, watched until it exits (or is
    /// stopped: [`Watch`]), and its log read back as the probe's output.
    async fn in_sandbox(
        &self,
        pod: &str,
        sandbox: &PodSandboxConfig,
        spec: &ContainerSpec,
        args: &[String],
        expect: &[String],
        log_host: &Path,
    ) -> Result<ContainerOutcome, ContainerError> {
        let id = match self.create_and_start(pod, sandbox, spec, args).await? {
            ControlFlow::Continue(id) => id,
            ControlFlow::Break(refused) => return Ok(refused),
        };
        let log_file = log_host.join("probe.log");
        let (exit_code, watch) = self.watch(&id, spec, expect, &log_file).await?;
        self.record_applied(&id, &spec.seccomp).await;
        let streams = log::parse(&std::fs::read(&log_file).unwrap_or_default());
        Ok(ContainerOutcome::Exited(ProbeOutput {
            stdout: streams.stdout,
            stderr: streams.stderr,
            exit_code: i64::from(exit_code),
            quiet_end: watch.stopped,
        }))
    }

    /// Creates and starts the probe's container in the pod: its id, or the start failure where
    /// the node refused the profile or the runtime the start.
    async fn create_and_start(
        &self,
        pod: &str,
        sandbox: &PodSandboxConfig,
        spec: &ContainerSpec,
        args: &[String],
    ) -> Result<ControlFlow<ContainerOutcome, String>, ContainerError> {
        let mut rt = self.node.runtime.clone();
        let url = self.node.url().to_string();
        let created = call(
            &url,
            "CreateContainer",
            rt.create_container(CreateContainerRequest {
                pod_sandbox_id: pod.to_string(),
                config: Some(self.container_config(spec, args)),
                sandbox_config: Some(sandbox.clone()),
            }),
        )
        .await;
        let refused = |message: &str| {
            ControlFlow::Break(ContainerOutcome::StartFailed {
                message: spec.scrub(message),
            })
        };
        let id = match created {
            Ok(c) => c.container_id,
            // containerd reads and parses a Localhost profile here: a profile it refuses is
            // the configuration's result, like a runtime refusing to start.
            Err(CriError::Call { message, .. }) if message.contains("seccomp") => {
                return Ok(refused(&message))
            }
            Err(e) => return Err(self.err("create the probe container in", pod, e)),
        };
        let started = call(
            &url,
            "StartContainer",
            rt.start_container(StartContainerRequest {
                container_id: id.clone(),
            }),
        )
        .await;
        match started {
            Ok(_) => Ok(ControlFlow::Continue(id)),
            Err(CriError::Call { message, .. }) => Ok(refused(&message)),
            Err(e) => Err(self.err("start", &id, e)),
        }
    }

    /// Polls the container until it exits, stopping it when [`Watch::look`] says so; its exit
    /// code and why the harness stopped it, if it did.
    async fn watch(
        &self,
        id: &str,
        spec: &ContainerSpec,
        expect: &[String],
        log_file: &Path,
    ) -> Result<(i32, Watch), ContainerError> {
        let mut rt = self.node.runtime.clone();
        let url = self.node.url().to_string();
        let mut watch = Watch::new(Instant::now());
        loop {
            let status = call(
                &url,
                "ContainerStatus",
                rt.container_status(ContainerStatusRequest {
                    container_id: id.to_string(),
                    verbose: false,
                }),
            )
            .await
            .map_err(|e| self.err("inspect", id, e))?
            .status
            .unwrap_or_default();
            if status.state == ContainerState::ContainerExited as i32 {
                return Ok((status.exit_code, watch));
            }
            let bytes = std::fs::read(log_file).unwrap_or_default();
            let stop = watch.look(
                Instant::now(),
                log::stdout_lines(&bytes),
                all_records_in(&bytes, expect),
                spec,
            );
            if stop {
                call(
                    &url,
                    "StopContainer",
                    rt.stop_container(StopContainerRequest {
                        container_id: id.to_string(),
                        timeout: 0,
                    }),
                )
                .await
                .map_err(|e| self.err("stop", id, e))?;
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn remove_pod(&self, pod: &str) -> Result<(), CriError> {
        let mut rt = self.node.runtime.clone();
        let url = self.node.url().to_string();
        call(
            &url,
            "StopPodSandbox",
            rt.stop_pod_sandbox(StopPodSandboxRequest {
                pod_sandbox_id: pod.to_string(),
            }),
        )
        .await?;
        call(
            &url,
            "RemovePodSandbox",
            rt.remove_pod_sandbox(RemovePodSandboxRequest {
                pod_sandbox_id: pod.to_string(),
            }),
        )
        .await?;
        Ok(())
    }

    /// Removes every sandbox of this run (the Ctrl-C path and after an engine error) and the
    /// run's directory. Returns how many sandboxes were removed.
    pub async fn finish(&self) -> Result<usize, CriError> {
        let n = sweep(&self.node, Some(&self.run), false).await?;
        let _ = std::fs::remove_dir_all(&self.host_dir);
        let run = self.run.as_str();
        super::cgroups::remove(Path::new("/sys/fs/cgroup"), |r| r == run);
        Ok(n)
    }
}

/// The watch over one probe container's log: when it last wrote a line, since when every
/// record is in, and why the harness stopped it, if it did.
#[derive(Debug)]
struct Watch {
    started: Instant,
    last_progress: Instant,
    lines: usize,
    complete_since: Option<Instant>,
    stopped: Option<QuietEnd>,
}

impl Watch {
    fn new(now: Instant) -> Watch {
        Watch {
            started: now,
            last_progress: now,
            lines: 0,
            complete_since: None,
            stopped: None,
        }
    }

    /// One look at the log at `now` (`lines` complete stdout lines, every expected record in
    /// or not): whether to stop the container. Every record in for the exit grace ends it; a
    /// wait past the watchdog's since the last line, or past the whole run's limit, stops it
    /// too, each noted.
    fn look(&mut self, now: Instant, lines: usize, all_in: bool, spec: &ContainerSpec) -> bool {
        if lines > self.lines {
            self.lines = lines;
            self.last_progress = now;
        }
        if all_in {
            let since = *self.complete_since.get_or_insert(now);
            if now.duration_since(since) > EXIT_GRACE {
                self.stopped = Some(QuietEnd::AllIn);
                return true;
            }
            false
        } else if now.duration_since(self.last_progress) > spec.case_timeout {
            self.stopped = Some(QuietEnd::Watchdog);
            true
        } else if now.duration_since(self.started) > spec.timeout {
            self.stopped = Some(QuietEnd::TimedOut);
            true
        } else {
            false
        }
    }
}

/// Whether a log holds a case record for every id of `expect`.
fn all_records_in(log: &[u8], expect: &[String]) -> bool {
    let out = log::parse(log);
    let text = String::from_utf8_lossy(&out.stdout);
    expect.iter().all(|id| {
        text.lines().any(|l| {
            matches!(
                serde_json::from_str::<seccomp_catalog::record::Record>(l),
                Ok(seccomp_catalog::record::Record::Case(r)) if &r.id == id
            )
        })
    })
}

/// Removes the harness's pod sandboxes on a node: one run's, or (`None`) those of every run
/// whose process is gone (the run id names the pid and host, as for Docker containers), or of
/// every run with `all`; then the empty pod cgroups of those runs.
pub async fn sweep(node: &CriNode, run: Option<&RunId>, all: bool) -> Result<usize, CriError> {
    let mut rt = node.runtime.clone();
    let url = node.url().to_string();
    let mut labels = HashMap::new();
    if let Some(run) = run {
        labels.insert(RUN_LABEL.to_string(), run.to_string());
    }
    let pods = call(
        &url,
        "ListPodSandbox",
        rt.list_pod_sandbox(ListPodSandboxRequest {
            filter: Some(PodSandboxFilter {
                label_selector: labels,
                ..Default::default()
            }),
        }),
    )
    .await?
    .items;
    let mut removed = 0;
    for pod in pods {
        let Some(owner) = pod.labels.get(RUN_LABEL) else {
            continue;
        };
        if run.is_none() && !all && RunId::may_be_alive(owner) {
            continue;
        }
        call(
            &url,
            "StopPodSandbox",
            rt.stop_pod_sandbox(StopPodSandboxRequest {
                pod_sandbox_id: pod.id.clone(),
            }),
        )
        .await?;
        call(
            &url,
            "RemovePodSandbox",
            rt.remove_pod_sandbox(RemovePodSandboxRequest {
                pod_sandbox_id: pod.id.clone(),
            }),
        )
        .await?;
        removed += 1;
        // Its directory beside the socket, if the run left one.
        let (host, _) = node.shared_dir();
        let _ = std::fs::remove_dir_all(host.join(format!(".seccomp-harness-{owner}")));
    }
    if run.is_none() {
        super::cgroups::remove(Path::new("/sys/fs/cgroup"), |r| {
            all || !RunId::may_be_alive(r)
        });
    }
    Ok(removed)
}

/// Pods run in the node's network (no CNI) with their own PID namespace, as the kubelet sets a
/// pod up by default with `hostNetwork: true`.
fn namespaces() -> NamespaceOption {
    NamespaceOption {
        network: NamespaceMode::Node as i32,
        pid: NamespaceMode::Container as i32,
        ipc: NamespaceMode::Pod as i32,
        ..Default::default()
    }
}

/// The CRI takes capabilities as the kubelet passes `securityContext.capabilities`: without
/// the `CAP_` prefix (containerd adds it), `ALL` for all.
fn cri_cap(cap: &str) -> String {
    cap.strip_prefix("CAP_").unwrap_or(cap).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_catalog::record::{CaseRecord, Record};

    fn spec() -> ContainerSpec {
        ContainerSpec {
            case_timeout: Duration::from_secs(15),
            timeout: Duration::from_secs(100),
            ..ContainerSpec::new(SeccompMode::Unconfined)
        }
    }

    #[test]
    fn the_watch_stops_a_probe_all_in_after_the_grace_and_a_silent_one_by_the_watchdog() {
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        let mut w = Watch::new(t0);
        assert!(!w.look(at(1), 3, true, &spec()));
        assert!(!w.look(at(2), 3, true, &spec()), "within the grace");
        assert!(w.look(at(4), 3, true, &spec()));
        assert_eq!(w.stopped, Some(QuietEnd::AllIn));

        // A line now and then keeps the watchdog off; silence past it stops the container.
        let mut w = Watch::new(t0);
        assert!(!w.look(at(10), 1, false, &spec()));
        assert!(!w.look(at(24), 2, false, &spec()));
        assert!(!w.look(at(39), 2, false, &spec()));
        assert!(w.look(at(40), 2, false, &spec()));
        assert_eq!(w.stopped, Some(QuietEnd::Watchdog));

        // Lines all along, but past the whole run's limit.
        let mut w = Watch::new(t0);
        for s in (10..=100).step_by(10) {
            assert!(!w.look(at(s), s as usize, false, &spec()), "at {s} s");
        }
        assert!(w.look(at(101), 102, false, &spec()));
        assert_eq!(w.stopped, Some(QuietEnd::TimedOut));
    }

    #[test]
    fn every_expected_case_record_must_be_in_the_log() {
        let line = |id: &str| {
            let record = Record::Case(CaseRecord {
                id: id.to_string(),
                ..Default::default()
            });
            format!(
                "2026-12-05T01:00:00.000000000Z stdout F {}\n",
                serde_json::to_string(&record).unwrap()
            )
        };
        let log = format!(
            "{}2026-12-05T01:00:00.1Z stderr F getpid\n{}",
            line("mkdir"),
            line("setns")
        );
        let expect = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(all_records_in(log.as_bytes(), &expect(&["mkdir", "setns"])));
        assert!(!all_records_in(
            log.as_bytes(),
            &expect(&["mkdir", "getpid"])
        ));
        assert!(all_records_in(b"", &[]));
    }
}
