//! The probe's output, one JSON object per line on stdout: the contract between the probe
//! (which writes it inside a container) and the harness (which reads it from the logs).

use serde::{Deserialize, Serialize};

/// A line of probe output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    Host(HostRecord),
    /// Written (and flushed) just before a case runs in the probe's own process, so that when
    /// the case kills the probe the harness knows which case did it.
    Begin {
        id: String,
    },
    Case(CaseRecord),
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HostRecord {
    pub kernel_release: String,
    pub machine: String,
    /// `Seccomp:` of /proc/self/status: 0 none, 1 strict, 2 filter.
    pub seccomp_mode: Option<u32>,
    pub seccomp_filters: Option<u32>,
    pub no_new_privs: Option<bool>,
    /// `CapEff:` of /proc/self/status, as hex.
    pub cap_eff: Option<String>,
    pub uid: u32,
    /// /proc/sys/kernel/seccomp/actions_avail, where readable.
    pub actions_avail_proc: Option<Vec<String>>,
    /// The actions SECCOMP_GET_ACTION_AVAIL accepted.
    pub actions_avail_syscall: Vec<String>,
    /// From /proc/config.gz, where readable: `None` when the config could not be read.
    pub config_seccomp: Option<bool>,
    pub config_seccomp_filter: Option<bool>,
    /// `fork` when each case runs in a forked child, `in_process` when forking was denied.
    pub mode: RunMode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunMode {
    #[default]
    Fork,
    InProcess,
}

/// What one case did, raw: the harness classifies it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CaseRecord {
    pub id: String,
    pub mode: RunMode,
    /// The raw return value, when the call returned.
    pub ret: Option<i64>,
    /// The errno, when the call returned -errno.
    pub errno: Option<i32>,
    /// The signal that ended the child that ran the case, if any.
    pub signal: Option<i32>,
    /// The child's exit status when it exited before reporting (exit, exit_group, execve).
    pub exit_status: Option<i32>,
    /// Filled when SIGSYS reached the probe's handler: SCMP_ACT_TRAP.
    pub sigsys: Option<SigsysInfo>,
    /// The probe interrupted a call that was sleeping (see `Case::may_block`).
    pub interrupted: bool,
    /// The case did not finish within the hard timeout and its child was killed.
    pub timed_out: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SigsysInfo {
    /// si_code: SYS_SECCOMP (1) when a seccomp filter returned TRAP.
    pub code: i32,
    pub syscall: i32,
    /// si_errno: the filter's SECCOMP_RET_DATA.
    pub errno: i32,
    pub arch: u32,
}
