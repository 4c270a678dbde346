//! What both benchmarks need from the engine: a connection with its facts and the probe image,
//! the line that says which engine the figures are for, bare containers of the probe's
//! `--noop` (the floor a run is measured against), and the median they report.

use seccomp_harness::engine::container::run_probe_container;
use seccomp_harness::engine::{ContainerSpec, Engine, EngineFacts, ProbeImage, RunId};
use std::time::Instant;

/// The engine both benchmarks time, with what they print about it and the image they start.
pub struct BenchEngine {
    pub engine: Engine,
    pub facts: EngineFacts,
    pub image: ProbeImage,
}

impl BenchEngine {
    /// The engine of `DOCKER_HOST` (or the default socket), with the probe image built or
    /// found, so that no timed container pays for the build.
    pub async fn connect() -> BenchEngine {
        let engine = Engine::connect(None).await.expect("the engine");
        let facts = engine.facts().await.expect("engine facts");
        let image = engine
            .ensure_probe_image(seccomp_harness::probe_binary::EMBEDDED, Some(&facts.arch))
            .await
            .expect("the probe image");
        BenchEngine {
            engine,
            facts,
            image,
        }
    }

    /// The engine line a benchmark prints first (engine version, API, default runtime and its
    /// version): figures mean little without it.
    pub fn describe(&self) -> String {
        format!(
            "engine {} (API {}), runtime {} {}",
            self.facts.engine_version,
            self.facts.api_version,
            self.facts.default_runtime,
            self.facts.runtime_version.clone().unwrap_or_default()
        )
    }

    /// One container of the probe's `--noop` under `spec`: the runtime's start and the
    /// filter's load, and nothing of the harness's work.
    pub async fn noop_container(&self, run: &RunId, spec: &ContainerSpec) {
        run_probe_container(
            &self.engine,
            &self.image,
            run,
            spec,
            &["--noop".to_string()],
            &[],
        )
        .await
        .expect("a --noop probe container");
    }

    /// [`BenchEngine::noop_container`]'s wall time, in seconds.
    pub async fn timed_noop_container(&self, run: &RunId, spec: &ContainerSpec) -> f64 {
        let t = Instant::now();
        self.noop_container(run, spec).await;
        t.elapsed().as_secs_f64()
    }
}

/// The median of `v`, which must not be empty: on a shared host one slow round must not move
/// the figure.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}
