//! The runtime layer: what the OCI runtime (runc or crun) does with a resolved profile before
//! libseccomp sees it (splitting argument conditions, runc's ENOSYS stub), what makes it refuse
//! a filter, and what it calls after loading it ([`RuntimeModel`], one per runtime and version
//! range, each fact with its measurement).

use crate::profile::model::{Action, Arches, ArgCond, EffectiveAction, MAX_ERRNO_RET};
use crate::profile::names;
use crate::profile::resolve::Resolved;
use crate::profile::Runtime;
use seccomp_catalog::own_calls::OwnArg;
use seccomp_catalog::{Abi, Arch};
use std::collections::BTreeMap;

/// What one runtime, from one version on, does with a profile. Both runc and crun drop a rule
/// whose action equals the default (runc `matchCall`; crun 1.28 `libcrun_generate_seccomp`:
/// `if (action == default_action) continue;`), split several conditions on one argument
/// index into separate rules, and ignore names libseccomp doesn't know; they differ in what
/// follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeModel {
    pub runtime: &'static str,
    /// The first version (major.minor.patch) this model holds for.
    pub since: (u64, u64, u64),
    /// runc prepends an ENOSYS stub for syscalls above the profile's highest known one
    /// (`patchbpf`); crun has none. Measured on Docker 28.5.2 (the lab's sid-crun, both
    /// runtimes registered): under a default of ERRNO 72 whose highest named syscall is
    /// faccessat2 (439), mseal (462) answered ENOSYS with `--runtime runc` and 72 with crun.
    pub enosys_stub: bool,
    /// The stub always covers the native arch, listed in `architectures` or not (runc
    /// 618e149e4 "always include native architecture in stub", first in v1.1.15, and
    /// ccc500c42 in v1.2.0); before, only the listed arches get a stub. Measured with a
    /// default of ERRNO allowing every x86_64 syscall up to clone3 (435): with no
    /// `architectures`, mseal and process_madvise answered EPERM on runc 1.1.5 (this host)
    /// and ENOSYS on runc 1.1.15 and 1.3.6 (the lab's trixie-runc and sid-runc); with only
    /// SCMP_ARCH_X86 listed, EPERM on 1.1.5 and ENOSYS on 1.1.15 and 1.3.6.
    pub stub_covers_native: bool,
    /// The runtime passes `defaultErrnoRet` to libseccomp. Measured with runc 1.3.6 and crun
    /// 1.28: defaults of ERRNO with `defaultErrnoRet` 71, 72 and 73 answered 71, 72 and 73
    /// (the engine must pass it on too: Docker from 23.0).
    pub honours_default_errno_ret: bool,
    /// A kill on a call the runtime makes after loading the filter hangs the start for good
    /// (runc's Go `runc init` keeps living threads), so the harness never starts such a
    /// container unless asked to. Measured with a default-ALLOW profile killing getppid: the
    /// start had not returned after 60 s on runc 1.1.5, 1.1.15 and 1.3.6 alike, the init a
    /// zombie with live threads (`engine/hung.rs` frees it); crun's init is a single C thread: it dies and the start fails at once
    /// ("read from the init process", measured with crun 1.28).
    pub kill_hangs_start: bool,
    /// Calls after loading the filter that the start needs: any denial fails it.
    pub fatal: &'static [&'static str],
    /// Calls after loading the filter that survive an errno, but not a kill or a trap.
    pub tolerated: &'static [&'static str],
    /// Calls made after the engine has reported the container started (crun reads its exec
    /// fifo, closes fds and execs the probe after `crun start` returned): denying them ends
    /// the container before the probe's first case, so the cells are `not_run`, not
    /// `start_failed`. An errno on these is fatal …
    pub after_start_fatal: &'static [&'static str],
    /// … and on these tolerated (a kill or a trap is fatal).
    pub after_start_tolerated: &'static [&'static str],
    /// The runtime refuses `errnoRet` (or `defaultErrnoRet`) on an action other than ERRNO
    /// and TRACE, where runc ignores it: crun 1.28 failed dangerzone's permissive gVisor
    /// profile (ALLOW rules with `errnoRet`) with "errno value specified for action
    /// `SCMP_ACT_ALLOW`" (`libcrun_generate_seccomp` checks before it drops rules equal to
    /// the default, so even those count).
    pub refuses_stray_errno_ret: bool,
    /// The arguments the runtime really passes to some of its calls after loading the filter,
    /// one entry per call site; a call with no entry is judged with the catalog's arguments
    /// (all ones, which miss every condition such as `fd <= 8`).
    pub sites: &'static [RuntimeSite],
}

/// One call the runtime makes after loading the filter, with the arguments it passes there
/// (`RunTime` for a pointer or anything else no profile can predict).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuntimeSite {
    pub syscall: &'static str,
    pub args: [OwnArg; 6],
}

const fn site(syscall: &'static str, args: [OwnArg; 6]) -> RuntimeSite {
    RuntimeSite { syscall, args }
}

use OwnArg::{Fixed as F, RunTime as R};

/// runc 1.1.5's (Docker 20.10.24, this host) write, close and fstat after loading the filter,
/// measured by allowing each only under argument conditions in an allow-list that starts
/// (the nginx start-able copy) and starting `--noop` containers: the start needed exactly
/// `write(3, _, 1)` (the exec fifo's "0"; `arg0 == 3` and `arg2 == 1` each started, `arg0 <=
/// 2` and `arg2 == 0` did not), `close(3)` and `close(4)` (one EQ rule each started; either
/// alone did not, and with only `close(4)` allowed the start hung), and `fstat` on 0, 1 and 2
/// (all three EQ rules started; any two did not). Newer runc versions were not measured, so
/// their calls are judged with the catalog's arguments.
const RUNC_1_1_5_SITES: &[RuntimeSite] = &[
    site("write", [F(3), R, F(1), F(0), F(0), F(0)]),
    site("close", [F(3), F(0), F(0), F(0), F(0), F(0)]),
    site("close", [F(4), F(0), F(0), F(0), F(0), F(0)]),
    site("fstat", [F(0), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(1), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(2), R, F(0), F(0), F(0), F(0)]),
];

/// Calls runc makes after loading the filter, whatever its version (measured with runc 1.1.5
/// by narrowing an allow-list, see profiles/README.md: denying any of these stops the
/// container from starting, often with a message that names none of them). `write` too:
/// denying it alone gave "cannot start an already running container". `close` too: runc
/// closes its log pipe after loading the filter and fails on an error (`standard_init_linux.go`
/// "close log pipe"); a default-ALLOW profile denying only `close` (ERRNO) failed the start
/// on runc 1.1.5 ("cannot start a stopped process"), 1.1.15 and 1.3.6 ("cannot start a
/// container that has stopped").
pub const RUNC_NEEDS: &[&str] = &[
    "write",
    "close",
    "fstatfs",
    "openat",
    "getdents64",
    "getcwd",
    "chdir",
    "newfstatat",
    "fstat",
    "setuid",
    "setgid",
    "setgroups",
    "capget",
    "capset",
    "prctl",
    "getppid",
    "execve",
];

/// runc 1.3's needs on top of [`RUNC_NEEDS`]: statx (the mount id of /proc/thread-self/fd;
/// with an errno, or the stub's ENOSYS, the start fails "could not get mount id").
const RUNC_1_3_FATAL: &[&str] = &[
    "write",
    "close",
    "fstatfs",
    "openat",
    "getdents64",
    "getcwd",
    "chdir",
    "newfstatat",
    "fstat",
    "setuid",
    "setgid",
    "setgroups",
    "capget",
    "capset",
    "prctl",
    "getppid",
    "execve",
    "statx",
];

/// crun 1.28's calls after loading the filter (Docker 28.5.2 and Podman 5.8.6, which load the
/// filter before dropping privileges: `apply_security_settings` then `libcrun_set_caps`).
/// Found under a SCMP_ACT_LOG default, the kernel log naming `crun`'s calls (the log is rate
/// limited, so each round allowed what the last one found, until a round logged nothing),
/// then each call denied (ERRNO), trapped and killed alone in a default-ALLOW profile:
/// - prctl ("prctl drop bounding"), setresgid, setresuid ("setresuid to `0`"), capset,
///   rt_sigprocmask, rt_sigaction, write and pselect6: any denial fails the start;
/// - close: an errno is ignored, a trap or kill fails the start;
/// - after `crun start` returned: read (the exec fifo) and execve fail on an errno (exit 1,
///   "read from the exec fifo: Operation not permitted") and die of SIGSYS on a trap or kill
///   (exit 159); close_range survives an errno.
///
/// A default-ERRNO (and a default-TRAP) profile allowing exactly these, the exit calls and
/// the probe's footprint ran the probe.
const CRUN_1_28_FATAL: &[&str] = &[
    "prctl",
    "setresgid",
    "setresuid",
    "capset",
    "rt_sigprocmask",
    "rt_sigaction",
    "write",
    "pselect6",
];

/// Per runtime and version, the newest first. runc: measured under a SCMP_ACT_LOG default
/// (`runc:[2:INIT]`'s calls in the kernel log) and by trapping, denying and killing each call
/// alone: runc 1.1.5 (Docker 20.10.24) called faccessat2 (exec's lookup); runc 1.3.6 (Docker
/// 28.5.2, the lab's sid-runc) also openat2, statx and tgkill. runc 1.1.15 (the lab's
/// trixie-runc) started profiles without statx. Versions between 1.1.15 and 1.3.6 were not
/// measured: 1.2 is taken to behave like 1.3. crun: only 1.28 was measured (the lab's
/// sid-crun and podman); older versions get its model.
pub const RUNTIMES: &[RuntimeModel] = &[
    RuntimeModel {
        runtime: "runc",
        since: (1, 2, 0),
        enosys_stub: true,
        stub_covers_native: true,
        honours_default_errno_ret: true,
        kill_hangs_start: true,
        fatal: RUNC_1_3_FATAL,
        tolerated: &["faccessat2", "openat2", "tgkill"],
        after_start_fatal: &[],
        after_start_tolerated: &[],
        refuses_stray_errno_ret: false,
        sites: &[],
    },
    RuntimeModel {
        runtime: "runc",
        since: (1, 1, 15),
        enosys_stub: true,
        stub_covers_native: true,
        honours_default_errno_ret: true,
        kill_hangs_start: true,
        fatal: RUNC_NEEDS,
        tolerated: &["faccessat2"],
        after_start_fatal: &[],
        after_start_tolerated: &[],
        refuses_stray_errno_ret: false,
        sites: &[],
    },
    RuntimeModel {
        runtime: "runc",
        since: (0, 0, 0),
        enosys_stub: true,
        stub_covers_native: false,
        honours_default_errno_ret: true,
        kill_hangs_start: true,
        fatal: RUNC_NEEDS,
        tolerated: &["faccessat2"],
        after_start_fatal: &[],
        after_start_tolerated: &[],
        refuses_stray_errno_ret: false,
        sites: RUNC_1_1_5_SITES,
    },
    // gVisor: the filter applies to the sandboxed application from its first instruction;
    // runsc's own start (the Sentry, the gofer, the loader's exec) is outside it, so there are
    // no start needs. Measured with runsc 0.0~20221219 and 0.0~20240729: the hostile profiles
    // runsc accepts (signals trapped, waits denied, exit denied, trap-everything) started and
    // their cells passed. No ENOSYS stub: a call newer than the profile gets the default
    // action.
    RuntimeModel {
        runtime: super::gvisor::RUNSC,
        since: (0, 0, 0),
        enosys_stub: false,
        stub_covers_native: false,
        // runsc reads `defaultErrnoRet` and then answers EPERM whatever it says (the oracle's
        // gVisor rule): nothing for the tagging to work around.
        honours_default_errno_ret: true,
        kill_hangs_start: false,
        fatal: &[],
        tolerated: &[],
        after_start_fatal: &[],
        after_start_tolerated: &[],
        refuses_stray_errno_ret: false,
        sites: &[],
    },
    RuntimeModel {
        runtime: "crun",
        since: (0, 0, 0),
        enosys_stub: false,
        stub_covers_native: false,
        honours_default_errno_ret: true,
        kill_hangs_start: false,
        fatal: CRUN_1_28_FATAL,
        tolerated: &["close"],
        after_start_fatal: &["read", "execve"],
        after_start_tolerated: &["close_range"],
        refuses_stray_errno_ret: true,
        sites: &[],
    },
];

/// The model of `runtime`: the newest for its version. A version the engine did not report
/// gets the newest model; a runtime with no model of its own gets runc's (the notes name the
/// runtime that ran).
pub fn runtime_model(runtime: &Runtime) -> &'static RuntimeModel {
    let name = if RUNTIMES.iter().any(|m| m.runtime == runtime.name) {
        runtime.name.as_str()
    } else {
        "runc"
    };
    let version = runtime.version.filter(|_| name == runtime.name);
    RUNTIMES
        .iter()
        .find(|m| m.runtime == name && version.is_none_or(|v| v >= m.since))
        .expect("a model for every version of each modelled runtime")
}

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

/// Whether the runtime will refuse this filter before any case runs.
pub(super) fn refusal(r: &Resolved) -> Option<String> {
    // runc `InitSeccomp`: "SCMP_ACT_NOTIFY cannot be used as default action" and "… for the
    // write syscall". crun was not measured here: taken to refuse them too (it needs a
    // listener for any notify action).
    let runtime = &r.host.runtime.name;
    // gVisor compiles the profile itself (no libseccomp): its own refusals only.
    if super::gvisor::is_gvisor(&r.host.runtime) {
        return super::gvisor::refusal(r);
    }
    if r.default == EffectiveAction::Notify {
        return Some(format!(
            "{runtime} refuses SCMP_ACT_NOTIFY as the default action"
        ));
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
            "libseccomp rejects syscalls[{}]'s {} (errno must be below 4095), so {runtime} fails to load the filter (runc with a misleading \"two checks on same syscall argument\")",
            c.rule, c.action
        ));
    }
    if runtime_model(&r.host.runtime).refuses_stray_errno_ret {
        if r.default_errno_ret.is_some() && !r.default_action.takes_errno_ret() {
            return Some(format!(
                "{runtime} refuses defaultErrnoRet with the default action {} (\"errno value specified for action\")",
                r.default_action.name()
            ));
        }
        if let Some(c) = r.calls.iter().find(|c| c.stray_errno_ret) {
            return Some(format!(
                "{runtime} refuses errnoRet on syscalls[{}], whose action takes none (\"errno value specified for action\"; runc ignores it)",
                c.rule
            ));
        }
    }
    if let Some(c) = r
        .calls
        .iter()
        .find(|c| c.action == EffectiveAction::Notify && c.name == "write")
    {
        return Some(format!(
            "{runtime} refuses SCMP_ACT_NOTIFY for write (syscalls[{}])",
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
    // crun has no stub: a call above the profile's highest one gets the default action.
    if !runtime_model(&r.host.runtime).enosys_stub {
        return None;
    }
    // runc builds the stub per entry of the config's architectures (`findLastSyscalls` walks
    // `config.Architectures`), from 1.1.15 on with the native arch added (see
    // [`RuntimeModel::stub_covers_native`]). Before, a profile that lists none (or an archMap
    // with no entry for the daemon's arch) gets no stub at all, and one that lists only a
    // compat arch gets a stub for that arch only. Measured with runc 1.1.5: jessfraz's Chrome
    // profile (no architectures) answered EPERM from its default for pkey_mprotect and
    // userfaultfd; the same profile with SCMP_ARCH_X86_64, X86 and X32 added answered ENOSYS.
    // Measured through containerd's CRI too, which drops a Localhost profile's `archMap`
    // (profile::node): with no architectures left, runc 1.1.15 (containerd 1.7.24) and runc
    // 1.3.6 (containerd 2.1.9) answered ENOSYS for fchmodat2, futex_wake and every call above
    // static-server-allowlist's highest name.
    let model = runtime_model(&r.host.runtime);
    let native = r.host.arch.native_abi();
    let stubbed: Vec<Abi> = covered
        .iter()
        .copied()
        .filter(|abi| {
            (model.stub_covers_native && *abi == native)
                || r.architectures.iter().any(|a| {
                    crate::profile::resolve::abi_of_scmp_arch(a) == Some(*abi)
                        || (a == "SCMP_ARCH_NATIVE" && *abi == native)
                })
        })
        .collect();
    if stubbed.is_empty() {
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
    for abi in stubbed {
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

/// Whether `model` gives the native ABI of `arch` an ENOSYS stub under a profile whose
/// architectures are `arches`: runc from 1.1.15 always does, older runc only where the list
/// (or the archMap entry for the daemon's arch) names it, crun never
/// ([`RuntimeModel::stub_covers_native`]).
pub fn native_stub(model: &RuntimeModel, arches: &Arches, arch: Arch) -> bool {
    if !model.enosys_stub {
        return false;
    }
    if model.stub_covers_native {
        return true;
    }
    let native = arch.native_abi().scmp_arch();
    match arches {
        Arches::Unspecified => false,
        Arches::List(l) => l.iter().any(|a| a == native || a == "SCMP_ARCH_NATIVE"),
        Arches::Map(m) => m.iter().any(|e| e.architecture == native),
    }
}

/// What the tagged copy of a profile must allow on this runtime where the original leaves it
/// to its ERRNO default and the copy's TRAP default would stop the runtime or the probe:
/// crun's calls that survive an errno but not a trap (close, and close_range after the start:
/// measured with crun 1.28; old profiles such as moby v1.12's default don't name
/// close_range), runc's (faccessat2, and openat2 and tgkill from 1.3), and `also` (the
/// probe's footprint and the fallbacks the tagging allows where runc's stub can't move). Only
/// where the runtime builds no native stub for the profile (`native_stub` is false: crun, or
/// runc before 1.1.15 with the native arch unlisted), so that a new name moves no stub limit
/// the native cases meet; with a native stub the tagging itself decides
/// (`profile::tag::tagged_allowances`). Measured with runc 1.1.5: a profile listing only
/// SCMP_ARCH_X86 (no native stub) had its tagged copy killed on faccessat2 before this.
pub fn tagged_runtime_allowances(
    model: &RuntimeModel,
    native_stub: bool,
    named: impl Fn(&str) -> bool,
    also: &[&'static str],
) -> Vec<&'static str> {
    if native_stub {
        return Vec::new();
    }
    let mut out: Vec<&'static str> = Vec::new();
    for n in model
        .tolerated
        .iter()
        .chain(model.after_start_tolerated)
        .chain(also)
    {
        if !named(n) && !out.contains(n) {
            out.push(n);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// runc 1.3's list repeats runc's needs (a const slice can't be built from another): it
    /// must stay a superset, or a call runc 1.1 needs would be forgotten for 1.3.
    #[test]
    fn runc_1_3_needs_everything_runc_1_1_needs() {
        for call in RUNC_NEEDS {
            assert!(RUNC_1_3_FATAL.contains(call), "{call}");
        }
        assert!(RUNC_1_3_FATAL.contains(&"statx"));
    }
}
