//! The upstream default profiles under harness/data/upstream-defaults are the bytes their
//! indexes pin: every file an index names has the sha256 it records (Docker's and Podman's
//! upstream bytes, containerd's generated RuntimeDefault), so a hand edit or a partial
//! regeneration fails here rather than changing predictions silently. (Regenerating from the
//! upstream clones is `ci/gen-upstream-defaults.sh` and `ci/gen-containerd-defaults.sh`, which
//! need the clones: not offline.)

use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::Path;

fn check(dir: &Path, index: &Value, sections: &[&str]) -> usize {
    let mut checked = 0;
    for section in sections {
        let releases = index[section]["releases"]
            .as_array()
            .unwrap_or_else(|| panic!("no {section}.releases"));
        assert!(!releases.is_empty(), "{section}");
        for r in releases {
            let file = r["file"].as_str().unwrap();
            let bytes = std::fs::read(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            assert_eq!(digest, r["sha256"].as_str().unwrap(), "{file}");
            let commit = r["commit"].as_str().unwrap_or_default();
            assert!(
                commit.len() == 40 || commit.is_empty(),
                "{file}: commit {commit:?}"
            );
            checked += 1;
        }
    }
    checked
}

#[test]
fn every_indexed_profile_has_the_sha256_its_index_pins() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/upstream-defaults");
    let read = |p: &Path| -> Value { serde_json::from_slice(&std::fs::read(p).unwrap()).unwrap() };
    let main = read(&dir.join("index.json"));
    assert!(check(&dir, &main, &["docker", "podman", "containers-common"]) > 100);
    // containerd's index is its own, with its files under containerd/ and named from the
    // upstream-defaults directory.
    let containerd = serde_json::json!({ "containerd": read(&dir.join("containerd/index.json")) });
    assert_eq!(
        containerd["containerd"]["license"], "Apache-2.0",
        "containerd's licence"
    );
    assert!(check(&dir, &containerd, &["containerd"]) >= 105);
}
