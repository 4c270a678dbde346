use serde::{Deserialize, Serialize};
use std::fmt;

/// A kernel architecture: what a host (or a Docker daemon) runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Arch {
    X86_64,
    Aarch64,
}

/// A syscall ABI: how a process enters the kernel. One arch may accept several (x86_64 takes
/// native calls, `int 0x80` i386 calls and x32 calls), and a seccomp filter sees each one with
/// its own audit arch and syscall numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Abi {
    X86_64,
    I386,
    X32,
    Aarch64,
}

impl Arch {
    pub const ALL: &'static [Arch] = &[Arch::X86_64, Arch::Aarch64];

    /// The arch this code was compiled for: the probe runs its own ABI natively.
    pub const fn native() -> Arch {
        #[cfg(target_arch = "x86_64")]
        {
            Arch::X86_64
        }
        #[cfg(target_arch = "aarch64")]
        {
            Arch::Aarch64
        }
    }

    pub fn native_abi(self) -> Abi {
        match self {
            Arch::X86_64 => Abi::X86_64,
            Arch::Aarch64 => Abi::Aarch64,
        }
    }

    /// Compat ABIs whose calls the probe makes on this arch. aarch32 is left out: many arm64
    /// CPUs (and Graviton, Ampere) can't execute it at all.
    pub fn compat_abis(self) -> &'static [Abi] {
        match self {
            Arch::X86_64 => &[Abi::I386, Abi::X32],
            Arch::Aarch64 => &[],
        }
    }

    /// The name `uname -m` and Docker's `Architecture` fact use.
    pub fn uname(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Parses `uname -m`, Docker's `Architecture`, or Go's GOARCH names.
    pub fn parse(s: &str) -> Option<Arch> {
        match s.trim().to_ascii_lowercase().as_str() {
            "x86_64" | "amd64" | "x86-64" => Some(Arch::X86_64),
            "aarch64" | "arm64" => Some(Arch::Aarch64),
            _ => None,
        }
    }
}

impl Abi {
    /// The prefix of case ids on this ABI; the native ABIs have none.
    pub fn id_prefix(self) -> Option<&'static str> {
        match self {
            Abi::I386 => Some("i386"),
            Abi::X32 => Some("x32"),
            Abi::X86_64 | Abi::Aarch64 => None,
        }
    }

    pub fn arch(self) -> Arch {
        match self {
            Abi::X86_64 | Abi::I386 | Abi::X32 => Arch::X86_64,
            Abi::Aarch64 => Arch::Aarch64,
        }
    }

    /// libseccomp's name for this ABI, as Docker profiles spell it in `architectures`.
    pub fn scmp_arch(self) -> &'static str {
        match self {
            Abi::X86_64 => "SCMP_ARCH_X86_64",
            Abi::I386 => "SCMP_ARCH_X86",
            Abi::X32 => "SCMP_ARCH_X32",
            Abi::Aarch64 => "SCMP_ARCH_AARCH64",
        }
    }

    /// Width of a syscall argument register on this ABI. i386 calls pass 32-bit registers, so
    /// a filter sees their arguments zero-extended.
    pub fn arg_bits(self) -> u32 {
        match self {
            Abi::I386 => 32,
            _ => 64,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Abi::X86_64 => "x86_64",
            Abi::I386 => "i386",
            Abi::X32 => "x32",
            Abi::Aarch64 => "aarch64",
        }
    }

    pub fn parse(s: &str) -> Option<Abi> {
        match s {
            "x86_64" => Some(Abi::X86_64),
            "i386" | "x86" => Some(Abi::I386),
            "x32" => Some(Abi::X32),
            "aarch64" | "arm64" => Some(Abi::Aarch64),
            _ => None,
        }
    }
}

impl fmt::Display for Arch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.uname())
    }
}

impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The x32 ABI's own entries (arch/x86/entry/syscalls/syscall_64.tbl, "x32" lines, numbers 512
/// to 547): calls whose x86_64 entry takes 64-bit structures, so x32 calls them by a number of
/// its own (plus `X32_SYSCALL_BIT`); their x86_64 numbers are "64"-only entries that an x32 call
/// never reaches. libseccomp's x32 table numbers them the same way. Every other x32 call has
/// its x86_64 number.
pub const X32_OWN_NUMBERS: &[(&str, u64)] = &[
    ("rt_sigaction", 512),
    ("rt_sigreturn", 513),
    ("ioctl", 514),
    ("readv", 515),
    ("writev", 516),
    ("recvfrom", 517),
    ("sendmsg", 518),
    ("recvmsg", 519),
    ("execve", 520),
    ("ptrace", 521),
    ("rt_sigpending", 522),
    ("rt_sigtimedwait", 523),
    ("rt_sigqueueinfo", 524),
    ("sigaltstack", 525),
    ("timer_create", 526),
    ("mq_notify", 527),
    ("kexec_load", 528),
    ("waitid", 529),
    ("set_robust_list", 530),
    ("get_robust_list", 531),
    ("vmsplice", 532),
    ("move_pages", 533),
    ("preadv", 534),
    ("pwritev", 535),
    ("rt_tgsigqueueinfo", 536),
    ("recvmmsg", 537),
    ("sendmmsg", 538),
    ("process_vm_readv", 539),
    ("process_vm_writev", 540),
    ("setsockopt", 541),
    ("getsockopt", 542),
    ("io_setup", 543),
    ("io_submit", 544),
    ("execveat", 545),
    ("preadv2", 546),
    ("pwritev2", 547),
];

/// The number an x32 call of `name` uses without `X32_SYSCALL_BIT`, given its x86_64 number.
pub fn x32_number(name: &str, x86_64: u64) -> u64 {
    X32_OWN_NUMBERS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(x86_64, |(_, nr)| *nr)
}
