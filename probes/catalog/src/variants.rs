//! Argument variants (`name(ARG)`) for the argument rules real profiles use: clone's and
//! unshare's namespace flags, socket's address family, personality's persona, clone3, TIOCSTI,
//! and values with garbage in the upper 32 bits (a filter compares all 64 bits; the kernel
//! reads an `int`).

use crate::{Abi, Arg, Case};

pub(crate) const NAMESPACE_FLAGS: &[(&str, u64)] = &[
    ("CLONE_NEWNS", 0x0002_0000),
    ("CLONE_NEWCGROUP", 0x0200_0000),
    ("CLONE_NEWUTS", 0x0400_0000),
    ("CLONE_NEWIPC", 0x0800_0000),
    ("CLONE_NEWUSER", 0x1000_0000),
    ("CLONE_NEWPID", 0x2000_0000),
    ("CLONE_NEWNET", 0x4000_0000),
    ("CLONE_NEWTIME", 0x0000_0080),
];

const CLONE_SIGHAND: u64 = 0x800;

pub(crate) const SOCKET_FAMILIES: &[(&str, u64, u64)] = &[
    // (name, AF_*, a socket type the family supports)
    ("AF_UNIX", 1, 1),
    ("AF_INET", 2, 1),
    ("AF_INET6", 10, 1),
    ("AF_NETLINK", 16, 3),
    ("AF_PACKET", 17, 3),
    ("AF_ALG", 38, 5),
    ("AF_VSOCK", 40, 1),
];

const PERSONAS: &[(&str, u64)] = &[
    ("0", 0),
    ("8", 8),
    ("0x20000", 0x20000),
    ("0x20008", 0x20008),
    ("0xffffffff", 0xffff_ffff),
    ("ADDR_NO_RANDOMIZE", 0x0004_0000),
    ("1<<32", 1 << 32),
];

const TIOCSTI: u64 = 0x5412;

pub(crate) fn nr(abi: Abi, name: &str) -> Option<u64> {
    let n = match abi {
        Abi::X86_64 => syscalls::x86_64::Sysno::iter()
            .find(|s| s.name() == name)?
            .id(),
        Abi::Aarch64 => syscalls::aarch64::Sysno::iter()
            .find(|s| s.name() == name)?
            .id(),
        Abi::I386 => syscalls::x86::Sysno::iter()
            .find(|s| s.name() == name)?
            .id(),
        Abi::X32 => return Some(0x4000_0000 | crate::x32_number(name, nr(Abi::X86_64, name)?)),
    };
    Some(n as u64)
}

pub(crate) fn variant(
    abi: Abi,
    syscall: &'static str,
    arg_label: &str,
    args: [u64; 6],
    harmless: &'static str,
) -> Case {
    let prefix = abi.id_prefix().map(|p| format!("{p}:")).unwrap_or_default();
    Case {
        id: format!("{prefix}{syscall}({arg_label})"),
        abi,
        syscall,
        nr: nr(abi, syscall).unwrap_or_else(|| panic!("{syscall} is not in the {abi} table")),
        args: args.map(Arg::Value),
        harmless,
        may_block: false,
    }
}

pub(crate) fn cases(abi: Abi) -> Vec<Case> {
    let mut out = Vec::new();
    for (name, flag) in NAMESPACE_FLAGS {
        // clone's argument order (flags first) is the same on x86_64 and aarch64; only s390
        // swaps the first two.
        out.push(variant(
            abi,
            "clone",
            name,
            [flag | CLONE_SIGHAND, 0, 0, 0, 0, 0],
            "CLONE_SIGHAND without CLONE_VM is always EINVAL in copy_process, checked before \
             any child or namespace exists; no stack is passed either",
        ));
    }
    for (name, flag) in NAMESPACE_FLAGS {
        out.push(variant(
            abi,
            "unshare",
            name,
            [*flag, 0, 0, 0, 0, 0],
            "the new namespace belongs to the forked child only, which exits right after",
        ));
    }
    for (name, family, ty) in SOCKET_FAMILIES {
        out.push(variant(
            abi,
            "socket",
            name,
            [*family, *ty, 0, 0, 0, 0],
            "an unbound, unconnected socket in the forked child only, closed when it exits",
        ));
    }
    out.push(variant(
        abi,
        "socket",
        "AF_INET|1<<32",
        [2 | 1 << 32, 1, 0, 0, 0, 0],
        "an unbound TCP socket in the forked child only; the kernel ignores the upper 32 bits",
    ));
    out.push(variant(
        abi,
        "socket",
        "AF_VSOCK|1<<32",
        [40 | 1 << 32, 1, 0, 0, 0, 0],
        "an unbound vsock socket in the forked child only; the kernel ignores the upper 32 bits",
    ));
    for (label, persona) in PERSONAS {
        out.push(variant(
            abi,
            "personality",
            label,
            [*persona, 0, 0, 0, 0, 0],
            "changes the execution domain of the forked child only (0xffffffff only queries it)",
        ));
    }
    out.push(variant(
        abi,
        "clone3",
        "NULL,0",
        [0; 6],
        "a size of 0 is below CLONE_ARGS_SIZE_VER0, so the kernel answers EINVAL",
    ));
    out.push(variant(
        abi,
        "ioctl",
        "TIOCSTI",
        [u64::MAX, TIOCSTI, 0, 0, 0, 0],
        "fd -1 is no terminal: EBADF before any character could be injected",
    ));
    out
}
