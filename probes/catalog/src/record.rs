//! The probe's output, one JSON object per line on stdout: the contract between the probe
//! (which writes it inside a container) and the harness (which reads it through an attach).
//!
//! # The run protocol
//!
//! `seccomp-probe [--in-process] [--host-facts] [--avoid NAME,...] [--list] [ID...]` writes a
//! `host` record (with `--host-facts` only), a `ready` record, then one `case` record per
//! selected case (all native-arch cases when no id is given). `--avoid` names the calls the
//! probe's machinery must never make (see `own_calls`). Where it ends by itself its exit
//! status is a [`ProbeExit`]: every selected case has its record, it could not write its
//! output, bad usage (unknown flag or case id), or the rest need a fresh process (below). Any
//! other end means a case, or a filter on the probe's own calls, ended it.
//!
//! - In `fork` mode each case runs in a forked child: nothing a case does ends the probe.
//!   Consecutive catalog cases that run to their return and leave the process alone share one
//!   child (a worker); a case that ends it gets its record from how it died, and a new worker
//!   carries on. Where a profile denies wait4 and waitid, the probe learns each child's end
//!   from SIGCHLD's siginfo (`own_calls::Role::ChildSignal`) and stays in this mode.
//! - In `in_process` mode (forking was refused with an errno, or `--in-process`) the probe writes
//!   a `begin` record before each case and runs it itself. A `begin` with no `case` record after
//!   it names the case that ended the probe (a KILL action, `exit`, `rt_sigreturn`...). In this
//!   mode cases that change the probe's own process (`unshare`, `setns`, `personality`) run after
//!   the others and cases that end it run last, so the order of records may differ from the
//!   order of the ids given. After a process-changing case that succeeded the probe exits with
//!   [`ProbeExit::FreshProcess`] so that the next case runs in a fresh process.
//!
//! The harness restarts the probe (a fresh container) with the ids that have no `case` record
//! yet, leaving out the one a dangling `begin` named, until none is left. When the probe died
//! with no dangling `begin` (before its `host` record, or in `fork` mode), the fork machinery
//! itself was killed (a KILL on `clone`), and the restart adds `--in-process`.

use serde::{Deserialize, Serialize};

/// The probe's command line, as the harness writes it and the probe reads it: one type on both
/// sides of the container, so a flag can't be spelled two ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProbeArgs {
    /// `--host-facts`: gather the kernel's and the container's facts (the unconfined baseline).
    pub host_facts: bool,
    /// `--avoid NAME,...`: calls the machinery must never make.
    pub avoid: Vec<String>,
    /// `--in-process`: run the cases in the probe's own process.
    pub in_process: bool,
    /// `--list`: print the case ids.
    pub list: bool,
    /// `--noop`: exit at once (the floor of the run benchmark).
    pub noop: bool,
    /// `--pause`: sleep until a signal ends the process (a pod sandbox's pause process).
    pub pause: bool,
    /// The case ids to run; all native-arch cases when empty.
    pub ids: Vec<String>,
}

impl ProbeArgs {
    pub const USAGE: &'static str = "usage: seccomp-probe [--in-process] [--host-facts] [--avoid NAME,...] [--list] [--noop] [--pause] [ID...]";

    /// Reads a command line (without the program's name). `Err("")` for `--help`, otherwise
    /// the reason it is bad. After `--` every argument is an id.
    pub fn parse(args: impl IntoIterator<Item = String>) -> Result<ProbeArgs, String> {
        let mut out = ProbeArgs::default();
        let mut only_ids = false;
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--" if !only_ids => only_ids = true,
                "--in-process" if !only_ids => out.in_process = true,
                "--list" if !only_ids => out.list = true,
                "--noop" if !only_ids => out.noop = true,
                "--pause" if !only_ids => out.pause = true,
                "--host-facts" if !only_ids => out.host_facts = true,
                "--avoid" if !only_ids => {
                    let list = args.next().ok_or("--avoid needs a list of names")?;
                    out.avoid
                        .extend(list.split(',').filter(|n| !n.is_empty()).map(String::from));
                }
                "-h" | "--help" if !only_ids => return Err(String::new()),
                a if !only_ids && a.starts_with("--") => return Err(format!("unknown flag {a}")),
                _ => out.ids.push(arg),
            }
        }
        Ok(out)
    }

    /// The command line: the flags, then the ids (after `--` should an id ever look like a
    /// flag).
    pub fn to_args(&self) -> Vec<String> {
        let mut out = Vec::new();
        let flag = |out: &mut Vec<String>, on: bool, name: &str| {
            if on {
                out.push(name.to_string());
            }
        };
        flag(&mut out, self.host_facts, "--host-facts");
        if !self.avoid.is_empty() {
            out.push("--avoid".to_string());
            out.push(self.avoid.join(","));
        }
        flag(&mut out, self.in_process, "--in-process");
        flag(&mut out, self.list, "--list");
        flag(&mut out, self.noop, "--noop");
        flag(&mut out, self.pause, "--pause");
        if self.ids.iter().any(|id| id.starts_with('-')) {
            out.push("--".to_string());
        }
        out.extend(self.ids.iter().cloned());
        out
    }
}

/// The exit statuses the probe gives itself, as the harness and the tests read them: the other
/// half of the contract beside the records. A status the probe did not choose (a signal's, or
/// a case's `exit` in `in_process` mode, which its dangling `begin` tells) may take the same
/// number, so a status means one of these only where no case ended the probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProbeExit {
    /// Every selected case has its record (or `--list`, `--noop` or `--help` did its job).
    Done,
    /// The probe could not write its output (write, writev and vmsplice failed).
    OutputFailed,
    /// Bad usage: an unknown flag or case id.
    Usage,
    /// A process-changing case succeeded in `in_process` mode: the cases after it need a
    /// fresh process, and the harness restarts the probe with them.
    FreshProcess,
}

impl ProbeExit {
    pub const ALL: [ProbeExit; 4] = [
        ProbeExit::Done,
        ProbeExit::OutputFailed,
        ProbeExit::Usage,
        ProbeExit::FreshProcess,
    ];

    /// The number the process exits with.
    pub const fn code(self) -> i32 {
        match self {
            ProbeExit::Done => 0,
            ProbeExit::OutputFailed => 1,
            ProbeExit::Usage => 2,
            ProbeExit::FreshProcess => 3,
        }
    }

    /// The status `code` where the probe chose it (see the type's doc for when that holds).
    pub fn from_code(code: i64) -> Option<ProbeExit> {
        ProbeExit::ALL
            .into_iter()
            .find(|e| i64::from(e.code()) == code)
    }
}

/// A line of probe output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Record {
    /// Only with `--host-facts` (the unconfined baseline run): a confined run asks the kernel
    /// for nothing it doesn't need.
    Host(HostRecord),
    /// The probe is set up and about to run its first case, in `mode`. A probe that dies
    /// before this record was killed by a call of its footprint or its set-up, never by a case.
    Ready {
        mode: RunMode,
    },
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
    /// `fork` when each case runs in a forked child, `in_process` when forking was denied (or
    /// `--in-process` was given). Decided by a trial fork before this record is written; should
    /// forking fail later the probe switches, and each `case` record carries its own mode.
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
    /// The raw return register (sign-extended), when the call returned. After a trap it holds
    /// the syscall number again, as the kernel leaves it.
    pub ret: Option<i64>,
    /// The errno, when the call returned -errno. `None` when the call was trapped.
    pub errno: Option<i32>,
    /// The signal that ended the child that ran the case (fork mode), when the call never
    /// returned: 31 (SIGSYS) for a seccomp kill, 9 with `timed_out`. How a child ended after
    /// its call returned is not reported: it only exits.
    pub signal: Option<i32>,
    /// The child's exit status when it exited without its call returning (exit, exit_group).
    pub exit_status: Option<i32>,
    /// Filled when SIGSYS reached the probe's handler: SCMP_ACT_TRAP.
    pub sigsys: Option<SigsysInfo>,
    /// The probe's wake-up signal arrived while the call ran, so a sleeping call returned early
    /// (EINTR); expected for `Case::may_block` cases.
    pub interrupted: bool,
    /// The case outlived the hard deadline and its child was killed (`signal` 9). Fork mode
    /// only: in-process there is no hard deadline.
    pub timed_out: bool,
    /// With `timed_out`: the probe had no call left to kill the child, so it left it behind
    /// (the profile denies kill, tgkill and tkill, or every way to reap it).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abandoned: bool,
}

impl CaseRecord {
    /// A call that returned `ret` (not an errno).
    pub fn returned(ret: i64) -> CaseRecord {
        CaseRecord {
            ret: Some(ret),
            ..CaseRecord::default()
        }
    }

    /// A call that returned `-errno`, as the kernel (or a filter's ERRNO) answers.
    pub fn failed(errno: i32) -> CaseRecord {
        CaseRecord {
            ret: Some(-i64::from(errno)),
            errno: Some(errno),
            ..CaseRecord::default()
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Every record kind survives the line format both ways, with every optional field set and
    /// unset: the probe writes with these types and the harness reads with them.
    #[test]
    fn records_round_trip_through_a_json_line() {
        let full_case = CaseRecord {
            id: "i386:socketcall(SYS_SOCKET,AF_VSOCK)".into(),
            mode: RunMode::InProcess,
            ret: Some(-1),
            errno: Some(97),
            signal: Some(31),
            exit_status: Some(7),
            sigsys: Some(SigsysInfo {
                code: 1,
                syscall: 102,
                errno: 5,
                arch: 0x4000_0003,
            }),
            interrupted: true,
            timed_out: true,
            abandoned: true,
        };
        let full_host = HostRecord {
            kernel_release: "6.18.0".into(),
            machine: "x86_64".into(),
            seccomp_mode: Some(2),
            seccomp_filters: Some(1),
            no_new_privs: Some(true),
            cap_eff: Some("a80425fb".into()),
            uid: 0,
            actions_avail_proc: Some(vec!["kill_process".into(), "errno".into()]),
            actions_avail_syscall: vec!["trap".into()],
            config_seccomp: Some(true),
            config_seccomp_filter: Some(false),
            mode: RunMode::InProcess,
        };
        let records = [
            Record::Host(full_host),
            Record::Host(HostRecord::default()),
            Record::Ready {
                mode: RunMode::Fork,
            },
            Record::Begin { id: "exit".into() },
            Record::Case(full_case),
            Record::Case(CaseRecord {
                id: "getpid".into(),
                ret: Some(1),
                ..Default::default()
            }),
        ];
        for r in records {
            let line = serde_json::to_string(&r).unwrap();
            assert!(!line.contains('\n'), "one record, one line: {line}");
            let back: Record = serde_json::from_str(&line).unwrap();
            assert_eq!(back, r, "{line}");
        }
        // `abandoned` is left out when false, and read as false when absent.
        let line = serde_json::to_string(&Record::Case(CaseRecord::default())).unwrap();
        assert!(!line.contains("abandoned"), "{line}");
    }
}

#[cfg(test)]
mod probe_args_tests {
    use super::ProbeArgs;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_command_line_reads_back_as_written() {
        let all = ProbeArgs {
            host_facts: true,
            avoid: args(&["kill", "poll"]),
            in_process: true,
            list: true,
            noop: true,
            pause: true,
            ids: args(&["getpid", "unshare(CLONE_NEWUSER)"]),
        };
        assert_eq!(ProbeArgs::parse(all.to_args()), Ok(all.clone()));
        assert_eq!(
            all.to_args(),
            args(&[
                "--host-facts",
                "--avoid",
                "kill,poll",
                "--in-process",
                "--list",
                "--noop",
                "--pause",
                "getpid",
                "unshare(CLONE_NEWUSER)"
            ])
        );
        assert!(ProbeArgs::default().to_args().is_empty());
        let odd = ProbeArgs {
            ids: args(&["--odd"]),
            ..ProbeArgs::default()
        };
        assert_eq!(odd.to_args(), args(&["--", "--odd"]));
        assert_eq!(ProbeArgs::parse(odd.to_args()), Ok(odd));
    }

    #[test]
    fn bad_command_lines_say_why() {
        assert_eq!(
            ProbeArgs::parse(args(&["--frobnicate"])),
            Err("unknown flag --frobnicate".to_string())
        );
        assert!(ProbeArgs::parse(args(&["--avoid"])).is_err());
        assert_eq!(ProbeArgs::parse(args(&["--help"])), Err(String::new()));
    }
}

#[cfg(test)]
mod probe_exit_tests {
    use super::ProbeExit;

    /// The numbers are the protocol's, read by the harness from a probe built apart from it:
    /// pinned here, so that one side can't move them alone.
    #[test]
    fn the_probes_exit_codes_are_fixed_and_read_back() {
        let codes: Vec<i32> = ProbeExit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3]);
        for e in ProbeExit::ALL {
            assert_eq!(ProbeExit::from_code(i64::from(e.code())), Some(e));
        }
        assert_eq!(ProbeExit::from_code(159), None);
        assert_eq!(ProbeExit::from_code(-1), None);
    }
}
