//! The property tests' case count, shared by the fuzz files (included by path, std and proptest
//! only): CI runs each test's default, `PROPTEST_CASES` runs a soak (README, *Fuzz and
//! property tests*).

use proptest::prelude::ProptestConfig;

/// `PROPTEST_CASES` cases when set (a soak), else `default`. A failure prints its minimal
/// input, so nothing is written into the source tree (no persistence file).
pub fn config(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}
