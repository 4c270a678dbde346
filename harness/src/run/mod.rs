//! A run: profiles × capability sets on one engine, turned into a [`Matrix`].
//!
//! [`plan`] decides (purely) which containers to run: per configuration the profile as written
//! and, for file profiles, the tagged profile; per capability set one unconfined baseline. It
//! also asks the oracle for every expected cell. [`execute`] runs the plan on the engine, and
//! [`assemble`] (pure again) classifies the records into the matrix.
//!
//! [`Matrix`]: crate::matrix::Matrix

pub mod assemble;
pub mod execute;
pub mod plan;

pub use execute::{execute, RunError, RunOptions};
pub use plan::{CapSpec, Plan, PlanError, ProfileInput};
