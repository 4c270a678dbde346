//! The kernel layer: what the kernel makes of the action a filter returns
//! (kernel/seccomp.c `__seccomp_filter`), and the calls it never hands to a filter.

use super::Prediction;
use crate::outcome::{Outcome, RuleRef};
use crate::profile::model::EffectiveAction;
use crate::profile::resolve::Resolved;
use crate::profile::KernelVersion;
use seccomp_catalog::Case;

pub(super) const ENOSYS: i32 = 38;

/// Calls the kernel never hands to a seccomp filter: `__secure_computing` (kernel/seccomp.c,
/// `seccomp_uprobe_exception`) lets the native `uretprobe` (since Linux 6.14, "seccomp:
/// passthrough uretprobe systemcall without filtering") and `uprobe` (added with the syscall,
/// 6.16) through before any filter runs, so that a probed process under seccomp isn't killed
/// by being traced. Measured on 6.18 with Docker 20.10/runc 1.1.5: both behave as unconfined
/// under every profile, even those whose default denies them.
pub(super) fn seccomp_exception(case: &Case, r: &Resolved) -> Option<String> {
    if case.abi != r.host.arch.native_abi() {
        return None;
    }
    let since = match case.syscall {
        "uretprobe" => KernelVersion::new(6, 14),
        "uprobe" => KernelVersion::new(6, 16),
        _ => return None,
    };
    r.host.kernel.at_least(since).then(|| {
        format!(
            "the kernel passes the native {} to no seccomp filter (kernel/seccomp.c seccomp_uprobe_exception, Linux {since} on)",
            case.syscall
        )
    })
}

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
