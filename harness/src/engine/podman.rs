//! Podman's Docker-compatible API, where it differs from Docker's.
//!
//! - `seccomp=` in `HostConfig.SecurityOpt` is a file path on the engine's side, not the
//!   profile's content (Podman's compat handler opens it: a JSON text gives "file name too
//!   long"). So each profile is written to a file the engine can read ([`ProfileFiles`]),
//!   next to the engine's socket, and the engine gets that file's path as the engine sees it:
//!   Podman's own `/libpod/info` names its socket (`host.remoteSocket.path`), which is the
//!   same directory seen from the engine's mount namespace. On a remote engine (tcp, ssh)
//!   the harness can't write there: [`PodmanError::Remote`].
//! - Its default capability set is smaller than Docker's (no MKNOD, NET_RAW, AUDIT_WRITE
//!   with Podman 5.8's containers.conf), so the harness names the difference explicitly and a
//!   configuration means the same capabilities on both engines.

use super::cleanup::RunId;
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[derive(Debug, thiserror::Error)]
pub enum PodmanError {
    #[error(
        "the engine at {host} is Podman, whose API takes a seccomp profile as a file path on the \
         engine's host, which the harness can only write through a local unix socket; run the \
         harness on the Podman host against its socket (e.g. unix:///run/podman/podman.sock)"
    )]
    Remote { host: String },
    #[error("cannot ask Podman at {socket} about itself (/libpod/info): {message}")]
    Info { socket: String, message: String },
    #[error(
        "cannot write the profiles for Podman in {dir} (next to its socket, where the engine can \
         read them): {source}; run the harness as the user that owns the socket"
    )]
    Write {
        dir: String,
        #[source]
        source: std::io::Error,
    },
}

/// What the harness needs from `/libpod/info`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PodmanInfo {
    /// The engine's own view of its API socket (`/lab/sock/podman.sock` for the lab's Podman,
    /// which runs in its own mount namespace).
    pub socket_path: Option<String>,
    /// The capabilities Podman gives a container by default (`CAP_CHOWN`, …).
    pub default_caps: Vec<String>,
}

impl PodmanInfo {
    /// From the JSON of `/libpod/info`.
    pub fn parse(json: &str) -> Option<PodmanInfo> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let host = v.get("host")?;
        let socket_path = host
            .pointer("/remoteSocket/path")
            .and_then(|p| p.as_str())
            .map(|p| p.trim_start_matches("unix://").to_string())
            .filter(|p| !p.is_empty());
        let default_caps = host
            .pointer("/security/capabilities")
            .and_then(|c| c.as_str())
            .map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        Some(PodmanInfo {
            socket_path,
            default_caps,
        })
    }
}

/// The socket path of a `unix://` host, `None` for any other scheme.
pub fn unix_socket(host: &str) -> Option<&Path> {
    host.strip_prefix("unix://").map(Path::new)
}

/// Asks Podman at `socket` for `/libpod/info` (libpod's own API: bollard speaks only the
/// Docker-compatible one). One HTTP/1.0 request: the answer ends with the connection.
pub(crate) async fn libpod_info(socket: &Path) -> Result<PodmanInfo, PodmanError> {
    let fail = |message: String| PodmanError::Info {
        socket: socket.display().to_string(),
        message,
    };
    let mut stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| fail(e.to_string()))?;
    stream
        .write_all(b"GET /v4.0.0/libpod/info HTTP/1.0\r\nHost: podman\r\n\r\n")
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut response = Vec::new();
    let read = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        stream.read_to_end(&mut response),
    )
    .await
    .map_err(|_| fail("no answer within 60 s".into()))?;
    read.map_err(|e| fail(e.to_string()))?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| fail("not an HTTP response".into()))?;
    let status = head.lines().next().unwrap_or_default();
    if !status.contains(" 200") {
        return Err(fail(format!("the engine answered {status:?}")));
    }
    PodmanInfo::parse(body).ok_or_else(|| fail("the answer is not libpod's info".into()))
}

/// Capability changes that give a container `wanted` on an engine whose default set is
/// `engine_default` (Podman's), as `--cap-add` and `--cap-drop` names without `CAP_`.
pub(crate) fn cap_changes(
    wanted: impl IntoIterator<Item = String>,
    engine_default: &[String],
) -> (Vec<String>, Vec<String>) {
    let strip = |c: &str| c.trim_start_matches("CAP_").to_string();
    let wanted: BTreeSet<String> = wanted.into_iter().map(|c| strip(&c)).collect();
    let default: BTreeSet<String> = engine_default.iter().map(|c| strip(c)).collect();
    (
        wanted.difference(&default).cloned().collect(),
        default.difference(&wanted).cloned().collect(),
    )
}

/// The profiles of one run, written where the engine can read them. The directory is removed
/// when this is dropped: after a run, a failed run, and an interrupted one (the Ctrl-C path of
/// `with_interrupt_cleanup` drops the run and returns, and `execute` drops this after it), so
/// only a killed harness leaves it behind, named after its run.
#[derive(Debug)]
pub struct ProfileFiles {
    host_dir: PathBuf,
    engine_dir: String,
    /// Profile content → the file's path as the engine sees it.
    paths: BTreeMap<String, String>,
}

/// Directory names start with this, then the run id.
pub const PROFILE_DIR_PREFIX: &str = ".seccomp-harness-profiles-";

impl ProfileFiles {
    /// A directory for `run` beside the socket at `socket` (the harness's path), which the
    /// engine sees at `engine_socket` (its own path for the same socket; the same path when
    /// it does not say).
    pub fn create(
        socket: &Path,
        engine_socket: Option<&str>,
        run: &RunId,
    ) -> Result<ProfileFiles, PodmanError> {
        let name = format!("{PROFILE_DIR_PREFIX}{run}");
        let parent = socket.parent().unwrap_or(Path::new("/"));
        let host_dir = parent.join(&name);
        let engine_parent = engine_socket
            .map(Path::new)
            .and_then(Path::parent)
            .unwrap_or(parent);
        let engine_dir = engine_parent.join(&name).display().to_string();
        std::fs::create_dir(&host_dir).map_err(|source| PodmanError::Write {
            dir: host_dir.display().to_string(),
            source,
        })?;
        Ok(ProfileFiles {
            host_dir,
            engine_dir,
            paths: BTreeMap::new(),
        })
    }

    /// The engine's path of a file holding `json`, written on first use.
    pub(crate) fn path_for(&mut self, json: &str) -> Result<String, PodmanError> {
        if let Some(p) = self.paths.get(json) {
            return Ok(p.clone());
        }
        let file = format!("profile-{}.json", self.paths.len());
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(self.host_dir.join(&file))?;
            f.write_all(json.as_bytes())?;
            f.sync_all()
        };
        write().map_err(|source| PodmanError::Write {
            dir: self.host_dir.display().to_string(),
            source,
        })?;
        let path = format!("{}/{file}", self.engine_dir);
        self.paths.insert(json.to_string(), path.clone());
        Ok(path)
    }
}

/// Removes the profile directories that runs left beside the socket at `socket` when they
/// could not remove them themselves (the harness was SIGKILLed): those of runs whose process
/// is gone, or every run's with `all`. Returns what was removed.
pub fn remove_left_profile_dirs(socket: &Path, all: bool) -> Vec<PathBuf> {
    let parent = socket.parent().unwrap_or(Path::new("/"));
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(PROFILE_DIR_PREFIX))
                .is_some_and(|run| all || !RunId::may_be_alive(run))
        })
        .filter(|p| std::fs::remove_dir_all(p).is_ok())
        .collect()
}

impl Drop for ProfileFiles {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.host_dir);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpod_info_gives_the_engines_socket_and_default_caps() {
        let info = PodmanInfo::parse(
            r#"{"host":{"remoteSocket":{"path":"unix:///lab/sock/podman.sock","exists":true},
                "security":{"capabilities":"CAP_CHOWN,CAP_KILL"}}}"#,
        )
        .unwrap();
        assert_eq!(info.socket_path.as_deref(), Some("/lab/sock/podman.sock"));
        assert_eq!(info.default_caps, ["CAP_CHOWN", "CAP_KILL"]);
        assert_eq!(PodmanInfo::parse("[]"), None);
    }

    #[test]
    fn cap_changes_bridge_the_default_sets() {
        let (add, drop) = cap_changes(
            ["CAP_CHOWN".to_string(), "CAP_NET_RAW".to_string()],
            &["CAP_CHOWN".to_string(), "CAP_KILL".to_string()],
        );
        assert_eq!(add, ["NET_RAW"]);
        assert_eq!(drop, ["KILL"]);
    }

    #[test]
    fn profile_files_map_to_the_engines_view_and_vanish_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let socket = dir.path().join("sock/podman.sock");
        std::fs::create_dir(socket.parent().unwrap()).unwrap();
        let run = RunId::new();
        let mut files = ProfileFiles::create(&socket, Some("/lab/sock/podman.sock"), &run).unwrap();
        let a = files.path_for("{\"a\":1}").unwrap();
        assert_eq!(files.path_for("{\"a\":1}").unwrap(), a);
        let b = files.path_for("{\"b\":2}").unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("/lab/sock/.seccomp-harness-profiles-"), "{a}");
        let host_dir = files.host_dir.clone();
        let written = host_dir.join(Path::new(&a).file_name().unwrap());
        assert_eq!(std::fs::read_to_string(written).unwrap(), "{\"a\":1}");
        drop(files);
        assert!(!host_dir.exists());
        assert_eq!(unix_socket("tcp://h:2375"), None);
        assert_eq!(unix_socket("unix:///x.sock"), Some(Path::new("/x.sock")));
    }
}
