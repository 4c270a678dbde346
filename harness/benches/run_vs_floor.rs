//! The default run (builtin, unconfined, profiles/*.json) against its floor: the same number of
//! bare containers of a static no-op binary (the probe's `--noop`, same image), at the same
//! parallelism, on the same daemon. Prints both, their ratio, and what one container per
//! syscall would cost. Then one profile at a time (builtin, deny-namespaces): its wall time,
//! its containers and the container floor (one bare container start, measured in the same
//! run) side by side. Run it with `ci/bench.sh`.

use seccomp_harness::engine::container::run_probe_container;
use seccomp_harness::engine::{
    runner::default_concurrency, ContainerSpec, Engine, RunId, SeccompMode,
};
use seccomp_harness::run::{execute, load_profile, ProfileInput, RunOptions};
use seccomp_harness_core::plan::input::CapSpec;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const ROUNDS: usize = 3;
/// One profile alone is short and the shared host noisy: more rounds for its median.
const ONE_PROFILE_ROUNDS: usize = 7;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

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

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; nothing else is taken.
    let parallel = default_concurrency();
    let opts = RunOptions {
        progress: false,
        parallel,
        ..Default::default()
    };
    let load = || {
        default_profiles()
            .iter()
            .map(|p| load_profile(p).expect("a valid shipped profile"))
            .collect::<Vec<_>>()
    };

    // Warm-up: builds the image if needed, so every timed round finds it cached.
    let warm = execute(load(), vec![CapSpec::docker_default()], &opts)
        .await
        .expect("the default run");
    let containers = warm.containers;
    let mut by_job = warm.containers_by_job.clone();
    by_job.sort();
    let configurations = warm.matrix.configurations.len();
    let generated_cells = warm
        .matrix
        .cells
        .iter()
        .filter(|c| seccomp_catalog::generated::is_generated_id(&c.case))
        .count();
    let cases = (warm.matrix.cells.len() - generated_cells) / configurations.max(1);
    // The same run without the generated cases: the containers must be the same.
    let without = RunOptions {
        generated_cases: false,
        ..opts.clone()
    };
    let mut plain_times = Vec::new();
    let mut plain_containers = 0;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = execute(load(), vec![CapSpec::docker_default()], &without)
            .await
            .expect("the default run without generated cases");
        plain_times.push(t.elapsed().as_secs_f64());
        plain_containers = r.containers;
    }

    let mut run_times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let r = execute(load(), vec![CapSpec::docker_default()], &opts)
            .await
            .expect("the default run");
        run_times.push(t.elapsed().as_secs_f64());
        assert_eq!(
            r.containers, containers,
            "the run used a different number of containers"
        );
    }

    let engine = Engine::connect(None).await.expect("the engine");
    let facts = engine.facts().await.expect("engine facts");
    let image = engine
        .ensure_probe_image(seccomp_harness::probe_binary::EMBEDDED, Some(&facts.arch))
        .await
        .expect("the probe image");
    let run = RunId::new();
    let permits = Arc::new(tokio::sync::Semaphore::new(parallel));
    let mut floor_times = Vec::new();
    for _ in 0..ROUNDS {
        let t = Instant::now();
        let jobs = (0..containers).map(|_| {
            let (engine, image, run, permits) =
                (engine.clone(), image.clone(), run.clone(), permits.clone());
            async move {
                let _slot = permits.acquire().await.unwrap();
                let spec = ContainerSpec::new(SeccompMode::Unconfined);
                run_probe_container(&engine, &image, &run, &spec, &["--noop".to_string()], &[])
                    .await
                    .expect("a bare container")
            }
        });
        futures_util::future::join_all(jobs).await;
        floor_times.push(t.elapsed().as_secs_f64());
    }

    let (run_s, floor_s) = (median(run_times), median(floor_times));
    let per_container = floor_s / containers as f64;
    // One container per syscall: every case of every configuration, plus the baselines and
    // tagged runs it would need to classify them the same way.
    let naive_containers = cases * containers;
    println!(
        "engine {} (API {}), runtime {} {}, {} host CPUs, parallelism {parallel}",
        facts.engine_version,
        facts.api_version,
        facts.default_runtime,
        facts.runtime_version.clone().unwrap_or_default(),
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get)
    );
    println!(
        "default run: {configurations} configurations x {cases} cases, {containers} containers"
    );
    println!(
        "generated cases: {generated_cells} cells; containers with them {containers}, without them {plain_containers}"
    );
    let plain_s = median(plain_times);
    println!("run without generated cases (median of {ROUNDS}): {plain_s:8.2} s");
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

    // One profile at a time, as a user proving one profile runs it: the whole `execute`
    // (connect, facts, image check, baseline, as-is, tagged, calibration, prediction and
    // attribution) against one bare container start on the same engine, each round measuring
    // the bare start right before the run, so both see the same load.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let bare_start = || async {
        let t = Instant::now();
        let spec = ContainerSpec::new(SeccompMode::Unconfined);
        run_probe_container(&engine, &image, &run, &spec, &["--noop".to_string()], &[])
            .await
            .expect("a bare container");
        t.elapsed().as_secs_f64()
    };
    println!("one profile at a time (median of {ONE_PROFILE_ROUNDS}, parallelism {parallel}):");
    println!("  profile                  time  floor (1 bare start)  ratio  containers (per job)");
    for (name, input) in [
        ("builtin", ProfileInput::Builtin),
        (
            "deny-namespaces",
            ProfileInput::File(root.join("../profiles/deny-namespaces.json")),
        ),
    ] {
        let (mut times, mut bare, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let mut last = None;
        for _ in 0..ONE_PROFILE_ROUNDS {
            let b = bare_start().await;
            let p = vec![load_profile(&input).expect("a shipped profile")];
            let t = Instant::now();
            let r = execute(p, vec![CapSpec::docker_default()], &opts)
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
    println!("  peer: amicontained swept builtin in 0.47 s on this engine (about 335 syscalls in one container, no prediction or attribution)");

    // Hostile profiles (harness/tests/fixtures/hostile) against a default-like one, each run
    // alone with its baseline and calibration: the machinery's fallbacks and the watchdog
    // must keep the slowest within twice the default profile's time.
    let opts = &opts;
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
