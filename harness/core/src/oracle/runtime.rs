//! The runtime layer: what runc does with a resolved profile before libseccomp sees it
//! (splitting argument conditions, the ENOSYS stub) and what makes it refuse a filter.

use crate::profile::model::{Action, ArgCond, EffectiveAction, MAX_ERRNO_RET};
use crate::profile::names;
use crate::profile::resolve::Resolved;
use seccomp_catalog::Abi;
use std::collections::BTreeMap;

/// `SCMP_ACT_ERRNO(ENOSYS)`, the value runc's `generatePatch` compares `defaultErrnoRet` with
/// (a bare errno never equals it, so runc skips the stub only for a `defaultErrnoRet` of
/// 0x50026, which the parser rejects: in effect the stub is always there).
pub(super) const RET_ERRNO_ENOSYS: u32 = 0x0005_0026;

/// runc's `matchCall`: when any argument index carries more than one condition, every
/// condition becomes a rule of its own (OR), otherwise all conditions form one rule (AND).
pub(super) fn split_like_runc(args: &[ArgCond]) -> Vec<Vec<ArgCond>> {
    if args.is_empty() {
        return vec![Vec::new()];
    }
    let mut counts = [0usize; 6];
    for a in args {
        counts[a.index as usize] += 1;
    }
    if counts.iter().any(|&n| n > 1) {
        args.iter().map(|a| vec![*a]).collect()
    } else {
        vec![args.to_vec()]
    }
}

/// Whether runc will refuse this filter before any case runs.
pub(super) fn refusal(r: &Resolved) -> Option<String> {
    // runc `InitSeccomp`: "SCMP_ACT_NOTIFY cannot be used as default action" and "… for the
    // write syscall".
    if r.default == EffectiveAction::Notify {
        return Some("runc refuses SCMP_ACT_NOTIFY as the default action".into());
    }
    // libseccomp accepts SCMP_ACT_ERRNO(n) only for n < MAX_ERRNO (`sys_chk_seccomp_action`);
    // runc passes int16(errnoRet), so the check sees the low 16 bits.
    if let EffectiveAction::Errno(n) = r.default {
        if u32::from(n) > MAX_ERRNO_RET {
            return Some(format!(
                "libseccomp rejects the default action SCMP_ACT_ERRNO({n}): errno must be below 4095"
            ));
        }
    }
    if let Some(c) = r.calls.iter().find(|c| {
        !c.dropped && matches!(c.action, EffectiveAction::Errno(n) if u32::from(n) > MAX_ERRNO_RET)
    }) {
        return Some(format!(
            "libseccomp rejects syscalls[{}]'s {} (errno must be below 4095), so runc fails with a misleading \"two checks on same syscall argument\"",
            c.rule, c.action
        ));
    }
    if let Some(c) = r
        .calls
        .iter()
        .find(|c| c.action == EffectiveAction::Notify && c.name == "write")
    {
        return Some(format!(
            "runc refuses SCMP_ACT_NOTIFY for write (syscalls[{}])",
            c.rule
        ));
    }
    None
}

/// The stub's per-ABI limits, or `None` when runc adds no stub: a default of ALLOW, LOG or
/// TRACE (`isAllowAction`), or the never-met `defaultErrnoRet == SCMP_ACT_ERRNO(ENOSYS)` test
/// of `generatePatch`. Limits come from `findLastSyscalls`: every rule name of the resolved
/// config (runc computes it before dropping rules), resolved per arch, pseudo numbers (i386
/// socket and ipc calls: `abi_syscall_resolve_name_munge`) ignored; an ABI with no known name
/// gets no section.
pub(super) fn stub_limits(r: &Resolved, covered: &[Abi]) -> Option<BTreeMap<Abi, u64>> {
    // runc builds the stub per entry of the config's architectures (`generatePatch` walks
    // `config.Architectures`): a profile that lists none (or an archMap with no entry for the
    // daemon's arch) gets no stub at all. Measured with runc 1.1.5: jessfraz's Chrome profile
    // (no architectures) answered EPERM from its default for pkey_mprotect and userfaultfd; the
    // same profile with SCMP_ARCH_X86_64, X86 and X32 added answered ENOSYS.
    if r.architectures.is_empty() {
        return None;
    }
    if matches!(
        r.default_action,
        Action::Allow | Action::Log | Action::Trace
    ) {
        return None;
    }
    if r.default_errno_ret == Some(RET_ERRNO_ENOSYS) {
        return None;
    }
    let mut out = BTreeMap::new();
    for &abi in covered {
        let max = r
            .calls
            .iter()
            .filter(|c| !c.unknown && names::multiplexed(abi, &c.name).is_none())
            .filter_map(|c| names::number(abi, &c.name))
            .max()
            .unwrap_or(0);
        if max != 0 {
            out.insert(abi, max);
        }
    }
    Some(out)
}
