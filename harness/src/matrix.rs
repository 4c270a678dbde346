//! The Matrix: every cell of a run, observed and expected side by side. Its JSON form is the
//! contract of DESIGN §5 (schema_version 1): renderers and `diff` read only this type, and a
//! matrix written by one version must be read by the next.

use crate::outcome::{Outcome, RuleRef};
use serde::{Deserialize, Serialize};

pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Matrix {
    pub schema_version: u32,
    pub host: HostFacts,
    pub configurations: Vec<Configuration>,
    pub cells: Vec<Cell>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HostFacts {
    pub kernel: String,
    pub arch: String,
    pub engine: String,
    pub engine_version: String,
    pub api_version: String,
    pub runtime: String,
    pub runtime_version: String,
    pub seccomp: SeccompFacts,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SeccompFacts {
    /// `None` where /proc/config.gz was not readable.
    pub config_seccomp: Option<bool>,
    pub config_seccomp_filter: Option<bool>,
    pub actions_available: Vec<String>,
    /// The engine's `seccomp` SecurityOptions `profile=` value: `default`, `builtin`, a path.
    pub engine_profile: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    /// `<profile>` or `<profile>+SYS_ADMIN-NET_RAW`.
    pub id: String,
    pub profile: String,
    /// The file path, or `builtin` / `unconfined`.
    pub source: String,
    /// sha256 of the profile file's bytes; `None` for builtin and unconfined.
    pub sha256: Option<String>,
    /// Docker-style capability changes, e.g. `+SYS_ADMIN`, `-NET_RAW`.
    pub caps: Vec<String>,
    /// The runtime's message when the container could not start under this configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    pub configuration: String,
    pub profile: String,
    pub caps: Vec<String>,
    pub case: String,
    pub syscall: String,
    pub abi: String,
    pub observed: Observed,
    pub expected: Expected,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observed {
    pub outcome: Outcome,
    pub errno: Option<i32>,
    pub signal: Option<i32>,
    /// The rule the tagged run attributed the denial to, where it could.
    pub rule: Option<RuleRef>,
    /// Anything a reader needs to trust the cell: why it is ambiguous, the runtime's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Expected {
    pub outcome: Outcome,
    pub errno: Option<i32>,
    pub rule: Option<RuleRef>,
    /// Where the oracle is not sure of the true behaviour, it says why here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Nothing to compare with: the builtin profile, or unconfined.
    Unpredicted,
}
