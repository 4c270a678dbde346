//! The tests' corpus of profiles: every profile the project ships or tests against, as run,
//! check and explain read them, plus upstream's default for every release the harness embeds.
//! The serializer, the tagging and the salting are checked over all of it.

use super::model::Profile;
use super::ProfileFile;
use std::path::{Path, PathBuf};

/// Every profile file under `dir`, subdirectories included.
fn profiles_under(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            profiles_under(&path, out);
        } else if path
            .extension()
            .is_some_and(|x| x == "json" || x == "yaml" || x == "yml")
            && !path.ends_with("SOURCES.json")
            && !path.ends_with("index.json")
        {
            out.push(path);
        }
    }
}

/// The corpus, each profile with what names it in a failure: the shipped profiles, the test
/// fixtures (Docker's defaults across releases, Podman's, moby's, libseccomp's, the hostile
/// ones, the kernel's) and the wild corpus with its Kubernetes resources; Podman's defaults
/// (containers-common, with their `errno` names) where shipped; and upstream's Docker and
/// containerd defaults the harness embeds. A matrix fixture is no profile; everything else
/// must parse. The count keeps the corpus from silently shrinking.
pub(crate) fn profiles() -> Vec<(String, Profile)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut files = Vec::new();
    profiles_under(&root.join("profiles"), &mut files);
    profiles_under(&root.join("harness/tests/fixtures"), &mut files);
    let podman = root.join("harness/data/upstream-defaults/podman");
    if podman.is_dir() {
        profiles_under(&podman, &mut files);
    }
    files.retain(|f| !f.to_string_lossy().contains("/fixtures/matrices/"));
    files.sort();
    let mut out = Vec::new();
    for path in &files {
        let read = ProfileFile::read(path).unwrap_or_else(|e| panic!("{e}"));
        for loaded in read.profiles().unwrap_or_else(|e| panic!("{e}")) {
            let name = match loaded.resource {
                Some(r) => format!("{} ({r})", path.display()),
                None => path.display().to_string(),
            };
            out.push((name, loaded.profile));
        }
    }
    let upstream = crate::upstream::docker_releases()
        .iter()
        .chain(crate::upstream::containerd_releases());
    for release in upstream {
        out.push((release.file.clone(), crate::upstream::profile_of(release)));
    }
    assert!(out.len() >= 80, "only {} profiles read", out.len());
    out
}
