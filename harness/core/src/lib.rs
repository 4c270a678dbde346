//! The pure core of seccomp-harness: everything that can be decided without an engine.
//!
//! profile → resolve → oracle predicts each catalog case; plan decides a run's containers and
//! what the oracle expects of each cell; classify turns raw probe records into outcomes, and
//! assemble the runs' records into the matrix, which holds both sides (finish does that once
//! for a run on any engine, given what the harness read; cri puts a Kubernetes node's run in
//! its terms); report renders it; diff compares two matrices. This crate depends on no async
//! runtime, no Docker client and no CLI parser, so the compiler, not a comment, keeps I/O out
//! of it; the `seccomp-harness` crate adds the engine, the run and the CLI.

pub mod assemble;
pub mod calibration;
pub mod classify;
pub mod configuration_id;
pub mod coverage;
pub mod cri;
pub mod diff;
pub mod engine_kind;
pub mod exit;
pub mod fallbacks;
pub mod finish;
pub mod fleet;
pub mod kube;
pub mod matrix;
pub mod oracle;
pub mod outcome;
pub mod plan;
pub mod profile;
pub mod readiness;
pub mod report;
pub mod runtime;
pub mod schema;
pub mod start_failure;
pub mod upstream;
pub mod version;
