//! Runs a plan on the engine: facts, the probe image, every container of the plan in parallel
//! (bounded), and cleanup on every path including Ctrl-C.

use super::finish::readings;
use super::prepare::{plan_for_engine, Choices};
use super::progress::Progress;
use crate::engine::image::ProbeImage;
use crate::engine::podman::{self, PodmanInfo};
use crate::engine::{
    self, CaseResult, ContainerSpec, Engine, EngineError, EngineFacts, Interrupted, ProfileFiles,
    RunId, Runner, SeccompMode,
};
use seccomp_catalog::Arch;
use seccomp_harness_core::assemble::{JobResult, NotRun, Tally};
use seccomp_harness_core::engine_kind::EngineKind;
use seccomp_harness_core::finish;
use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::plan::input::{CapSpec, LoadedProfile};
use seccomp_harness_core::plan::{Job, JobKind, Plan, PlanError, Seccomp};
use seccomp_harness_core::profile::salt;
use std::io::IsTerminal;
use std::path::PathBuf;
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
    /// Bad input: exit 2.
    #[error("--containers-common names the profile a Podman engine reads, but the engine at {host} is {engine}: leave it out for this engine")]
    ContainersCommonNotPodman { host: String, engine: String },
    /// Bad input: exit 2.
    #[error("--containers-common: {0}; name a release of containers-common's own tags (the package's version, e.g. 0.64.1)")]
    ContainersCommon(seccomp_harness_core::upstream::NoUpstream),
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
    /// Runtimes to run every configuration on (`--runtime A,B`), by the engine's
    /// names; empty for the engine's default runtime (configuration ids then carry none).
    pub runtimes: Vec<String>,
    /// Run the cases the profiles' argument conditions generate ([`seccomp_harness_core::coverage::generate`]);
    /// off only to measure what they cost (the benchmark).
    pub generated_cases: bool,
    /// Start profiles the oracle holds back (a kill on a call the runtime makes after loading
    /// the filter hangs its start for good:
    /// [`seccomp_harness_core::runtime::RuntimeModel::kill_hangs_start`]): the start's
    /// deadline and the cleanup turn the hang into an observation. For an engine the user can
    /// disturb.
    pub start_held_back: bool,
    /// OCI annotations for every container of the run (the one of
    /// [`seccomp_harness_core::runtime::PROFILE_ON_ANNOTATION`], where the user asks for it).
    pub annotations: std::collections::HashMap<String, String>,
    /// The containers-common release whose `seccomp.json` a Podman engine's host has
    /// (`--containers-common`): builtin is predicted from it instead of from the copy Podman's
    /// release vendors, which a packaged Podman reads only when the distribution's file is
    /// missing.
    pub containers_common: Option<String>,
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
            containers_common: None,
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

impl RunReport {
    /// The report of a run whose containers were tallied in `tally`: what they took and saw
    /// beside the matrix assembled from their results, the same on every engine.
    pub(crate) fn of(
        matrix: Matrix,
        facts: EngineFacts,
        tally: Tally,
        seconds: f64,
        timings: Timings,
    ) -> RunReport {
        RunReport {
            matrix,
            facts,
            containers: tally.containers,
            containers_by_job: tally.containers_by_job,
            seconds,
            diagnostics: tally.diagnostics,
            timings,
        }
    }
}

/// Where a run's time went, for `run --diagnostics`: what a user asks when a run is slower
/// than the containers it needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// Each phase and its seconds, in the order they ran.
    pub(crate) phases: Vec<(&'static str, f64)>,
    /// Each job (by its label): its containers and when it finished, in seconds from the
    /// start of the containers phase, in the order they finished.
    pub(crate) jobs: Vec<(String, usize, f64)>,
    /// How many containers could run at once.
    pub(crate) parallel: usize,
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

/// Connects, plans and runs `profiles` × `cap_sets`, and assembles the matrix: the prepare
/// step ([`connect`], [`podman_of`]'s engine checks, [`plan_for_engine`], the probe image), the
/// run ([`run_containers`]) and the finish ([`finish::assemble_run`]), each phase timed for
/// `run --diagnostics`.
pub async fn execute(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let mut clock = PhaseClock::start(opts.parallel);
    let Connected {
        engine,
        facts,
        guess,
        found,
    } = connect(opts).await?;
    clock.done("connect, facts and image lookup");
    let podman = podman_of(&engine, &facts).await?;
    let plan = plan_for_engine(profiles, cap_sets, &facts, engine.host(), Choices::of(opts))?;
    clock.done("plan");
    let probe = probe_for(opts, plan.arch, engine.host())?;
    let image = probe_image(&engine, &facts, probe, guess, found).await?;
    clock.done("probe image");
    let run_id = RunId::new();
    // Every profile the engine gets carries a salt unique to the run and job (a runtime may
    // cache filters under a checksum without errnoRet: profile/salt.rs).
    let mut files = match &podman {
        Some((socket, info)) => Some(
            ProfileFiles::create(socket, info.socket_path.as_deref(), &run_id)
                .map_err(EngineError::from)?,
        ),
        None => None,
    };
    let seccomp = seccomp_modes(&plan, &run_id, files.as_mut())?;
    let runner = Runner::new(engine.clone(), image, run_id, opts.parallel.max(1))
        .rebuilding_from(probe, &facts.arch);
    let started = Instant::now();
    let podman_caps = podman.as_ref().map(|(_, i)| i);
    let ran = run_containers(&engine, &runner, &plan, &seccomp, podman_caps, files, opts).await?;
    let seconds = started.elapsed().as_secs_f64();
    clock.done("containers");
    let tally = seccomp_harness_core::assemble::tally(&plan, ran.collected.jobs);
    let mut matrix = finish::assemble_run(&plan, &tally.results, &readings(&facts));
    seccomp_harness_core::assemble::leave_out_failed(&mut matrix, &plan, &ran.collected.failed);
    clock.done("predictions and matrix");
    let timings = clock.finish(ran.finished);
    Ok(RunReport::of(matrix, facts, tally, seconds, timings))
}

/// Times a run's phases as they end ([`Timings::phases`]).
struct PhaseClock {
    since: Instant,
    timings: Timings,
}

impl PhaseClock {
    fn start(parallel: usize) -> PhaseClock {
        PhaseClock {
            since: Instant::now(),
            timings: Timings {
                parallel: parallel.max(1),
                ..Timings::default()
            },
        }
    }

    /// The phase `name` ended now; the next one starts.
    fn done(&mut self, name: &'static str) {
        let seconds = self.since.elapsed().as_secs_f64();
        self.timings.phases.push((name, seconds));
        self.since = Instant::now();
    }

    /// The timings, with when each job finished.
    fn finish(mut self, jobs: Vec<(String, usize, f64)>) -> Timings {
        self.timings.jobs = jobs;
        self.timings
    }
}

/// An engine connected to, with its facts, and the probe image it already holds for the probe
/// the run most likely needs.
struct Connected<'a> {
    engine: Engine,
    facts: EngineFacts,
    /// The probe looked up: `--probe`, else this host's arch's.
    guess: Option<&'a [u8]>,
    found: Option<ProbeImage>,
}

/// Connects and asks the engine's facts. The probe the engine most likely needs (`--probe`,
/// else this host's arch's) is looked up meanwhile: two round trips at once, where a loaded
/// engine takes 50-100 ms for each. Only a lookup: the facts decide ([`probe_image`]) which
/// probe is used.
async fn connect(opts: &RunOptions) -> Result<Connected<'_>, RunError> {
    let engine = Engine::connect(opts.docker_host.as_deref())
        .await
        .map_err(EngineError::from)?;
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
    Ok(Connected {
        guess,
        engine,
        facts,
        found,
    })
}
/// Checks that the engine applies seccomp profiles, and for Podman, which takes profiles by
/// path (so needs a local socket) and whose default capabilities differ from Docker's, finds
/// its socket and asks its info.
async fn podman_of(
    engine: &Engine,
    facts: &EngineFacts,
) -> Result<Option<(PathBuf, PodmanInfo)>, RunError> {
    facts
        .require_seccomp(engine.host())
        .map_err(EngineError::from)?;
    if facts.kind() != Some(EngineKind::Podman) {
        return Ok(None);
    }
    let socket = podman::unix_socket(engine.host()).ok_or_else(|| {
        EngineError::from(engine::PodmanError::Remote {
            host: engine.host().to_string(),
        })
    })?;
    let info = podman::libpod_info(socket)
        .await
        .map_err(EngineError::from)?;
    Ok(Some((socket.to_path_buf(), info)))
}

/// The engine's image of `probe`: the one found while connecting where it was looked up for
/// this very probe ([`reuses_found_image`]), else built (or found) now.
async fn probe_image(
    engine: &Engine,
    facts: &EngineFacts,
    probe: &[u8],
    guess: Option<&[u8]>,
    found: Option<ProbeImage>,
) -> Result<ProbeImage, RunError> {
    match found {
        Some(image) if reuses_found_image(guess, probe, &facts.arch) => Ok(image),
        _ => Ok(engine
            .ensure_probe_image(probe, Some(&facts.arch))
            .await
            .map_err(EngineError::from)?),
    }
}

/// Whether the image found for the probe looked up while connecting (`guess`) serves the
/// probe the run uses: the same bytes (the very same slice, `--probe`'s or the embedded one),
/// built for the engine's arch (a probe that is not ELF is the user's to vouch for).
fn reuses_found_image(guess: Option<&[u8]>, probe: &[u8], engine_arch: &str) -> bool {
    let same_probe = guess.is_some_and(|g| std::ptr::eq(g, probe));
    let arch_fits = crate::engine::image::elf_arch(probe)
        .is_none_or(|a| crate::engine::image::same_arch(a, engine_arch));
    same_probe && arch_fits
}

/// The seccomp option of each job's container, in plan order. A profile goes salted with a
/// salt unique to the run and the job; Podman gets it as a file (`files`), Docker inline.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
fn seccomp_modes(
    plan: &Plan,
    run_id: &RunId,
    mut files: Option<&mut ProfileFiles>,
) -> Result<Vec<SeccompMode>, RunError> {
    let mut seccomp = Vec::with_capacity(plan.jobs.len());
    for (i, job) in plan.jobs.iter().enumerate() {
        seccomp.push(match &job.seccomp {
            Seccomp::Builtin => SeccompMode::Builtin,
            Seccomp::Unconfined => SeccompMode::Unconfined,
            Seccomp::Profile(p) => {
                let salt = salt::salt_for(run_id.as_str(), i);
                let json = salt::salted_json(p, salt, plan.honours_default_errno_ret);
                match files.as_deref_mut() {
                    Some(f) => {
                        SeccompMode::ProfilePath(f.path_for(&json).map_err(EngineError::from)?)
                    }
                    None => SeccompMode::Profile(json),
                }
            }
        });
    }
    Ok(seccomp)
}

/// What a run's containers gave: the jobs' results, and when each job finished
/// ([`Timings::jobs`]).
struct Ran {
    collected: Collected,
    finished: Vec<(String, usize, f64)>,
}

/// Runs every job of the plan, removing the run's containers on Ctrl-C and, after an engine
/// error, sweeping what such an error may leave; the profile files (`files`, Podman's) go
/// once no container of the run is left, on every path.
async fn run_containers(
    engine: &Engine,
    runner: &Runner,
    plan: &Plan,
    seccomp: &[SeccompMode],
    podman: Option<&PodmanInfo>,
    files: Option<ProfileFiles>,
    opts: &RunOptions,
) -> Result<Ran, RunError> {
    let work = run_jobs(runner, plan, seccomp, podman, opts);
    let results = engine::with_interrupt_cleanup(engine, runner.run_id(), work).await;
    if matches!(&results, Ok(Err(_)))
        || matches!(&results, Ok(Ok(ran)) if !ran.collected.failed.is_empty())
    {
        // An engine error mid-run (a create the client gave up on while the daemon went on, as
        // seen once on a loaded lab engine) can leave a container: sweep the run's label.
        // Bounded: an engine that died does not answer the sweep either (`clean` removes what
        // is left once it is back).
        let sweep = engine::remove_containers(engine, engine::cleanup::Sweep::Run(runner.run_id()));
        let _ = tokio::time::timeout(SWEEP_TIMEOUT, sweep).await;
    }
    // The interrupt sweep above removed the containers on Ctrl-C too.
    drop(files);
    results?
}

async fn run_jobs(
    runner: &Runner,
    plan: &Plan,
    seccomp: &[SeccompMode],
    podman: Option<&PodmanInfo>,
    opts: &RunOptions,
) -> Result<Ran, RunError> {
    let progress = Progress::new(opts.progress, plan.jobs.len());
    let phase = Instant::now();
    let finished = std::sync::Mutex::new(Vec::new());
    // The runner hands out its slots in the order jobs ask (tokio's semaphore is fair), so
    // asking in the plan's start order starts the long jobs first.
    let order = plan.start_order();
    let futures = order.iter().map(|&j| {
        let job = &plan.jobs[j];
        let spec = container_spec(plan, job, &seccomp[j], podman, opts);
        let label = plan.job_label(job.kind);
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
                    label,
                    r.containers,
                    phase.elapsed().as_secs_f64(),
                ));
            }
            (job.kind, run)
        }
    });
    let mut runs: Vec<_> = order
        .iter()
        .zip(futures_util::future::join_all(futures).await)
        .collect();
    progress.finish();
    runs.sort_by_key(|(j, _)| **j);
    let collected = collect_results(plan, runs.into_iter().map(|(_, r)| r).collect())?;
    Ok(Ran {
        collected,
        finished: finished.into_inner().expect("timings lock"),
    })
}

/// The container of a job on a Docker or Podman engine: its capabilities (Podman's default set
/// is not Docker's, so every difference is named), the probe's flags, the runtime, the run's
/// annotations and watchdog.
fn container_spec(
    plan: &Plan,
    job: &Job,
    seccomp: &SeccompMode,
    podman: Option<&PodmanInfo>,
    opts: &RunOptions,
) -> ContainerSpec {
    let caps = &plan.cap_sets[job.cap_set];
    let (cap_add, cap_drop) = match podman {
        Some(p) => podman::cap_changes(caps.caps.iter().map(str::to_string), &p.default_caps),
        None => caps.engine_add_drop(),
    };
    ContainerSpec {
        cap_add,
        cap_drop,
        probe_args: job.probe_args.clone(),
        case_timeout: opts.case_timeout,
        runtime: plan.runtimes[job.runtime].name.clone(),
        annotations: opts.annotations.clone(),
        // A held-back profile started on purpose hangs its runtime for good: no second wait.
        retry_hung_start: !plan.held_back(job.kind),
        ..ContainerSpec::new(seccomp.clone())
    }
}

/// How long the sweep after a failed job may take: an engine that died answers nothing.
const SWEEP_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// The jobs whose container runs ended in an engine error, each with the error: the
/// configurations that need them are left out of the matrix and named
/// ([`seccomp_harness_core::assemble::leave_out_failed`]).
pub(crate) type FailedJobs = Vec<(JobKind, String)>;

/// The jobs that completed, each with its result and the containers it took, and those that
/// failed.
pub(super) struct Collected {
    pub(crate) jobs: Vec<(JobKind, JobResult, usize)>,
    pub(crate) failed: FailedJobs,
}

/// The container runs of a plan's jobs turned into the assembler's results (any engine's),
/// and the jobs that ended in an engine error, each named by its label in `plan`. A run whose
/// every job failed (the engine gone from the start) fails whole, with the first error: there
/// is no matrix to keep.
// RunError is as large as the engine layer's errors (bollard's); the async callers returned it
// before this was split out, where the lint does not look.
#[allow(clippy::result_large_err)]
pub(super) fn collect_results(
    plan: &Plan,
    runs: Vec<(
        JobKind,
        Result<engine::ConfigurationRun, engine::ContainerError>,
    )>,
) -> Result<Collected, RunError> {
    let mut out = Vec::with_capacity(runs.len());
    let mut failed = Vec::new();
    let mut first_error = None;
    for (kind, run) in runs {
        let run = match run {
            Ok(run) => run,
            Err(e) => {
                failed.push((kind, format!("{}: {e}", plan.job_label(kind))));
                first_error.get_or_insert(e);
                continue;
            }
        };
        let mut result = JobResult {
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
        _ => Ok(Collected { jobs: out, failed }),
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
    use super::*;
    use crate::run::input::{load_with_file, ProfileInput};
    use seccomp_harness_core::oracle::Start;
    use seccomp_harness_core::plan::{plan, PlannedRuntime, Selection};
    use seccomp_harness_core::profile::KernelVersion;
    use seccomp_harness_core::runtime::DEFAULT_NAME;

    /// unconfined, builtin and a profile that kills getppid (held back: the default runtime
    /// makes the call after loading the filter, and a kill there hangs its start) with
    /// `+SYS_ADMIN`, started anyway when `start_held_back`.
    fn held_back_plan(start_held_back: bool) -> Plan {
        let profiles = load_with_file(
            &[ProfileInput::Unconfined, ProfileInput::Builtin],
            "kills.json",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL"}]}"#,
        );
        plan(
            profiles,
            vec![CapSpec::parse("+SYS_ADMIN").unwrap()],
            Arch::X86_64,
            KernelVersion::new(6, 12),
            false,
            vec![PlannedRuntime::named(DEFAULT_NAME, Some("1.1.5"))],
            Selection {
                cases: &["getpid".into()],
                start_held_back,
            },
        )
        .unwrap()
    }

    #[test]
    fn a_found_image_serves_only_the_probe_it_was_found_for() {
        static EMBEDDED: [u8; 4] = *b"\x7fELF";
        let copy = EMBEDDED.to_vec();
        assert!(reuses_found_image(Some(&EMBEDDED), &EMBEDDED, "x86_64"));
        // Equal bytes elsewhere are another probe (`--probe` given after the lookup's guess).
        assert!(!reuses_found_image(Some(&EMBEDDED), &copy, "x86_64"));
        assert!(!reuses_found_image(None, &EMBEDDED, "x86_64"));
        // An ELF probe of another arch than the engine's is built again for it.
        let mut elf = vec![0u8; 64];
        elf[..4].copy_from_slice(b"\x7fELF");
        elf[4] = 2; // 64-bit
        elf[5] = 1; // little-endian
        elf[18] = 183; // EM_AARCH64
        assert!(crate::engine::image::elf_arch(&elf).is_some());
        assert!(!reuses_found_image(Some(&elf), &elf, "x86_64"));
        assert!(reuses_found_image(Some(&elf), &elf, "aarch64"));
    }

    #[test]
    fn every_profile_goes_salted_per_job_and_builtin_and_unconfined_as_options() {
        let plan = held_back_plan(true);
        let run = RunId::new();
        let modes = seccomp_modes(&plan, &run, None).unwrap();
        assert_eq!(modes.len(), plan.jobs.len());
        let mut profiles = 0;
        for (i, (job, mode)) in plan.jobs.iter().zip(&modes).enumerate() {
            match (&job.seccomp, mode) {
                (Seccomp::Builtin, SeccompMode::Builtin) => {}
                (Seccomp::Unconfined, SeccompMode::Unconfined) => {}
                (Seccomp::Profile(p), SeccompMode::Profile(sent)) => {
                    let salt = salt::salt_for(run.as_str(), i);
                    let salted = salt::salted(p, salt, false);
                    assert_eq!(salted.rules.len(), p.rules.len() + 1, "job {i} is salted");
                    let sent = seccomp_harness_core::profile::parse_str(sent, "sent").unwrap();
                    assert_eq!(sent, salted, "job {i}");
                    profiles += 1;
                }
                other => panic!("job {i}: {other:?}"),
            }
        }
        // The calibration, the held-back profile as written and its tagged copy.
        assert_eq!(profiles, 3);
    }

    #[test]
    fn a_container_gets_its_runtime_caps_and_no_second_wait_when_held_back() {
        let plan = held_back_plan(true);
        let mut opts = RunOptions::default();
        opts.annotations.insert("a".into(), "b".into());
        let spec_of = |kind: JobKind, podman: Option<&PodmanInfo>| {
            let (i, job) = plan
                .jobs
                .iter()
                .enumerate()
                .find(|(_, j)| j.kind == kind)
                .unwrap();
            let seccomp = SeccompMode::Profile(format!("job {i}"));
            container_spec(&plan, job, &seccomp, podman, &opts)
        };
        let held = spec_of(JobKind::AsIs { configuration: 2 }, None);
        assert!(!held.retry_hung_start);
        assert!(matches!(plan.configurations[2].start, Start::HeldBack(_)));
        assert_eq!(held.runtime.as_deref(), Some(DEFAULT_NAME));
        assert_eq!(held.cap_add, ["SYS_ADMIN"]);
        assert!(held.cap_drop.is_empty());
        assert_eq!(held.annotations, opts.annotations);
        assert_eq!(held.case_timeout, opts.case_timeout);
        let baseline = JobKind::Baseline {
            cap_set: 0,
            runtime: 0,
        };
        let spec = spec_of(baseline, None);
        assert!(spec.retry_hung_start);
        assert_eq!(spec.probe_args.to_args(), ["--host-facts"]);
        // Podman's default set is not Docker's: every difference is named.
        let podman = PodmanInfo {
            socket_path: None,
            default_caps: vec!["CAP_CHOWN".into(), "CAP_SYS_BOOT".into()],
        };
        let spec = spec_of(baseline, Some(&podman));
        let has = |caps: &[String], c: &str| caps.iter().any(|x| x == c);
        assert!(has(&spec.cap_add, "SYS_ADMIN") && has(&spec.cap_add, "NET_RAW"));
        assert!(!has(&spec.cap_add, "CHOWN"), "Podman gives it already");
        assert_eq!(spec.cap_drop, ["SYS_BOOT"]);
    }

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
