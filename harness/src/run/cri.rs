//! A run on a Kubernetes node's CRI runtime (`run --cri unix:///…/containerd.sock`): the same
//! plan, oracle and matrix as a Docker run, with each configuration in Kubernetes' terms:
//! `builtin` is the node's RuntimeDefault (named `runtime-default` in the matrix), `unconfined`
//! is Unconfined, and a profile file is a Localhost profile written beside the node's socket and
//! predicted as containerd reads it (`profile::node`: Docker-only fields dropped). The default
//! capability set is the runtime's: containerd's (`oci.defaultUnixCaps`) is Docker's 14.

use super::assemble::assemble;
use super::calibration::calibrate;
use super::execute::{collect_results, probe_for, RunError, RunOptions, RunReport};
use super::input::{CapSpec, LoadedProfile, ProfileKind};
use super::plan::{self, JobKind, PlannedRuntime, Seccomp};
use super::progress::Progress;
use crate::engine::cri::{node::CriEndpoint, pod, CriError, CriNode, PodRunner};
use crate::engine::{ContainerSpec, EngineError, Interrupted, RunId, SeccompMode};
use seccomp_catalog::Arch;
use seccomp_harness_core::matrix::Verdict;
use seccomp_harness_core::profile::KernelVersion;
use std::time::Instant;

/// The configuration name of a node's own default profile.
pub const RUNTIME_DEFAULT: &str = "runtime-default";

/// Connects to the node at `url`, plans and runs `profiles` × `cap_sets`, and assembles the
/// matrix.
// Over 80 lines: its phases are still to be split into named steps (issue #20).
#[allow(clippy::too_many_lines)]
pub async fn execute_cri(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    url: &str,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let endpoint: CriEndpoint = url.parse().map_err(EngineError::from)?;
    let node = CriNode::connect(endpoint)
        .await
        .map_err(EngineError::from)?;
    let facts = node.facts();
    let arch =
        Arch::parse(&facts.arch).ok_or_else(|| RunError::UnsupportedArch(facts.arch.clone()))?;
    let kernel = KernelVersion::parse_release(&facts.kernel).map_err(|e| RunError::Kernel {
        release: facts.kernel.clone(),
        message: e.to_string(),
    })?;
    let mut profiles: Vec<LoadedProfile> = profiles.into_iter().map(as_node_reads).collect();
    // RuntimeDefault is predicted from containerd's default for the node's release, which runs
    // as a Localhost profile beside it, rendered per job as containerd builds it for the
    // container (its conditions resolved: the node would drop them from a file).
    let upstream = super::input::add_upstream_beside_builtin(
        &mut profiles,
        &facts.engine,
        &facts.engine_version,
    )?;
    let runtime = PlannedRuntime::default_of(seccomp_harness_core::runtime::Runtime::parse(
        &facts.default_runtime,
        facts.runtime_version.as_deref(),
    ));
    // runc honours the OCI defaultErrnoRet that containerd passes through.
    let mut plan = plan::plan(
        profiles,
        cap_sets,
        arch,
        kernel,
        true,
        vec![runtime],
        // Held-back profiles stay held back on a node: freeing a hung runc (engine/hung.rs)
        // is done for a Docker engine's containers only, so --start-held-back is not applied.
        plan::Selection::cases(&opts.cases),
    )?;
    plan.kernel_sublevel = KernelVersion::sublevel_of(&facts.kernel);
    if let Err(why) = upstream {
        plan.builtin_upstream = Err(why.to_string());
    }
    let probe = probe_for(opts, arch, node.url())?;
    let images = node
        .ensure_images(probe, &facts.arch)
        .await
        .map_err(EngineError::from)?;
    let run_id = RunId::new();
    let runner = PodRunner::new(node.clone(), images, run_id.clone(), opts.parallel)
        .map_err(EngineError::from)?;
    let mut seccomp = Vec::with_capacity(plan.jobs.len());
    // Per job, the JSON the node was given, and for the upstream default's jobs the rendered
    // JSON before its salt: what the node's RuntimeDefault should apply.
    let mut sent: Vec<Option<String>> = vec![None; plan.jobs.len()];
    let mut rendered_defaults: Vec<Option<String>> = vec![None; plan.jobs.len()];
    for (i, job) in plan.jobs.iter().enumerate() {
        seccomp.push(match &job.seccomp {
            Seccomp::Builtin => SeccompMode::Builtin,
            Seccomp::Unconfined => SeccompMode::Unconfined,
            Seccomp::Json(j) => {
                let rendered;
                let j = match job.kind {
                    JobKind::AsIs { configuration } | JobKind::Tagged { configuration }
                        if plan.builtin_upstream.as_ref().ok()
                            == Some(&plan.configurations[configuration].profile) =>
                    {
                        let host = plan.host(job.cap_set, job.runtime, &Default::default());
                        let file = &plan.profiles[plan.configurations[configuration].profile];
                        rendered = seccomp_harness_core::profile::node::rendered_for_node(
                            j,
                            &file.source,
                            &host,
                        )
                        .map_err(|e| RunError::Upstream(e.to_string()))?;
                        rendered_defaults[i] = Some(rendered.clone());
                        &rendered
                    }
                    _ => j,
                };
                let salt = seccomp_harness_core::profile::salt::salt_for(run_id.as_str(), i);
                let json = seccomp_harness_core::profile::salt::salted(j, salt, true);
                let file = runner.write_profile(i, &json).map_err(EngineError::from)?;
                sent[i] = Some(json);
                SeccompMode::ProfilePath(file.node.display().to_string())
            }
        });
    }
    let started = Instant::now();
    let progress = Progress::new(opts.progress, plan.jobs.len());
    let plan_ref = &plan;
    let (runner_ref, progress_ref, seccomp_ref) = (&runner, &progress, &seccomp);
    let work = async move {
        let plan = plan_ref;
        let futures = plan.jobs.iter().zip(seccomp_ref).map(|(job, seccomp)| {
            let (cap_add, cap_drop) = plan.cap_sets[job.cap_set].engine_add_drop();
            let spec = ContainerSpec {
                cap_add,
                cap_drop,
                probe_args: job.probe_args.clone(),
                case_timeout: opts.case_timeout,
                ..ContainerSpec::new(seccomp.clone())
            };
            let label = super::execute::job_label(plan, job.kind);
            let (runner, progress) = (runner_ref, progress_ref);
            async move {
                let cases = job.cases.as_ref().unwrap_or(&plan.case_ids);
                let t = Instant::now();
                let run = runner.run(&spec, cases).await;
                if let Ok(r) = &run {
                    progress.job_done(&label, t.elapsed().as_secs_f64(), r.containers);
                }
                (job.kind, label, run)
            }
        });
        futures_util::future::join_all(futures).await
    };
    let runs = tokio::select! {
        runs = work => runs,
        signal = crate::engine::cleanup::interrupt_signal() => {
            let (removed, cleanup_error) = match runner.finish().await {
                Ok(n) => (n, None),
                Err(e) => (0, Some(e.to_string())),
            };
            return Err(RunError::Interrupted(Interrupted {
                signal,
                run: run_id,
                removed,
                cleanup_error,
            }));
        }
    };
    progress.finish();
    // On every other path too: nothing of the run stays on the node.
    let swept = runner.finish().await;
    let (results, failed) = collect_results(runs)?;
    swept.map_err(EngineError::from)?;
    let seconds = started.elapsed().as_secs_f64();
    let super::assemble::Tally {
        containers,
        containers_by_job,
        results,
        mut diagnostics,
    } = super::assemble::tally(results);
    let unknown: std::collections::BTreeMap<usize, _> = plan
        .calibration
        .as_ref()
        .and_then(|c| {
            let r = results.get(&JobKind::Calibration { runtime: 0 })?;
            Some((0, calibrate(c, r)?.unknown))
        })
        .into_iter()
        .collect();
    let predictions = plan.predict(&unknown);
    let baseline_host = results
        .get(&JobKind::Baseline {
            cap_set: 0,
            runtime: 0,
        })
        .and_then(|r| r.host.as_ref());
    let mut host = facts.host_facts(baseline_host);
    host.seccomp.runtime_unknown_syscalls = unknown.get(&0).map(|u| u.iter().cloned().collect());
    let mut matrix = assemble(&plan, &predictions, &results, host);
    for (c, differences) in applied_checks(&plan, &seccomp, &sent, &rendered_defaults, &runner) {
        let id = &plan.configurations[c].id;
        let note = format!(
            "containerd applied (ContainerStatus verbose) another seccomp object than predicted: {}",
            differences.join("; ")
        );
        for cell in matrix
            .cells
            .iter_mut()
            .filter(|cell| &cell.configuration == id && cell.verdict != Verdict::Pass)
        {
            cell.observed.note = Some(match cell.observed.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note.clone(),
            });
        }
        diagnostics.push((id.clone(), differences));
    }
    super::assemble::leave_out_failed(&mut matrix, &plan, &failed);
    Ok(RunReport {
        matrix,
        facts,
        containers,
        containers_by_job,
        seconds,
        diagnostics,
        timings: Default::default(),
    })
}

/// Per configuration whose applied seccomp object was recorded, how it differs from the
/// prediction (only those that differ): RuntimeDefault against containerd's default for the
/// release rendered for the container, a Localhost profile against the file as containerd
/// reads it, Unconfined against no filter.
fn applied_checks(
    plan: &plan::Plan,
    seccomp: &[SeccompMode],
    sent: &[Option<String>],
    rendered_defaults: &[Option<String>],
    runner: &PodRunner,
) -> Vec<(usize, Vec<String>)> {
    use seccomp_harness_core::profile::node::{applied_differences, as_containerd_reads};
    let job_of = |kind: JobKind| plan.jobs.iter().position(|j| j.kind == kind);
    let parse = |text: &str| seccomp_harness_core::profile::parse_str(text, "applied").ok();
    let mut out = Vec::new();
    for (c, conf) in plan.configurations.iter().enumerate() {
        let Some(i) = job_of(plan.as_is_job(c)) else {
            continue;
        };
        let Some(applied) = runner.applied(&seccomp[i]) else {
            continue;
        };
        let predicted = match &plan.profiles[conf.profile].kind {
            ProfileKind::Unconfined => None,
            ProfileKind::Builtin => {
                let Some(u) = plan.upstream_configuration(conf.cap_set, conf.runtime) else {
                    continue;
                };
                let Some(text) = job_of(JobKind::AsIs { configuration: u })
                    .and_then(|j| rendered_defaults[j].as_deref())
                else {
                    continue;
                };
                parse(text)
            }
            ProfileKind::File { .. } => sent[i]
                .as_deref()
                .and_then(parse)
                .map(|p| as_containerd_reads(&p)),
        };
        let differences = match (predicted, applied) {
            (None, None) => Vec::new(),
            (Some(_), None) => vec!["no filter where one was predicted".to_string()],
            (None, Some(_)) => vec!["a filter where none was predicted".to_string()],
            (Some(p), Some(a)) => match parse(&a.to_string()) {
                Some(a) => applied_differences(&p, &a),
                None => vec![format!("an object the harness can't read: {a}")],
            },
        };
        if !differences.is_empty() {
            out.push((c, differences));
        }
    }
    out
}

/// A profile of the run as the node takes it: `builtin` is named `runtime-default`, and a
/// file's model is what containerd reads (the JSON the node gets is the file as written).
fn as_node_reads(mut p: LoadedProfile) -> LoadedProfile {
    match &mut p.kind {
        ProfileKind::Builtin => p.name = RUNTIME_DEFAULT.to_string(),
        ProfileKind::Unconfined => {}
        ProfileKind::File {
            profile, tagged, ..
        } => {
            *profile = seccomp_harness_core::profile::node::as_containerd_reads(profile);
            tagged.profile =
                seccomp_harness_core::profile::node::as_containerd_reads(&tagged.profile);
        }
    }
    p
}

/// `clean --cri URL`: removes the pod sandboxes (and their empty cgroups) of runs whose process
/// is gone, or of every run with `all`.
pub async fn clean_cri(url: &str, all: bool) -> Result<usize, CriError> {
    let node = CriNode::connect(url.parse()?).await?;
    pod::sweep(&node, None, all).await
}
