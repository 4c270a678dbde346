//! The default run (builtin, unconfined, profiles/*.json) against its floor: the same number of
//! bare containers of a static no-op binary (the probe's `--noop`, same image), at the same
//! parallelism, on the same daemon. Prints both, their ratio, and what one container per
//! syscall would cost. Then one profile at a time (builtin, deny-namespaces): its wall time,
//! its containers and the container floor (one bare container start, measured in the same
//! run) side by side. Run it with `ci/bench.sh`.

mod common;

use common::{median, BenchEngine};
use seccomp_harness::engine::{runner::default_concurrency, ContainerSpec, RunId, SeccompMode};
use seccomp_harness::run::execute::RunReport;
use seccomp_harness::run::{execute, load_profile, ProfileInput, RunOptions};
use seccomp_harness_core::plan::input::CapSpec;
use std::path::PathBuf;
use std::time::Instant;

const ROUNDS: usize = 3;
/// One profile alone is short and the shared host noisy: more rounds for its median.
const ONE_PROFILE_ROUNDS: usize = 7;

fn default_profiles() -> Vec<ProfileInput> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../profiles");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("profiles/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut v = vec![ProfileInput::Builtin, ProfileInput::Unconfined];
    v.extend(files.into_iter().map(ProfileInput::File));
    v
}

/// The default run with `opts`: its report, and its wall time in seconds, the loading of the
/// profiles included.
async fn timed_default_run(opts: &RunOptions) -> (RunReport, f64) {
    let t = Instant::now();
    let profiles = default_profiles()
        .iter()
        .map(|p| load_profile(p).expect("a valid shipped profile"))
        .collect();
    let report = execute(profiles, vec![CapSpec::docker_default()], opts)
        .await
        .expect("the default run");
    (report, t.elapsed().as_secs_f64())
}

/// [`ROUNDS`] default runs with `opts`: each one's wall time and container count.
async fn default_run_rounds(opts: &RunOptions) -> (Vec<f64>, Vec<usize>) {
    let (mut times, mut containers) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let (report, seconds) = timed_default_run(opts).await;
        times.push(seconds);
        containers.push(report.containers);
    }
    (times, containers)
}

/// What the default run is made of, from the warm-up run (which builds the image if needed, so
/// that every timed round finds it cached).
struct Shape {
    configurations: usize,
    /// Catalog cases per configuration, generated ones left out.
    cases: usize,
    generated_cells: usize,
    containers: usize,
    by_job: Vec<(String, usize)>,
}

impl Shape {
    fn of(warm: &RunReport) -> Shape {
        let mut by_job = warm.containers_by_job.clone();
        by_job.sort();
        let configurations = warm.matrix.configurations.len();
        let generated_cells = warm
            .matrix
            .cells
            .iter()
            .filter(|c| seccomp_catalog::generated::is_generated_id(&c.case))
            .count();
        Shape {
            configurations,
            cases: (warm.matrix.cells.len() - generated_cells) / configurations.max(1),
            generated_cells,
            containers: warm.containers,
            by_job,
        }
    }
}

/// The floor: `containers` bare no-op containers at `parallel` at a time, [`ROUNDS`] times;
/// each round's wall time.
async fn floor_rounds(bench: &BenchEngine, containers: usize, parallel: usize) -> Vec<f64> {
    let run = RunId::new();
    let permits = tokio::sync::Semaphore::new(parallel);
    let (bench, run, permits) = (bench, &run, &permits);
    let mut floor_times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let jobs = (0..containers).map(|_| async move {
            let _slot = permits.acquire().await.unwrap();
            let spec = ContainerSpec::new(SeccompMode::Unconfined);
            bench.noop_container(run, &spec).await
        });
        futures_util::future::join_all(jobs).await;
        floor_times.push(t.elapsed().as_secs_f64());
    }
    floor_times
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let parallel = default_concurrency();
    let opts = RunOptions {
        progress: false,
        parallel,
        ..Default::default()
    };
    let shape = Shape::of(&timed_default_run(&opts).await.0);
    // The same run without the generated cases: the containers must be the same.
    let without = RunOptions {
        generated_cases: false,
        ..opts.clone()
    };
    let (plain_times, plain_containers) = default_run_rounds(&without).await;
    let (run_times, run_containers) = default_run_rounds(&opts).await;
    assert_eq!(
        run_containers,
        vec![shape.containers; run_containers.len()],
        "the run used a different number of containers in a round"
    );
    let bench = BenchEngine::connect().await;
    let floor_times = floor_rounds(&bench, shape.containers, parallel).await;
    print_default_run(
        &bench,
        &shape,
        parallel,
        plain_containers.last().copied().unwrap_or(0),
        [median(plain_times), median(run_times), median(floor_times)],
    );
    one_profile_at_a_time(&bench, &opts, parallel).await;
    hostile_against_default(&opts).await;
}

/// The default run's figures: its shape, its time with and without the generated cases, and
/// its time beside the floor's and a naive harness's. `medians`: without the generated cases,
/// the run, the floor, in seconds.
fn print_default_run(
    bench: &BenchEngine,
    shape: &Shape,
    parallel: usize,
    plain_containers: usize,
    medians: [f64; 3],
) {
    let [plain_s, run_s, floor_s] = medians;
    let Shape {
        configurations,
        cases,
        generated_cells,
        containers,
        ..
    } = *shape;
    let per_container = floor_s / containers as f64;
    // One container per syscall: every case of every configuration, plus the baselines and
    // tagged runs it would need to classify them the same way.
    let naive_containers = cases * containers;
    println!(
        "{}, {} host CPUs, parallelism {parallel}",
        bench.describe(),
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get)
    );
    println!(
        "default run: {configurations} configurations x {cases} cases, {containers} containers"
    );
    println!(
        "generated cases: {generated_cells} cells; containers with them {containers}, without them {plain_containers}"
    );
    println!("run without generated cases (median of {ROUNDS}): {plain_s:8.2} s");
    print_containers_per_job(&shape.by_job);
    println!("run (median of {ROUNDS}, warm image):          {run_s:8.2} s");
    println!(
        "cost of the generated cases:              {:+7.1} %",
        (run_s / plain_s - 1.0) * 100.0
    );
    println!("floor ({containers} bare no-op containers):     {floor_s:8.2} s");
    println!(
        "ratio run/floor:                          {:8.2}",
        run_s / floor_s
    );
    println!(
        "naive, one container per syscall ({naive_containers} containers): {:8.0} s (extrapolated from the floor)",
        naive_containers as f64 * per_container
    );
}

/// How many jobs the run had, and those that needed more than one container (restarts).
fn print_containers_per_job(by_job: &[(String, usize)]) {
    let restarted: Vec<String> = by_job
        .iter()
        .filter(|(_, n)| *n > 1)
        .map(|(label, n)| format!("{label} {n}"))
        .collect();
    println!(
        "containers per job: {} jobs, {} with more than one container{}",
        by_job.len(),
        restarted.len(),
        if restarted.is_empty() {
            String::new()
        } else {
            format!(" ({})", restarted.join(", "))
        }
    );
}

/// One profile at a time, as a user proving one profile runs it: the whole `execute`
/// (connect, facts, image check, baseline, as-is, tagged, calibration, prediction and
/// attribution) against one bare container start on the same engine, each round measuring
/// the bare start right before the run, so both see the same load.
async fn one_profile_at_a_time(bench: &BenchEngine, opts: &RunOptions, parallel: usize) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    println!("one profile at a time (median of {ONE_PROFILE_ROUNDS}, parallelism {parallel}):");
    println!("  profile                  time  floor (1 bare start)  ratio  containers (per job)");
    for (name, input) in [
        ("builtin", ProfileInput::Builtin),
        (
            "deny-namespaces",
            ProfileInput::File(root.join("../profiles/deny-namespaces.json")),
        ),
    ] {
        one_profile(bench, opts, name, &input).await;
    }
    println!("  peer: amicontained swept builtin in 0.47 s on this engine (about 335 syscalls in one container, no prediction or attribution)");
}

/// [`ONE_PROFILE_ROUNDS`] runs of `input` alone, each after a bare start; prints its line.
async fn one_profile(bench: &BenchEngine, opts: &RunOptions, name: &str, input: &ProfileInput) {
    let run = RunId::new();
    let (mut times, mut bare, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    let mut last = None;
    for _ in 0..ONE_PROFILE_ROUNDS {
        let spec = ContainerSpec::new(SeccompMode::Unconfined);
        let b = bench.timed_noop_container(&run, &spec).await;
        let p = vec![load_profile(input).expect("a shipped profile")];
        let t = Instant::now();
        let r = execute(p, vec![CapSpec::docker_default()], opts)
            .await
            .expect("a one-profile run");
        let s = t.elapsed().as_secs_f64();
        times.push(s);
        bare.push(b);
        ratios.push(s / b);
        last = Some(r);
    }
    let r = last.expect("at least one round");
    let per_job: Vec<String> = r
        .containers_by_job
        .iter()
        .map(|(label, n)| format!("{label} {n}"))
        .collect();
    println!(
        "  {name:<22} {:6.2} s  {:16.2} s  {:5.2}  {} ({}) (target: ratio <= 3)",
        median(times),
        median(bare),
        median(ratios),
        r.containers,
        per_job.join(", ")
    );
    println!("    last round: {}", r.timings.lines()[0]);
    // builtin must run in fork mode to the end: no probe fallback, no restart.
    if !r.diagnostics.is_empty() {
        println!("    diagnostics: {:?}", r.diagnostics);
    }
}

/// Hostile profiles (harness/tests/fixtures/hostile) against a default-like one, each run
/// alone with its baseline and calibration: the machinery's fallbacks and the watchdog must
/// keep the slowest within twice the default profile's time.
async fn hostile_against_default(opts: &RunOptions) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let single = |path: PathBuf| async move {
        let p = vec![load_profile(&ProfileInput::File(path)).expect("a valid profile")];
        let t = Instant::now();
        execute(p, vec![CapSpec::docker_default()], opts)
            .await
            .expect("a run");
        t.elapsed().as_secs_f64()
    };
    let reference = root.join("../profiles/docker-default-hardened.json");
    let reference_s = median(vec![
        single(reference.clone()).await,
        single(reference.clone()).await,
        single(reference).await,
    ]);
    let mut hostile: Vec<PathBuf> = std::fs::read_dir(root.join("tests/fixtures/hostile"))
        .expect("hostile fixtures")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    hostile.sort();
    let mut slowest = (String::new(), 0.0f64);
    for path in hostile {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let s = single(path).await;
        println!("hostile {name:<28} {s:8.2} s");
        if s > slowest.1 {
            slowest = (name, s);
        }
    }
    println!("default profile (docker-default-hardened, median of 3): {reference_s:8.2} s");
    println!(
        "slowest hostile profile ({}):  {:8.2} s, ratio {:.2} (target <= 2)",
        slowest.0,
        slowest.1,
        slowest.1 / reference_s
    );
}
