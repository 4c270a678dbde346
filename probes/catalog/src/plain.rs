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
        harmless: "restores a garbage frame of the forked child only, which then dies of SIGSEGV",
        may_block: false,
    },
];

pub(crate) fn cases(abi: Abi) -> Vec<Case> {
    match abi {
        Abi::X86_64 => syscalls::x86_64::Sysno::iter()
            .map(|s| case(abi, s.name(), s.id() as u64))
            .collect(),
        Abi::Aarch64 => syscalls::aarch64::Sysno::iter()
            .map(|s| case(abi, s.name(), s.id() as u64))
            .collect(),
        // Compat ABIs get a chosen few cases (see compat.rs), not their whole table.
        Abi::I386 | Abi::X32 => Vec::new(),
    }
}

/// A plain case: `name` called with its default (or special) harmless arguments.
pub(crate) fn case(abi: Abi, name: &'static str, nr: u64) -> Case {
    let (args, harmless, may_block) = match SPECIALS.iter().find(|s| s.name == name) {
        Some(s) => (s.args, s.harmless, s.may_block),
        None => ([u64::MAX; 6], ALL_ONES, false),
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
