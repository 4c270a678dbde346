//! Many configurations at once, with a bound: one container per configuration run at a time
//! (never one per syscall), at most `concurrency` of them alive together.

use super::cleanup::RunId;
use super::configuration::{run_configuration, ConfigurationRun, RestartLimits};
use super::connect::Engine;
use super::container::{ContainerError, ContainerSpec};
use super::image::ProbeImage;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// Runs configurations on one engine with one probe image, all labelled with one run id.
/// Clone it freely: clones share the bound.
#[derive(Debug, Clone)]
pub struct Runner {
    engine: Engine,
    image: ProbeImage,
    run: RunId,
    limits: RestartLimits,
    slots: Slots,
    /// The probe and the engine's arch, to build the image again should it vanish mid-run.
    rebuild: Option<Arc<(Vec<u8>, String)>>,
}

/// The bound on live containers that a runner's clones share, for the Docker-API runner and
/// the CRI one alike: a configuration holds its slot for its whole run, restarts included,
/// so the bound counts live containers.
#[derive(Debug, Clone)]
pub(crate) struct Slots(Arc<Semaphore>);

impl Slots {
    /// `concurrency` of 0 is taken as 1: a bound of none would never run anything.
    pub(crate) fn new(concurrency: usize) -> Slots {
        Slots(Arc::new(Semaphore::new(concurrency.max(1))))
    }

    /// Runs `configuration` (a future, so nothing of it runs before) once a slot is free, and
    /// holds the slot until it is done: every container of its restarts counts against the
    /// bound, whichever engine runs them.
    pub(crate) async fn hold_for<T>(&self, configuration: impl Future<Output = T>) -> T {
        let _slot = self
            .0
            .acquire()
            .await
            .expect("the slots' semaphore is never closed");
        configuration.await
    }
}

/// The default bound: one container per CPU, and at least [`MIN_CONCURRENCY`].
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .max(MIN_CONCURRENCY)
}

/// A container spends much of its life waiting on the engine (create, the runtime's start,
/// removal), not on a CPU: on 2 CPUs, 16 bare containers took 3.2–3.6 s four at a time
/// against 3.9 s two at a time, and one profile's four containers (baseline, as-is, tagged,
/// calibration) then start together instead of in two rounds.
pub const MIN_CONCURRENCY: usize = 4;

impl Runner {
    /// `concurrency` of 0 is taken as 1.
    pub fn new(engine: Engine, image: ProbeImage, run: RunId, concurrency: usize) -> Runner {
        Runner {
            engine,
            image,
            run,
            limits: RestartLimits::default(),
            slots: Slots::new(concurrency),
            rebuild: None,
        }
    }

    /// Lets the runner build the probe image again (from `probe`, for an engine of `arch`)
    /// when a create finds it gone, and retry that configuration once. An unused probe image
    /// is `clean`'s to remove, and a run has no container using it between two of its
    /// containers; the tag is the content's hash, so the rebuilt image is the same one.
    pub(crate) fn rebuilding_from(mut self, probe: &[u8], arch: &str) -> Runner {
        self.rebuild = Some(Arc::new((probe.to_vec(), arch.to_string())));
        self
    }

    /// The run whose label every container of this runner carries (what a sweep removes).
    pub fn run_id(&self) -> &RunId {
        &self.run
    }

    /// Runs one configuration when a slot is free. Its restarts reuse the same slot, so the
    /// bound counts live containers.
    pub async fn run(
        &self,
        spec: &ContainerSpec,
        case_ids: &[String],
    ) -> Result<ConfigurationRun, ContainerError> {
        self.slots
            .hold_for(self.rebuilding_where_gone(spec, case_ids))
            .await
    }

    /// [`Runner::run`] in its slot: where a create finds the probe image gone and the runner
    /// can build it ([`Runner::rebuilding_from`]), it builds it and runs the configuration
    /// again.
    async fn rebuilding_where_gone(
        &self,
        spec: &ContainerSpec,
        case_ids: &[String],
    ) -> Result<ConfigurationRun, ContainerError> {
        let run = || {
            run_configuration(
                &self.engine,
                &self.image,
                &self.run,
                spec,
                case_ids,
                self.limits,
            )
        };
        match (run().await, &self.rebuild) {
            (Err(ContainerError::ImageGone { .. }), Some(rebuild)) => {
                let (probe, arch) = rebuild.as_ref();
                self.engine
                    .ensure_probe_image(probe, Some(arch))
                    .await
                    .map_err(|e| ContainerError::Create {
                        image: self.image.tag.clone(),
                        host: self.engine.host().to_string(),
                        message: format!(
                            "the probe image was gone and could not be built again: {e}"
                        ),
                    })?;
                run().await
            }
            (r, _) => r,
        }
    }
}
