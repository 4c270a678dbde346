//! `seccomp-harness kube`: a whole cluster (issue 21). `kube manifest` prints the DaemonSet that
//! runs the harness on every node against the node's own CRI socket, one JSON matrix per node
//! in a hostPath directory (`seccomp_harness_core::kube`); `kube merge` combines those files into
//! one fleet matrix whose engines are the nodes, named after the files.

use super::{Failure, OutputArgs};
use seccomp_harness_core::exit::ExitCode;
use seccomp_harness_core::kube::{Manifest, Profiles, SPO_DIR};
use seccomp_harness_core::matrix::Matrix;
use std::path::PathBuf;

#[derive(clap::Subcommand)]
pub(crate) enum Command {
    /// Print the DaemonSet (YAML, for `kubectl apply -f -`) that runs the harness on every node
    /// against the node's CRI socket and writes one JSON matrix per node.
    Manifest(ManifestArgs),
    /// Combine the per-node matrices (`NODE.json`, as the DaemonSet writes them) into one
    /// fleet matrix whose engines are the nodes.
    Merge(MergeArgs),
}

#[derive(clap::Args)]
pub(crate) struct ManifestArgs {
    /// The harness image: `seccomp-harness` on its PATH, and containerd's `ctr`.
    #[arg(long, default_value = "seccomp-harness:latest")]
    pub(crate) image: String,
    #[arg(long, default_value = "kube-system")]
    pub(crate) namespace: String,
    /// The CRI socket's path on the nodes.
    #[arg(long, default_value = "/run/containerd/containerd.sock")]
    pub(crate) socket: String,
    /// The ConfigMap holding the profiles (`kubectl create configmap NAME --from-file=DIR`).
    #[arg(
        long,
        default_value = "seccomp-profiles",
        conflicts_with = "spo_namespace"
    )]
    pub(crate) configmap: String,
    /// Take the profiles the Security Profiles Operator wrote for this namespace on each node
    /// (`/var/lib/kubelet/seccomp/operator/NAMESPACE`) instead of a ConfigMap.
    #[arg(long, value_name = "NAMESPACE")]
    pub(crate) spo_namespace: Option<String>,
    /// Where each node's matrix is written on the node (`DIR/NODE.json`).
    #[arg(long, default_value = "/var/lib/seccomp-harness")]
    pub(crate) results: String,
    /// The image of the container that keeps each pod running once the harness is done.
    #[arg(long, default_value = "registry.k8s.io/pause:3.10")]
    pub(crate) pause_image: String,
}

#[derive(clap::Args)]
pub(crate) struct MergeArgs {
    /// The nodes' matrices; each file's name without `.json` names its node.
    #[arg(required = true)]
    pub(crate) matrices: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) output: OutputArgs,
}

pub(crate) fn main(command: Command) -> Result<ExitCode, Failure> {
    match command {
        Command::Manifest(a) => {
            let manifest = Manifest {
                image: a.image,
                namespace: a.namespace,
                socket: a.socket,
                profiles: match a.spo_namespace {
                    Some(ns) => Profiles::HostDir(format!("{SPO_DIR}/{ns}")),
                    None => Profiles::ConfigMap(a.configmap),
                },
                results: a.results,
                pause_image: a.pause_image,
                ..Manifest::default()
            };
            let yaml = manifest.yaml().map_err(Failure::bad_input)?;
            print!("{yaml}");
            Ok(ExitCode::Ok)
        }
        Command::Merge(a) => {
            a.output.preflight()?;
            let mut parts = Vec::with_capacity(a.matrices.len());
            for path in &a.matrices {
                let node = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let matrix = Matrix::load(path).map_err(Failure::bad_input)?;
                parts.push((node, matrix));
            }
            let fleet = seccomp_harness_core::fleet::combine(parts).map_err(Failure::bad_input)?;
            a.output.emit(&fleet)?;
            Ok(ExitCode::Ok)
        }
    }
}
