//! A run on a Kubernetes node's CRI runtime (`run --cri unix:///…/containerd.sock`): the same
//! plan, oracle and matrix as a Docker run, with each configuration in Kubernetes' terms
//! ([`seccomp_harness_core::cri`]: RuntimeDefault, Unconfined, Localhost profiles). This module
//! holds the node's I/O: the Localhost profiles written beside the node's socket, the pods, and
//! what the node reports it applied. The default capability set is the runtime's: containerd's
//! (`oci.defaultUnixCaps`) is Docker's 14.

use super::execute::{collect_results, probe_for, Collected, RunError, RunOptions, RunReport};
use super::finish::readings;
use super::prepare::{plan_for_engine, Choices};
use super::progress::Progress;
use crate::engine::cri::{node::CriEndpoint, pod, CriError, CriNode, PodRunner};
use crate::engine::{ContainerSpec, EngineError, Interrupted, RunId, SeccompMode};
use seccomp_harness_core::assemble::tally;
use seccomp_harness_core::cri::{
    applied_checks, as_node_reads, node_matrix, node_profiles, NodeProfile,
};
use seccomp_harness_core::plan::input::{CapSpec, LoadedProfile};
use seccomp_harness_core::plan::Plan;
use std::time::Instant;

/// Connects to the node at `url`, plans and runs `profiles` × `cap_sets`, and assembles the
/// matrix: the same prepare and finish steps as a Docker engine's run, with the profiles as
/// the node reads them ([`as_node_reads`], [`node_profiles`]) and, after the matrix, what
/// containerd reports it applied ([`applied_checks`]).
pub(crate) async fn execute_cri(
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
    // RuntimeDefault is predicted from containerd's default for the node's release, which runs
    // as a Localhost profile beside it, rendered per job as containerd builds it for the
    // container ([`node_profiles`]).
    let profiles = profiles.into_iter().map(as_node_reads).collect();
    let plan = plan_for_engine(
        profiles,
        cap_sets,
        &facts,
        node.url(),
        Choices::on_node(opts),
    )?;
    let probe = probe_for(opts, plan.arch, node.url())?;
    let images = node
        .ensure_images(probe, &facts.arch)
        .await
        .map_err(EngineError::from)?;
    let run_id = RunId::new();
    let runner = PodRunner::new(node.clone(), images, run_id.clone(), opts.parallel)
        .map_err(EngineError::from)?;
    let profiles = node_profiles(&plan, run_id.as_str());
    let seccomp = write_node_profiles(&runner, &profiles)?;
    let started = Instant::now();
    let collected = run_pods(&runner, &plan, &seccomp, run_id, opts).await?;
    let seconds = started.elapsed().as_secs_f64();
    let mut tally = tally(&plan, collected.jobs);
    let applied = applied_checks(&plan, &profiles, |i| runner.applied(&seccomp[i]));
    let matrix = node_matrix(
        &plan,
        &tally.results,
        &readings(&facts),
        applied,
        &collected.failed,
        &mut tally.diagnostics,
    );
    Ok(RunReport::of(
        matrix,
        facts,
        tally,
        seconds,
        Default::default(),
    ))
}

/// Writes each Localhost profile beside the node's socket; the seccomp option of each job's
/// container, in plan order.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
fn write_node_profiles(
    runner: &PodRunner,
    profiles: &[NodeProfile],
) -> Result<Vec<SeccompMode>, RunError> {
    let mut seccomp = Vec::with_capacity(profiles.len());
    for (i, profile) in profiles.iter().enumerate() {
        seccomp.push(match profile {
            NodeProfile::RuntimeDefault => SeccompMode::Builtin,
            NodeProfile::Unconfined => SeccompMode::Unconfined,
            NodeProfile::Localhost { sent, .. } => {
                let file = runner.write_profile(i, sent).map_err(EngineError::from)?;
                SeccompMode::ProfilePath(file.node.display().to_string())
            }
        });
    }
    Ok(seccomp)
}

/// Runs every job of the plan in its pod; on Ctrl-C, and on every other path too, nothing of
/// the run stays on the node.
async fn run_pods(
    runner: &PodRunner,
    plan: &Plan,
    seccomp: &[SeccompMode],
    run_id: RunId,
    opts: &RunOptions,
) -> Result<Collected, RunError> {
    let progress = Progress::new(opts.progress, plan.jobs.len());
    let futures = plan.jobs.iter().zip(seccomp).map(|(job, seccomp)| {
        let (cap_add, cap_drop) = plan.cap_sets[job.cap_set].engine_add_drop();
        let spec = ContainerSpec {
            cap_add,
            cap_drop,
            probe_args: job.probe_args.clone(),
            case_timeout: opts.case_timeout,
            ..ContainerSpec::new(seccomp.clone())
        };
        let label = plan.job_label(job.kind);
        let progress = &progress;
        async move {
            let cases = job.cases.as_ref().unwrap_or(&plan.case_ids);
            let t = Instant::now();
            let run = runner.run(&spec, cases).await;
            if let Ok(r) = &run {
                progress.job_done(&label, t.elapsed().as_secs_f64(), r.containers);
            }
            (job.kind, run)
        }
    });
    let runs = tokio::select! {
        runs = futures_util::future::join_all(futures) => runs,
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
    let swept = runner.finish().await;
    let collected = collect_results(plan, runs)?;
    swept.map_err(EngineError::from)?;
    Ok(collected)
}

/// `clean --cri URL`: removes the pod sandboxes (and their empty cgroups) of runs whose process
/// is gone, or of every run with `all`.
pub async fn clean_cri(url: &str, all: bool) -> Result<usize, CriError> {
    let node = CriNode::connect(url.parse()?).await?;
    pod::sweep(&node, None, all).await
}
