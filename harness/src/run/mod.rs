//! A run: profiles × capability sets on one engine, turned into a [`Matrix`].
//!
//! [`input`] loads what the user named (it reads the profile files); [`plan`] decides (purely)
//! which containers to run and what the oracle expects of each cell; [`execute`] runs the plan
//! on a Docker or Podman engine, [`cri`] on a Kubernetes node's CRI socket and
//! [`several_engines`] on several engines at once (these three talk to engines);
//! [`calibration`] and [`assemble`] turn the records into the matrix (pure, except that
//! `assemble` reads the capability bounding set from `/proc/self/status`).
//!
//! [`Matrix`]: seccomp_harness_core::matrix::Matrix

pub mod assemble;
pub mod calibration;
pub mod cri;
pub mod execute;
pub mod input;
pub mod plan;
pub mod progress;
pub mod several_engines;

pub use execute::{execute, RunError, RunOptions, Timings};
pub use input::{load_profile, load_profiles, qualify_shared_names, CapSpec, ProfileInput};
pub use plan::{Plan, PlanError};
