//! The probe image: `FROM scratch`, the static probe at `/seccomp-probe`, nothing else.
//!
//! Built through the engine's build endpoint from a tar made in memory, so no registry is ever
//! asked (`FROM scratch` pulls nothing) and a user needs no files beside the harness. The tag is
//! a hash of the build context, so a probe change gives a new image and an unchanged probe
//! reuses the one already there.

use super::connect::Engine;
use bollard::errors::Error as BollardError;
use bollard::query_parameters::{
    BuildImageOptionsBuilder, ListImagesOptionsBuilder, RemoveImageOptionsBuilder,
};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// The repository part of every probe image's name.
pub const IMAGE_REPOSITORY: &str = "seccomp-harness-probe";
/// Label on every probe image: the hash of its build context. `clean --images` finds them by it.
pub const IMAGE_LABEL: &str = "io.seccomp-harness.probe";
/// Where the probe sits in the image (and the container's entrypoint).
pub const PROBE_PATH: &str = "/seccomp-probe";

/// A probe image present on the engine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeImage {
    /// `seccomp-harness-probe:<16 hex digits>`: what containers are created from.
    pub tag: String,
    /// The engine's image id (`sha256:...`).
    pub id: String,
    /// sha256 of the build context (probe bytes and Dockerfile), in hex.
    pub context_sha256: String,
    /// The image was already there and not rebuilt.
    pub reused: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("cannot assemble the probe image's build context: {0}")]
    Context(#[source] std::io::Error),
    #[error("cannot build the probe image {tag} on {host}: {message}")]
    Build {
        tag: String,
        host: String,
        message: String,
    },
    #[error("cannot build the probe image {tag} on {host}: {}", super::connect::explain(.source))]
    BuildApi {
        tag: String,
        host: String,
        #[source]
        source: BollardError,
    },
    #[error("cannot inspect the probe image {tag} on {host}: {}", super::connect::explain(.source))]
    Inspect {
        tag: String,
        host: String,
        #[source]
        source: BollardError,
    },
    #[error("cannot remove {image} on {host}: {}", super::connect::explain(.source))]
    Remove {
        image: String,
        host: String,
        #[source]
        source: BollardError,
    },
    /// A removal the engine did not answer within its patience ([`super::busy`]).
    #[error("the engine at {host} did not remove {image} {why}; `seccomp-harness clean` removes it later")]
    RemoveUnanswered {
        image: String,
        host: String,
        why: String,
    },
    #[error(
        "the probe binary is built for {probe} but the engine at {host} runs on {engine}; \
         pass a probe built for {engine} with --probe"
    )]
    ArchMismatch {
        probe: String,
        engine: String,
        host: String,
    },
}

fn dockerfile(context_label: &str) -> String {
    format!(
        "FROM scratch\n\
         COPY seccomp-probe {PROBE_PATH}\n\
         LABEL {IMAGE_LABEL}=\"{context_label}\"\n\
         ENTRYPOINT [\"{PROBE_PATH}\"]\n"
    )
}

fn append(
    builder: &mut tar::Builder<Vec<u8>>,
    path: &str,
    mode: u32,
    data: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(mode);
    // Fixed metadata: the same bytes give the same tar, hence the same tag.
    header.set_mtime(0);
    header.set_uid(0);
    header.set_gid(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder.append_data(&mut header, path, data)
}

/// The build context for `probe`: its tar bytes and the hash that names the image.
///
/// The label inside the Dockerfile is the hash of the probe bytes, and the tag is the hash of
/// the whole context, so changing either the probe or the Dockerfile gives a new tag.
pub(crate) fn build_context(probe: &[u8]) -> Result<(Vec<u8>, String), ImageError> {
    let probe_hash = hex(&Sha256::digest(probe));
    let mut builder = tar::Builder::new(Vec::new());
    append(&mut builder, "seccomp-probe", 0o755, probe).map_err(ImageError::Context)?;
    append(
        &mut builder,
        "Dockerfile",
        0o644,
        dockerfile(&probe_hash).as_bytes(),
    )
    .map_err(ImageError::Context)?;
    let tar = builder.into_inner().map_err(ImageError::Context)?;
    let context_hash = hex(&Sha256::digest(&tar));
    Ok((tar, context_hash))
}

/// The image tag for a context hash.
pub fn tag_for(context_sha256: &str) -> String {
    format!("{IMAGE_REPOSITORY}:{}", &context_sha256[..16])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The arch (uname machine name) an ELF binary is built for, from its header's `e_machine`.
/// `None` for anything that is not a little-endian ELF of a known machine.
pub(crate) fn elf_arch(bytes: &[u8]) -> Option<&'static str> {
    if bytes.len() < 20 || &bytes[..4] != b"\x7fELF" || bytes[5] != 1 {
        return None;
    }
    let machine = u16::from_le_bytes([bytes[18], bytes[19]]);
    Some(match (machine, bytes[4]) {
        (62, 2) => "x86_64",
        (3, 1) => "i686",
        (183, 2) => "aarch64",
        (40, 1) => "armv7l",
        (243, 2) => "riscv64",
        (21, 2) => "ppc64le",
        _ => return None,
    })
}

/// Whether two arch names name the same arch, whichever spelling each uses: `uname -m`'s
/// (`aarch64`, `x86_64`), or Go's as engines report them (`arm64`, `amd64`: Podman, and
/// Docker's version endpoint).
pub(crate) fn same_arch(a: &str, b: &str) -> bool {
    match (
        seccomp_catalog::Arch::parse(a),
        seccomp_catalog::Arch::parse(b),
    ) {
        (Some(x), Some(y)) => x == y,
        _ => a.trim().eq_ignore_ascii_case(b.trim()),
    }
}

impl Engine {
    /// Makes sure the image for `probe` exists, building it when it doesn't. `engine_arch` (the
    /// engine facts' `arch`) is checked against the probe's ELF header first, because a probe
    /// of the wrong arch would make every container fail to start and look like a profile
    /// problem.
    pub async fn ensure_probe_image(
        &self,
        probe: &[u8],
        engine_arch: Option<&str>,
    ) -> Result<ProbeImage, ImageError> {
        if let (Some(probe_arch), Some(engine)) = (elf_arch(probe), engine_arch) {
            if !engine.is_empty() && !same_arch(probe_arch, engine) {
                return Err(ImageError::ArchMismatch {
                    probe: probe_arch.to_string(),
                    engine: engine.to_string(),
                    host: self.host().to_string(),
                });
            }
        }
        let (tar, context_sha256) = build_context(probe)?;
        let tag = tag_for(&context_sha256);
        if let Some(id) = self.image_id(&tag).await? {
            return Ok(ProbeImage {
                tag,
                id,
                context_sha256,
                reused: true,
            });
        }

        let options = BuildImageOptionsBuilder::default()
            .dockerfile("Dockerfile")
            .t(&tag)
            .rm(true)
            .forcerm(true)
            .q(true)
            .build();
        let mut stream =
            self.docker()
                .build_image(options, None, Some(bollard::body_full(tar.into())));
        let build_error = |message: String| ImageError::Build {
            tag: tag.clone(),
            host: self.host().to_string(),
            message,
        };
        // bollard's deadline covers a response's head only: the build's stream gets the same
        // deadline per item, so an engine that stops answering mid-build ends the run too.
        let deadline = std::time::Duration::from_secs(super::connect::request_timeout_secs());
        loop {
            let item = match tokio::time::timeout(deadline, stream.next()).await {
                Ok(Some(item)) => item,
                Ok(None) => break,
                Err(_) => {
                    return Err(build_error(format!(
                        "the engine stopped answering POST /build for {} s",
                        deadline.as_secs()
                    )))
                }
            };
            let info = item.map_err(|source| ImageError::BuildApi {
                tag: tag.clone(),
                host: self.host().to_string(),
                source,
            })?;
            if let Some(detail) = info.error_detail {
                return Err(build_error(detail.message.unwrap_or_default()));
            }
        }
        drop(stream);
        match self.image_id(&tag).await? {
            Some(id) => Ok(ProbeImage {
                tag,
                id,
                context_sha256,
                reused: false,
            }),
            None => Err(build_error(
                "the build finished but the image is not there".to_string(),
            )),
        }
    }

    /// The image for `probe` if the engine has it, found without building anything: a run
    /// asks this while it asks the engine's facts, which say whether this probe is the one
    /// the engine needs ([`Engine::ensure_probe_image`] then does the rest).
    pub(crate) async fn find_probe_image(
        &self,
        probe: &[u8],
    ) -> Result<Option<ProbeImage>, ImageError> {
        let (_, context_sha256) = build_context(probe)?;
        let tag = tag_for(&context_sha256);
        Ok(self.image_id(&tag).await?.map(|id| ProbeImage {
            tag,
            id,
            context_sha256,
            reused: true,
        }))
    }

    /// The id of the image `tag`, or `None` when there is none.
    async fn image_id(&self, tag: &str) -> Result<Option<String>, ImageError> {
        match self.docker().inspect_image(tag).await {
            Ok(img) => Ok(Some(img.id.unwrap_or_default())),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(source) => Err(ImageError::Inspect {
                tag: tag.to_string(),
                host: self.host().to_string(),
                source,
            }),
        }
    }
}

/// Which probe images [`remove_probe_images`] takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageSweep {
    /// Those no container uses, in any state (`seccomp-harness clean`): what a killed run
    /// left. The engine decides "used" (a removal without force is refused for an image a
    /// container holds); a run whose image goes between two of its containers builds it
    /// again ([`super::Runner::rebuilding_from`]).
    Unused,
    /// Every one, forced (`clean --images`).
    All,
}

/// What [`remove_probe_images`] did: the images removed, and those kept because a
/// container uses them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagesRemoved {
    pub removed: Vec<String>,
    pub in_use: Vec<String>,
}

/// Removes the probe images (found by [`IMAGE_LABEL`], so never another image) that `sweep`
/// selects.
pub async fn remove_probe_images(
    engine: &Engine,
    sweep: ImageSweep,
) -> Result<ImagesRemoved, ImageError> {
    let filters = HashMap::from([("label".to_string(), vec![IMAGE_LABEL.to_string()])]);
    let options = ListImagesOptionsBuilder::default()
        .filters(&filters)
        .build();
    let host = engine.host().to_string();
    let images = engine
        .docker()
        .list_images(Some(options))
        .await
        .map_err(|source| ImageError::Remove {
            image: "probe images".to_string(),
            host: host.clone(),
            source,
        })?;
    let mut out = ImagesRemoved::default();
    let force = sweep == ImageSweep::All;
    for image in images {
        let name = image
            .repo_tags
            .iter()
            // Engines before API 1.44 list an untagged image as `<none>:<none>`.
            .find(|t| t.as_str() != "<none>:<none>")
            .cloned()
            .unwrap_or_else(|| image.id.clone());
        // An image a container holds is the engine's to refuse (409), but only for a running
        // container on some engines: ask for any container of it, stopped or created too.
        if !force && image_in_use(engine, &image.id).await? {
            out.in_use.push(name);
            continue;
        }
        let options = RemoveImageOptionsBuilder::default().force(force).build();
        // A busy engine can take minutes over one removal: waited for while it answers.
        let removal = engine
            .patiently(
                |docker| async move { docker.remove_image(&image.id, Some(options), None).await },
            )
            .await
            .map_err(|gave_up| ImageError::RemoveUnanswered {
                image: name.clone(),
                host: host.clone(),
                why: gave_up.why(),
            })?;
        match removal {
            Ok(_) => out.removed.push(name),
            Err(BollardError::DockerResponseServerError {
                status_code: 404, ..
            }) => {}
            Err(BollardError::DockerResponseServerError {
                status_code: 409, ..
            }) if !force => out.in_use.push(name),
            Err(source) => {
                return Err(ImageError::Remove {
                    image: name,
                    host,
                    source,
                })
            }
        }
    }
    Ok(out)
}

/// Whether any container, in any state, is made from image `id`.
async fn image_in_use(engine: &Engine, id: &str) -> Result<bool, ImageError> {
    let filters = HashMap::from([("ancestor".to_string(), vec![id.to_string()])]);
    let options = bollard::query_parameters::ListContainersOptionsBuilder::default()
        .all(true)
        .filters(&filters)
        .build();
    engine
        .docker()
        .list_containers(Some(options))
        .await
        .map(|c| !c.is_empty())
        .map_err(|source| ImageError::Remove {
            image: id.to_string(),
            host: engine.host().to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_holds_the_probe_executable_and_a_scratch_dockerfile() {
        let (tar, hash) = build_context(b"\x7fELF fake").unwrap();
        let mut archive = tar::Archive::new(&tar[..]);
        let mut seen = Vec::new();
        for entry in archive.entries().unwrap() {
            let mut entry = entry.unwrap();
            let path = entry.path().unwrap().display().to_string();
            let mode = entry.header().mode().unwrap();
            let mut body = String::new();
            if path == "Dockerfile" {
                std::io::Read::read_to_string(&mut entry, &mut body).unwrap();
                assert!(body.starts_with("FROM scratch\n"), "{body}");
                assert!(body.contains("ENTRYPOINT [\"/seccomp-probe\"]"), "{body}");
                assert!(body.contains(IMAGE_LABEL), "{body}");
            }
            seen.push((path, mode));
        }
        assert_eq!(
            seen,
            vec![
                ("seccomp-probe".to_string(), 0o755),
                ("Dockerfile".to_string(), 0o644)
            ]
        );
        assert_eq!(hash.len(), 64);
    }

    #[test]
    fn the_tag_follows_the_content() {
        let (_, a) = build_context(b"one").unwrap();
        let (_, a2) = build_context(b"one").unwrap();
        let (_, b) = build_context(b"two").unwrap();
        assert_eq!(a, a2);
        assert_ne!(a, b);
        assert!(tag_for(&a).starts_with("seccomp-harness-probe:"));
        assert_eq!(tag_for(&a).len(), IMAGE_REPOSITORY.len() + 1 + 16);
    }

    #[test]
    fn elf_machines_are_recognised() {
        let mut hdr = vec![0u8; 64];
        hdr[..4].copy_from_slice(b"\x7fELF");
        hdr[4] = 2;
        hdr[5] = 1;
        hdr[18..20].copy_from_slice(&62u16.to_le_bytes());
        assert_eq!(elf_arch(&hdr), Some("x86_64"));
        hdr[18..20].copy_from_slice(&183u16.to_le_bytes());
        assert_eq!(elf_arch(&hdr), Some("aarch64"));
        assert_eq!(elf_arch(b"#!/bin/sh"), None);
    }

    #[test]
    fn arch_names_match_in_either_spelling() {
        assert!(same_arch("aarch64", "arm64"));
        assert!(same_arch("x86_64", "amd64"));
        assert!(same_arch("AMD64", "x86_64"));
        assert!(!same_arch("aarch64", "amd64"));
        assert!(same_arch("riscv64", "riscv64"));
        assert!(!same_arch("armv7l", "aarch64"));
    }
}
