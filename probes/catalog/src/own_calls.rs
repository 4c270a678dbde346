//! The calls the probe makes for itself, as data shared by the probe and the harness's oracle.
//!
//! - The **footprint**: what the static probe calls before its first case. glibc's static
//!   start-up makes most of them; the probe has no std runtime init (`#![no_main]`: no `poll`
//!   on fds 0–2, no SIGPIPE set-up, no `sigaltstack`, no stack-guard probing of
//!   /proc/self/maps) and no hash seed. Measured with `strace -f` on the release probe
//!   (x86_64, glibc 2.36, `seccomp-probe getpid`); `probe_under_filter.rs` checks each entry's
//!   [`OnErrno`] by denying it and each arch's set by running the probe under a filter that
//!   allows nothing else. Writing records is not listed: it is the [`Role::Write`] machinery,
//!   with its fallbacks.
//! - The **machinery**: how the probe forks a child per case, waits for it, wakes or kills it,
//!   reaps it, writes its records and exits. Each [`Role`] lists its options in the order the
//!   probe tries them. An errno makes the probe fall back to the next option at run time; a
//!   KILL cannot be tried, so the harness passes the names the oracle does not predict
//!   `allowed` (`--avoid`), and the probe never makes them.

use crate::Arch;

/// What the probe does when a filter answers a footprint call with an errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnErrno {
    /// The probe still reaches its cases.
    Tolerated,
    /// The probe dies (or never gets to write) before its first record.
    Fatal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FootprintCall {
    pub syscall: &'static str,
    pub on_errno: OnErrno,
    pub why: &'static str,
}

use OnErrno::{Fatal, Tolerated};

/// One footprint entry: its name on x86_64 and on aarch64, where the arch has the call.
type Entry = (
    Option<&'static str>,
    Option<&'static str>,
    OnErrno,
    &'static str,
);

/// Measured on x86_64 (see the module doc); aarch64's names from the generic syscall table
/// (its thread pointer is a register, so no arch_prctl; readlinkat instead of readlink), not
/// measured there yet. `execve` is the runtime's call: it belongs to the runtime's start
/// needs, not here.
const FOOTPRINT: &[Entry] = &[
    (
        Some("brk"),
        Some("brk"),
        Tolerated,
        "glibc's static TLS set-up and malloc; malloc falls back to mmap",
    ),
    (
        Some("arch_prctl"),
        None,
        Fatal,
        "glibc sets the thread pointer (ARCH_SET_FS) before any code runs",
    ),
    (
        Some("set_tid_address"),
        Some("set_tid_address"),
        Tolerated,
        "glibc's thread set-up; the result is not checked",
    ),
    (
        Some("set_robust_list"),
        Some("set_robust_list"),
        Tolerated,
        "glibc's thread set-up; a failure disables robust mutexes",
    ),
    (
        Some("rseq"),
        Some("rseq"),
        Tolerated,
        "glibc registers restartable sequences; a failure disables them",
    ),
    (
        Some("prlimit64"),
        Some("prlimit64"),
        Tolerated,
        "glibc reads RLIMIT_STACK at start-up",
    ),
    (
        Some("readlink"),
        Some("readlinkat"),
        Tolerated,
        "glibc's static start-up reads /proc/self/exe for $ORIGIN",
    ),
    (
        Some("getrandom"),
        Some("getrandom"),
        Tolerated,
        "glibc's malloc seeds its tcache key; a failure falls back to the clock",
    ),
    (
        Some("mprotect"),
        Some("mprotect"),
        Fatal,
        "a static PIE makes its relocated data read-only (RELRO); a failure is fatal",
    ),
    (
        Some("mmap"),
        Some("mmap"),
        Tolerated,
        "the shared result page and the arena; without them malloc uses brk and the cases run in-process",
    ),
];

/// The calls the probe makes before its first case on `arch`.
pub fn footprint(arch: Arch) -> Vec<FootprintCall> {
    FOOTPRINT
        .iter()
        .filter_map(|&(x86_64, aarch64, on_errno, why)| {
            let syscall = match arch {
                Arch::X86_64 => x86_64,
                Arch::Aarch64 => aarch64,
            }?;
            Some(FootprintCall {
                syscall,
                on_errno,
                why,
            })
        })
        .collect()
}

/// One job of the probe's machinery, with its options in the order the probe tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Installing the SIGSYS handler (to see SCMP_ACT_TRAP) and the wake-up handler, and
    /// returning from them. Without both, a trap kills like a kill does.
    SignalHandlers,
    /// Forking one child per case; without it the cases run in the probe's own process.
    Fork,
    /// The pipe whose other end closes when the child dies, however it dies.
    Lifeline,
    /// The child's own session, so that `vhangup` has no terminal to hang up.
    Session,
    /// Waking a sleeping child (SIGUSR1) and killing one past its deadline (SIGKILL).
    Signal,
    /// A child's own interval timer, which wakes a sleeping call when no signal reaches it.
    SelfTimer,
    /// Waiting for the child's result with a deadline.
    Wait,
    /// Collecting the child's exit status (and the zombies `fork` cases leave).
    Reap,
    /// Where no reap call is left: learning how each child ended from SIGCHLD's siginfo
    /// (`si_code`, `si_status`), the kernel reaping the children itself (`SA_NOCLDWAIT`). It
    /// keeps a profile that denies wait4 and waitid (an allow-list server's) in fork mode,
    /// where the probe would otherwise run in-process and need a fresh container after every
    /// case that ends it.
    ChildSignal,
    /// Writing a record to stdout (a pipe).
    Write,
    /// Ending the probe after the last record.
    Exit,
    /// Pinning the probe and its children to one CPU: an optimisation only.
    Pinning,
}

impl Role {
    pub const ALL: &'static [Role] = &[
        Role::SignalHandlers,
        Role::Fork,
        Role::Lifeline,
        Role::Session,
        Role::Signal,
        Role::SelfTimer,
        Role::Wait,
        Role::Reap,
        Role::ChildSignal,
        Role::Write,
        Role::Exit,
        Role::Pinning,
    ];

    /// The options, in the order they are tried. For [`Role::SignalHandlers`],
    /// [`Role::ChildSignal`] and [`Role::Pinning`] every call is needed (all of them, not one of
    /// them).
    pub fn options(self, arch: Arch) -> &'static [&'static str] {
        match (self, arch) {
            (Role::SignalHandlers, _) => &["rt_sigaction", "rt_sigreturn"],
            (Role::Fork, _) => &["clone"],
            (Role::Lifeline, _) => &["pipe2"],
            (Role::Session, _) => &["setsid"],
            (Role::Signal, _) => &["kill", "tgkill", "tkill"],
            (Role::SelfTimer, _) => &["setitimer"],
            // aarch64 has no poll: ppoll, pselect6, then sleeping and re-reading the page.
            (Role::Wait, Arch::X86_64) => &["ppoll", "poll", "pselect6", "nanosleep"],
            (Role::Wait, Arch::Aarch64) => &["ppoll", "pselect6", "nanosleep"],
            (Role::Reap, _) => &["wait4", "waitid"],
            (Role::ChildSignal, _) => &["rt_sigaction", "rt_sigreturn"],
            (Role::Write, _) => &["write", "writev", "vmsplice"],
            (Role::Exit, _) => &["exit_group", "exit"],
            (Role::Pinning, _) => &["getcpu", "sched_setaffinity"],
        }
    }

    /// Whether every option is needed (rather than any one).
    pub fn needs_all(self) -> bool {
        matches!(
            self,
            Role::SignalHandlers | Role::ChildSignal | Role::Pinning
        )
    }

    pub fn name(self) -> &'static str {
        match self {
            Role::SignalHandlers => "signal handlers",
            Role::Fork => "fork",
            Role::Lifeline => "lifeline pipe",
            Role::Session => "session",
            Role::Signal => "signal",
            Role::SelfTimer => "self timer",
            Role::Wait => "wait",
            Role::Reap => "reap",
            Role::ChildSignal => "child signal",
            Role::Write => "write",
            Role::Exit => "exit",
            Role::Pinning => "pinning",
        }
    }
}

/// Where a case goes when the probe runs its cases in its own process (no fork): calls that
/// change the process (its namespaces, its personality) run after all others so they cannot
/// skew them (1), and calls that end the probe run last of all (2); the rest keep their order
/// (0, the probe sorts stably). The probe orders its cases by it, and the harness foresees by
/// it where an in-process run will need a fresh container.
pub fn in_process_rank(syscall: &str) -> u8 {
    match syscall {
        "exit" | "exit_group" | "rt_sigreturn" | "uretprobe" | "uprobe" => 2,
        "unshare" | "setns" | "personality" => 1,
        _ => 0,
    }
}

/// `SIGCHLD`, the same number on every arch the catalog has (asm-generic and x86 signal.h).
const SIGCHLD: u64 = 17;

/// The probe's fork as it makes it: `clone(SIGCHLD, 0, ...)`, the flags glibc's `fork` passes
/// too (no atfork handlers). Its argument order (flags first) is the same on x86_64 and
/// aarch64.
pub const FORK_ARGS: [u64; 6] = [SIGCHLD, 0, 0, 0, 0, 0];

/// Every machinery call name on `arch`, each once.
pub fn machinery_calls(arch: Arch) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for role in Role::ALL {
        for name in role.options(arch) {
            if !out.contains(name) {
                out.push(name);
            }
        }
    }
    out
}

/// An argument of one of the probe's own calls, as a seccomp filter sees it: a value fixed by
/// the probe's code (or glibc's start-up), or one only known at run time (an address, a pid,
/// a fd the kernel picks, a timeout).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnArg {
    Fixed(u64),
    RunTime,
}

use OwnArg::{Fixed as F, RunTime as R};

const NO_ARGS: [OwnArg; 6] = [F(0); 6];

/// `(int)-1` as the kernel's 64-bit register holds it (glibc's and the probe's wrappers pass
/// `long`).
const MINUS_ONE: u64 = u64::MAX;

/// Signals the probe sends, catches or asks for.
const SIGKILL: u64 = 9;
const SIGUSR1: u64 = 10;
const SIGALRM: u64 = 14;
const SIGSYS: u64 = 31;

/// The argument sets the probe really passes to its own call `syscall` on `arch`, one per
/// distinct call site. The oracle judges the footprint and the machinery with these, not with
/// the catalog case's arguments (all ones, fd -1): a rule that kills `write` only when fd is 1
/// must stop the probe's records, and one that kills it when fd is -1 must not. Measured on
/// x86_64 with `strace -f seccomp-probe getpid` (glibc 2.36's static start-up, then the
/// probe's own code, `probes/probe/src/{machinery,runner,lib}.rs`); aarch64's glibc start-up
/// was not traced, so its start-up arguments are all [`OwnArg::RunTime`], while the probe's own
/// calls pass the same constants on both arches. An empty list: the call takes arguments no
/// filter can predict (or none the table knows), judged as [`OwnArg::RunTime`] throughout.
pub fn real_args(arch: Arch, syscall: &str) -> Vec<[OwnArg; 6]> {
    let x86 = arch == Arch::X86_64;
    let set = |a: &[OwnArg]| {
        let mut out = [R; 6];
        out[..a.len()].copy_from_slice(a);
        out
    };
    match syscall {
        // glibc's static start-up (x86_64).
        "brk" if x86 => vec![set(&[F(0)]), set(&[R])],
        "arch_prctl" if x86 => vec![set(&[F(0x1002), R])], // ARCH_SET_FS
        "set_robust_list" if x86 => vec![set(&[R, F(24)])],
        "rseq" if x86 => vec![set(&[R, F(0x20), F(0), F(0x5305_3053)])],
        "prlimit64" if x86 => vec![set(&[F(0), F(3), F(0), R])], // RLIMIT_STACK
        "readlink" if x86 => vec![set(&[R, R, F(4096)])],
        "getrandom" if x86 => vec![set(&[R, F(8), F(1)])], // GRND_NONBLOCK
        "mprotect" if x86 => vec![set(&[R, R, F(1)])],     // PROT_READ
        // The probe's arena below 4 GiB and its shared result page (runner.rs).
        "mmap" => {
            let arena = if x86 { 0x22 | 0x40 } else { 0x22 }; // MAP_PRIVATE|ANONYMOUS(|32BIT)
            vec![
                set(&[F(0), F(4096), F(3), F(arena), F(MINUS_ONE), F(0)]),
                set(&[F(0), F(4096), F(3), F(0x21), F(MINUS_ONE), F(0)]),
            ]
        }
        // The probe's machinery, the same constants on every arch. SIGCHLD's handler is
        // installed only where no reap call is left ([`Role::ChildSignal`]), but it is a call
        // site all the same: a profile that kills rt_sigaction for SIGCHLD alone gets
        // rt_sigaction avoided, and the probe goes without handlers rather than die.
        "rt_sigaction" => [SIGSYS, SIGUSR1, SIGALRM, SIGCHLD]
            .iter()
            .map(|&sig| set(&[F(sig), R, F(0), F(8)]))
            .collect(),
        // Docker's default allows clone only without namespace flags (MASKED_EQ on arg 0):
        // the probe's fork meets it, the catalog case's all-ones flags don't.
        "clone" => vec![FORK_ARGS.map(F)],
        "pipe2" => vec![set(&[R, F(0x80000)])], // O_CLOEXEC
        "setsid" => vec![NO_ARGS],
        "kill" | "tkill" => [SIGUSR1, SIGKILL]
            .iter()
            .map(|&sig| set(&[R, F(sig)]))
            .collect(),
        "tgkill" => [SIGUSR1, SIGKILL]
            .iter()
            .map(|&sig| set(&[R, R, F(sig)]))
            .collect(),
        "setitimer" => vec![set(&[F(0), R, F(0)])], // ITIMER_REAL
        "ppoll" => vec![set(&[R, R, R, F(0), F(8)])],
        "poll" => vec![set(&[R, R, R])],
        "pselect6" => vec![set(&[R, R, F(0), F(0), R, F(0)])],
        "nanosleep" => vec![set(&[R, F(0)])],
        // WNOHANG | __WALL, or __WALL alone.
        "wait4" => [0x4000_0001, 0x4000_0000]
            .iter()
            .map(|&flags| set(&[R, R, F(flags), F(0)]))
            .collect(),
        // P_ALL or P_PID, WEXITED with the same flags.
        "waitid" => vec![set(&[R, R, R, R, F(0)])],
        // Records to stdout, messages to stderr; the child's byte on the lifeline pipe (a fd
        // the kernel picks) is one byte long.
        "write" => vec![set(&[F(1), R, R]), set(&[F(2), R, R]), set(&[R, R, F(1)])],
        "writev" => vec![set(&[F(1), R, F(1)]), set(&[F(2), R, F(1)])],
        "vmsplice" => vec![set(&[F(1), R, F(1), F(0)]), set(&[F(2), R, F(1), F(0)])],
        "exit_group" | "exit" => vec![set(&[R])],
        "getcpu" => vec![set(&[R, F(0), F(0)])],
        "sched_setaffinity" => vec![set(&[F(0), F(128), R])],
        // TIOCNOTTY on fds 0 to 2 (x86_64's and aarch64's generic ioctl numbers agree).
        "ioctl" => (0..3).map(|fd| set(&[F(fd), F(0x5422), F(0)])).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    #[test]
    fn every_own_call_is_a_plain_case_of_its_arch() {
        for arch in Arch::ALL {
            let cat = Catalog::for_arch(*arch);
            let names = footprint(*arch)
                .into_iter()
                .map(|c| c.syscall)
                .chain(machinery_calls(*arch));
            for name in names {
                assert!(
                    cat.get(name).is_some_and(|c| c.abi == arch.native_abi()),
                    "{name} is not a native case on {arch}"
                );
            }
        }
    }
}
