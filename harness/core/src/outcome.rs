//! The vocabulary shared by the oracle (what should happen), classification (what did happen)
//! and the matrix: outcomes and the rule that decided them. Their serialized names are part of
//! the JSON contract (schema_version 1).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The filter let the call through: the cell equals the unconfined baseline.
    Allowed,
    /// The call returned an errno that the filter (not the kernel) produced.
    Errno,
    /// SIGSYS that no handler saw: SCMP_ACT_KILL_THREAD / KILL_PROCESS, or the bad-arch action.
    Killed,
    /// SIGSYS delivered to the probe's handler with si_code SYS_SECCOMP: SCMP_ACT_TRAP.
    Trapped,
    Timeout,
    /// The runtime could not start the container under this profile.
    StartFailed,
    NotRun,
    /// A denial that can't be told from the kernel's own answer (e.g. the builtin profile,
    /// which can't be tagged).
    Ambiguous,
    /// The kernel lacks the syscall (ENOSYS in the baseline).
    Absent,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allowed => "allowed",
            Outcome::Errno => "errno",
            Outcome::Killed => "killed",
            Outcome::Trapped => "trapped",
            Outcome::Timeout => "timeout",
            Outcome::StartFailed => "start_failed",
            Outcome::NotRun => "not_run",
            Outcome::Ambiguous => "ambiguous",
            Outcome::Absent => "absent",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What decided a call's fate: a rule of the profile (its index in `syscalls[]`), the default
/// action, the runtime's ENOSYS stub, or the bad-arch action. Serialized as the index number, or as
/// the strings `"default"`, `"enosys_stub"`, `"bad_arch"`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(untagged)]
pub enum RuleRef {
    Index(usize),
    Other(RuleOther),
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RuleOther {
    Default,
    EnosysStub,
    BadArch,
}

impl RuleRef {
    pub const DEFAULT: RuleRef = RuleRef::Other(RuleOther::Default);
    pub const ENOSYS_STUB: RuleRef = RuleRef::Other(RuleOther::EnosysStub);
    pub const BAD_ARCH: RuleRef = RuleRef::Other(RuleOther::BadArch);
}

impl fmt::Display for RuleRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RuleRef::Index(i) => write!(f, "syscalls[{i}]"),
            RuleRef::Other(RuleOther::Default) => f.write_str("defaultAction"),
            RuleRef::Other(RuleOther::EnosysStub) => f.write_str(crate::runtime::prose::STUB_RULE),
            RuleRef::Other(RuleOther::BadArch) => f.write_str("bad-arch action"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_refs_serialize_as_the_contract_says() {
        assert_eq!(serde_json::to_string(&RuleRef::Index(12)).unwrap(), "12");
        assert_eq!(
            serde_json::to_string(&RuleRef::DEFAULT).unwrap(),
            "\"default\""
        );
        assert_eq!(
            serde_json::from_str::<RuleRef>("\"enosys_stub\"").unwrap(),
            RuleRef::ENOSYS_STUB
        );
        assert_eq!(
            serde_json::from_str::<RuleRef>("3").unwrap(),
            RuleRef::Index(3)
        );
    }
}
