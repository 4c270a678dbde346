//! seccomp-harness: proves what a Docker seccomp profile really does on a real host.
//!
//! The pure core (profile → resolve → oracle, classify, matrix, report) uses no Docker; the
//! engine module is the only one that talks to the daemon.

pub mod probe_binary;
