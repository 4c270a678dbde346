//! A run: profiles × capability sets on one engine, turned into a [`Matrix`].
//!
//! [`input`] loads what the user named (it reads the profile files). A run on any engine then
//! goes through three steps: prepare (`prepare`: the engine's facts decide the arch, kernel and
//! runtimes, and the core's [`plan`] decides, purely and once, which containers to run and what
//! the oracle expects of each cell), run (the containers: [`execute`] on a Docker or Podman
//! engine, [`cri`] on a Kubernetes node's CRI socket, [`several_engines`] on several engines at
//! once; these talk to engines) and finish (the core's [`finish`]: the calibration's
//! measurement, the predictions and the assembly, once, into the matrix; pure, given what
//! `finish` here reads: the engine's host facts and the capability bounding set from
//! `/proc/self/status`).
//!
//! [`Matrix`]: seccomp_harness_core::matrix::Matrix
//! [`plan`]: seccomp_harness_core::plan
//! [`finish`]: seccomp_harness_core::finish

pub mod cri;
pub mod execute;
mod finish;
pub mod input;
mod prepare;
pub(crate) mod progress;
pub mod several_engines;

pub use execute::{execute, RunError, RunOptions, Timings};
pub use input::{load_profile, load_profiles, ProfileInput};
