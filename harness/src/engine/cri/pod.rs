//! One probe container on a CRI node, as the kubelet would run it: its own pod sandbox (host
//! network, so no CNI; the sandbox's own seccomp Unconfined, so its pause process survives any
//! profile under test), the container with the configuration's `SecurityProfile`, and the
//! probe's output read from the CRI log file. The sandbox is stopped and removed on every path;
//! a run that is cancelled (Ctrl-C) or killed leaves sandboxes labelled with its run id, which
//! [`PodRunner::sweep`] and `seccomp-harness clean --cri` remove.

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
    ContainerError, ContainerOutcome, ContainerSpec, ProbeOutput, SeccompMode,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

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
    permits: Arc<Semaphore>,
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
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
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
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the runner's semaphore is never closed");
        run_configuration_with(case_ids, spec, self.limits, |args, expect| {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            async move { self.run_pod(seq, spec, &args, &expect).await }
        })
        .await
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

    // Over 80 lines: its phases are still to be split into named steps (issue #20).
    #[allow(clippy::too_many_lines)]
    async fn in_sandbox(
        &self,
        pod: &str,
        sandbox: &PodSandboxConfig,
        spec: &ContainerSpec,
        args: &[String],
        expect: &[String],
        log_host: &Path,
    ) -> Result<ContainerOutcome, ContainerError> {
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
        let id = match created {
            Ok(c) => c.container_id,
            // containerd reads and parses a Localhost profile here: a profile it refuses is
            // the configuration's result, like a runtime refusing to start.
            Err(CriError::Call { message, .. }) if message.contains("seccomp") => {
                return Ok(ContainerOutcome::StartFailed {
                    message: spec.scrub(&message),
                })
            }
            Err(e) => return Err(self.err("create the probe container in", pod, e)),
        };
        if let Err(e) = call(
            &url,
            "StartContainer",
            rt.start_container(StartContainerRequest {
                container_id: id.clone(),
            }),
        )
        .await
        {
            return match e {
                CriError::Call { message, .. } => Ok(ContainerOutcome::StartFailed {
                    message: spec.scrub(&message),
                }),
                e => Err(self.err("start", &id, e)),
            };
        }
        let log_file = log_host.join("probe.log");
        let started = Instant::now();
        let mut last_progress = Instant::now();
        let mut lines = 0usize;
        let mut complete_since: Option<Instant> = None;
        let (mut watchdog, mut timed_out, mut ended_by_harness) = (false, false, false);
        let status = loop {
            let status = call(
                &url,
                "ContainerStatus",
                rt.container_status(ContainerStatusRequest {
                    container_id: id.clone(),
                    verbose: false,
                }),
            )
            .await
            .map_err(|e| self.err("inspect", &id, e))?
            .status
            .unwrap_or_default();
            if status.state == ContainerState::ContainerExited as i32 {
                break status;
            }
            let bytes = std::fs::read(&log_file).unwrap_or_default();
            let now_lines = log::stdout_lines(&bytes);
            if now_lines > lines {
                lines = now_lines;
                last_progress = Instant::now();
            }
            let all_in = {
                let out = log::parse(&bytes);
                let text = String::from_utf8_lossy(&out.stdout);
                expect.iter().all(|id| {
                    text.lines().any(|l| {
                        matches!(
                            serde_json::from_str::<seccomp_catalog::record::Record>(l),
                            Ok(seccomp_catalog::record::Record::Case(r)) if &r.id == id
                        )
                    })
                })
            };
            let stop = if all_in {
                let since = *complete_since.get_or_insert_with(Instant::now);
                if since.elapsed() > EXIT_GRACE {
                    ended_by_harness = true;
                    true
                } else {
                    false
                }
            } else if last_progress.elapsed() > spec.case_timeout {
                watchdog = true;
                true
            } else if started.elapsed() > spec.timeout {
                timed_out = true;
                true
            } else {
                false
            };
            if stop {
                call(
                    &url,
                    "StopContainer",
                    rt.stop_container(StopContainerRequest {
                        container_id: id.clone(),
                        timeout: 0,
                    }),
                )
                .await
                .map_err(|e| self.err("stop", &id, e))?;
            }
            tokio::time::sleep(POLL).await;
        };
        self.record_applied(&id, &spec.seccomp).await;
        let streams = log::parse(&std::fs::read(&log_file).unwrap_or_default());
        Ok(ContainerOutcome::Exited(ProbeOutput {
            stdout: streams.stdout,
            stderr: streams.stderr,
            exit_code: i64::from(status.exit_code),
            timed_out,
            watchdog,
            ended_by_harness,
        }))
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
