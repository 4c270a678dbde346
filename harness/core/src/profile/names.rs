//! Syscall names → numbers per ABI, from the `syscalls` crate (generated from the kernel's own
//! tables). libseccomp resolves a rule's name the same way, with one table per arch
//! (`syscalls.csv`); a name no table knows is ignored by the runtime
//! ([`crate::runtime::RuntimeModel`]).

use seccomp_catalog::Abi;
use std::str::FromStr;

/// x32 calls carry bit 30 in their number (`X32_SYSCALL_BIT`, arch/x86 unistd.h); libseccomp
/// adds it when resolving x32 names (`x32_syscall_resolve_name_munge`).
pub const X32_SYSCALL_BIT: u64 = 0x4000_0000;

/// The number `name` has on `abi`, as a seccomp filter sees it in `seccomp_data.nr`.
///
/// x32 is approximated with the x86_64 table plus bit 30: right for the common entries the
/// catalog uses, but x32's own entries (512 and up: `rt_sigaction`, `ioctl`, `readv`, …) are
/// not modelled.
pub fn number(abi: Abi, name: &str) -> Option<u64> {
    // Names are libseccomp's: where the crate spells one differently on this ABI, libseccomp
    // knows only its own spelling (seccomp_catalog::RENAMED).
    let renamed = seccomp_catalog::RENAMED
        .iter()
        .filter(|(a, _, _)| *a == abi);
    let mut lookup = name;
    for (_, crate_name, libseccomp) in renamed {
        if *crate_name == name {
            return None;
        }
        if *libseccomp == name {
            lookup = crate_name;
        }
    }
    // libseccomp maps the 32-bit-only time64 names to pseudo-numbers on 64-bit arches.
    let nr = number_in_table(abi, lookup)?;
    (!seccomp_catalog::only_32_bit(abi, nr)).then_some(nr)
}

fn number_in_table(abi: Abi, name: &str) -> Option<u64> {
    match abi {
        Abi::X86_64 => syscalls::x86_64::Sysno::from_str(name)
            .ok()
            .map(|s| s.id() as u64),
        Abi::I386 => syscalls::x86::Sysno::from_str(name)
            .ok()
            .map(|s| s.id() as u64),
        Abi::X32 => number_in_table(Abi::X86_64, name)
            .map(|n| seccomp_catalog::x32_number(name, n) | X32_SYSCALL_BIT),
        Abi::Aarch64 => syscalls::aarch64::Sysno::from_str(name)
            .ok()
            .map(|s| s.id() as u64),
    }
}

/// Private ARM syscalls (arch/arm/include/uapi/asm/unistd.h `__ARM_NR_*`) that libseccomp's
/// table knows and Docker's profile lists, but that the generated tables leave out.
const EXTRA_KNOWN: &[&str] = &["breakpoint", "cacheflush", "set_tls", "usr26", "usr32"];

/// Whether any arch's table knows `name`. A name unknown everywhere is certainly ignored; a
/// name known only on other arches (`s390_pci_mmio_read`) just does nothing here.
pub(crate) fn known_anywhere(name: &str) -> bool {
    syscalls::x86_64::Sysno::from_str(name).is_ok()
        || syscalls::x86::Sysno::from_str(name).is_ok()
        || syscalls::aarch64::Sysno::from_str(name).is_ok()
        || syscalls::arm::Sysno::from_str(name).is_ok()
        || syscalls::mips::Sysno::from_str(name).is_ok()
        || syscalls::mips64::Sysno::from_str(name).is_ok()
        || syscalls::powerpc::Sysno::from_str(name).is_ok()
        || syscalls::powerpc64::Sysno::from_str(name).is_ok()
        || syscalls::riscv64::Sysno::from_str(name).is_ok()
        || syscalls::s390x::Sysno::from_str(name).is_ok()
        || syscalls::loongarch64::Sysno::from_str(name).is_ok()
        || EXTRA_KNOWN.contains(&name)
}

/// The socket calls that i386 can also make through the `socketcall(2)` multiplexer, with the
/// call number the multiplexer takes in its first argument (linux/net.h `SYS_*`). libseccomp
/// maps a rule on any of them to `socketcall` with `arg0 == SYS_*` as well as to the direct
/// syscall (`abi_rule_add` in src/syscalls.c).
pub const SOCKETCALL_NUMBERS: &[(&str, u64)] = &[
    ("socket", 1),
    ("bind", 2),
    ("connect", 3),
    ("listen", 4),
    ("accept", 5),
    ("getsockname", 6),
    ("getpeername", 7),
    ("socketpair", 8),
    ("send", 9),
    ("recv", 10),
    ("sendto", 11),
    ("recvfrom", 12),
    ("shutdown", 13),
    ("setsockopt", 14),
    ("getsockopt", 15),
    ("sendmsg", 16),
    ("recvmsg", 17),
    ("accept4", 18),
    ("recvmmsg", 19),
    ("sendmmsg", 20),
];

/// The same for SysV IPC calls through `ipc(2)` (linux/ipc.h call numbers).
pub const IPC_NUMBERS: &[(&str, u64)] = &[
    ("semop", 1),
    ("semget", 2),
    ("semctl", 3),
    ("semtimedop", 4),
    ("msgsnd", 11),
    ("msgrcv", 12),
    ("msgget", 13),
    ("msgctl", 14),
    ("shmat", 21),
    ("shmdt", 22),
    ("shmget", 23),
    ("shmctl", 24),
];

/// The multiplexer an ABI routes `name` through, with the call number: only i386 among the
/// ABIs the catalog covers has `socketcall` (102) and `ipc` (117).
pub fn multiplexed(abi: Abi, name: &str) -> Option<(&'static str, u64)> {
    if abi != Abi::I386 {
        return None;
    }
    if let Some((_, n)) = SOCKETCALL_NUMBERS.iter().find(|(s, _)| *s == name) {
        return Some(("socketcall", *n));
    }
    IPC_NUMBERS
        .iter()
        .find(|(s, _)| *s == name)
        .map(|(_, n)| ("ipc", *n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_per_abi() {
        assert_eq!(number(Abi::X86_64, "getpid"), Some(39));
        assert_eq!(number(Abi::I386, "getpid"), Some(20));
        assert_eq!(number(Abi::I386, "socket"), Some(359));
        assert_eq!(number(Abi::I386, "socketcall"), Some(102));
        assert_eq!(number(Abi::X32, "getpid"), Some(0x4000_0000 | 39));
        // x32's own entries (512-547) are not the x86_64 numbers: libseccomp puts a rule on
        // process_vm_readv at 539 there, where the x86_64 number 310 is a 64-bit-only entry
        // (found by the generated x32 cases of the default runtime's `seccomp_syscall_test1`).
        assert_eq!(
            number(Abi::X32, "process_vm_readv"),
            Some(0x4000_0000 | 539)
        );
        assert_eq!(number(Abi::X32, "ioctl"), Some(0x4000_0000 | 514));
        assert_eq!(number(Abi::Aarch64, "getpid"), Some(172));
        assert_eq!(number(Abi::X86_64, "socketcall"), None);
        assert_eq!(number(Abi::Aarch64, "open"), None);
    }

    #[test]
    fn knows_names_of_other_arches() {
        for n in [
            "chown32",
            "arm_fadvise64_64",
            "s390_pci_mmio_read",
            "cacheflush",
            "riscv_flush_icache",
        ] {
            assert!(known_anywhere(n), "{n}");
        }
        assert!(!known_anywhere("mkdri"));
    }

    #[test]
    fn socket_calls_multiplex_on_i386_only() {
        assert_eq!(multiplexed(Abi::I386, "socket"), Some(("socketcall", 1)));
        assert_eq!(multiplexed(Abi::I386, "shmat"), Some(("ipc", 21)));
        assert_eq!(multiplexed(Abi::X86_64, "socket"), None);
        assert_eq!(multiplexed(Abi::I386, "mkdir"), None);
    }
}

#[cfg(test)]
mod libseccomp_names {
    use super::*;

    #[test]
    fn names_resolve_as_libseccomp_does_on_aarch64() {
        // Checked with libseccomp 2.6.1's scmp_sys_resolver on aarch64.
        assert_eq!(number(Abi::Aarch64, "newfstatat"), Some(79));
        assert_eq!(number(Abi::Aarch64, "fstatat"), None);
        assert_eq!(number(Abi::Aarch64, "clock_gettime64"), None);
        assert_eq!(number(Abi::Aarch64, "futex_time64"), None);
        assert_eq!(number(Abi::Aarch64, "getpid"), Some(172));
        assert_eq!(number(Abi::X86_64, "newfstatat"), Some(262));
        let cat = seccomp_catalog::Catalog::for_arch(seccomp_catalog::Arch::Aarch64);
        assert!(cat.get("newfstatat").is_some() && cat.get("fstatat").is_none());
        assert!(cat.cases().iter().all(|c| !c.syscall.ends_with("time64")));
    }
}
