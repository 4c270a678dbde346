//! Seccomp profiles: the Docker/OCI model, parsing with positioned errors, lints, resolution
//! for a host (arch, capabilities, kernel) the way the Docker engine and the runtime do it, and
//! tagging for attribution runs.

pub mod caps;
#[cfg(test)]
mod corpus;
pub mod file;
pub mod k8s;
pub mod kernel;
pub mod model;
pub mod names;
pub mod node;
pub mod parse;
pub mod resolve;
pub mod salt;
pub mod spans;
pub mod tag;
pub mod validate;
pub mod write;

pub use caps::{CapChange, CapError, CapSet};
pub use file::{FileProfile, ProfileFile};
pub use kernel::{KernelRelease, KernelVersion};
pub use model::{
    Action, Arches, ArgCond, EffectiveAction, Filter, Format, Op, Profile, Rule, MAX_ERRNO_RET,
};
pub use parse::{parse_str, Invalid, ProfileError};
pub use resolve::{engine_honours_default_errno_ret, resolve, Host, Resolved};
pub use spans::{Pos, SourceMap, Span};
pub use tag::{tag, tag_for, Tagged};
pub use validate::{errno_out_of_range, lint, Warning};
