//! seccomp-harness: proves what a Docker seccomp profile really does on a real host.
//!
//! The data flow (see the README): profile → resolve → oracle predicts each catalog case;
//! engine runs the probe in containers; classify turns raw probe records into outcomes; the
//! matrix holds both sides; report renders it; diff compares two matrices.
//!
//! The pure part lives in `seccomp-harness-core` (re-exported here under the same paths), which
//! cannot reach an engine: it has no async runtime, Docker client or CLI parser. This crate adds
//! what does I/O: `engine` (Docker via bollard), `run` (plan, execute, assemble) and the CLI.

pub use seccomp_harness_core::{
    classify, diff, engines, matrix, oracle, outcome, profile, readiness, report, start_failure,
    upstream,
};

pub mod engine;
pub mod probe_binary;
pub mod run;
