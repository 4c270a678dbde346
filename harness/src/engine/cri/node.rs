//! Connecting to a node's CRI socket, and what the node says about itself.
//!
//! The CRI has no call that tells the OCI runtime's version (the kubelet never needs it), yet the
//! oracle's runtime model depends on it (start needs differ between versions of one runtime:
//! [`seccomp_harness_core::runtime::RuntimeModel::since`]). The endpoint may carry it:
//! `unix:///run/containerd/containerd.sock?runtime-version=1.3.6` (`ci/lab.sh host` prints it
//! so for the lab's containerd engines); without it the newest model of the default runtime is
//! used ([`seccomp_harness_core::runtime::runtime_model`]), as for a Docker engine that does not
//! say.

use super::api::image_service_client::ImageServiceClient;
use super::api::runtime_service_client::RuntimeServiceClient;
use super::api::{StatusRequest, VersionRequest, VersionResponse};
use super::{call, CriError, CALL_DEADLINE};
use crate::engine::facts::{EngineFacts, SecurityOption};
use hyper_util::rt::TokioIo;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tonic::transport::{Channel, Endpoint, Uri};

/// A CRI endpoint as the user names it: a unix socket (the CRI is only ever served on one),
/// with the OCI runtime's version where known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriEndpoint {
    /// As given, without the query.
    pub url: String,
    pub socket: PathBuf,
    /// `runtime-version=` of the query.
    pub runtime_version: Option<String>,
}

impl std::str::FromStr for CriEndpoint {
    type Err = CriError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |message: &str| CriError::Endpoint {
            endpoint: s.to_string(),
            message: message.to_string(),
        };
        let (url, query) = match s.split_once('?') {
            Some((u, q)) => (u, Some(q)),
            None => (s, None),
        };
        let path = url
            .strip_prefix("unix://")
            .ok_or_else(|| bad("a CRI endpoint is a unix socket: unix:///PATH"))?;
        if !path.starts_with('/') {
            return Err(bad("the socket path must be absolute (unix:///PATH)"));
        }
        let mut runtime_version = None;
        for pair in query.into_iter().flat_map(|q| q.split('&')) {
            match pair.split_once('=') {
                Some(("runtime-version", v)) if !v.is_empty() => {
                    runtime_version = Some(v.to_string())
                }
                _ => {
                    return Err(bad(&format!(
                        "unknown query {pair:?} (the only one is runtime-version=X.Y.Z)"
                    )))
                }
            }
        }
        Ok(CriEndpoint {
            url: url.to_string(),
            socket: PathBuf::from(path),
            runtime_version,
        })
    }
}

/// A connected node.
#[derive(Debug, Clone)]
pub struct CriNode {
    pub endpoint: CriEndpoint,
    pub(crate) runtime: RuntimeServiceClient<Channel>,
    pub(crate) images: ImageServiceClient<Channel>,
    pub version: VersionResponse,
    /// The CRI plugin's configuration, from `Status` with `verbose` (`info.config`).
    pub config: serde_json::Value,
}

impl CriNode {
    pub async fn connect(endpoint: CriEndpoint) -> Result<CriNode, CriError> {
        let socket = endpoint.socket.clone();
        // The URI is never dialled: the connector opens the unix socket.
        let dial = Endpoint::from_static("http://cri.invalid")
            .connect_timeout(CALL_DEADLINE)
            .timeout(CALL_DEADLINE);
        let channel = dial.connect_with_connector(tower::service_fn(move |_: Uri| {
            let socket = socket.clone();
            async move {
                let stream = tokio::net::UnixStream::connect(socket).await?;
                Ok::<_, std::io::Error>(TokioIo::new(stream))
            }
        }));
        let channel = match tokio::time::timeout(CALL_DEADLINE, channel).await {
            Ok(Ok(c)) => c,
            Ok(Err(source)) => {
                return Err(CriError::Connect {
                    endpoint: endpoint.url.clone(),
                    source,
                })
            }
            Err(_) => {
                return Err(CriError::Deadline {
                    call: "connect",
                    endpoint: endpoint.url.clone(),
                    seconds: CALL_DEADLINE.as_secs(),
                })
            }
        };
        let mut runtime = RuntimeServiceClient::new(channel.clone());
        let images = ImageServiceClient::new(channel);
        let url = endpoint.url.clone();
        let version = call(
            &url,
            "Version",
            runtime.version(VersionRequest {
                version: "v1".to_string(),
            }),
        )
        .await?;
        let status = call(
            &url,
            "Status",
            runtime.status(StatusRequest { verbose: true }),
        )
        .await?;
        let config = status
            .info
            .get("config")
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or(serde_json::Value::Null);
        Ok(CriNode {
            endpoint,
            runtime,
            images,
            version,
            config,
        })
    }

    pub fn url(&self) -> &str {
        &self.endpoint.url
    }

    /// The socket's directory as the harness sees it and as the node sees it. Profiles and
    /// logs go into a directory beside the socket, which both sides reach: on a node the
    /// harness's pod mounts the socket's directory at the same path; in the lab the node's
    /// root is another file system, and the CRI plugin's own idea of its socket
    /// (`containerdEndpoint`) names the directory there.
    pub(crate) fn shared_dir(&self) -> (PathBuf, PathBuf) {
        let host = self
            .endpoint
            .socket
            .parent()
            .unwrap_or(Path::new("/"))
            .to_path_buf();
        let node = self
            .config
            .get("containerdEndpoint")
            .and_then(|e| e.as_str())
            .and_then(|e| Path::new(e.trim_start_matches("unix://")).parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| host.clone());
        (host, node)
    }

    /// The sandbox image the node's configuration names (containerd 1.x: `sandboxImage`);
    /// containerd 2.x keeps it in the images plugin, which `Status` does not show.
    pub(crate) fn configured_sandbox_image(&self) -> Option<String> {
        self.config
            .get("sandboxImage")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    }

    /// Whether the node's default runtime uses the systemd cgroup driver (`SystemdCgroup` in
    /// its options: containerd's runtimes are keyed by handler name).
    pub(crate) fn systemd_cgroup(&self) -> bool {
        self.config
            .pointer(&format!(
                "/containerd/runtimes/{}/options/SystemdCgroup",
                self.default_runtime()
            ))
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    /// The runtime handler pods get without a runtime class (`defaultRuntimeName`).
    fn default_runtime(&self) -> &str {
        self.config
            .pointer("/containerd/defaultRuntimeName")
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
            .unwrap_or(seccomp_harness_core::runtime::DEFAULT_NAME)
    }

    /// The engine facts the run's header and planning need. The CRI socket is a unix socket,
    /// so the node is this machine: its arch and kernel are read here.
    pub fn facts(&self) -> EngineFacts {
        let runtime = self.default_runtime().to_string();
        let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|k| k.trim().to_string())
            .unwrap_or_default();
        let mut runtime_versions = BTreeMap::new();
        if let Some(v) = &self.endpoint.runtime_version {
            runtime_versions.insert(runtime.clone(), v.clone());
        }
        EngineFacts {
            engine: self.version.runtime_name.clone(),
            engine_version: self.version.runtime_version.clone(),
            api_version: format!("CRI {}", self.version.runtime_api_version),
            max_api_version: self.version.runtime_api_version.clone(),
            os: "linux".to_string(),
            arch: std::env::consts::ARCH.to_string(),
            kernel,
            operating_system: String::new(),
            runtimes: vec![runtime.clone()],
            default_runtime: runtime,
            runtime_version: self.endpoint.runtime_version.clone(),
            runtime_versions,
            // The CRI does not list the runtime's command line.
            runtime_commands: BTreeMap::new(),
            libseccomp_version: None,
            security_options: vec![SecurityOption {
                name: "seccomp".to_string(),
                options: BTreeMap::from([("profile".to_string(), "runtime-default".to_string())]),
            }],
            cgroup_version: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_are_unix_sockets_with_an_optional_runtime_version() {
        let e: CriEndpoint = "unix:///run/containerd/containerd.sock?runtime-version=1.3.6"
            .parse()
            .unwrap();
        assert_eq!(e.socket, PathBuf::from("/run/containerd/containerd.sock"));
        assert_eq!(e.url, "unix:///run/containerd/containerd.sock");
        assert_eq!(e.runtime_version.as_deref(), Some("1.3.6"));
        let plain: CriEndpoint = "unix:///x.sock".parse().unwrap();
        assert_eq!(plain.runtime_version, None);
        for bad in [
            "tcp://1.2.3.4:1",
            "unix://relative.sock",
            "unix:///x.sock?pull=1",
        ] {
            let err = bad.parse::<CriEndpoint>().unwrap_err().to_string();
            assert!(err.contains(bad), "{err}");
        }
    }
}
