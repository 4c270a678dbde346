//! The probe and pause images on a CRI node, imported offline into containerd's `k8s.io`
//! namespace (the one the CRI plugin serves). Nothing is pulled.
//!
//! Both are `FROM scratch` images holding only the static probe: the pause image runs it with
//! `--pause` (sleep until killed), so a node needs no `registry.k8s.io/pause`. They are written
//! as one `docker save` archive in memory and given to `ctr images import --no-unpack -` (the
//! CRI has no import call): containerd's CRI unpacks an image into its own snapshotter when a
//! container is first made from it (`WithNewSnapshot` in `cri/opts/container.go`, 1.7 and 2.1),
//! so the import needs no snapshotter name and works with the ctr of any release from 1.6 on
//! (measured: Debian's 1.6.20 ctr against containerd 1.7.24 and 2.1.9).
//!
//! The command is `ctr` on PATH, or `SECCOMP_HARNESS_CTR` (words split on whitespace); either
//! way it is given the node's socket with `--address`.

use super::api::{ImageSpec, ImageStatusRequest};
use super::node::CriNode;
use super::{call, CriError};
use crate::engine::ctr::Ctr;
use sha2::{Digest, Sha256};
use std::time::Duration;

/// Where the probe sits in both images.
pub const PROBE_PATH: &str = crate::engine::image::PROBE_PATH;
/// The pause image the lab's containerd engines are configured with (`ci/lab.sh`), imported
/// when the node's configuration names none the harness can read.
pub const DEFAULT_PAUSE_IMAGE: &str = "localhost/seccomp-harness/pause:1";
/// How long `ctr images import` may take.
const IMPORT_DEADLINE: Duration = Duration::from_secs(180);

/// The images a run uses on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CriImages {
    /// `localhost/seccomp-harness/probe:<16 hex digits of the probe's sha256>`.
    pub probe: String,
    pub pause: String,
    /// Whether the import ran (false: both were there already).
    pub imported: bool,
}

/// Go's name of an arch, as image configs spell it.
fn go_arch(arch: &str) -> &str {
    match arch {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The image name for a probe binary: its content decides the tag.
pub(crate) fn probe_image_name(probe: &[u8]) -> String {
    format!(
        "localhost/seccomp-harness/probe:{}",
        &sha256_hex(probe)[..16]
    )
}

fn append(tar: &mut tar::Builder<Vec<u8>>, path: &str, mode: u32, data: &[u8]) {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    // Appending to a Vec cannot fail.
    tar.append_data(&mut header, path, data)
        .expect("tar into memory");
}

/// A `docker save` archive holding one layer (the probe) and one image per `(name, args)`:
/// the entrypoint is the probe with those arguments.
pub(crate) fn archive(probe: &[u8], arch: &str, images: &[(&str, &[&str])]) -> Vec<u8> {
    let mut layer = tar::Builder::new(Vec::new());
    append(&mut layer, PROBE_PATH.trim_start_matches('/'), 0o755, probe);
    let layer = layer.into_inner().expect("tar into memory");
    let layer_sha = sha256_hex(&layer);
    let mut out = tar::Builder::new(Vec::new());
    let layer_path = format!("{layer_sha}/layer.tar");
    append(&mut out, &layer_path, 0o644, &layer);
    let mut manifest = Vec::new();
    for (name, args) in images {
        let mut entrypoint = vec![PROBE_PATH.to_string()];
        entrypoint.extend(args.iter().map(|a| a.to_string()));
        let config = serde_json::json!({
            "architecture": go_arch(arch),
            "os": "linux",
            "config": { "Entrypoint": entrypoint, "WorkingDir": "/" },
            "rootfs": { "type": "layers", "diff_ids": [format!("sha256:{layer_sha}")] },
        });
        let config = serde_json::to_vec(&config).expect("json");
        let config_path = format!("{}.json", sha256_hex(&config));
        append(&mut out, &config_path, 0o644, &config);
        manifest.push(serde_json::json!({
            "Config": config_path,
            "RepoTags": [name],
            "Layers": [layer_path],
        }));
    }
    let manifest = serde_json::to_vec(&manifest).expect("json");
    append(&mut out, "manifest.json", 0o644, &manifest);
    out.into_inner().expect("tar into memory")
}

impl CriNode {
    async fn has_image(&self, name: &str) -> Result<bool, CriError> {
        let mut images = self.images.clone();
        let status = call(
            self.url(),
            "ImageStatus",
            images.image_status(ImageStatusRequest {
                image: Some(ImageSpec {
                    image: name.to_string(),
                    ..Default::default()
                }),
                verbose: false,
            }),
        )
        .await?;
        Ok(status.image.is_some())
    }

    /// Makes sure the probe image (and the pause image the node's sandboxes run) is on the
    /// node, importing what is missing.
    pub(crate) async fn ensure_images(
        &self,
        probe: &[u8],
        arch: &str,
    ) -> Result<CriImages, CriError> {
        let probe_name = probe_image_name(probe);
        let pause = self
            .configured_sandbox_image()
            .unwrap_or_else(|| DEFAULT_PAUSE_IMAGE.to_string());
        let mut missing: Vec<(&str, &[&str])> = Vec::new();
        if !self.has_image(&probe_name).await? {
            missing.push((&probe_name, &[]));
        }
        if !self.has_image(&pause).await? {
            missing.push((&pause, &["--pause"]));
        }
        if missing.is_empty() {
            return Ok(CriImages {
                probe: probe_name,
                pause,
                imported: false,
            });
        }
        let names = missing
            .iter()
            .map(|(n, _)| n.to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let bytes = archive(probe, arch, &missing);
        self.ctr_import(&names, bytes).await?;
        // The CRI plugin learns of new images from containerd's events: wait for it.
        for (name, _) in &missing {
            let mut seen = false;
            for _ in 0..50 {
                if self.has_image(name).await? {
                    seen = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            if !seen {
                return Err(CriError::Import {
                    image: name.to_string(),
                    endpoint: self.url().to_string(),
                    command: "ctr images import".to_string(),
                    message: "imported, but the CRI does not list it after 5 s".to_string(),
                });
            }
        }
        Ok(CriImages {
            probe: probe_name,
            pause,
            imported: true,
        })
    }

    async fn ctr_import(&self, names: &str, archive: Vec<u8>) -> Result<(), CriError> {
        let socket = self.endpoint.socket.display().to_string();
        let ctr = Ctr::new([
            "--address",
            &socket,
            "--timeout",
            "120s",
            "--namespace",
            "k8s.io",
            "images",
            "import",
            "--no-unpack",
            "-",
        ]);
        ctr.output(Some(&archive), IMPORT_DEADLINE)
            .await
            .map_err(|failure| CriError::Import {
                image: names.to_string(),
                endpoint: self.url().to_string(),
                command: ctr.line(),
                message: failure.to_string(),
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_archive_holds_one_layer_and_an_image_per_name() {
        let bytes = archive(
            b"\x7fELF-probe",
            "x86_64",
            &[("localhost/a:1", &[]), ("localhost/p:1", &["--pause"])],
        );
        let mut ar = tar::Archive::new(&bytes[..]);
        let mut files = std::collections::BTreeMap::new();
        for e in ar.entries().unwrap() {
            let mut e = e.unwrap();
            let mut data = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut data).unwrap();
            files.insert(e.path().unwrap().display().to_string(), data);
        }
        let manifest: serde_json::Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
        assert_eq!(manifest.as_array().unwrap().len(), 2);
        let pause = &manifest[1];
        assert_eq!(pause["RepoTags"][0], "localhost/p:1");
        let config: serde_json::Value =
            serde_json::from_slice(&files[pause["Config"].as_str().unwrap()]).unwrap();
        assert_eq!(config["architecture"], "amd64");
        assert_eq!(
            config["config"]["Entrypoint"],
            serde_json::json!(["/seccomp-probe", "--pause"])
        );
        // The layer's diff id is its sha256, and it holds the probe, executable.
        let layer_path = pause["Layers"][0].as_str().unwrap();
        let layer = &files[layer_path];
        assert_eq!(
            config["rootfs"]["diff_ids"][0],
            format!("sha256:{}", sha256_hex(layer))
        );
        let mut inner = tar::Archive::new(&layer[..]);
        let e = inner.entries().unwrap().next().unwrap().unwrap();
        assert_eq!(e.path().unwrap().display().to_string(), "seccomp-probe");
        assert_eq!(e.header().mode().unwrap(), 0o755);
    }

    #[test]
    fn the_probe_image_name_follows_the_content() {
        assert_ne!(probe_image_name(b"a"), probe_image_name(b"b"));
        assert!(probe_image_name(b"a").starts_with("localhost/seccomp-harness/probe:"));
    }
}
