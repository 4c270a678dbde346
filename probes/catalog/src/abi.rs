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
