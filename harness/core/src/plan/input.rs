//! What a run is given, once the profile files are read: the profiles loaded and tagged, and
//! the capability sets. Pure: the harness reads the files (`run::input` there) and hands their
//! text here, so planning and its tests need no file.

use super::PlanError;
use crate::profile::{self, CapChange, CapSet, ProfileFile, Tagged};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// One capability set: Docker's default plus changes such as `+SYS_ADMIN` and `-NET_RAW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapSpec {
    /// `+SYS_ADMIN` and the like, in order; empty for Docker's default.
    pub changes: Vec<CapChange>,
    pub caps: CapSet,
}

impl CapSpec {
    pub fn docker_default() -> CapSpec {
        CapSpec {
            changes: Vec::new(),
            caps: CapSet::docker_default(),
        }
    }

    /// One set from a `--caps` token (`default`, `+SYS_ADMIN`, `+SYS_ADMIN-NET_RAW`... with
    /// `,` inside a token not allowed: the list separator splits sets).
    pub fn parse(token: &str) -> Result<CapSpec, PlanError> {
        // `+A-B` → `+A,-B` for the cap parser, which takes comma-separated changes.
        let mut spec = String::new();
        for (i, ch) in token.char_indices() {
            if i > 0 && (ch == '+' || ch == '-') {
                spec.push(',');
            }
            spec.push(ch);
        }
        let (caps, changes) = CapSet::parse_changes(&spec).map_err(|source| PlanError::Caps {
            spec: token.to_string(),
            source,
        })?;
        Ok(CapSpec { changes, caps })
    }

    /// From `--cap-add` / `--cap-drop` lists.
    pub fn from_add_drop(add: &[String], drop: &[String]) -> Result<CapSpec, PlanError> {
        let tokens: Vec<String> = add
            .iter()
            .map(|a| format!("+{a}"))
            .chain(drop.iter().map(|d| format!("-{d}")))
            .collect();
        let joined = tokens.join(",");
        let (caps, changes) = CapSet::parse_changes(&joined).map_err(|source| PlanError::Caps {
            spec: joined.clone(),
            source,
        })?;
        Ok(CapSpec { changes, caps })
    }

    /// `--cap-add` / `--cap-drop` values for the engine.
    pub fn engine_add_drop(&self) -> (Vec<String>, Vec<String>) {
        let mut add = Vec::new();
        let mut drop = Vec::new();
        for c in &self.changes {
            match c {
                CapChange::Add(name) => add.push(name.clone()),
                CapChange::Drop(name) => drop.push(name.clone()),
            }
        }
        (add, drop)
    }

    /// The changes as the matrix's `caps` records them: `["+SYS_ADMIN"]`.
    pub(crate) fn written(&self) -> Vec<String> {
        self.changes.iter().map(ToString::to_string).collect()
    }
}

/// A profile loaded for the run.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub name: String,
    pub source: String,
    pub sha256: Option<String>,
    pub kind: ProfileKind,
}

// One value per profile of a run: the size difference doesn't matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ProfileKind {
    Builtin,
    Unconfined,
    /// A profile file's: the model the oracle reads and the engine gets serialized, and its
    /// tagged copy.
    File {
        profile: profile::Profile,
        tagged: Tagged,
    },
}

impl LoadedProfile {
    /// The engine's own default profile: no `seccomp=` option at all.
    pub fn builtin() -> LoadedProfile {
        LoadedProfile {
            name: "builtin".into(),
            source: "builtin".into(),
            sha256: None,
            kind: ProfileKind::Builtin,
        }
    }

    /// `seccomp=unconfined`.
    pub fn unconfined() -> LoadedProfile {
        LoadedProfile {
            name: "unconfined".into(),
            source: "unconfined".into(),
            sha256: None,
            kind: ProfileKind::Unconfined,
        }
    }

    /// The profiles of a file as read: validated and tagged, one per Kubernetes
    /// `SeccompProfile` resource (named by the resource), else one named by the file's stem.
    pub fn of_file(read: &ProfileFile) -> Result<Vec<LoadedProfile>, PlanError> {
        let file = &read.file;
        let mut out = Vec::new();
        for loaded in read.profiles()? {
            let profile = as_docker_profile(loaded.profile);
            let tagged = profile::tag_for(&profile, true);
            out.push(LoadedProfile {
                name: loaded
                    .resource
                    .unwrap_or_else(|| profile_name(Path::new(file))),
                source: file.clone(),
                sha256: Some(read.sha256.clone()),
                kind: ProfileKind::File { profile, tagged },
            });
        }
        Ok(out)
    }
}

/// Names the profiles of a shared name by their files too, `<file stem>:<name>`, where several
/// files define it: the Security Profiles Operator's `v1` and `v1beta1` examples hold
/// `SeccompProfile` resources of the same four names, which then run side by side in one
/// matrix. Only where the stems tell the files apart (`a/p.json` and `b/p.json` both stay `p`,
/// and the plan refuses them, naming both files). Resources of one name within one file are
/// left for the plan to refuse the same way.
pub fn qualify_shared_names(profiles: &mut [LoadedProfile]) {
    let mut by_name: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, p) in profiles.iter().enumerate() {
        if matches!(p.kind, ProfileKind::File { .. }) {
            by_name.entry(p.name.clone()).or_default().push(i);
        }
    }
    for (name, group) in by_name {
        let stems: BTreeSet<String> = group
            .iter()
            .map(|&i| profile_name(Path::new(&profiles[i].source)))
            .collect();
        let sources: BTreeSet<&str> = group.iter().map(|&i| profiles[i].source.as_str()).collect();
        if group.len() < 2 || sources.len() != group.len() || stems.len() != group.len() {
            continue;
        }
        for i in group {
            let stem = profile_name(Path::new(&profiles[i].source));
            profiles[i].name = format!("{stem}:{name}");
        }
    }
}

/// The name of the configuration that runs upstream's default profile for the engine's
/// release beside `builtin`, so builtin is predicted and its denials attributed.
pub const BUILTIN_UPSTREAM: &str = "builtin-upstream";

/// Inserts `upstream`, the default profile that stands for the engine's builtin, right after
/// `builtin`, where there is one: `builtin` (or a node's `runtime-default`) is predicted from
/// it, so it runs as a file configuration beside it. The lookup's answer is returned, as the
/// plan names why there is none.
pub fn add_upstream_beside_builtin(
    profiles: &mut Vec<LoadedProfile>,
    upstream: Result<&'static crate::upstream::Release, crate::upstream::NoUpstream>,
) -> Result<&'static crate::upstream::Release, crate::upstream::NoUpstream> {
    if let (Some(b), Ok(release)) = (
        profiles
            .iter()
            .position(|p| matches!(p.kind, ProfileKind::Builtin)),
        &upstream,
    ) {
        profiles.insert(b + 1, load_upstream(release));
    }
    upstream
}

/// Upstream's default profile for the engine's release, as a file profile of the run.
pub(crate) fn load_upstream(release: &crate::upstream::Release) -> LoadedProfile {
    let profile = crate::upstream::profile_of(release);
    let tagged = profile::tag_for(&profile, true);
    LoadedProfile {
        name: BUILTIN_UPSTREAM.into(),
        source: release.source(),
        sha256: Some(release.sha256.clone()),
        kind: ProfileKind::File { profile, tagged },
    }
}

/// What the engine gets for a profile file: a Docker seccomp profile, not an OCI runtime
/// config. A whole config.json has no top-level defaultAction and no syscalls, which moby reads
/// as "seccomp disabled", so the container would run with no filter at all (measured with
/// runtime-spec's example config: every cell allowed). A config's `linux.seccomp` is sent
/// instead, as `docker run` users do by hand: the same model, serialized without the wrapping.
fn as_docker_profile(mut profile: profile::Profile) -> profile::Profile {
    profile.format = profile::Format::Docker;
    profile
}

fn profile_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// The one profile of the file at `path`, as the harness loads it: for the tests of planning
/// and assembly, which plan real files.
#[cfg(test)]
pub(crate) fn load_file(path: &Path) -> LoadedProfile {
    let read = ProfileFile::read(path).unwrap_or_else(|e| panic!("{e}"));
    let mut all = LoadedProfile::of_file(&read).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(all.len(), 1, "{} holds one profile", path.display());
    all.remove(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cap_tokens_parse_like_docker_names() {
        let c = CapSpec::parse("+SYS_ADMIN-NET_RAW").unwrap();
        assert_eq!(c.written(), ["+SYS_ADMIN", "-NET_RAW"]);
        assert_eq!(
            c.engine_add_drop(),
            (vec!["SYS_ADMIN".to_string()], vec!["NET_RAW".to_string()])
        );
        assert!(c.caps.contains("CAP_SYS_ADMIN") && !c.caps.contains("CAP_NET_RAW"));
        assert!(CapSpec::parse("default").unwrap().changes.is_empty());
        assert!(matches!(
            CapSpec::parse("+NOT_A_CAP"),
            Err(PlanError::Caps { .. })
        ));
    }
}
