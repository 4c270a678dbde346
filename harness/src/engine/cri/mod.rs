//! A Kubernetes node's runtime driven through the CRI, as the kubelet drives it: one pod
//! sandbox and one container per probe run, with the configuration's `SecurityProfile`.
//!
//! No kubelet is needed: RunPodSandbox with the host network (so no CNI), CreateContainer,
//! StartContainer, ContainerStatus, and the probe's records read back from the CRI log file.
//! Images are imported offline into containerd's `k8s.io` namespace (see [`image`]); nothing is
//! ever pulled. Every call has a deadline ([`CALL_DEADLINE`]).
//!
//! - [`node`]: connect to the socket, what the node says about itself, where it reads files.
//! - [`image`]: the probe and pause images as a `docker save` archive, imported with `ctr`.
//! - [`pod`]: one probe container in its own pod sandbox, removed on every path.
//! - [`log`]: the CRI log format (pure).
//! - [`cgroups`]: the empty pod cgroups the runtime leaves, removed.

pub mod cgroups;
pub mod image;
pub mod log;
pub mod node;
pub mod pod;

/// The CRI's `runtime.v1` API, generated from the vendored `api/api.proto` (cri-api v0.36.3)
/// by `ci/gen-cri-api.sh` (protox and tonic-prost-build: no protoc); see `api/PROVENANCE`.
#[allow(
    clippy::all,
    clippy::pedantic,
    rustdoc::all,
    missing_docs,
    unreachable_pub,
    dead_code
)]
pub mod api {
    include!("api/runtime.v1.rs");
}

pub use image::CriImages;
pub use node::{CriEndpoint, CriNode};
pub use pod::PodRunner;

use std::time::Duration;

/// The deadline of each CRI call. RunPodSandbox copies the pause image's root with the native
/// snapshotter, the slowest call seen; a minute is far above anything measured on the lab.
pub const CALL_DEADLINE: Duration = Duration::from_secs(60);

/// The label every pod sandbox of a run carries (the same key as the Docker containers' run
/// label), so `clean` and the Ctrl-C path find them.
pub use super::cleanup::RUN_LABEL;

/// Failures talking to a CRI node: the environment's fault (exit 3).
#[derive(Debug, thiserror::Error)]
pub enum CriError {
    #[error("bad CRI endpoint {endpoint:?}: {message}")]
    Endpoint { endpoint: String, message: String },
    #[error("cannot connect to the CRI endpoint {endpoint}: {source}")]
    Connect {
        endpoint: String,
        #[source]
        source: tonic::transport::Error,
    },
    #[error("the CRI call {call} on {endpoint} failed: {message}")]
    Call {
        call: &'static str,
        endpoint: String,
        message: String,
    },
    #[error("the CRI call {call} on {endpoint} gave no answer within {seconds} s")]
    Deadline {
        call: &'static str,
        endpoint: String,
        seconds: u64,
    },
    #[error("cannot import {image} into {endpoint}'s k8s.io namespace with {command}: {message}")]
    Import {
        image: String,
        endpoint: String,
        command: String,
        message: String,
    },
    #[error("cannot prepare {path} for the node: {source}")]
    Files {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Runs one CRI call under [`CALL_DEADLINE`], turning a gRPC status or an expired deadline
/// into a [`CriError`] naming the call.
pub(crate) async fn call<T, F>(endpoint: &str, name: &'static str, fut: F) -> Result<T, CriError>
where
    F: std::future::Future<Output = Result<tonic::Response<T>, tonic::Status>>,
{
    match tokio::time::timeout(CALL_DEADLINE, fut).await {
        Ok(Ok(r)) => Ok(r.into_inner()),
        Ok(Err(status)) => Err(CriError::Call {
            call: name,
            endpoint: endpoint.to_string(),
            message: status_message(&status),
        }),
        Err(_) => Err(CriError::Deadline {
            call: name,
            endpoint: endpoint.to_string(),
            seconds: CALL_DEADLINE.as_secs(),
        }),
    }
}

/// A gRPC status as a user reads it: the runtime's message, with the code where it adds
/// something.
pub(crate) fn status_message(status: &tonic::Status) -> String {
    match status.code() {
        tonic::Code::Unknown => status.message().to_string(),
        code => format!("{code:?}: {}", status.message()),
    }
}
