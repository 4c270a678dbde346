//! The pod cgroups a CRI node leaves. Each sandbox of a run is created under the cgroup parent
//! `/seccomp-harness/<run id>` (cgroupfs driver); the runtime removes a container's own cgroup
//! when the container goes, but not the pod's parent directories (measured on containerd 1.7 and
//! 2.1: [`seccomp_harness_core::runtime`] holds which runtimes), so the harness removes them,
//! empty, once its pods are gone. The CRI socket
//! is a local one, so the node's cgroup file system is this machine's `/sys/fs/cgroup`.

use std::path::{Path, PathBuf};

/// The top of the harness's pod cgroups, below each hierarchy's root.
pub const TOP: &str = "seccomp-harness";

/// The cgroup parent a run's sandboxes get.
pub(crate) fn parent_for(run: &str) -> String {
    format!("/{TOP}/{run}")
}

/// Every hierarchy's root: the v2 root, or each v1 controller's mount.
fn roots(base: &Path) -> Vec<PathBuf> {
    if base.join("cgroup.controllers").exists() {
        return vec![base.to_path_buf()];
    }
    std::fs::read_dir(base)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.join("cgroup.procs").exists())
                .collect()
        })
        .unwrap_or_default()
}

/// Removes the empty directories of `dir`, deepest first (`rmdir`: a cgroup with a process in
/// it stays). Returns whether `dir` itself is gone.
fn remove_empty(dir: &Path) -> bool {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.filter_map(Result::ok) {
            if e.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                remove_empty(&e.path());
            }
        }
    }
    std::fs::remove_dir(dir).is_ok() || !dir.exists()
}

/// Removes the cgroups of the runs `which` selects (by run id) under every hierarchy of
/// `base` (normally `/sys/fs/cgroup`). Returns the directories that are left (not empty).
pub fn remove(base: &Path, which: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let mut left = Vec::new();
    for root in roots(base) {
        let top = root.join(TOP);
        let Ok(runs) = std::fs::read_dir(&top) else {
            continue;
        };
        for run in runs.filter_map(Result::ok) {
            let name = run.file_name().to_string_lossy().into_owned();
            if run.path().is_dir() && which(&name) && !remove_empty(&run.path()) {
                left.push(run.path());
            }
        }
        let _ = std::fs::remove_dir(&top);
    }
    left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_run_cgroups_go_and_others_stay() {
        let base = tempfile::tempdir().unwrap();
        let v1 = base.path().join("pids");
        std::fs::create_dir_all(&v1).unwrap();
        std::fs::write(v1.join("cgroup.procs"), "").unwrap();
        std::fs::create_dir_all(v1.join(TOP).join("run-a").join("pod").join("c")).unwrap();
        std::fs::create_dir_all(v1.join(TOP).join("run-b").join("pod")).unwrap();
        // A file stands for a live cgroup's contents: rmdir fails on it as on a busy cgroup.
        std::fs::create_dir_all(v1.join(TOP).join("run-c")).unwrap();
        std::fs::write(v1.join(TOP).join("run-c").join("busy"), "").unwrap();
        let left = remove(base.path(), |r| r != "run-b");
        assert!(!v1.join(TOP).join("run-a").exists());
        assert!(v1.join(TOP).join("run-b").exists());
        assert_eq!(left, vec![v1.join(TOP).join("run-c")]);
        assert_eq!(parent_for("x"), "/seccomp-harness/x");
    }
}
