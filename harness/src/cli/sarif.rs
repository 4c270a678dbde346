//! The I/O half of `--format sarif`: reads the profile files a matrix names, so each finding
//! points at the line of its rule. A file is used only when its bytes still have the sha256
//! the run recorded: a profile edited since the run would put findings on the wrong line, so
//! its findings name the file alone.

use seccomp_harness_core::matrix::Matrix;
use seccomp_harness_core::profile::SourceMap;
use seccomp_harness_core::report::sarif::Sources;
use sha2::{Digest, Sha256};

/// The spans of every profile file of `matrix` that is still as the run saw it.
pub(crate) fn sources(matrix: &Matrix) -> Sources {
    let mut out = Sources::new();
    for c in &matrix.configurations {
        let Some(sha) = &c.sha256 else { continue };
        if out.contains_key(&c.source) {
            continue;
        }
        let Ok(bytes) = std::fs::read(&c.source) else {
            continue;
        };
        if hex(&Sha256::digest(&bytes)) != *sha {
            continue;
        }
        if let Some(map) = std::str::from_utf8(&bytes).ok().and_then(SourceMap::of) {
            out.insert(c.source.clone(), map);
        }
    }
    out
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
