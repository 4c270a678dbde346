//! One case per entry of the native syscall table, named exactly as the syscall.
//!
//! The default arguments are all ones: fd -1, an unmapped pointer, and every flag bit set, so
//! the kernel rejects the call (EBADF, EFAULT, EINVAL) before it does anything. The few
//! syscalls for which that is not enough get their own arguments and reason below.

use crate::{Abi, Arg, Case};

const ALL_ONES: &str = "every argument is all ones: fd -1 (EBADF), an unmapped pointer (EFAULT) \
     and undefined flag bits (EINVAL), so the kernel rejects the call before it acts";

/// Arguments that differ from the all-ones default, by syscall name (same on every ABI).
struct Special {
    name: &'static str,
    args: [u64; 6],
    harmless: &'static str,
    may_block: bool,
}

const NO_SUCH_PID: u64 = 0x7fff_ffff;

const SPECIALS: &[Special] = &[
    Special {
        name: "kill",
        args: [NO_SUCH_PID, 0, 0, 0, 0, 0],
        harmless: "pid 0x7fffffff exists nowhere (ESRCH) and signal 0 only checks; never kill(-1)",
        may_block: false,
    },
    Special {
        name: "ptrace",
        // PTRACE_ATTACH to a pid that cannot exist.
        args: [16, NO_SUCH_PID, 0, 0, 0, 0],
        harmless: "PTRACE_ATTACH to pid 0x7fffffff, which exists nowhere (ESRCH)",
        may_block: false,
    },
    Special {
        name: "futex",
        // FUTEX_WAKE | FUTEX_PRIVATE_FLAG on an unaligned address. With all ones the
        // operation is unknown and the kernel answers ENOSYS, so the cell read `absent`.
        args: [u64::MAX, 129, 0, 0, 0, 0],
        harmless: "FUTEX_WAKE_PRIVATE of nobody on an unaligned address: the kernel answers \
                   EINVAL (kernel/futex/core.c get_futex_key checks the alignment) before it \
                   looks at any waiter",
        may_block: false,
    },
    Special {
        name: "reboot",
        args: [0, 0, 0, 0, 0, 0],
        harmless: "magic numbers 0 are wrong, so the kernel answers EINVAL before any check of \
                   the command",
        may_block: false,
    },
    Special {
        name: "kexec_load",
        args: [0, 0, 0, u64::MAX, 0, 0],
        harmless: "undefined flag bits make the kernel answer EINVAL before it loads anything",
        may_block: false,
    },
    Special {
        name: "kexec_file_load",
        args: [u64::MAX, u64::MAX, 0, 0, u64::MAX, 0],
        harmless: "undefined flag bits and fd -1: EINVAL or EBADF before anything is loaded",
        may_block: false,
    },
    Special {
        name: "rt_sigqueueinfo",
        args: [NO_SUCH_PID, 0, u64::MAX, 0, 0, 0],
        harmless: "the siginfo pointer is unmapped (EFAULT) and pid 0x7fffffff exists nowhere; \
                   never pid -1",
        may_block: false,
    },
    Special {
        name: "msgget",
        // All ones would be IPC_CREAT|IPC_EXCL: a new queue that outlives the probe.
        args: [u32::MAX as u64, 0, 0, 0, 0, 0],
        harmless: "without IPC_CREAT key 0xffffffff is only looked up (ENOENT); all-ones flags \
                   would create a queue that outlives the probe",
        may_block: false,
    },
    Special {
        name: "semget",
        args: [u32::MAX as u64, 0, 0, 0, 0, 0],
        harmless: "without IPC_CREAT key 0xffffffff is only looked up (ENOENT): no semaphore set \
                   is created",
        may_block: false,
    },
    Special {
        name: "shmget",
        args: [u32::MAX as u64, 0, 0, 0, 0, 0],
        harmless: "without IPC_CREAT key 0xffffffff is only looked up (ENOENT): no segment is \
                   created",
        may_block: false,
    },
    Special {
        name: "init_module",
        // An all-ones length would make the kernel try to vmalloc 16 EiB first.
        args: [0, 0, u64::MAX, 0, 0, 0],
        harmless: "a length of 0 is shorter than an ELF header: ENOEXEC (or EPERM) before \
                   anything is loaded",
        may_block: false,
    },
    Special {
        name: "flock",
        // All ones includes LOCK_MAND, which kernels since 5.15 ignore with a log warning and
        // success before they look at the fd.
        args: [u64::MAX, 6, 0, 0, 0, 0],
        harmless: "LOCK_EX|LOCK_NB on fd -1: EBADF; all-ones flags would hit the LOCK_MAND \
                   path, which returns 0 and writes a kernel warning",
        may_block: false,
    },
    Special {
        name: "fork",
        args: [0; 6],
        harmless: "the new process exits at once without running any code of the probe",
        may_block: false,
    },
    Special {
        name: "vfork",
        args: [0; 6],
        harmless: "the new process exits at once without running any code of the probe",
        may_block: false,
    },
    Special {
        name: "pause",
        args: [0; 6],
        harmless: "only sleeps until the probe interrupts it with a signal",
        may_block: true,
    },
    Special {
        name: "exit",
        args: [0; 6],
        harmless: "ends only the forked child that runs the case",
        may_block: false,
    },
    Special {
        name: "exit_group",
        args: [0; 6],
        harmless: "ends only the forked child that runs the case",
        may_block: false,
    },
    Special {
        name: "vhangup",
        args: [0; 6],
        harmless: "the child runs in a session of its own with no controlling terminal, so there \
                   is nothing to hang up",
        may_block: false,
    },
    Special {
        name: "rt_sigreturn",
        args: [0; 6],
        harmless: "restores a zeroed frame in the forked child only, which then dies of SIGSEGV \
                   (on x86_64 the probe points the stack at zeros; on aarch64 it misaligns the \
                   stack pointer, so the kernel refuses the frame before reading it)",
        may_block: false,
    },
];

/// Calls that succeed even with all-ones arguments, and why that is still harmless. They keep
/// the default arguments (a profile sees the same values as for every other call).
const SUCCEED_WITH_ALL_ONES: &[(&[&str], &str)] = &[
    (
        &[
            "getpid",
            "getppid",
            "gettid",
            "getuid",
            "geteuid",
            "getgid",
            "getegid",
            "getpgrp",
            "sched_yield",
        ],
        "takes no arguments and only reads (or yields) the calling process's own state",
    ),
    (
        &["brk"],
        "a break of 0xffff...ffff is out of range, so the break stays put and is only reported",
    ),
    (
        &["alarm"],
        "arms a SIGALRM 136 years away, in the forked child only, which exits long before",
    ),
    (
        &["umask"],
        "sets the file mode mask of the forked child only, which creates no file",
    ),
    (
        &["setreuid", "setregid", "setresuid", "setresgid"],
        "-1 means 'leave unchanged' for every id, so nothing changes",
    ),
    (
        &["setfsuid", "setfsgid"],
        "0xffffffff is no valid id, so nothing changes; the call only returns the current one",
    ),
    (
        &["personality"],
        "a persona of 0xffffffff only queries the current one",
    ),
    (
        &["munlockall"],
        "unlocks the memory of the forked child only, which has locked none",
    ),
    (
        &["sync"],
        "writes dirty data back to disk, which any process may ask for; no data changes",
    ),
    (
        &["set_tid_address"],
        "sets the forked child's own clear-on-exit address to an unmapped one, which the \
         kernel ignores when the child exits",
    ),
    (
        &["inotify_init", "eventfd"],
        "creates a file descriptor in the forked child only, closed when it exits",
    ),
    (
        &["uretprobe", "uprobe"],
        "outside a uprobe trampoline the kernel refuses the call or sends SIGILL, which ends at \
         most the forked child",
    ),
];

/// Names the `syscalls` crate and libseccomp (whose names Docker's profiles use) spell
/// differently, per ABI: (crate's name, libseccomp's name). The catalog uses libseccomp's.
/// Checked with libseccomp 2.6.1's `scmp_sys_resolver`: number 79 on aarch64 is `newfstatat`,
/// and `fstatat` resolves on no arch.
pub const RENAMED: &[(Abi, &str, &str)] = &[(Abi::Aarch64, "fstatat", "newfstatat")];

/// The name libseccomp gives the crate's `name` on `abi`.
pub fn libseccomp_name(abi: Abi, name: &'static str) -> &'static str {
    RENAMED
        .iter()
        .find(|(a, from, _)| *a == abi && *from == name)
        .map_or(name, |(_, _, to)| to)
}

/// The numbers of the asm-generic table that only 32-bit ABIs have: the `*_time64` calls
/// (include/uapi/asm-generic/unistd.h defines 403 to 423 only `#if defined(__SYSCALL_COMPAT)
/// || __BITS_PER_LONG == 32`). The crate lists them for aarch64 too, but the kernel has no such
/// calls there (ENOSYS in every baseline) and libseccomp resolves the names to pseudo-numbers,
/// so a profile's rule for them never applies: no case.
pub fn only_32_bit(abi: Abi, nr: u64) -> bool {
    abi == Abi::Aarch64 && (403..=423).contains(&nr)
}

pub(crate) fn cases(abi: Abi) -> Vec<Case> {
    match abi {
        Abi::X86_64 => syscalls::x86_64::Sysno::iter()
            .map(|s| case(abi, libseccomp_name(abi, s.name()), s.id() as u64))
            .collect(),
        Abi::Aarch64 => syscalls::aarch64::Sysno::iter()
            .filter(|s| !only_32_bit(abi, s.id() as u64))
            .map(|s| case(abi, libseccomp_name(abi, s.name()), s.id() as u64))
            .collect(),
        // Compat ABIs get a chosen few cases (see compat.rs), not their whole table.
        Abi::I386 | Abi::X32 => Vec::new(),
    }
}

/// A plain case: `name` called with its default (or special) harmless arguments.
pub(crate) fn case(abi: Abi, name: &'static str, nr: u64) -> Case {
    let (args, harmless, may_block) = match SPECIALS.iter().find(|s| s.name == name) {
        Some(s) => (s.args, s.harmless, s.may_block),
        None => {
            let reason = SUCCEED_WITH_ALL_ONES
                .iter()
                .find(|(names, _)| names.contains(&name))
                .map_or(ALL_ONES, |(_, reason)| *reason);
            ([u64::MAX; 6], reason, false)
        }
    };
    let mask = if abi.arg_bits() == 32 {
        u32::MAX as u64
    } else {
        u64::MAX
    };
    let id = match abi.id_prefix() {
        Some(p) => format!("{p}:{name}"),
        None => name.to_string(),
    };
    Case {
        id,
        abi,
        syscall: name,
        nr,
        args: args.map(|a| Arg::Value(a & mask)),
        harmless,
        may_block,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> bool {
        syscalls::x86_64::Sysno::iter().any(|s| s.name() == name)
            || syscalls::aarch64::Sysno::iter().any(|s| s.name() == name)
    }

    #[test]
    fn special_names_are_real_syscalls() {
        for s in SPECIALS {
            assert!(known(s.name), "special args for unknown syscall {}", s.name);
        }
        for (names, _) in SUCCEED_WITH_ALL_ONES {
            for n in *names {
                assert!(known(n), "reason for unknown syscall {n}");
            }
        }
    }

    #[test]
    fn ipc_gets_never_create() {
        for name in ["msgget", "semget", "shmget"] {
            let c = case(Abi::X86_64, name, 0);
            let flags = match name {
                "msgget" => c.args[1],
                _ => c.args[2],
            };
            assert_eq!(flags, Arg::Value(0), "{name} must not pass IPC_CREAT");
        }
    }
}
