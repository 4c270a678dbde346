//! Calls through the compat ABIs of x86_64: i386 (`int 0x80`) and x32 (bit 30 set in the
//! number). A filter that lists only SCMP_ARCH_X86_64 kills these; one that lists the compat
//! arches must filter them with their own numbers, and i386 socket calls may arrive through
//! the `socketcall` multiplexer, whose real arguments sit in memory a filter cannot read.

use crate::plain;
use crate::variants::{variant, SOCKET_FAMILIES};
use crate::{Abi, Arg, Case};

const SYS_SOCKET: u64 = 1;
/// `ipc(2)`'s call number for semctl (linux/ipc.h) and the IPC_STAT command (uapi linux/ipc.h).
const SEMCTL: u64 = 3;
const IPC_STAT: u64 = 2;

static SOCKETCALL_VSOCK: [u32; 3] = [40, 1, 0];
static SOCKETCALL_INET: [u32; 3] = [2, 1, 0];

pub(crate) fn cases(abi: Abi) -> Vec<Case> {
    match abi {
        Abi::I386 => i386(),
        Abi::X32 => ["getpid", "unshare"]
            .iter()
            .map(|n| plain::case(abi, n, 0x4000_0000 | x86_64_nr(n)))
            .chain(std::iter::once(variant(
                abi,
                "unshare",
                "CLONE_NEWUSER",
                [0x1000_0000, 0, 0, 0, 0, 0],
                "the new namespace belongs to the forked child only, which exits right after",
            )))
            .collect(),
        Abi::X86_64 | Abi::Aarch64 => Vec::new(),
    }
}

fn x86_64_nr(name: &str) -> u64 {
    syscalls::x86_64::Sysno::iter()
        .find(|s| s.name() == name)
        .map(|s| s.id() as u64)
        .unwrap_or_else(|| panic!("{name} is not in the x86_64 table"))
}

fn i386_nr(name: &str) -> u64 {
    syscalls::x86::Sysno::iter()
        .find(|s| s.name() == name)
        .map(|s| s.id() as u64)
        .unwrap_or_else(|| panic!("{name} is not in the i386 table"))
}

fn i386() -> Vec<Case> {
    let abi = Abi::I386;
    let mut out: Vec<Case> = ["getpid", "unshare", "ptrace", "keyctl", "mkdir"]
        .iter()
        .map(|n| plain::case(abi, n, i386_nr(n)))
        .collect();
    out.push(variant(
        abi,
        "unshare",
        "CLONE_NEWUSER",
        [0x1000_0000, 0, 0, 0, 0, 0],
        "the new namespace belongs to the forked child only, which exits right after",
    ));
    for (name, family, ty) in SOCKET_FAMILIES {
        if matches!(*name, "AF_VSOCK" | "AF_INET") {
            out.push(variant(
                abi,
                "socket",
                name,
                [*family, *ty, 0, 0, 0, 0],
                "an unbound, unconnected socket in the forked child only, closed when it exits",
            ));
        }
    }
    // The SysV IPC multiplexer: libseccomp turns a rule on semctl (or any IPC call) into an
    // `ipc` rule on its call number, so i386 needs this case as it needs socketcall's.
    out.push(variant(
        abi,
        "ipc",
        "SEMCTL",
        [SEMCTL, u32::MAX as u64, 0, IPC_STAT, u32::MAX as u64, 0],
        "SEMCTL on semaphore id -1 with an unmapped argument pointer: the compat multiplexer \
         reads the pointer first (EFAULT, ipc/syscall.c compat_ksys_ipc), and id -1 exists \
         nowhere (EINVAL); nothing is created or changed",
    ));
    for (label, words) in [
        ("AF_VSOCK", &SOCKETCALL_VSOCK),
        ("AF_INET", &SOCKETCALL_INET),
    ] {
        let mut c = variant(
            abi,
            "socketcall",
            &format!("SYS_SOCKET,{label}"),
            [SYS_SOCKET, 0, 0, 0, 0, 0],
            "an unbound, unconnected socket in the forked child only, closed when it exits",
        );
        c.args[1] = Arg::Words32(&words[..]);
        out.push(c);
    }
    out
}
