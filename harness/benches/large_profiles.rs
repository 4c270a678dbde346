//! Profiles of 100, 1,000 and 10,000 rules (tests/support/large_profile.rs): the harness's own
//! work per phase beside what the engine spends on the same profile. Prints figures; it asserts
//! nothing about time. Run it with `ci/bench-large.sh`.
//!
//! The harness's phases, each timed alone on the profile's text: parse, resolve, predict
//! (oracle built, start decided, every catalog case predicted), tag, classify (every case,
//! from records shaped like the predictions). The engine: one bare container of the probe's
//! `--noop` under the profile (the runtime compiles and loads the filter), and the whole `run`
//! of the profile (its as-is, tagged, baseline and calibration containers).

#[path = "../tests/support/large_profile.rs"]
mod large_profile;

use seccomp_catalog::record::CaseRecord;
use seccomp_catalog::{Arch, Catalog};
use seccomp_harness::engine::container::run_probe_container;
use seccomp_harness::engine::{ContainerSpec, Engine, RunId, SeccompMode};
use seccomp_harness::run::{execute, load_profile, ProfileInput, RunOptions};
use seccomp_harness_core::classify::{classify, Attribution, CaseRuns};
use seccomp_harness_core::oracle::Oracle;
use seccomp_harness_core::outcome::Outcome;
use seccomp_harness_core::plan::input::CapSpec;
use seccomp_harness_core::profile::tag::Slot;
use seccomp_harness_core::profile::{self, CapSet, Host, KernelVersion};
use std::path::Path;
use std::time::Instant;

const SIZES: [usize; 3] = [100, 1_000, 10_000];
const ROUNDS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// Median wall time of `f` over [`ROUNDS`], in milliseconds.
fn time_ms<T>(mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..ROUNDS {
        let t = Instant::now();
        last = Some(f());
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    (median(times), last.unwrap())
}

/// A record that reads like the prediction: what a passing run gives.
fn record_like(outcome: Outcome, errno: Option<i32>) -> CaseRecord {
    match (outcome, errno) {
        (Outcome::Errno, Some(e)) => CaseRecord::failed(e),
        _ => CaseRecord::returned(0),
    }
}

#[tokio::main]
async fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let tmp = tempfile::tempdir().expect("a temp dir");
    let engine = Engine::connect(None).await.expect("the engine");
    let facts = engine.facts().await.expect("engine facts");
    let image = engine
        .ensure_probe_image(seccomp_harness::probe_binary::EMBEDDED, Some(&facts.arch))
        .await
        .expect("the probe image");
    let catalog = Catalog::for_arch(Arch::X86_64);
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 1),
    );
    println!(
        "engine {} (API {}), runtime {} {}; medians of {ROUNDS}",
        facts.engine_version,
        facts.api_version,
        facts.default_runtime,
        facts.runtime_version.clone().unwrap_or_default()
    );
    println!(
        "{:>7} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9} | {:>10} {:>9} {:>7}",
        "rules",
        "parse",
        "resolve",
        "predict",
        "tag",
        "classify",
        "harness",
        "container",
        "run",
        "share"
    );
    let mut per_rule = Vec::new();
    for size in SIZES {
        let text = large_profile::generate(dir, size);
        let (parse, parsed) = time_ms(|| profile::parse_str(&text, "large.json").expect("valid"));
        let (resolve, resolved) = time_ms(|| profile::resolve(&parsed, &host));
        let (predict, predictions) = time_ms(|| {
            let oracle = Oracle::new(&resolved);
            let start = oracle.start(&catalog);
            oracle.expect(catalog.cases(), &start, &catalog)
        });
        let (tag, tagged) = time_ms(|| profile::tag_for(&parsed, false));
        let records: Vec<CaseRecord> = predictions
            .iter()
            .map(|p| record_like(p.outcome, p.errno))
            .collect();
        let errnos = seccomp_harness_core::classify::filter_errnos(&parsed);
        let attribution = Attribution::Tagged {
            sentinels: &tagged.sentinels,
            default_traps: tagged.default_traps,
            errnos: &errnos,
        };
        let (classify_ms, _) = time_ms(|| {
            catalog
                .cases()
                .iter()
                .zip(&records)
                .map(|(case, r)| {
                    let runs = CaseRuns {
                        observed: Some(r),
                        baseline: Some(r),
                        tagged: seccomp_harness_core::classify::TaggedRun::Record(r),
                    };
                    classify(Slot::of(case), runs, &attribution)
                })
                .count()
        });
        let harness = parse + resolve + predict + tag + classify_ms;

        let run_id = RunId::new();
        let spec = ContainerSpec::new(SeccompMode::Profile(text.clone()));
        let mut starts = Vec::new();
        for _ in 0..ROUNDS {
            let t = Instant::now();
            run_probe_container(
                &engine,
                &image,
                &run_id,
                &spec,
                &["--noop".to_string()],
                &[],
            )
            .await
            .expect("a container under the profile");
            starts.push(t.elapsed().as_secs_f64() * 1e3);
        }
        let container = median(starts);

        let file = tmp.path().join(format!("large-{size}.json"));
        std::fs::write(&file, &text).expect("write the profile");
        let opts = RunOptions {
            progress: false,
            ..Default::default()
        };
        let t = Instant::now();
        let report = execute(
            vec![load_profile(&ProfileInput::File(file)).expect("loads")],
            vec![CapSpec::docker_default()],
            &opts,
        )
        .await
        .expect("the run");
        let run = t.elapsed().as_secs_f64() * 1e3;
        let failing = report
            .matrix
            .cells
            .iter()
            .filter(|c| c.verdict == seccomp_harness_core::matrix::Verdict::Fail)
            .count();
        println!(
            "{size:>7} {parse:>6.1}ms {resolve:>6.1}ms {predict:>6.1}ms {tag:>6.1}ms {classify_ms:>6.1}ms {harness:>7.1}ms | {:>8.2} s {:>7.2} s {:>6.1}%{}",
            container / 1e3,
            run / 1e3,
            100.0 * harness / run,
            if failing > 0 { format!("  ({failing} failing cells!)") } else { String::new() }
        );
        per_rule.push((size, harness / size as f64));
    }
    let growth: Vec<String> = per_rule
        .iter()
        .map(|(size, ms)| format!("{size}: {:.1} µs/rule", ms * 1e3))
        .collect();
    println!("harness time per rule: {}", growth.join(", "));
    println!(
        "share = the harness's own work (parse+resolve+predict+tag+classify) / the whole run's wall time; target < 10%"
    );
}
