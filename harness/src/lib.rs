//! seccomp-harness: proves what a Docker seccomp profile really does on a real host.
//!
//! The data flow (see the README): profile → resolve → oracle predicts each catalog case;
//! engine runs the probe in containers; classify turns raw probe records into outcomes; the
//! matrix holds both sides; report renders it; diff compares two matrices. Everything but
//! `engine` is pure and testable without Docker.

pub mod classify;
pub mod diff;
pub mod engine;
pub mod matrix;
pub mod oracle;
pub mod outcome;
pub mod probe_binary;
pub mod profile;
pub mod report;
pub mod run;
