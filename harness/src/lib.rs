//! seccomp-harness: proves what a Docker seccomp profile really does on a real host.
//!
//! The data flow (see the README): profile → resolve → oracle predicts each catalog case;
//! engine runs the probe in containers; classify turns raw probe records into outcomes; the
//! matrix holds both sides; report renders it; diff compares two matrices.
//!
//! The pure part is the crate `seccomp-harness-core`, imported here by its own name (its paths
//! are never re-exported, so `seccomp_harness_core::oracle` always says which crate it is); it
//! cannot reach an engine: it has no async runtime, Docker client or CLI parser. This crate adds
//! what does I/O: `engine` (Docker via bollard), `run` (the input read, then on each engine
//! prepare, the containers, and what the core's finish step needs read) and the CLI.

pub mod engine;
pub mod probe_binary;
pub mod run;
