//! What a run is given, as the user named it: the profile inputs of the command line, and the
//! files they name read from disk. The loaded profiles and the capability sets are the core's
//! ([`seccomp_harness_core::plan::input`]); everything after reading the files is pure.

use seccomp_harness_core::plan::input::LoadedProfile;
use seccomp_harness_core::plan::PlanError;
use seccomp_harness_core::profile::ProfileFile;
use std::path::PathBuf;

/// A profile as the user named it on the command line.
#[derive(Debug, Clone)]
pub enum ProfileInput {
    /// The engine's own default profile: no `seccomp=` option at all.
    Builtin,
    /// `seccomp=unconfined`.
    Unconfined,
    File(PathBuf),
}

impl ProfileInput {
    /// `builtin` and `unconfined` are keywords; anything else is a path. Kubernetes' spellings
    /// are taken too: `runtime-default` and `runtime/default` are builtin (RuntimeDefault), and
    /// `localhost/<file>` is the file, unless a path by that very name exists.
    pub fn parse(s: &str) -> ProfileInput {
        match s {
            // On a CRI node builtin is RuntimeDefault, and may be named so.
            "builtin" | "runtime-default" | "runtime/default" => ProfileInput::Builtin,
            "unconfined" => ProfileInput::Unconfined,
            path => match path.strip_prefix("localhost/") {
                Some(file) if !std::path::Path::new(path).exists() && !file.is_empty() => {
                    ProfileInput::File(PathBuf::from(file))
                }
                _ => ProfileInput::File(PathBuf::from(path)),
            },
        }
    }
}

/// Loads a profile input that names one profile (see [`load_profiles`] for files that hold
/// several, such as a Kubernetes YAML with several resources).
pub fn load_profile(input: &ProfileInput) -> Result<LoadedProfile, PlanError> {
    let mut all = load_profiles(input)?;
    if all.len() != 1 {
        return Err(PlanError::SeveralProfiles {
            file: all.first().map(|p| p.source.clone()).unwrap_or_default(),
            count: all.len(),
        });
    }
    Ok(all.remove(0))
}

/// Loads a profile input: reads the file it names, if any, which the core validates and tags
/// ([`LoadedProfile::of_file`]). A file with several profiles (Kubernetes `SeccompProfile`
/// resources) gives one each, named by the resource.
pub fn load_profiles(input: &ProfileInput) -> Result<Vec<LoadedProfile>, PlanError> {
    Ok(match input {
        ProfileInput::Builtin => vec![LoadedProfile::builtin()],
        ProfileInput::Unconfined => vec![LoadedProfile::unconfined()],
        ProfileInput::File(path) => LoadedProfile::of_file(&ProfileFile::read(path)?)?,
    })
}

/// `inputs` and then a profile file named `file` holding `json`, loaded as `run` loads them:
/// the profiles the unit tests that plan a run start from.
#[cfg(test)]
pub(crate) fn load_with_file(
    inputs: &[ProfileInput],
    file: &str,
    json: &str,
) -> Vec<LoadedProfile> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(file);
    std::fs::write(&path, json).unwrap();
    inputs
        .iter()
        .chain([&ProfileInput::File(path)])
        .map(|p| load_profile(p).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_spellings_name_the_same_configurations() {
        assert!(matches!(
            ProfileInput::parse("runtime/default"),
            ProfileInput::Builtin
        ));
        assert!(matches!(
            ProfileInput::parse("runtime-default"),
            ProfileInput::Builtin
        ));
        match ProfileInput::parse("localhost/profiles/deny-namespaces.json") {
            ProfileInput::File(p) => assert_eq!(p, PathBuf::from("profiles/deny-namespaces.json")),
            other => panic!("{other:?}"),
        }
        // `localhost/` alone names no file.
        match ProfileInput::parse("localhost/") {
            ProfileInput::File(p) => assert_eq!(p, PathBuf::from("localhost/")),
            other => panic!("{other:?}"),
        }
    }
}
