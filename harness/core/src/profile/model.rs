//! The profile as this tool understands it, after parsing and validation: Docker's format
//! (moby `profiles/seccomp/seccomp.go`), which extends the OCI runtime-spec `LinuxSeccomp`
//! object with `archMap` and per-rule `includes`/`excludes`.

use super::kernel::KernelVersion;
use std::fmt;

/// A `SCMP_ACT_*` name as the runtime accepts it (its action table:
/// [`crate::runtime::RuntimeModel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `SCMP_ACT_KILL`: libseccomp defines it as KILL_THREAD (seccomp.h).
    Kill,
    KillThread,
    KillProcess,
    Trap,
    Errno,
    Trace,
    Allow,
    Log,
    Notify,
}

impl Action {
    pub const ALL: &'static [Action] = &[
        Action::Kill,
        Action::KillThread,
        Action::KillProcess,
        Action::Trap,
        Action::Errno,
        Action::Trace,
        Action::Allow,
        Action::Log,
        Action::Notify,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Action::Kill => "SCMP_ACT_KILL",
            Action::KillThread => "SCMP_ACT_KILL_THREAD",
            Action::KillProcess => "SCMP_ACT_KILL_PROCESS",
            Action::Trap => "SCMP_ACT_TRAP",
            Action::Errno => "SCMP_ACT_ERRNO",
            Action::Trace => "SCMP_ACT_TRACE",
            Action::Allow => "SCMP_ACT_ALLOW",
            Action::Log => "SCMP_ACT_LOG",
            Action::Notify => "SCMP_ACT_NOTIFY",
        }
    }

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.iter().copied().find(|a| a.name() == s)
    }

    /// Whether `errnoRet` means something for this action: the runtime passes it to ERRNO
    /// and TRACE only ([`crate::runtime::RuntimeModel`]).
    pub(crate) fn takes_errno_ret(self) -> bool {
        matches!(self, Action::Errno | Action::Trace)
    }

    /// The action as the filter will hold it: what the runtime turns it into
    /// ([`crate::runtime::RuntimeModel`]). `errnoRet` absent means EPERM for both ERRNO and TRACE
    /// there; the runtime casts it to `int16`
    /// and libseccomp keeps the low 16 bits (`SCMP_ACT_ERRNO(x)` in seccomp.h).
    pub(crate) fn effective(self, errno_ret: Option<u32>) -> EffectiveAction {
        const EPERM: u16 = 1;
        let data = errno_ret.map(|e| e as u16).unwrap_or(EPERM);
        match self {
            Action::Kill | Action::KillThread => EffectiveAction::KillThread,
            Action::KillProcess => EffectiveAction::KillProcess,
            Action::Trap => EffectiveAction::Trap,
            Action::Errno => EffectiveAction::Errno(data),
            Action::Trace => EffectiveAction::Trace(data),
            Action::Allow => EffectiveAction::Allow,
            Action::Log => EffectiveAction::Log,
            Action::Notify => EffectiveAction::Notify,
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An action with its return data, as libseccomp holds it. Two of these are equal exactly when
/// the runtime compares them equal (and then drops the rule: [`crate::runtime::RuntimeModel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EffectiveAction {
    KillThread,
    KillProcess,
    Trap,
    Errno(u16),
    Trace(u16),
    Allow,
    Log,
    Notify,
}

impl fmt::Display for EffectiveAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EffectiveAction::KillThread => f.write_str("SCMP_ACT_KILL_THREAD"),
            EffectiveAction::KillProcess => f.write_str("SCMP_ACT_KILL_PROCESS"),
            EffectiveAction::Trap => f.write_str("SCMP_ACT_TRAP"),
            EffectiveAction::Errno(n) => write!(f, "SCMP_ACT_ERRNO({n})"),
            EffectiveAction::Trace(n) => write!(f, "SCMP_ACT_TRACE({n})"),
            EffectiveAction::Allow => f.write_str("SCMP_ACT_ALLOW"),
            EffectiveAction::Log => f.write_str("SCMP_ACT_LOG"),
            EffectiveAction::Notify => f.write_str("SCMP_ACT_NOTIFY"),
        }
    }
}

/// A `SCMP_CMP_*` operator (the runtime's operator table: [`crate::runtime::RuntimeModel`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    Ne,
    Lt,
    Le,
    Eq,
    Ge,
    Gt,
    /// `value` is the mask, `valueTwo` the datum (libseccomp `db_col_rule_add`: `mask =
    /// datum_a; datum = datum_b`).
    MaskedEq,
}

impl Op {
    pub const ALL: &'static [Op] = &[Op::Ne, Op::Lt, Op::Le, Op::Eq, Op::Ge, Op::Gt, Op::MaskedEq];

    pub fn name(self) -> &'static str {
        match self {
            Op::Ne => "SCMP_CMP_NE",
            Op::Lt => "SCMP_CMP_LT",
            Op::Le => "SCMP_CMP_LE",
            Op::Eq => "SCMP_CMP_EQ",
            Op::Ge => "SCMP_CMP_GE",
            Op::Gt => "SCMP_CMP_GT",
            Op::MaskedEq => "SCMP_CMP_MASKED_EQ",
        }
    }

    pub fn parse(s: &str) -> Option<Op> {
        Op::ALL.iter().copied().find(|o| o.name() == s)
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One argument condition of a rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ArgCond {
    /// 0..=5: the parser rejects anything else (the runtime would index out of its 6-slot array).
    pub index: u8,
    pub value: u64,
    pub value_two: u64,
    pub op: Op,
}

impl fmt::Display for ArgCond {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            Op::MaskedEq => write!(
                f,
                "arg{} & {:#x} == {:#x}",
                self.index, self.value, self.value_two
            ),
            op => {
                let sym = match op {
                    Op::Ne => "!=",
                    Op::Lt => "<",
                    Op::Le => "<=",
                    Op::Eq => "==",
                    Op::Ge => ">=",
                    Op::Gt => ">",
                    Op::MaskedEq => unreachable!(),
                };
                write!(f, "arg{} {sym} {:#x}", self.index, self.value)
            }
        }
    }
}

/// The largest errno an ERRNO action can carry. The kernel caps `SECCOMP_RET_DATA` at MAX_ERRNO
/// (4095, kernel/seccomp.c `__seccomp_filter`), and libseccomp refuses anything not below it
/// (`sys_chk_seccomp_action`: `(action & 0xffff) < MAX_ERRNO`). The runtime casts the value to
/// int16 first ([`crate::runtime::RuntimeModel`]), so 70000 reaches libseccomp as 4464 and
/// fails with libseccomp-golang's misleading "two checks on same syscall argument".
pub const MAX_ERRNO_RET: u32 = 4094;

/// libseccomp's arch names that the runtime knows (its arch table:
/// [`crate::runtime::RuntimeModel`]).
pub const KNOWN_ARCHES: &[&str] = &[
    "SCMP_ARCH_X86",
    "SCMP_ARCH_X86_64",
    "SCMP_ARCH_X32",
    "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64",
    "SCMP_ARCH_MIPS",
    "SCMP_ARCH_MIPS64",
    "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",
    "SCMP_ARCH_MIPSEL64",
    "SCMP_ARCH_MIPSEL64N32",
    "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",
    "SCMP_ARCH_PPC64LE",
    "SCMP_ARCH_RISCV64",
    "SCMP_ARCH_S390",
    "SCMP_ARCH_S390X",
    "SCMP_ARCH_LOONGARCH64",
];

/// An `archMap` entry: the arch Docker matches against the daemon's own, and the compat arches
/// it then adds to the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchMapEntry {
    pub architecture: String,
    pub sub_architectures: Vec<String>,
}

/// Where a profile says which ABIs its filter covers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Arches {
    /// Neither `architectures` nor `archMap`: the filter holds the native ABI only.
    #[default]
    Unspecified,
    List(Vec<String>),
    Map(Vec<ArchMapEntry>),
}

/// `includes` / `excludes` of a rule (moby `seccomp.go`, `Filter`). `arches` are libseccomp's
/// short names as Docker spells the daemon's arch (`amd64`, `arm64`, `x86`, `s390x`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Filter {
    pub caps: Vec<String>,
    pub arches: Vec<String>,
    pub min_kernel: Option<KernelVersion>,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.caps.is_empty() && self.arches.is_empty() && self.min_kernel.is_none()
    }
}

/// One entry of `syscalls[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// `names`, or the legacy single `name`.
    pub names: Vec<String>,
    pub action: Action,
    pub errno_ret: Option<u32>,
    /// Podman's `errno`, an errno's name ("EPERM"): Podman prefers it to `errnoRet` and hands
    /// it on as the errno (measured with Podman 5.8.6), Docker ignores it. Kept so the JSON
    /// serialized from the model behaves on Podman as the file does.
    pub errno_name: Option<String>,
    pub args: Vec<ArgCond>,
    pub includes: Filter,
    pub excludes: Filter,
    pub comment: Option<String>,
}

impl Rule {
    pub fn effective_action(&self) -> EffectiveAction {
        self.action.effective(self.errno_ret)
    }
}

/// Which document the profile came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Docker seccomp profile (`--security-opt seccomp=FILE`).
    Docker,
    /// The `linux.seccomp` object of an OCI runtime-spec `config.json`.
    OciConfig,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub format: Format,
    /// `None` only when the profile also has no rules: Docker and the runtime then run the
    /// container without any filter (moby `setupSeccomp`: "assume seccomp disabled"; the
    /// runtime alike: [`crate::runtime::RuntimeModel`]).
    pub default_action: Option<Action>,
    pub default_errno_ret: Option<u32>,
    /// Podman's `defaultErrno`, the default's errno by name: as [`Rule::errno_name`].
    pub default_errno_name: Option<String>,
    pub arches: Arches,
    pub rules: Vec<Rule>,
    pub flags: Vec<String>,
    pub listener_path: Option<String>,
    /// The OCI `listenerMetadata`, passed to a seccomp agent with the notify fd: the runtime
    /// hands it on, so it is kept for the JSON sent to the engine.
    pub listener_metadata: Option<String>,
}

impl Profile {
    /// No filter at all: Docker's "assume seccomp disabled" case.
    pub(crate) fn disables_seccomp(&self) -> bool {
        self.default_action.is_none() && self.rules.is_empty()
    }

    pub(crate) fn default_effective_action(&self) -> Option<EffectiveAction> {
        self.default_action
            .map(|a| a.effective(self.default_errno_ret))
    }
}
