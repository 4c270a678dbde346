//! The Docker side of the harness: everything that talks to a container engine lives here, so
//! the rest of the crate stays pure (no tokio, no bollard) and testable without a daemon.
//!
//! One job per module, in the order a run uses them:
//! - [`connect`]: find the daemon (`--docker-host`, `DOCKER_HOST`, TLS, ssh) and agree on an API
//!   version that both old (Debian's 20.10, API 1.41) and current engines accept.
//! - [`facts`]: what the engine says about itself (versions, runtime, seccomp support), and the
//!   `host` block of the matrix built from it plus the probe's own view.
//! - [`image`]: the `FROM scratch` probe image, built in memory and tagged by content hash.
//! - [`container`]: one probe container under one seccomp/capability configuration.
//! - [`configuration`]: a whole configuration: restarts the probe past cases that kill it.
//! - [`runner`]: many configurations at once, bounded.
//! - [`start_deadline`]: how long a container start may take, fitted to the engine.
//! - [`busy`]: how long a call a busy engine may answer slowly (a removal, a `ctr` call) is
//!   waited for: past the engine-call deadline, while the engine still answers, up to a ceiling.
//! - [`podman`]: where Podman's compat API differs (profiles by path, default capabilities).
//! - [`cleanup`]: labels, the Ctrl-C path and `seccomp-harness clean`.
//! - [`hung`]: freeing a runtime whose start hangs on its init (a held-back profile started
//!   anyway, a runtime stuck under load).
//! - [`orphans`]: stopped containerd tasks of probe containers Docker lost (`clean`).
//! - [`cri`]: a Kubernetes node's runtime (containerd) through the CRI, beside the Docker API.

pub(crate) mod busy;
pub mod cleanup;
pub mod configuration;
pub mod connect;
pub mod container;
pub mod cri;
pub mod ctr;
pub mod facts;
pub mod hung;
pub mod image;
pub mod orphans;
pub mod podman;
pub mod runner;
pub mod start_deadline;

pub use cleanup::{remove_containers, with_interrupt_cleanup, Interrupted, RunId};
pub use configuration::{
    run_configuration, CaseResult, ConfigurationRun, NotRunReason, RestartLimits,
};
pub use connect::{ConnectError, Engine};
pub use container::{
    ContainerError, ContainerOutcome, ContainerSpec, ProbeOutput, QuietEnd, SeccompMode,
};
pub use facts::{EngineFacts, FactsError, SecurityOption};
pub use image::{ImageError, ProbeImage};
pub use podman::{PodmanError, ProfileFiles};
pub use runner::Runner;

/// Any failure of the engine layer. Every variant is the environment's fault (exit code 3 in the
/// CLI): the daemon, its seccomp support, the image build, or a container API call.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Facts(#[from] FactsError),
    #[error(transparent)]
    Image(#[from] ImageError),
    #[error(transparent)]
    Container(#[from] ContainerError),
    #[error(transparent)]
    Podman(#[from] PodmanError),
    /// Boxed: its messages would make every engine result large.
    #[error(transparent)]
    Cri(Box<cri::CriError>),
}

impl From<cri::CriError> for EngineError {
    fn from(e: cri::CriError) -> Self {
        EngineError::Cri(Box::new(e))
    }
}
