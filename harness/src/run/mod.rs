//! A run: profiles × capability sets on one engine, turned into a [`Matrix`].
//!
//! [`input`] loads what the user named (it reads the profile files). A run on any engine then
//! goes through three steps: prepare (`prepare`: the engine's facts decide the arch, kernel and
//! runtimes, and [`plan`] decides, purely and once, which containers to run and what the oracle
//! expects of each cell), run (the containers: [`execute`] on a Docker or Podman engine, [`cri`]
//! on a Kubernetes node's CRI socket, [`several_engines`] on several engines at once; these
//! talk to engines) and finish (`finish`: [`calibration`]'s measurement, the predictions and
//! [`assemble`], once, into the matrix; pure, except that `assemble` reads the capability
//! bounding set from `/proc/self/status`).
//!
//! [`Matrix`]: seccomp_harness_core::matrix::Matrix

pub mod assemble;
pub mod calibration;
pub mod cri;
pub mod execute;
mod finish;
pub mod input;
pub mod plan;
mod prepare;
pub(crate) mod progress;
pub mod several_engines;

pub use execute::{execute, RunError, RunOptions, Timings};
pub use input::{load_profile, load_profiles, qualify_shared_names, CapSpec, ProfileInput};
pub use plan::{Plan, PlanError};
