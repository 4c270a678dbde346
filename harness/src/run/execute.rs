//! Runs a plan on the engine: facts, the probe image, every container of the plan in parallel
//! (bounded), and cleanup on every path including Ctrl-C.

use super::assemble::{assemble, JobResult, NotRun};
use super::calibration::calibrate;
use super::input::{CapSpec, LoadedProfile};
use super::plan::{self, JobKind, Plan, PlanError, PlannedRuntime, Seccomp};
use super::progress::Progress;
use crate::engine::podman::{self, PodmanInfo};
use crate::engine::{
    self, CaseResult, ContainerSpec, Engine, EngineError, EngineFacts, Interrupted, ProfileFiles,
    RunId, Runner, SeccompMode,
};
use seccomp_catalog::Arch;
use seccomp_harness_core::configuration_id::ConfigurationId;
use seccomp_harness_core::engine_kind::EngineKind;
use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::profile::KernelVersion;
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
    /// Bad input: exit 2.
    #[error("the engine at {host} has no runtime {name:?} (it has: {registered}); `--runtime` takes names from `docker info`'s Runtimes")]
    UnknownRuntime {
        host: String,
        name: String,
        registered: String,
    },
    /// A bug in the compiled-in data, not the user's input.
    #[error("containerd's default profile data can't be rendered for the node ({0}): regenerate it with ci/gen-containerd-defaults.sh")]
    Upstream(String),
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    pub docker_host: Option<String>,
    /// Probe bytes to use instead of the embedded probe for the engine's arch (`--probe PATH`).
    pub probe: Option<Vec<u8>>,
    pub parallel: usize,
    /// Case ids to run; empty for all.
    pub cases: Vec<String>,
    /// A progress bar on stderr (only meant for a terminal: see [`Progress`]).
    pub progress: bool,
    /// The watchdog: how long the probe may go without a record.
    pub case_timeout: std::time::Duration,
    /// Runtimes to run every configuration on (`--runtime runc,crun`), by the engine's
    /// names; empty for the engine's default runtime (configuration ids then carry none).
    pub runtimes: Vec<String>,
    /// Run the cases the profiles' argument conditions generate ([`seccomp_harness_core::coverage::generate`]);
    /// off only to measure what they cost (the benchmark).
    pub generated_cases: bool,
    /// Start profiles the oracle holds back (a kill on a call runc makes after loading the
    /// filter hangs runc 1.1.5, 1.1.15 and 1.3.6 for good): the start's deadline and the
    /// cleanup turn the hang into an observation. For an engine the user can disturb.
    pub start_held_back: bool,
    /// OCI annotations for every container of the run (`--gvisor-oci-seccomp-annotation`).
    pub annotations: std::collections::HashMap<String, String>,
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
            runtimes: Vec::new(),
            generated_cases: true,
            start_held_back: false,
            annotations: std::collections::HashMap::new(),
        }
    }
}

/// What a finished run hands back besides the matrix.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub matrix: Matrix,
    pub facts: EngineFacts,
    pub containers: usize,
    /// The containers of each job (a configuration, a baseline, a tagged copy, the
    /// calibration), by its label: more than one means restarts.
    pub containers_by_job: Vec<(String, usize)>,
    pub seconds: f64,
    /// What each container run saw but could not use (`run --diagnostics`), by job.
    pub diagnostics: Vec<(String, Vec<String>)>,
    /// Where the run's time went (`run --diagnostics`).
    pub timings: Timings,
}

/// Where a run's time went, for `run --diagnostics`: what a user asks when a run is slower
/// than the containers it needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// Each phase and its seconds, in the order they ran.
    pub phases: Vec<(&'static str, f64)>,
    /// Each job (by its label): its containers and when it finished, in seconds from the
    /// start of the containers phase, in the order they finished.
    pub jobs: Vec<(String, usize, f64)>,
    /// How many containers could run at once.
    pub parallel: usize,
}

impl Timings {
    /// The lines `run --diagnostics` prints.
    pub fn lines(&self) -> Vec<String> {
        if self.phases.is_empty() {
            return Vec::new();
        }
        let mut out = vec![self
            .phases
            .iter()
            .map(|(name, s)| format!("{name} {s:.2} s"))
            .collect::<Vec<_>>()
            .join(", ")];
        out.push(format!(
            "jobs, at most {} containers at once, by when they finished:",
            self.parallel
        ));
        out.extend(self.jobs.iter().map(|(label, containers, at)| {
            let plural = if *containers == 1 { "" } else { "s" };
            format!("  {at:6.2} s  {label} ({containers} container{plural})")
        }));
        out
    }
}

/// Connects, plans and runs `profiles` × `cap_sets`, and assembles the matrix.
// Over 80 lines: its phases are still to be split into named steps (issue #20).
#[allow(clippy::too_many_lines)]
pub async fn execute(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let mut phase = Instant::now();
    let mut timings = Timings {
        parallel: opts.parallel.max(1),
        ..Timings::default()
    };
    let mut phase_done = |name: &'static str, timings: &mut Timings| {
        timings.phases.push((name, phase.elapsed().as_secs_f64()));
        phase = Instant::now();
    };
    let engine = Engine::connect(opts.docker_host.as_deref())
        .await
        .map_err(EngineError::from)?;
    // The probe the engine most likely needs (`--probe`, else this host's arch's) is looked
    // up while the facts are asked: two round trips at once, where a loaded engine takes
    // 50-100 ms for each. Only a lookup: the facts decide, below, which probe is used.
    let guess = opts
        .probe
        .as_deref()
        .or_else(|| crate::probe_binary::for_arch(Arch::native()));
    let (facts, found) = tokio::join!(engine.facts(), async {
        match guess {
            Some(probe) => engine.find_probe_image(probe).await.ok().flatten(),
            None => None,
        }
    });
    let facts = facts.map_err(EngineError::from)?;
    phase_done("connect, facts and image lookup", &mut timings);
    facts
        .require_seccomp(engine.host())
        .map_err(EngineError::from)?;
    // Podman: profiles go by path, which needs a local socket; its default caps differ.
    let podman_info = if facts.kind() == Some(EngineKind::Podman) {
        let socket = podman::unix_socket(engine.host()).ok_or_else(|| {
            EngineError::from(engine::PodmanError::Remote {
                host: engine.host().to_string(),
            })
        })?;
        Some((
            socket.to_path_buf(),
            podman::libpod_info(socket)
                .await
                .map_err(EngineError::from)?,
        ))
    } else {
        None
    };
    let arch =
        Arch::parse(&facts.arch).ok_or_else(|| RunError::UnsupportedArch(facts.arch.clone()))?;
    let kernel = KernelVersion::parse_release(&facts.kernel).map_err(|e| RunError::Kernel {
        release: facts.kernel.clone(),
        message: e.to_string(),
    })?;
    let honours = seccomp_harness_core::profile::engine_honours_default_errno_ret(
        &facts.engine,
        &facts.engine_version,
    );
    let runtimes =
        planned_runtimes(&facts, &opts.runtimes).map_err(|name| RunError::UnknownRuntime {
            host: engine.host().to_string(),
            name,
            registered: facts.runtimes.join(", "),
        })?;
    // builtin is predicted from upstream's default for the engine's release, which runs as a
    // file configuration beside it.
    let mut profiles = profiles;
    let upstream = super::input::add_upstream_beside_builtin(
        &mut profiles,
        &facts.engine,
        &facts.engine_version,
    )?;
    let mut plan = plan::plan(
        profiles,
        cap_sets,
        arch,
        kernel,
        honours,
        runtimes,
        plan::Selection {
            cases: &opts.cases,
            start_held_back: opts.start_held_back,
        },
    )?;
    plan.kernel_sublevel = KernelVersion::sublevel_of(&facts.kernel);
    if !opts.generated_cases {
        plan.drop_generated();
    }

    if let Err(why) = upstream {
        plan.builtin_upstream = Err(why.to_string());
    }

    phase_done("plan", &mut timings);
    let probe = probe_for(opts, arch, engine.host())?;
    let same_probe = guess.is_some_and(|g| std::ptr::eq(g, probe));
    let arch_fits = crate::engine::image::elf_arch(probe)
        .is_none_or(|a| crate::engine::image::same_arch(a, &facts.arch));
    let image = match found {
        Some(image) if same_probe && arch_fits => image,
        _ => engine
            .ensure_probe_image(probe, Some(&facts.arch))
            .await
            .map_err(EngineError::from)?,
    };
    phase_done("probe image", &mut timings);
    let run_id = RunId::new();
    // Every profile the engine gets carries a salt unique to the run and job (crun caches
    // filters under a checksum without errnoRet: profile/salt.rs).
    let mut files = match &podman_info {
        Some((socket, info)) => Some(
            ProfileFiles::create(socket, info.socket_path.as_deref(), &run_id)
                .map_err(EngineError::from)?,
        ),
        None => None,
    };
    let mut seccomp = Vec::with_capacity(plan.jobs.len());
    for (i, job) in plan.jobs.iter().enumerate() {
        seccomp.push(match &job.seccomp {
            Seccomp::Builtin => SeccompMode::Builtin,
            Seccomp::Unconfined => SeccompMode::Unconfined,
            Seccomp::Json(j) => {
                let salt = seccomp_harness_core::profile::salt::salt_for(run_id.as_str(), i);
                let json = seccomp_harness_core::profile::salt::salted(
                    j,
                    salt,
                    plan.honours_default_errno_ret,
                );
                match files.as_mut() {
                    Some(f) => {
                        SeccompMode::ProfilePath(f.path_for(&json).map_err(EngineError::from)?)
                    }
                    None => SeccompMode::Profile(json),
                }
            }
        });
    }
    let podman_caps = podman_info.as_ref().map(|(_, i)| i);
    let runner = Runner::new(engine.clone(), image, run_id.clone(), opts.parallel.max(1))
        .rebuilding_from(probe, &facts.arch);
    let started = Instant::now();
    let work = run_jobs(&runner, &plan, &seccomp, podman_caps, opts);
    let results = engine::with_interrupt_cleanup(&engine, &run_id, work).await;
    if matches!(&results, Ok(Err(_)))
        || matches!(&results, Ok(Ok(((_, failed), _))) if !failed.is_empty())
    {
        // An engine error mid-run (a create the client gave up on while the daemon went on, as
        // seen once on a loaded lab engine) can leave a container: sweep the run's label.
        // Bounded: an engine that died does not answer the sweep either (`clean` removes what
        // is left once it is back).
        let sweep = engine::remove_containers(&engine, engine::cleanup::Sweep::Run(&run_id));
        let _ = tokio::time::timeout(SWEEP_TIMEOUT, sweep).await;
    }
    // The profile files go once no container of the run is left (on every path, Ctrl-C
    // included: the interrupt sweep above removed the containers).
    drop(files);
    let ((results, failed), finished) = results??;
    let seconds = started.elapsed().as_secs_f64();
    phase_done("containers", &mut timings);
    timings.jobs = finished;
    let super::assemble::Tally {
        containers,
        containers_by_job,
        results,
        diagnostics,
    } = super::assemble::tally(results);
    // Predictions need the calibration's measurement of the runtime's libseccomp.
    let calibrated: std::collections::BTreeMap<usize, _> = (0..plan.runtimes.len())
        .filter_map(|rt| {
            let c = plan.calibration_for(rt)?;
            let r = results.get(&JobKind::Calibration { runtime: rt })?;
            Some((rt, calibrate(c, r)?))
        })
        .collect();
    let unknown: std::collections::BTreeMap<usize, _> = calibrated
        .iter()
        .map(|(rt, c)| (*rt, c.unknown.clone()))
        .collect();
    let predictions = plan.predict(&unknown);
    // The host's facts come from a baseline the host kernel ran: gVisor's Sentry reports its
    // own (kernel 4.4.0, no /proc/config.gz), so a runsc baseline is never asked.
    let baseline_host = (0..plan.runtimes.len())
        .find(|&rt| !seccomp_harness_core::runtime::gvisor::is_gvisor(&plan.runtimes[rt].model))
        .and_then(|rt| {
            results.get(&JobKind::Baseline {
                cap_set: 0,
                runtime: rt,
            })
        })
        .and_then(|r| r.host.as_ref());
    let mut host = facts.host_facts(baseline_host);
    host.seccomp.runtime_unknown_syscalls = unknown.get(&0).map(|u| u.iter().cloned().collect());
    host.seccomp.not_enforced = calibrated
        .iter()
        .filter_map(|(rt, c)| {
            let measured = c.not_enforced.as_ref()?;
            let runtime = &plan.runtimes[*rt];
            let why = match &runtime.unenforced_cause {
                Some(cause) => format!("{measured}; {cause}"),
                None => measured.clone(),
            };
            Some((runtime.engine_name().to_string(), why))
        })
        .collect();
    host.seccomp.errno_rewritten = calibrated
        .iter()
        .filter(|(_, c)| c.errno_rewritten)
        .map(|(rt, _)| plan.runtimes[*rt].engine_name().to_string())
        .collect();
    let mut matrix = assemble(&plan, &predictions, &results, host);
    matrix.coverage = plan.coverage(&matrix, &unknown);
    super::assemble::leave_out_failed(&mut matrix, &plan, &failed);
    phase_done("predictions and matrix", &mut timings);
    Ok(RunReport {
        matrix,
        facts,
        containers,
        containers_by_job,
        seconds,
        diagnostics,
        timings,
    })
}

/// The runtimes of a run: the engine's default, or each named one that the engine has (else
/// the first name it lacks).
fn planned_runtimes(facts: &EngineFacts, named: &[String]) -> Result<Vec<PlannedRuntime>, String> {
    let with_command = |rt: PlannedRuntime, name: &str| match facts.runtime_commands.get(name) {
        Some(c) => rt.with_command(&c.path, &c.args),
        None => rt,
    };
    if named.is_empty() {
        return Ok(vec![with_command(
            PlannedRuntime::default_of(seccomp_harness_core::runtime::Runtime::parse(
                &facts.default_runtime,
                facts.runtime_version.as_deref(),
            )),
            &facts.default_runtime,
        )]);
    }
    named
        .iter()
        .map(|name| {
            // An engine that lists no runtimes (an old API) is taken at its word later.
            if !facts.runtimes.is_empty() && !facts.runtimes.contains(name) {
                return Err(name.clone());
            }
            Ok(with_command(
                PlannedRuntime::named(name, facts.runtime_versions.get(name).map(String::as_str)),
                name,
            ))
        })
        .collect()
}

/// The jobs' results in plan order with the jobs that failed, and when each job finished
/// ([`Timings::jobs`]).
type JobRuns = (Collected, Vec<(String, usize, f64)>);

async fn run_jobs(
    runner: &Runner,
    plan: &Plan,
    seccomp: &[SeccompMode],
    podman: Option<&PodmanInfo>,
    opts: &RunOptions,
) -> Result<JobRuns, RunError> {
    let progress = Progress::new(opts.progress, plan.jobs.len());
    let phase = Instant::now();
    let finished = std::sync::Mutex::new(Vec::new());
    // The runner hands out its slots in the order jobs ask (tokio's semaphore is fair), so
    // asking in the plan's start order starts the long jobs first.
    let order = plan.start_order();
    let futures = order.iter().map(|&j| {
        let (job, seccomp) = (&plan.jobs[j], &seccomp[j]);
        let caps = &plan.cap_sets[job.cap_set];
        // Podman's default set is not Docker's: name every difference.
        let (cap_add, cap_drop) = match podman {
            Some(p) => podman::cap_changes(caps.caps.iter().map(str::to_string), &p.default_caps),
            None => caps.engine_add_drop(),
        };
        let spec = ContainerSpec {
            cap_add,
            cap_drop,
            probe_args: job.probe_args.clone(),
            case_timeout: opts.case_timeout,
            runtime: plan.runtimes[job.runtime].name.clone(),
            annotations: opts.annotations.clone(),
            // A held-back profile started on purpose hangs runc for good: no second wait.
            retry_hung_start: !held_back(plan, job.kind),
            ..ContainerSpec::new(seccomp.clone())
        };
        let label = job_label(plan, job.kind);
        let (progress, finished) = (&progress, &finished);
        async move {
            let cases = job.cases.as_ref().unwrap_or(&plan.case_ids);
            let started = Instant::now();
            let run = if job.parts.is_empty() {
                runner.run(&spec, cases).await
            } else {
                // The containers an in-process job's restarts would start one after another,
                // started at once (`plan::in_process_parts`).
                let parts = job.parts.iter().map(|part| runner.run(&spec, part));
                futures_util::future::join_all(parts)
                    .await
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map(|parts| engine::ConfigurationRun::merge(cases, parts))
            };
            if let Ok(r) = &run {
                progress.job_done(&label, started.elapsed().as_secs_f64(), r.containers);
                finished.lock().expect("timings lock").push((
                    label.clone(),
                    r.containers,
                    phase.elapsed().as_secs_f64(),
                ));
            }
            (job.kind, label, run)
        }
    });
    let mut runs: Vec<_> = order
        .iter()
        .zip(futures_util::future::join_all(futures).await)
        .collect();
    progress.finish();
    runs.sort_by_key(|(j, _)| **j);
    let results = collect_results(runs.into_iter().map(|(_, r)| r).collect())?;
    Ok((results, finished.into_inner().expect("timings lock")))
}

/// How long the sweep after a failed job may take: an engine that died answers nothing.
const SWEEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The jobs whose container runs ended in an engine error, each with the error: the
/// configurations that need them are left out of the matrix and named
/// ([`super::assemble::leave_out_failed`]).
pub type FailedJobs = Vec<(JobKind, String)>;

/// The jobs that completed, each with its result and the containers it took, and those that
/// failed.
pub(super) type Collected = (Vec<(JobKind, JobResult, usize)>, FailedJobs);

/// The container runs of a plan's jobs turned into the assembler's results (any engine's),
/// and the jobs that ended in an engine error. A run whose every job failed (the engine gone
/// from the start) fails whole, with the first error: there is no matrix to keep.
// RunError is as large as the engine layer's errors (bollard's); the async callers returned it
// before this was split out, where the lint does not look.
#[allow(clippy::result_large_err)]
pub(super) fn collect_results(
    runs: Vec<(
        JobKind,
        String,
        Result<engine::ConfigurationRun, engine::ContainerError>,
    )>,
) -> Result<Collected, RunError> {
    let mut out = Vec::with_capacity(runs.len());
    let mut failed = Vec::new();
    let mut first_error = None;
    for (kind, label, run) in runs {
        let run = match run {
            Ok(run) => run,
            Err(e) => {
                failed.push((kind, format!("{label}: {e}")));
                first_error.get_or_insert(e);
                continue;
            }
        };
        let mut result = JobResult {
            label,
            host: run.host,
            start_error: run.start_error,
            diagnostics: run.diagnostics,
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
    match first_error {
        Some(e) if out.is_empty() => Err(EngineError::from(e).into()),
        _ => Ok((out, failed)),
    }
}

/// Whether a job runs a configuration the oracle holds back (`run --start-held-back`).
fn held_back(plan: &Plan, kind: JobKind) -> bool {
    match kind {
        JobKind::AsIs { configuration } | JobKind::Tagged { configuration } => matches!(
            plan.configurations[configuration].start,
            seccomp_harness_core::oracle::Start::HeldBack(_)
        ),
        JobKind::Baseline { .. } | JobKind::Calibration { .. } => false,
    }
}

pub(super) fn job_label(plan: &Plan, kind: plan::JobKind) -> String {
    match kind {
        plan::JobKind::Baseline { cap_set, runtime } => {
            let unconfined = ConfigurationId {
                caps: plan.cap_sets[cap_set].changes.clone(),
                runtime: plan.runtimes[runtime].name.clone(),
                ..ConfigurationId::of_profile("unconfined")
            };
            format!("baseline ({unconfined})")
        }
        plan::JobKind::AsIs { configuration } => plan.configurations[configuration].id.clone(),
        plan::JobKind::Tagged { configuration } => {
            format!("{} (tagged)", plan.configurations[configuration].id)
        }
        plan::JobKind::Calibration { runtime } => format!(
            "calibration (names the runtime's libseccomp knows){}",
            plan.runtimes[runtime]
                .name
                .as_ref()
                .map_or(String::new(), |n| format!("@{n}"))
        ),
    }
}

/// The probe a run uses on an engine of `arch`: `--probe` when given, else the one embedded for
/// that arch; none embedded is the environment's fault, named with the engine and what is there.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
pub(crate) fn probe_for<'a>(
    opts: &'a RunOptions,
    arch: Arch,
    host: &str,
) -> Result<&'a [u8], RunError> {
    match opts.probe.as_deref() {
        Some(probe) => Ok(probe),
        None => crate::probe_binary::for_arch(arch).ok_or_else(|| RunError::NoProbe {
            arch,
            host: host.to_string(),
            embedded: crate::probe_binary::embedded_arches()
                .iter()
                .map(|a| a.uname())
                .collect::<Vec<_>>()
                .join(", "),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::Timings;

    #[test]
    fn timings_print_the_phases_then_the_jobs_as_they_finished() {
        assert!(Timings::default().lines().is_empty());
        let t = Timings {
            phases: vec![("connect and facts", 0.031), ("containers", 0.6)],
            jobs: vec![
                ("baseline (unconfined)".to_string(), 1, 0.4),
                ("waits-denied".to_string(), 3, 0.61),
            ],
            parallel: 4,
        };
        assert_eq!(
            t.lines(),
            [
                "connect and facts 0.03 s, containers 0.60 s",
                "jobs, at most 4 containers at once, by when they finished:",
                "    0.40 s  baseline (unconfined) (1 container)",
                "    0.61 s  waits-denied (3 containers)",
            ]
        );
    }
}
