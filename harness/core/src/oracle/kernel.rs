//! The kernel layer: what the kernel makes of the action a filter returns
//! (kernel/seccomp.c `__seccomp_filter`), the calls it never hands to a filter, and the
//! syscalls a kernel doesn't have yet (`harness/data/kernel/syscalls.tsv`, from the kernel's
//! syscall tables).

use super::Prediction;
use crate::outcome::{Outcome, RuleRef};
use crate::profile::model::EffectiveAction;
use crate::profile::resolve::Resolved;
use crate::profile::KernelVersion;
use seccomp_catalog::{Arch, Case};
use std::sync::OnceLock;

/// The first release each newer syscall answers in: data with its source in the file's header.
const SYSCALLS: &str = include_str!("../../../data/kernel/syscalls.tsv");

/// One row of the table: `syscall` answers from `since` on, on `arch` (`None`: every arch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FirstKernel {
    pub syscall: &'static str,
    pub since: KernelVersion,
    pub arch: Option<Arch>,
    pub note: &'static str,
}

/// The table, parsed once. A malformed row is a bug in the shipped data (a test parses it).
pub fn first_kernels() -> &'static [FirstKernel] {
    static TABLE: OnceLock<Vec<FirstKernel>> = OnceLock::new();
    TABLE.get_or_init(|| {
        parse_table(SYSCALLS).unwrap_or_else(|e| panic!("harness/data/kernel/syscalls.tsv: {e}"))
    })
}

fn parse_table(text: &'static str) -> Result<Vec<FirstKernel>, String> {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&'static str> = line.split('\t').collect();
        let [syscall, since, arch, note] = fields[..] else {
            return Err(format!("line {}: expected 4 tab-separated fields", i + 1));
        };
        let since =
            KernelVersion::parse_min_kernel(since).map_err(|e| format!("line {}: {e}", i + 1))?;
        let arch = match arch {
            "*" => None,
            "x86_64" => Some(Arch::X86_64),
            "aarch64" => Some(Arch::Aarch64),
            other => return Err(format!("line {}: unknown arch {other:?}", i + 1)),
        };
        rows.push(FirstKernel {
            syscall,
            since,
            arch,
            note,
        });
    }
    Ok(rows)
}

/// The first release in which `syscall` answers on `arch`, where the table knows it (older
/// syscalls, present on every kernel this project runs, are not in it).
pub fn first_kernel(syscall: &str, arch: Arch) -> Option<&'static FirstKernel> {
    first_kernels()
        .iter()
        .find(|r| r.syscall == syscall && r.arch.is_none_or(|a| a == arch))
}

/// Why the kernel answers `case` with ENOSYS whatever the filter allows: it predates the
/// syscall. Only for the native ABI, whose numbers the table's releases are about.
pub(super) fn absent(case: &Case, arch: Arch, kernel: KernelVersion) -> Option<String> {
    if case.abi != arch.native_abi() {
        return None;
    }
    let row = first_kernel(case.syscall, arch)?;
    (!kernel.at_least(row.since)).then(|| {
        format!(
            "the kernel ({kernel}) predates {} (Linux {} on: {}): ENOSYS",
            case.syscall, row.since, row.note
        )
    })
}

pub(super) const ENOSYS: i32 = 38;

/// Calls the kernel never hands to a seccomp filter: `__secure_computing` (kernel/seccomp.c,
/// `seccomp_uprobe_exception`) lets the native `uretprobe` (since Linux 6.14, "seccomp:
/// passthrough uretprobe systemcall without filtering") and `uprobe` (added with the syscall,
/// 6.16) through before any filter runs, so that a probed process under seccomp isn't killed
/// by being traced. Measured on 6.18 with Docker 20.10 and its runtime
/// ([`crate::runtime::Runtime::default`]): both behave as unconfined
/// under every profile, even those whose default denies them.
///
/// Stable series took the uretprobe one too ([`EXCEPTION_BACKPORTS`]). "seccomp: passthrough
/// uprobe systemcall without filtering" reached 6.12.57 as well, but 6.12 has no `uprobe`
/// syscall, so it changes nothing there (measured: 6.12.117 filters `uprobe` like any call).
pub(super) fn seccomp_exception(case: &Case, r: &Resolved) -> Option<String> {
    if case.abi != r.host.arch.native_abi() {
        return None;
    }
    let since = match case.syscall {
        "uretprobe" => KernelVersion::new(6, 14),
        "uprobe" => KernelVersion::new(6, 16),
        _ => return None,
    };
    if r.host.kernel.at_least(since) {
        return Some(format!(
            "the kernel passes the native {} to no seccomp filter (kernel/seccomp.c seccomp_uprobe_exception, Linux {since} on)",
            case.syscall
        ));
    }
    let sublevel = r.host.kernel_sublevel?;
    EXCEPTION_BACKPORTS
        .iter()
        .find(|b| b.syscall == case.syscall && b.series == r.host.kernel && sublevel >= b.sublevel)
        .map(|b| {
            format!(
                "the kernel passes the native {} to no seccomp filter (kernel/seccomp.c seccomp_uprobe_exception, Linux {since} on, backported to {}.{})",
                case.syscall, b.series, b.sublevel
            )
        })
}

/// A seccomp exception a stable series took before its mainline release: from
/// `series.sublevel` on.
pub(super) struct Backport {
    pub syscall: &'static str,
    pub series: KernelVersion,
    pub sublevel: u64,
}

/// The stable backports of [`seccomp_exception`]'s calls, from the stable releases' changelogs
/// (kernel.org `ChangeLog-6.12.14`, as Debian's linux 6.12.15-1 changelog lists it: "seccomp:
/// passthrough uretprobe systemcall without filtering"). Measured on Debian's 6.12.117: the
/// native `uretprobe` is allowed under builtin and an allowlist whose default denies it.
/// A 6.13 stable kernel may have it too; no source for its sublevel here, so 6.13 follows
/// mainline (filtered).
pub(super) const EXCEPTION_BACKPORTS: &[Backport] = &[Backport {
    syscall: "uretprobe",
    series: KernelVersion::new(6, 12),
    sublevel: 14,
}];

/// What the kernel does with a filter's action (kernel/seccomp.c `__seccomp_filter`).
pub(super) fn outcome_of(action: EffectiveAction, rule: RuleRef) -> Prediction {
    let p = |o, e| Prediction::new(o, e, Some(rule));
    match action {
        EffectiveAction::Allow => p(Outcome::Allowed, None),
        EffectiveAction::Log => p(Outcome::Allowed, None).with_note("SCMP_ACT_LOG: allowed and audited"),
        // SECCOMP_RET_ERRNO: "Set low-order bits as an errno, capped at MAX_ERRNO".
        EffectiveAction::Errno(n) => {
            let pred = p(Outcome::Errno, Some(i32::from(n.min(4095))));
            if n == 0 {
                pred.with_note("errno 0: the call is skipped and returns 0")
            } else {
                pred
            }
        }
        EffectiveAction::KillThread => p(Outcome::Killed, None).with_note(
            "SCMP_ACT_KILL_THREAD: the calling thread dies of SIGSYS (a single-threaded probe exits 159)",
        ),
        EffectiveAction::KillProcess => {
            p(Outcome::Killed, None).with_note("SCMP_ACT_KILL_PROCESS: the whole process dies of SIGSYS")
        }
        // SECCOMP_RET_TRAP: si_errno carries SECCOMP_RET_DATA, which libseccomp's
        // SCMP_ACT_TRAP leaves 0 (measured: demo-trap's syslog trapped with si_errno 0).
        EffectiveAction::Trap => p(Outcome::Trapped, Some(0)),
        // SECCOMP_RET_TRACE: "ENOSYS these calls if there is no tracer attached".
        EffectiveAction::Trace(_) => p(Outcome::Errno, Some(ENOSYS))
            .with_note("SCMP_ACT_TRACE with no tracer attached: the kernel answers ENOSYS"),
        EffectiveAction::Notify => p(Outcome::Errno, Some(ENOSYS)).with_note(
            "SCMP_ACT_NOTIFY: docker attaches no listener; the kernel answers ENOSYS once the listener is gone (unverified)",
        ),
    }
}
