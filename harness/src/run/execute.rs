//! Runs a plan on the engine: facts, the probe image, every container of the plan in parallel
//! (bounded), and cleanup on every path including Ctrl-C.

use super::assemble::{assemble, JobResult, JobResults, NotRun};
use super::calibration::calibrate;
use super::input::{CapSpec, LoadedProfile};
use super::plan::{self, JobKind, Plan, PlanError, Seccomp};
use crate::engine::{
    self, CaseResult, ContainerSpec, Engine, EngineError, EngineFacts, Interrupted, RunId, Runner,
    SeccompMode,
};
use crate::matrix::Matrix;
use crate::profile::KernelVersion;
use seccomp_catalog::Arch;
use std::io::IsTerminal;
use std::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// Bad input: exit 2.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The environment: exit 3.
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the engine reports arch {0:?}, which the catalog does not cover (x86_64, aarch64)")]
    UnsupportedArch(String),
    /// No `--probe` and no probe for the engine's arch in this build: exit 3.
    #[error(
        "the engine at {host} runs on {arch} but this build embeds no probe for it (it has: {embedded}); {hint}",
        arch = .arch.uname(),
        hint = crate::probe_binary::how_to_get(*.arch)
    )]
    NoProbe {
        arch: Arch,
        host: String,
        embedded: String,
    },
    #[error("cannot read the engine's kernel version {release:?}: {message}")]
    Kernel { release: String, message: String },
    #[error(transparent)]
    Interrupted(#[from] Interrupted),
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub docker_host: Option<String>,
    /// Probe bytes to use instead of the embedded probe for the engine's arch (`--probe PATH`).
    pub probe: Option<Vec<u8>>,
    pub parallel: usize,
    /// Case ids to run; empty for all.
    pub cases: Vec<String>,
    /// Progress lines on stderr.
    pub progress: bool,
    /// The watchdog: how long the probe may go without a record.
    pub case_timeout: std::time::Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            docker_host: None,
            probe: None,
            parallel: engine::runner::default_concurrency(),
            cases: Vec::new(),
            progress: std::io::stderr().is_terminal(),
            case_timeout: engine::container::DEFAULT_CASE_TIMEOUT,
        }
    }
}

/// What a finished run hands back besides the matrix.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub matrix: Matrix,
    pub facts: EngineFacts,
    pub containers: usize,
    pub seconds: f64,
}

/// Connects, plans and runs `profiles` × `cap_sets`, and assembles the matrix.
pub async fn execute(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let engine = Engine::connect(opts.docker_host.as_deref())
        .await
        .map_err(EngineError::from)?;
    let facts = engine.facts().await.map_err(EngineError::from)?;
    facts
        .require_seccomp(engine.host())
        .map_err(EngineError::from)?;
    let arch =
        Arch::parse(&facts.arch).ok_or_else(|| RunError::UnsupportedArch(facts.arch.clone()))?;
    let kernel = KernelVersion::parse_release(&facts.kernel).map_err(|e| RunError::Kernel {
        release: facts.kernel.clone(),
        message: e.to_string(),
    })?;
    let honours =
        crate::profile::engine_honours_default_errno_ret(&facts.engine, &facts.engine_version);
    let runtime =
        crate::profile::Runtime::parse(&facts.default_runtime, facts.runtime_version.as_deref());
    let plan = plan::plan(
        profiles,
        cap_sets,
        arch,
        kernel,
        honours,
        runtime,
        &opts.cases,
    )?;

    let probe = match opts.probe.as_deref() {
        Some(probe) => probe,
        None => crate::probe_binary::for_arch(arch).ok_or_else(|| RunError::NoProbe {
            arch,
            host: engine.host().to_string(),
            embedded: crate::probe_binary::embedded_arches()
                .iter()
                .map(|a| a.uname())
                .collect::<Vec<_>>()
                .join(", "),
        })?,
    };
    let image = engine
        .ensure_probe_image(probe, Some(&facts.arch))
        .await
        .map_err(EngineError::from)?;
    let run_id = RunId::new();
    let runner = Runner::new(engine.clone(), image, run_id.clone(), opts.parallel.max(1));
    let started = Instant::now();
    let results =
        engine::with_interrupt_cleanup(&engine, &run_id, run_jobs(&runner, &plan, opts)).await??;
    let seconds = started.elapsed().as_secs_f64();
    let containers = results.iter().map(|(_, _, n)| n).sum();
    let results: JobResults = results.into_iter().map(|(k, r, _)| (k, r)).collect();
    // Predictions need the calibration's measurement of the runtime's libseccomp.
    let unknown = plan
        .calibration
        .as_ref()
        .zip(results.get(&JobKind::Calibration))
        .and_then(|(c, r)| calibrate(c, r));
    let predictions = plan.predict(unknown.as_ref().unwrap_or(&Default::default()));
    let baseline_host = results
        .get(&JobKind::Baseline { cap_set: 0 })
        .and_then(|r| r.host.as_ref());
    let mut host = facts.host_facts(baseline_host);
    host.seccomp.runtime_unknown_syscalls = unknown.map(|u| u.into_iter().collect());
    let matrix = assemble(&plan, &predictions, &results, host);
    Ok(RunReport {
        matrix,
        facts,
        containers,
        seconds,
    })
}

async fn run_jobs(
    runner: &Runner,
    plan: &Plan,
    opts: &RunOptions,
) -> Result<Vec<(JobKind, JobResult, usize)>, RunError> {
    let total = plan.jobs.len();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let futures = plan.jobs.iter().map(|job| {
        let caps = &plan.cap_sets[job.cap_set];
        let (cap_add, cap_drop) = caps.engine_add_drop();
        let spec = ContainerSpec {
            cap_add,
            cap_drop,
            probe_flags: job.probe_flags.clone(),
            case_timeout: opts.case_timeout,
            ..ContainerSpec::new(match &job.seccomp {
                Seccomp::Builtin => SeccompMode::Builtin,
                Seccomp::Unconfined => SeccompMode::Unconfined,
                Seccomp::Json(j) => SeccompMode::Profile(j.clone()),
            })
        };
        let label = job_label(plan, job.kind);
        let done = &done;
        async move {
            let cases = job.cases.as_ref().unwrap_or(&plan.case_ids);
            let run = runner.run(&spec, cases).await;
            if opts.progress {
                let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
                eprintln!("[{n}/{total}] {label}");
            }
            (job.kind, run)
        }
    });
    let runs = futures_util::future::join_all(futures).await;
    let mut out = Vec::with_capacity(runs.len());
    for (kind, run) in runs {
        let run = run.map_err(EngineError::from)?;
        let mut result = JobResult {
            host: run.host,
            start_error: run.start_error,
            ..Default::default()
        };
        for case in run.cases {
            match case {
                CaseResult::Ran(rec) => {
                    result.records.insert(rec.id.clone(), rec);
                }
                CaseResult::NotRun { id, reason } => {
                    let not_run = NotRun {
                        message: reason.to_string(),
                        before_first_case: reason.before_first_case(),
                    };
                    result.not_run.insert(id, not_run);
                }
            }
        }
        out.push((kind, result, run.containers));
    }
    Ok(out)
}

fn job_label(plan: &Plan, kind: plan::JobKind) -> String {
    match kind {
        plan::JobKind::Baseline { cap_set } => {
            format!(
                "baseline (unconfined{})",
                plan.cap_sets[cap_set].changes.concat()
            )
        }
        plan::JobKind::AsIs { configuration } => plan.configurations[configuration].id.clone(),
        plan::JobKind::Tagged { configuration } => {
            format!("{} (tagged)", plan.configurations[configuration].id)
        }
        plan::JobKind::Calibration => "calibration (names the runtime's libseccomp knows)".into(),
    }
}
