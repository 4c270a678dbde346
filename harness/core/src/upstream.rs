//! The engines' upstream default profiles as data (`harness/data/upstream-defaults/`, generated
//! by `ci/gen-upstream-defaults.sh`, each file with the tag and commit it came from): which
//! profile an engine's release was built from, so `builtin` can be predicted, and from which
//! release the default allows a syscall, for the readiness summary.
//!
//! The data is compiled in (`include_str!`), so the core stays free of I/O and a harness binary
//! carries it wherever it runs. Every section is read: Docker's and containerd's, Podman's (the
//! containers-common profile each Podman release vendors, its built-in default) and
//! containers-common's own releases. A packaged Podman reads the distribution's
//! containers-common file (`/usr/share/containers/seccomp.json`) before its built-in copy, and
//! the API says neither which nor its version, so Podman's release is a prediction that drift
//! checks, and the host's containers-common release can be named instead ([`containers_common`]).

use crate::engine_kind::EngineKind;
use crate::profile::{self, CapSet, Host, KernelVersion, Profile};
use crate::version::Version;
use seccomp_catalog::{Arch, Catalog};
use serde::Deserialize;
use std::sync::OnceLock;

const INDEX: &str = include_str!("../../data/upstream-defaults/index.json");

/// Every distinct Docker profile of the data, by its file name in `index.json`. A test checks
/// that this list and the directory agree, so regenerated data can't be left out.
const DOCKER_FILES: &[(&str, &str)] = &[
    (
        "docker/v20.10.0.json",
        include_str!("../../data/upstream-defaults/docker/v20.10.0.json"),
    ),
    (
        "docker/v20.10.4.json",
        include_str!("../../data/upstream-defaults/docker/v20.10.4.json"),
    ),
    (
        "docker/v20.10.10.json",
        include_str!("../../data/upstream-defaults/docker/v20.10.10.json"),
    ),
    (
        "docker/v20.10.18.json",
        include_str!("../../data/upstream-defaults/docker/v20.10.18.json"),
    ),
    (
        "docker/v20.10.22.json",
        include_str!("../../data/upstream-defaults/docker/v20.10.22.json"),
    ),
    (
        "docker/v20.10.26.json",
        include_str!("../../data/upstream-defaults/docker/v20.10.26.json"),
    ),
    (
        "docker/v23.0.0.json",
        include_str!("../../data/upstream-defaults/docker/v23.0.0.json"),
    ),
    (
        "docker/v23.0.7.json",
        include_str!("../../data/upstream-defaults/docker/v23.0.7.json"),
    ),
    (
        "docker/v23.0.10.json",
        include_str!("../../data/upstream-defaults/docker/v23.0.10.json"),
    ),
    (
        "docker/v25.0.0.json",
        include_str!("../../data/upstream-defaults/docker/v25.0.0.json"),
    ),
    (
        "docker/v25.0.3.json",
        include_str!("../../data/upstream-defaults/docker/v25.0.3.json"),
    ),
    (
        "docker/v28.2.0.json",
        include_str!("../../data/upstream-defaults/docker/v28.2.0.json"),
    ),
    (
        "docker/v29.4.2.json",
        include_str!("../../data/upstream-defaults/docker/v29.4.2.json"),
    ),
    (
        "docker/v29.4.3.json",
        include_str!("../../data/upstream-defaults/docker/v29.4.3.json"),
    ),
];

/// Every distinct containers-common profile of the data (Podman vendors one per release), by its
/// file name in `index.json`. Checked like [`DOCKER_FILES`].
const PODMAN_FILES: &[(&str, &str)] = &[
    (
        "podman/common-v0.21.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.21.0.json"),
    ),
    (
        "podman/common-v0.22.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.22.0.json"),
    ),
    (
        "podman/common-v0.23.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.23.0.json"),
    ),
    (
        "podman/common-v0.26.1.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.26.1.json"),
    ),
    (
        "podman/common-v0.31.1.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.31.1.json"),
    ),
    (
        "podman/common-v0.33.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.33.0.json"),
    ),
    (
        "podman/common-v0.33.2.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.33.2.json"),
    ),
    (
        "podman/common-v0.34.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.34.0.json"),
    ),
    (
        "podman/common-v0.37.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.37.0.json"),
    ),
    (
        "podman/common-v0.40.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.40.0.json"),
    ),
    (
        "podman/common-v0.40.1.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.40.1.json"),
    ),
    (
        "podman/common-v0.44.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.44.0.json"),
    ),
    (
        "podman/common-v0.47.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.47.0.json"),
    ),
    (
        "podman/common-v0.48.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.48.0.json"),
    ),
    (
        "podman/common-v0.49.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.49.0.json"),
    ),
    (
        "podman/common-v0.58.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.58.0.json"),
    ),
    (
        "podman/common-v0.60.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.60.0.json"),
    ),
    (
        "podman/common-v0.63.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.63.0.json"),
    ),
    (
        "podman/common-v0.67.0.json",
        include_str!("../../data/upstream-defaults/podman/common-v0.67.0.json"),
    ),
];

const CONTAINERD_INDEX: &str = include_str!("../../data/upstream-defaults/containerd/index.json");

/// Every distinct containerd RuntimeDefault profile of the data (generated from containerd's Go
/// source by `ci/gen-containerd-defaults.sh`), by its file name. Checked like [`DOCKER_FILES`].
const CONTAINERD_FILES: &[(&str, &str)] = &[
    (
        "containerd/v1.6.0.json",
        include_str!("../../data/upstream-defaults/containerd/v1.6.0.json"),
    ),
    (
        "containerd/v1.6.7.json",
        include_str!("../../data/upstream-defaults/containerd/v1.6.7.json"),
    ),
    (
        "containerd/v1.6.9.json",
        include_str!("../../data/upstream-defaults/containerd/v1.6.9.json"),
    ),
    (
        "containerd/v1.6.16.json",
        include_str!("../../data/upstream-defaults/containerd/v1.6.16.json"),
    ),
    (
        "containerd/v1.6.22.json",
        include_str!("../../data/upstream-defaults/containerd/v1.6.22.json"),
    ),
    (
        "containerd/v1.6.28.json",
        include_str!("../../data/upstream-defaults/containerd/v1.6.28.json"),
    ),
    (
        "containerd/v1.7.0.json",
        include_str!("../../data/upstream-defaults/containerd/v1.7.0.json"),
    ),
    (
        "containerd/v1.7.3.json",
        include_str!("../../data/upstream-defaults/containerd/v1.7.3.json"),
    ),
    (
        "containerd/v1.7.13.json",
        include_str!("../../data/upstream-defaults/containerd/v1.7.13.json"),
    ),
    (
        "containerd/v1.7.32.json",
        include_str!("../../data/upstream-defaults/containerd/v1.7.32.json"),
    ),
    (
        "containerd/v2.0.0.json",
        include_str!("../../data/upstream-defaults/containerd/v2.0.0.json"),
    ),
    (
        "containerd/v2.0.9.json",
        include_str!("../../data/upstream-defaults/containerd/v2.0.9.json"),
    ),
    (
        "containerd/v2.1.0.json",
        include_str!("../../data/upstream-defaults/containerd/v2.1.0.json"),
    ),
    (
        "containerd/v2.2.0.json",
        include_str!("../../data/upstream-defaults/containerd/v2.2.0.json"),
    ),
    (
        "containerd/v2.2.4.json",
        include_str!("../../data/upstream-defaults/containerd/v2.2.4.json"),
    ),
];

/// The engine whose releases a [`Release`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    #[default]
    Docker,
    /// A Podman release, whose profile is the containers-common release it vendors.
    Podman,
    /// A containers-common release: the `seccomp.json` a distribution installs with it.
    ContainersCommon,
    Containerd,
}

/// The containers-common release a Podman release vendors (`vendor/modules.txt`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VendoredCommon {
    /// `github.com/containers/common`, or `go.podman.io/common` from Podman 5.7.
    pub module: String,
    /// `v0.67.1`, with its `v`.
    pub version: String,
    pub tag: String,
    /// `None` where the tag was not in the clone the data was built from: the bytes are then
    /// Podman's vendored copy (the data's README lists these gaps).
    pub commit: Option<String>,
}

/// One release and the profile it was built from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Release {
    /// `20.10.24`, without the `v`.
    pub version: String,
    pub tag: String,
    pub commit: String,
    /// The profile's path in the repository at that commit.
    pub path: String,
    /// The data file holding it, relative to `harness/data/upstream-defaults/`.
    pub file: String,
    pub sha256: String,
    /// For containerd, the git blob of the Go source the profile was generated from.
    #[serde(default)]
    pub blob: Option<String>,
    /// For a Podman release, the containers-common release it vendors.
    #[serde(default)]
    pub common: Option<VendoredCommon>,
    #[serde(skip)]
    pub engine: Engine,
}

impl Release {
    /// The profile's JSON, byte for byte as upstream published it.
    pub fn text(&self) -> &'static str {
        DOCKER_FILES
            .iter()
            .chain(PODMAN_FILES)
            .chain(CONTAINERD_FILES)
            .find(|(f, _)| *f == self.file)
            .map(|(_, t)| *t)
            .expect("every indexed file is compiled in (checked by a test)")
    }

    /// Where it came from, for the matrix's `source`.
    pub fn source(&self) -> String {
        let commit = &self.commit[..12.min(self.commit.len())];
        match self.engine {
            Engine::Docker => format!(
                "upstream-defaults/{} (moby {} at {}, {})",
                self.file, self.tag, commit, self.path
            ),
            Engine::Podman => {
                let common = self
                    .common
                    .as_ref()
                    .map(|c| format!("containers-common {} ", c.version))
                    .unwrap_or_default();
                format!(
                    "upstream-defaults/{} ({common}as vendored by podman {} at {}, {})",
                    self.file, self.tag, commit, self.path
                )
            }
            Engine::ContainersCommon => format!(
                "upstream-defaults/{} (containers-common {} at {}, {})",
                self.file, self.tag, commit, self.path
            ),
            Engine::Containerd => format!(
                "upstream-defaults/{} (generated from containerd {} at {}, {})",
                self.file, self.tag, commit, self.path
            ),
        }
    }

    /// The release number (`20.10.24` of `20.10.24+dfsg1`, `28.5.2-1`, `v26.1.5`).
    fn key(&self) -> Option<Version> {
        Version::parse_release(&self.version).ok()
    }
}

#[derive(Deserialize)]
struct Index {
    docker: Section,
    podman: Section,
    #[serde(rename = "containers-common")]
    containers_common: Section,
}

#[derive(Deserialize)]
struct Section {
    releases: Vec<Release>,
}

impl Section {
    /// The releases in version order, each marked with its engine.
    fn sorted(self, engine: Engine) -> Vec<Release> {
        let mut r = self.releases;
        for release in &mut r {
            release.engine = engine;
        }
        r.sort_by_key(|r| r.key());
        r
    }
}

/// `index.json`'s sections, each in version order.
struct Sections {
    docker: Vec<Release>,
    podman: Vec<Release>,
    containers_common: Vec<Release>,
}

fn sections() -> &'static Sections {
    static SECTIONS: OnceLock<Sections> = OnceLock::new();
    SECTIONS.get_or_init(|| {
        let index: Index =
            serde_json::from_str(INDEX).expect("the compiled-in index.json parses (tested)");
        Sections {
            docker: index.docker.sorted(Engine::Docker),
            podman: index.podman.sorted(Engine::Podman),
            containers_common: index.containers_common.sorted(Engine::ContainersCommon),
        }
    })
}

/// Docker's releases in version order.
pub(crate) fn docker_releases() -> &'static [Release] {
    &sections().docker
}

/// Podman's releases (from 2.1.0, when it began vendoring containers-common's profile) in
/// version order.
pub(crate) fn podman_releases() -> &'static [Release] {
    &sections().podman
}

/// containers-common's releases (from 0.21.0) in version order.
pub(crate) fn containers_common_releases() -> &'static [Release] {
    &sections().containers_common
}

/// containerd's releases (1.6 to 2.2) in version order.
pub(crate) fn containerd_releases() -> &'static [Release] {
    static RELEASES: OnceLock<Vec<Release>> = OnceLock::new();
    RELEASES.get_or_init(|| {
        let index: Section = serde_json::from_str(CONTAINERD_INDEX)
            .expect("the compiled-in containerd index.json parses (tested)");
        index.sorted(Engine::Containerd)
    })
}

/// Why no upstream profile stands for an engine's builtin profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoUpstream {
    #[error(
        "no upstream default profile is known for engine {0:?}: the data covers Docker, Podman and containerd"
    )]
    Engine(String),
    #[error("cannot read a release number from the engine version {0:?}")]
    Version(String),
    #[error(
        "no upstream {engine} release {version} in the data (it covers {first} to {last}, final releases only)"
    )]
    Release {
        engine: &'static str,
        version: String,
        first: String,
        last: String,
    },
}

/// The upstream release an engine's builtin profile was built from (Docker's `builtin`,
/// Podman's built-in copy of containers-common, containerd's RuntimeDefault): the same release
/// number, whatever a distribution appended (`+dfsg1`, `~ds1`). A distribution's patches, and
/// on Podman a distribution's own containers-common, are what drift shows.
pub fn default_for(engine: &str, version: &str) -> Result<&'static Release, NoUpstream> {
    let (name, releases) = match EngineKind::parse(engine) {
        Some(EngineKind::Docker) => ("Docker", docker_releases()),
        Some(EngineKind::Podman) => ("Podman", podman_releases()),
        Some(EngineKind::Containerd) => ("containerd", containerd_releases()),
        None => return Err(NoUpstream::Engine(engine.to_string())),
    };
    release_in(name, releases, version)
}

/// containers-common's profile of a release (`0.64.1`, `v0.66.1`, a distribution's
/// `0.67.1-3`): what a packaged Podman reads from `/usr/share/containers/seccomp.json`, for a
/// user who knows the package's version. A release whose tag the data's clones lacked
/// (0.64.2, 0.67.1) is known by the copy a Podman release vendors, and found as that.
pub fn containers_common(version: &str) -> Result<&'static Release, NoUpstream> {
    match release_in("containers-common", containers_common_releases(), version) {
        Err(missing @ NoUpstream::Release { .. }) => {
            let key = Version::parse_release(version).ok();
            podman_releases()
                .iter()
                .find(|r| {
                    r.common
                        .as_ref()
                        .is_some_and(|c| Version::parse_release(&c.version).ok() == key)
                })
                .ok_or(missing)
        }
        own => own,
    }
}

/// The release of `releases` with `version`'s release number.
fn release_in(
    name: &'static str,
    releases: &'static [Release],
    version: &str,
) -> Result<&'static Release, NoUpstream> {
    let key =
        Version::parse_release(version).map_err(|_| NoUpstream::Version(version.to_string()))?;
    releases
        .iter()
        .find(|r| r.key() == Some(key))
        .ok_or_else(|| NoUpstream::Release {
            engine: name,
            version: key.to_string(),
            first: releases
                .first()
                .map(|r| r.version.clone())
                .unwrap_or_default(),
            last: releases
                .last()
                .map(|r| r.version.clone())
                .unwrap_or_default(),
        })
}

/// The parsed profile of a release.
pub fn profile_of(release: &Release) -> Profile {
    profile::parse_str(release.text(), &release.file)
        .expect("the compiled-in upstream profiles parse (tested)")
}

/// Which of an engine's releases' defaults allow a syscall with the default capabilities (Docker's
/// 14, which containerd's are too, and which a run gives Podman's containers as well), on an
/// arch and kernel: what upstream intended, so the runtime's libseccomp is not consulted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    /// The first release of the last run of releases that allow it up to the newest in the
    /// data; `None` when the newest does not allow it.
    pub from: Option<String>,
    /// The last release that allowed it before the newest stopped, when one did.
    pub until: Option<String>,
}

/// Per syscall name, from which release of `engine` its default allows it: Docker's
/// `default.json` history, Podman's vendored containers-common, or containerd's RuntimeDefault
/// (1.6 to 2.2, in version order across the release lines) on a Kubernetes node. Each
/// distinct profile is resolved once; the plain case of the syscall (its own name in the
/// catalog) is asked of the oracle, as for any file profile.
pub(crate) fn allowance(
    engine: EngineKind,
    arch: Arch,
    kernel: KernelVersion,
    syscalls: &[&str],
) -> Vec<(String, Allowance)> {
    let releases = match engine {
        EngineKind::Docker => docker_releases(),
        EngineKind::Podman => podman_releases(),
        EngineKind::Containerd => containerd_releases(),
    };
    let catalog = Catalog::for_arch(arch);
    let host = Host::new(arch, CapSet::docker_default(), kernel);
    let mut verdicts: Vec<(String, Vec<bool>)> = syscalls
        .iter()
        .map(|s| (s.to_string(), Vec::new()))
        .collect();
    let mut cache: Vec<(&str, Vec<bool>)> = Vec::new();
    for r in releases {
        let allowed = match cache.iter().find(|(f, _)| *f == r.file) {
            Some((_, a)) => a.clone(),
            None => {
                let resolved = profile::resolve(&profile_of(r), &host);
                let oracle = crate::oracle::Oracle::new(&resolved);
                let a: Vec<bool> = syscalls
                    .iter()
                    .map(|s| {
                        catalog.get(s).is_some_and(|case| {
                            oracle.predict_filter(case).outcome == crate::outcome::Outcome::Allowed
                        })
                    })
                    .collect();
                cache.push((&r.file, a.clone()));
                a
            }
        };
        for (v, a) in verdicts.iter_mut().zip(allowed) {
            v.1.push(a);
        }
    }
    verdicts
        .into_iter()
        .map(|(name, allowed)| {
            let last_denied = allowed.iter().rposition(|a| !a);
            let from = match last_denied {
                None => releases.first(),
                Some(i) => releases.get(i + 1),
            }
            .map(|r| r.version.clone());
            let until = match last_denied {
                Some(i) => allowed[..i]
                    .iter()
                    .rposition(|a| *a)
                    .map(|j| releases[j].version.clone()),
                None => None,
            };
            (name, Allowance { from, until })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The files a data directory holds, as `index.json` names them (`docker/v20.10.0.json`).
    fn on_disk(dir: &str) -> BTreeSet<String> {
        let path = format!(
            "{}/../data/upstream-defaults/{dir}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "index.json")
            .map(|n| format!("{dir}/{n}"))
            .collect()
    }

    /// Every file a section of `index.json` names is compiled in and parses, and every file of
    /// its directory is named by a section, so regenerated data can't be left out or left
    /// behind.
    #[test]
    fn every_indexed_file_is_compiled_in_and_every_data_file_is_indexed() {
        let podman: Vec<&Release> = podman_releases()
            .iter()
            .chain(containers_common_releases())
            .collect();
        let docker: Vec<&Release> = docker_releases().iter().collect();
        for (dir, releases, files) in [
            ("docker", docker, DOCKER_FILES),
            ("podman", podman, PODMAN_FILES),
        ] {
            let indexed: BTreeSet<&str> = releases.iter().map(|r| r.file.as_str()).collect();
            let compiled: BTreeSet<&str> = files.iter().map(|(f, _)| *f).collect();
            assert_eq!(indexed, compiled, "{dir}");
            let on_disk = on_disk(dir);
            assert_eq!(
                on_disk.iter().map(String::as_str).collect::<BTreeSet<_>>(),
                compiled,
                "{dir}"
            );
            for r in releases {
                assert!(!profile_of(r).rules.is_empty(), "{}", r.file);
            }
        }
        assert!(podman_releases().iter().all(|r| r.engine == Engine::Podman
            && r.file.starts_with("podman/common-")
            && r.common
                .as_ref()
                .is_some_and(|c| c.version.starts_with('v'))));
        assert!(containers_common_releases()
            .iter()
            .all(|r| r.engine == Engine::ContainersCommon && r.common.is_none()));
    }

    /// Podman's built-in default is the containers-common release it vendors, found by
    /// Podman's release; a distribution's containers-common is found by its own release.
    #[test]
    fn a_podman_release_finds_the_containers_common_it_vendors() {
        let r = default_for("podman", "5.8.2").unwrap();
        assert_eq!(r.engine, Engine::Podman);
        assert_eq!(r.file, "podman/common-v0.67.0.json");
        let common = r.common.as_ref().unwrap();
        assert_eq!(
            (common.version.as_str(), common.commit.as_deref()),
            ("v0.67.1", None)
        );
        assert_eq!(
            r.source(),
            "upstream-defaults/podman/common-v0.67.0.json (containers-common v0.67.1 as vendored \
             by podman v5.8.2 at 5b263b5f5b48, vendor/go.podman.io/common/pkg/seccomp/seccomp.json)"
        );
        assert_eq!(
            default_for("Podman", "4.9.3+ds1-1").unwrap().file,
            "podman/common-v0.49.0.json"
        );
        let e = default_for("podman", "5.8.6").unwrap_err();
        assert_eq!(
            e.to_string(),
            "no upstream Podman release 5.8.6 in the data (it covers 2.1.0 to 5.8.2, final releases only)"
        );
        let c = containers_common("0.64.1+ds1-1").unwrap();
        assert_eq!(
            (c.engine, c.file.as_str(), c.tag.as_str()),
            (
                Engine::ContainersCommon,
                "podman/common-v0.63.0.json",
                "v0.64.1"
            )
        );
        assert!(
            c.source().starts_with(
                "upstream-defaults/podman/common-v0.63.0.json (containers-common v0.64.1 at "
            ),
            "{}",
            c.source()
        );
        assert_eq!(containers_common("v0.67.0").unwrap().tag, "common/v0.67.0");
        // Debian's package on the lab (golang-github-containers-common 0.67.1-3): no tag in
        // the data's clones, so the copy Podman 5.8.2 vendors stands for it.
        let vendored = containers_common("0.67.1-3").unwrap();
        assert_eq!(
            (
                vendored.engine,
                vendored.tag.as_str(),
                vendored.file.as_str()
            ),
            (Engine::Podman, "v5.8.2", "podman/common-v0.67.0.json")
        );
        let e = containers_common("0.20.0").unwrap_err();
        assert!(
            e.to_string().starts_with(
                "no upstream containers-common release 0.20.0 in the data (it covers 0.21.0 to "
            ),
            "{e}"
        );
    }

    #[test]
    fn every_containerd_file_is_compiled_in_and_indexed() {
        let indexed: BTreeSet<&str> = containerd_releases()
            .iter()
            .map(|r| r.file.as_str())
            .collect();
        let compiled: BTreeSet<&str> = CONTAINERD_FILES.iter().map(|(f, _)| *f).collect();
        assert_eq!(indexed, compiled);
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../data/upstream-defaults/containerd"
        );
        let on_disk: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "index.json")
            .map(|n| format!("containerd/{n}"))
            .collect();
        assert_eq!(
            on_disk.iter().map(String::as_str).collect::<BTreeSet<_>>(),
            compiled
        );
        let lines: BTreeSet<(u64, u64)> = containerd_releases()
            .iter()
            .map(|r| {
                let k = r.key().unwrap();
                (k.major, k.minor)
            })
            .collect();
        assert_eq!(
            lines,
            [(1, 6), (1, 7), (2, 0), (2, 1), (2, 2)]
                .into_iter()
                .collect()
        );
        for r in containerd_releases() {
            assert_eq!(r.engine, Engine::Containerd);
            assert!(r.blob.as_deref().is_some_and(|b| b.len() == 40), "{r:?}");
            assert!(!profile_of(r).rules.is_empty(), "{}", r.file);
        }
    }

    /// What containerd's RuntimeDefault allows on x86_64 with its default capabilities, per
    /// release: the differences issue 21 names, read from the generated data.
    #[test]
    fn containerd_runtime_default_differs_by_release_as_upstream_changed_it() {
        let host = Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(6, 12),
        );
        let catalog = Catalog::for_arch(Arch::X86_64);
        let resolved = |v: &str| {
            let r = default_for("containerd", v).unwrap();
            profile::resolve(&profile_of(r), &host)
        };
        let allows = |v: &str, case: &str| {
            let res = resolved(v);
            let oracle = crate::oracle::Oracle::new(&res);
            oracle
                .predict_filter(catalog.get(case).unwrap_or_else(|| panic!("{case}")))
                .outcome
                == crate::outcome::Outcome::Allowed
        };
        // As measured with ContainerStatus verbose on 2.1.9: 3 arches and 12 rules.
        let r = resolved("2.1.9");
        assert_eq!(r.architectures.len(), 3, "{:?}", r.architectures);
        let kept: BTreeSet<usize> = r.calls.iter().map(|c| c.rule).collect();
        assert_eq!(kept.len(), 12);
        assert_eq!(
            default_for("containerd", "1.7.24~ds1-1").unwrap().tag,
            "v1.7.24"
        );
        assert_eq!(default_for("containerd", "v2.1.9").unwrap().tag, "v2.1.9");
        assert!(default_for("containerd", "2.1.9")
            .unwrap()
            .source()
            .contains("generated from containerd v2.1.9"));
        // io_uring: 1.6 and 1.7 allow it, 2.0 removed it.
        assert!(allows("1.6.39", "io_uring_setup"));
        assert!(allows("1.7.24", "io_uring_setup"));
        assert!(!allows("2.0.0", "io_uring_setup"));
        assert!(!allows("2.1.9", "io_uring_setup"));
        // mseal is in 2.2 only.
        assert!(!allows("2.1.9", "mseal"));
        assert!(allows("2.2.0", "mseal"));
        let e = default_for("containerd", "1.5.18").unwrap_err();
        assert!(
            e.to_string()
                .contains("no upstream containerd release 1.5.18"),
            "{e}"
        );
    }

    #[test]
    fn a_distribution_version_finds_its_upstream_release() {
        let r = default_for("docker", "20.10.24+dfsg1").unwrap();
        assert_eq!(r.tag, "v20.10.24");
        assert!(r.source().contains("v20.10.24"), "{}", r.source());
        assert_eq!(
            default_for("docker", "28.5.2+dfsg3").unwrap().tag,
            "v28.5.2"
        );
        assert_eq!(
            default_for("docker", "29.7.2").unwrap().tag,
            "docker-v29.7.2"
        );
        let e = default_for("docker", "19.03.15").unwrap_err();
        assert!(
            e.to_string().contains("no upstream Docker release 19.3.15"),
            "{e}"
        );
        assert!(matches!(
            default_for("cri-o", "1.34.0"),
            Err(NoUpstream::Engine(_))
        ));
        assert!(matches!(
            default_for("docker", "dev"),
            Err(NoUpstream::Version(_))
        ));
    }

    #[test]
    fn allowances_follow_the_releases() {
        let a = allowance(
            EngineKind::Docker,
            Arch::X86_64,
            KernelVersion::new(6, 18),
            &[
                "getpid",
                "io_uring_setup",
                "mseal",
                "lsm_list_modules",
                "faccessat2",
            ],
        );
        let get = |n: &str| a.iter().find(|(s, _)| s == n).unwrap().1.clone();
        assert_eq!(get("getpid").from.as_deref(), Some("20.10.0"));
        // Docker v25.0.0 took io_uring out of the default.
        let io = get("io_uring_setup");
        assert_eq!(io.from, None);
        assert!(
            io.until.as_deref().is_some_and(|u| u.starts_with("2")),
            "{io:?}"
        );
        assert!(get("mseal").from.is_some());
        assert_eq!(get("lsm_list_modules").from, None);
        assert!(get("faccessat2")
            .from
            .as_deref()
            .is_some_and(|v| v.starts_with("20.10.")));
    }

    /// A Kubernetes node's history is containerd's RuntimeDefault, not Docker's default.json:
    /// io_uring was allowed up to the 1.7 line and removed in 2.0, mseal arrives in 2.2.0.
    #[test]
    fn a_nodes_allowances_follow_containerds_releases() {
        let a = allowance(
            EngineKind::Containerd,
            Arch::X86_64,
            KernelVersion::new(6, 18),
            &["getpid", "io_uring_setup", "mseal"],
        );
        let get = |n: &str| a.iter().find(|(s, _)| s == n).unwrap().1.clone();
        assert_eq!(get("getpid").from.as_deref(), Some("1.6.0"), "{a:?}");
        let io = get("io_uring_setup");
        assert_eq!(io.from, None);
        assert!(
            io.until.as_deref().is_some_and(|u| u.starts_with("1.7.")),
            "{io:?}"
        );
        assert_eq!(get("mseal").from.as_deref(), Some("2.2.0"), "{a:?}");
    }

    /// A Podman engine's history is the containers-common its releases vendor: clone3 allowed
    /// from Podman 3.3.0, memfd_secret from 3.4.0, fchmodat2 from 5.0.0 (and before, up to
    /// 2.1.1), io_uring never, map_shadow_stack denied by name.
    #[test]
    fn a_podman_engines_allowances_follow_podmans_releases() {
        let a = allowance(
            EngineKind::Podman,
            Arch::X86_64,
            KernelVersion::new(6, 18),
            &[
                "getpid",
                "clone3",
                "memfd_secret",
                "fchmodat2",
                "io_uring_setup",
                "map_shadow_stack",
            ],
        );
        let get = |n: &str| {
            let a = &a.iter().find(|(s, _)| s == n).unwrap().1;
            (a.from.as_deref(), a.until.as_deref())
        };
        assert_eq!(get("getpid"), (Some("2.1.0"), None), "{a:?}");
        assert_eq!(get("clone3"), (Some("3.3.0"), None), "{a:?}");
        assert_eq!(get("memfd_secret"), (Some("3.4.0"), None), "{a:?}");
        assert_eq!(get("fchmodat2"), (Some("5.0.0"), Some("2.1.1")), "{a:?}");
        assert_eq!(get("io_uring_setup"), (None, None), "{a:?}");
        assert_eq!(get("map_shadow_stack"), (None, None), "{a:?}");
    }
}
