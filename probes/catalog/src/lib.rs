//! The cases the probe runs, as data shared by the probe (which executes them) and the harness
//! (which predicts and labels them). The harness knows every case of every arch without running
//! anything, so per-arch tables here are plain data, testable on any host.

mod abi;
mod case;
mod compat;
pub mod generated;
pub mod own_calls;
mod plain;
pub mod record;
mod variants;

pub use abi::{x32_number, Abi, Arch, X32_OWN_NUMBERS};
pub use case::{Arg, Case};
pub use plain::{libseccomp_name, only_32_bit, RENAMED};

/// Every case for one arch: the native ABI's whole syscall table, the argument variants, and
/// the compat ABIs that arch's kernel accepts (i386 and x32 on x86_64).
#[derive(Debug, Clone)]
pub struct Catalog {
    arch: Arch,
    cases: Vec<Case>,
}

impl Catalog {
    pub fn for_arch(arch: Arch) -> Self {
        let mut cases = plain::cases(arch.native_abi());
        cases.extend(variants::cases(arch.native_abi()));
        for abi in arch.compat_abis() {
            cases.extend(compat::cases(*abi));
        }
        Catalog { arch, cases }
    }

    /// The catalog of the arch this code was compiled for.
    pub fn native() -> Self {
        Self::for_arch(Arch::native())
    }

    pub fn arch(&self) -> Arch {
        self.arch
    }

    pub fn cases(&self) -> &[Case] {
        &self.cases
    }

    pub fn get(&self, id: &str) -> Option<&Case> {
        self.cases.iter().find(|c| c.id == id)
    }

    /// A catalog case, or a generated one rebuilt from its id ([`generated`]).
    pub fn resolve(&self, id: &str) -> Option<Case> {
        match self.get(id) {
            Some(c) => Some(c.clone()),
            None if generated::is_generated_id(id) => generated::parse(self.arch, id).ok(),
            None => None,
        }
    }

    pub fn len(&self) -> usize {
        self.cases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn ids_are_unique_on_every_arch() {
        for arch in Arch::ALL {
            let cat = Catalog::for_arch(*arch);
            let mut seen = BTreeSet::new();
            for c in cat.cases() {
                assert!(
                    seen.insert(c.id.clone()),
                    "duplicate case id {} on {arch}",
                    c.id
                );
            }
        }
    }

    #[test]
    fn every_case_says_why_it_is_harmless() {
        for arch in Arch::ALL {
            for c in Catalog::for_arch(*arch).cases() {
                assert!(
                    c.harmless.trim().len() >= 10,
                    "case {} on {arch} lacks a reason why its arguments are harmless",
                    c.id
                );
            }
        }
    }

    #[test]
    fn covers_the_whole_native_table_of_each_arch() {
        let x86 = Catalog::for_arch(Arch::X86_64);
        for s in syscalls::x86_64::Sysno::iter() {
            let c = x86
                .get(s.name())
                .unwrap_or_else(|| panic!("x86_64 lacks {}", s.name()));
            assert_eq!(c.nr, s.id() as u64);
            assert_eq!(c.abi, Abi::X86_64);
        }
        // aarch64: every entry but the 32-bit-only time64 block, named as libseccomp names it.
        let arm = Catalog::for_arch(Arch::Aarch64);
        for s in syscalls::aarch64::Sysno::iter() {
            let nr = s.id() as u64;
            if only_32_bit(Abi::Aarch64, nr) {
                assert!(arm.cases().iter().all(|c| c.nr != nr), "{}", s.name());
                continue;
            }
            let name = libseccomp_name(Abi::Aarch64, s.name());
            let c = arm
                .get(name)
                .unwrap_or_else(|| panic!("aarch64 lacks {name}"));
            assert_eq!(c.nr, nr);
        }
        assert!(x86.len() > 350 && arm.len() > 290);
    }

    #[test]
    fn has_the_required_variants_and_compat_cases() {
        let x86 = Catalog::for_arch(Arch::X86_64);
        for id in [
            "clone(CLONE_NEWUSER)",
            "clone(CLONE_NEWNS)",
            "clone(CLONE_NEWNET)",
            "unshare(CLONE_NEWUSER)",
            "unshare(CLONE_NEWNET)",
            "socket(AF_VSOCK)",
            "socket(AF_ALG)",
            "socket(AF_NETLINK)",
            "socket(AF_PACKET)",
            "socket(AF_INET)",
            "socket(AF_INET6)",
            "socket(AF_UNIX)",
            "socket(AF_INET|1<<32)",
            "personality(0)",
            "personality(8)",
            "personality(0x20000)",
            "personality(0x20008)",
            "personality(0xffffffff)",
            "personality(ADDR_NO_RANDOMIZE)",
            "personality(1<<32)",
            "clone3(NULL,0)",
            "ioctl(TIOCSTI)",
            "i386:getpid",
            "i386:unshare",
            "i386:ptrace",
            "i386:keyctl",
            "i386:mkdir",
            "i386:socket(AF_VSOCK)",
            "i386:socket(AF_INET)",
            "i386:socketcall(SYS_SOCKET,AF_VSOCK)",
            "i386:socketcall(SYS_SOCKET,AF_INET)",
            "x32:getpid",
            "x32:unshare",
        ] {
            assert!(x86.get(id).is_some(), "x86_64 catalog lacks {id}");
        }
        let arm = Catalog::for_arch(Arch::Aarch64);
        assert!(arm.get("clone(CLONE_NEWUSER)").is_some());
        assert!(arm.cases().iter().all(|c| c.abi == Abi::Aarch64));
    }

    #[test]
    fn compat_numbers_come_from_their_own_tables() {
        let x86 = Catalog::for_arch(Arch::X86_64);
        assert_eq!(x86.get("i386:getpid").unwrap().nr, 20);
        assert_eq!(x86.get("i386:socket(AF_VSOCK)").unwrap().nr, 359);
        assert_eq!(
            x86.get("i386:socketcall(SYS_SOCKET,AF_INET)").unwrap().nr,
            102
        );
        assert_eq!(x86.get("x32:getpid").unwrap().nr, 0x4000_0000 | 39);
        assert_eq!(x86.get("x32:getpid").unwrap().syscall, "getpid");
    }
}
