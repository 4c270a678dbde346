//! A whole cluster (issue 21): the DaemonSet that runs the harness on every node against the
//! node's own CRI socket, as `seccomp-harness kube manifest` prints it.
//!
//! Each pod's init container runs `seccomp-harness run` with `--cri NODE=unix://SOCKET` (the
//! node's name from the downward API), the profiles from a ConfigMap or from the Security
//! Profiles Operator's profile directory on the node, and writes the node's JSON matrix to a
//! hostPath directory (`<results>/<node>.json`); `kube merge` combines those files into one fleet
//! matrix whose engines are the nodes. The pod then idles in a pause container, so the
//! DaemonSet does not run the harness again. The CRI socket's directory is mounted at the same
//! path, since the harness writes Localhost profiles and reads the CRI logs beside the socket
//! and hands the node those paths; `/sys/fs/cgroup` is mounted so the run's empty pod cgroups
//! can be removed. The harness image must hold containerd's `ctr` (the probe images are
//! imported with it; nothing is pulled).

use serde_json::{json, Value};

/// Where the node's profiles come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Profiles {
    /// A ConfigMap whose keys are profile files (`kubectl create configmap NAME
    /// --from-file=profiles/`).
    ConfigMap(String),
    /// A directory on the node: the Security Profiles Operator writes its SeccompProfiles to
    /// `/var/lib/kubelet/seccomp/operator` (and its namespaced subdirectories).
    HostDir(String),
}

/// The Security Profiles Operator's profile directory on a node.
pub const SPO_DIR: &str = "/var/lib/kubelet/seccomp/operator";

/// What the manifest is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    pub name: String,
    pub namespace: String,
    /// An image with the `seccomp-harness` binary as its entrypoint-less command, and `ctr`.
    pub image: String,
    /// The container that keeps the pod running once the harness is done.
    pub pause_image: String,
    /// The CRI socket's path on every node.
    pub socket: String,
    pub profiles: Profiles,
    /// The directory on each node where the node's matrix is written.
    pub results: String,
}

impl Default for Manifest {
    fn default() -> Self {
        Manifest {
            name: "seccomp-harness".into(),
            namespace: "kube-system".into(),
            image: "seccomp-harness:latest".into(),
            pause_image: "registry.k8s.io/pause:3.10".into(),
            socket: "/run/containerd/containerd.sock".into(),
            profiles: Profiles::ConfigMap("seccomp-profiles".into()),
            results: "/var/lib/seccomp-harness".into(),
        }
    }
}

/// Why a manifest can't be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    #[error("the CRI socket must be an absolute path on the node, such as /run/containerd/containerd.sock: {0:?}")]
    Socket(String),
    #[error("{what} must be an absolute path on the node: {path:?}")]
    Path { what: &'static str, path: String },
    #[error("{what} must be a DNS-1123 name (lower-case letters, digits and '-'): {name:?}")]
    Name { what: &'static str, name: String },
}

fn dns_name(what: &'static str, name: &str) -> Result<(), ManifestError> {
    let ok = !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-')
        && !name.ends_with('-');
    if ok {
        Ok(())
    } else {
        Err(ManifestError::Name {
            what,
            name: name.into(),
        })
    }
}

fn absolute(what: &'static str, path: &str) -> Result<(), ManifestError> {
    if path.starts_with('/') && !path.contains("..") {
        Ok(())
    } else {
        Err(ManifestError::Path {
            what,
            path: path.into(),
        })
    }
}

impl Manifest {
    /// The DaemonSet as a JSON value (apps/v1): the inputs checked first, so that a bad name
    /// or path is refused before any of the manifest is built.
    pub(crate) fn daemonset(&self) -> Result<Value, ManifestError> {
        dns_name("the DaemonSet's name", &self.name)?;
        dns_name("the namespace", &self.namespace)?;
        let socket_dir = self.socket_dir()?;
        absolute("the results directory", &self.results)?;
        let profiles_volume = self.profiles_volume()?;
        let labels = json!({"app.kubernetes.io/name": self.name});
        Ok(json!({
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "name": self.name,
                "namespace": self.namespace,
                "labels": labels,
            },
            "spec": {
                "selector": {"matchLabels": labels},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "tolerations": [{"operator": "Exists"}],
                        "initContainers": [self.harness_container(socket_dir)],
                        "containers": [{
                            "name": "done",
                            "image": self.pause_image,
                            "resources": {"requests": {"cpu": "1m", "memory": "8Mi"}},
                        }],
                        "volumes": [
                            {"name": "cri", "hostPath": {"path": socket_dir, "type": "Directory"}},
                            {"name": "cgroup", "hostPath": {"path": "/sys/fs/cgroup", "type": "Directory"}},
                            profiles_volume,
                            {"name": "results", "hostPath": {"path": self.results, "type": "DirectoryOrCreate"}},
                        ],
                    },
                },
            },
        }))
    }

    /// The directory of the CRI socket, mounted at its own path so that the socket's address
    /// is the same inside the pod.
    fn socket_dir(&self) -> Result<&str, ManifestError> {
        match self.socket.rsplit_once('/') {
            Some((dir, file)) if self.socket.starts_with('/') && !file.is_empty() => {
                Ok(if dir.is_empty() { "/" } else { dir })
            }
            _ => Err(ManifestError::Socket(self.socket.clone())),
        }
    }

    /// Where the pod reads the profiles from: a ConfigMap or a directory of the node.
    fn profiles_volume(&self) -> Result<Value, ManifestError> {
        Ok(match &self.profiles {
            Profiles::ConfigMap(name) => {
                dns_name("the ConfigMap's name", name)?;
                json!({"name": "profiles", "configMap": {"name": name}})
            }
            Profiles::HostDir(dir) => {
                absolute("the profile directory", dir)?;
                json!({"name": "profiles", "hostPath": {"path": dir, "type": "Directory"}})
            }
        })
    }

    /// The init container that runs the harness against its node's CRI socket and writes the
    /// matrix into the results directory.
    fn harness_container(&self, socket_dir: &str) -> Value {
        json!({
            "name": "harness",
            "image": self.image,
            "command": ["seccomp-harness"],
            "args": [
                "run",
                "--cri",
                format!("$(NODE_NAME)=unix://{}", self.socket),
                "--profiles-dir",
                "/profiles",
                "--format",
                "json",
                "--output",
                "/results/$(NODE_NAME).json",
                "--findings-exit-zero",
            ],
            "env": [{
                "name": "NODE_NAME",
                "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}},
            }],
            "securityContext": {"privileged": true},
            "volumeMounts": [
                {"name": "cri", "mountPath": socket_dir},
                {"name": "cgroup", "mountPath": "/sys/fs/cgroup"},
                {"name": "profiles", "mountPath": "/profiles", "readOnly": true},
                {"name": "results", "mountPath": "/results"},
            ],
        })
    }

    /// The DaemonSet as YAML, for `kubectl apply -f -`.
    pub fn yaml(&self) -> Result<String, ManifestError> {
        let value = self.daemonset()?;
        Ok(serde_saphyr::to_string(&value).expect("a JSON value serializes as YAML"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_daemonset_mounts_the_socket_dir_at_its_own_path_and_names_the_node() {
        let m = Manifest::default();
        let d = m.daemonset().unwrap();
        let pod = &d["spec"]["template"]["spec"];
        let init = &pod["initContainers"][0];
        assert_eq!(
            init["args"][2],
            "$(NODE_NAME)=unix:///run/containerd/containerd.sock"
        );
        assert_eq!(init["volumeMounts"][0]["mountPath"], "/run/containerd");
        assert_eq!(pod["volumes"][0]["hostPath"]["path"], "/run/containerd");
        assert_eq!(pod["volumes"][2]["configMap"]["name"], "seccomp-profiles");
        assert_eq!(
            init["env"][0]["valueFrom"]["fieldRef"]["fieldPath"],
            "spec.nodeName"
        );
        // The YAML reads back as the same value.
        let back: Value = serde_saphyr::from_str(&m.yaml().unwrap()).unwrap();
        assert_eq!(back, d);

        let spo = Manifest {
            profiles: Profiles::HostDir(SPO_DIR.into()),
            ..Manifest::default()
        };
        let d = spo.daemonset().unwrap();
        assert_eq!(
            d["spec"]["template"]["spec"]["volumes"][2]["hostPath"]["path"],
            SPO_DIR
        );
    }

    #[test]
    fn bad_names_and_paths_are_refused() {
        let bad = |m: Manifest| m.daemonset().unwrap_err().to_string();
        assert!(bad(Manifest {
            socket: "containerd.sock".into(),
            ..Manifest::default()
        })
        .contains("absolute path"));
        assert!(bad(Manifest {
            namespace: "Kube_System".into(),
            ..Manifest::default()
        })
        .contains("DNS-1123"));
        assert!(bad(Manifest {
            results: "results".into(),
            ..Manifest::default()
        })
        .contains("results directory"));
        assert!(bad(Manifest {
            profiles: Profiles::ConfigMap("".into()),
            ..Manifest::default()
        })
        .contains("ConfigMap"));
    }
}
