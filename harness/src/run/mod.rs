//! A run: profiles × capability sets on one engine, turned into a [`Matrix`].
//!
//! [`input`] loads what the user named; [`plan`] decides (purely) which containers to run and
//! what the oracle expects of each cell; [`execute`] runs the plan on the engine (the only
//! module here that does I/O besides reading profile files); [`calibration`] and
//! [`assemble`] (pure again) turn the records into the matrix.
//!
//! [`Matrix`]: crate::matrix::Matrix

pub mod assemble;
pub mod calibration;
pub mod cri;
pub mod engines;
pub mod execute;
pub mod input;
pub mod plan;
pub mod progress;

pub use execute::{execute, RunError, RunOptions};
pub use input::{load_profile, load_profiles, CapSpec, ProfileInput};
pub use plan::{Plan, PlanError};
