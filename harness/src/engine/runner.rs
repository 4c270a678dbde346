//! Many configurations at once, with a bound: one container per configuration run at a time
//! (never one per syscall), at most `concurrency` of them alive together.

use super::cleanup::RunId;
use super::configuration::{run_configuration, ConfigurationRun, RestartLimits};
use super::connect::Engine;
use super::container::{ContainerError, ContainerSpec};
use super::image::ProbeImage;
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
    permits: Arc<Semaphore>,
}

/// The default bound: one container per CPU, since each probe is mostly busy in the kernel.
pub fn default_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

impl Runner {
    /// `concurrency` of 0 is taken as 1.
    pub fn new(engine: Engine, image: ProbeImage, run: RunId, concurrency: usize) -> Runner {
        Runner {
            engine,
            image,
            run,
            limits: RestartLimits::default(),
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
        }
    }

    /// Runs one configuration when a slot is free. Its restarts reuse the same slot, so the
    /// bound counts live containers.
    pub async fn run(
        &self,
        spec: &ContainerSpec,
        case_ids: &[String],
    ) -> Result<ConfigurationRun, ContainerError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the runner's semaphore is never closed");
        run_configuration(
            &self.engine,
            &self.image,
            &self.run,
            spec,
            case_ids,
            self.limits,
        )
        .await
    }
}
