//! Cases made from a profile's own argument conditions, and the safety table that keeps them
//! harmless.
//!
//! A generated case sets the arguments a rule compares (its *terms*) and makes every other
//! argument a *poison*: a value that makes the kernel reject the call before it acts. Its id
//! names only the terms (`read[arg0==0x10,arg2==0x2000]`, `socket[arg0==1,arg1&0xf==2]`), and
//! the poisons follow from the table below, so the id alone rebuilds the same case in the
//! harness (which predicts it) and in the probe (which runs it): no other protocol, stable ids
//! across runs, and `diff` and snapshots work.
//!
//! The table is data: per syscall, the poisons in order of preference, each with the kernel
//! source that rejects it (linux v6.18). A poison on an argument a term pins is usable only when
//! the pinned value is itself a poison (an fd no process of the probe holds); otherwise the next
//! one is tried. A syscall with no usable poison gets no case, and [`build`] says why. The
//! harness's test `generated_cases_are_rejected_unconfined` runs every case the corpus yields
//! unconfined on the engine and requires an error from each.

use crate::{Abi, Arg, Case};
use std::fmt;

/// One argument a generated case sets: `arg{index} == value`, or with a mask
/// `arg{index} & mask == value` (a MASKED_EQ condition: the bits outside the mask are free).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Term {
    pub index: u8,
    pub mask: Option<u64>,
    pub value: u64,
}

fn num(v: u64) -> String {
    if v < 10 {
        v.to_string()
    } else {
        format!("{v:#x}")
    }
}

fn parse_num(s: &str) -> Option<u64> {
    match s.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).ok(),
        None => s.parse().ok(),
    }
}

impl fmt::Display for Term {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.mask {
            Some(m) => write!(f, "arg{}&{}=={}", self.index, num(m), num(self.value)),
            None => write!(f, "arg{}=={}", self.index, num(self.value)),
        }
    }
}

impl std::str::FromStr for Term {
    type Err = ();
    fn from_str(s: &str) -> Result<Term, ()> {
        let rest = s.strip_prefix("arg").ok_or(())?;
        let (lhs, value) = rest.split_once("==").ok_or(())?;
        let (index, mask) = match lhs.split_once('&') {
            Some((i, m)) => (i, Some(parse_num(m).ok_or(())?)),
            None => (lhs, None),
        };
        let index: u8 = index.parse().map_err(|_| ())?;
        if index > 5 {
            return Err(());
        }
        Ok(Term {
            index,
            mask,
            value: parse_num(value).ok_or(())?,
        })
    }
}

/// A kernel address: `access_ok` refuses it for any length (EFAULT), on x86_64 and aarch64.
pub const KERNEL_POINTER: u64 = 0xffff_ffff_ffff_f000;

/// The lowest fd a poison may name. File descriptors are allocated lowest-first
/// (fs/file.c `alloc_fd` searches from `next_fd`), runc leaves the process only 0, 1 and 2
/// (`CloseExecFrom(3)`), and the probe opens fewer than 10 (its result pipes and `/proc`
/// reads), so no fd at or above 32 is open when a case runs: the kernel answers EBADF.
pub const NOT_OPEN_FD: u64 = 32;

/// How one argument can guarantee the rejection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Poison {
    /// This exact value.
    Set { arg: u8, value: u64 },
    /// An fd no process of the probe holds: the low word (the kernel's `unsigned int fd`) at
    /// or above [`NOT_OPEN_FD`]. Set to -1 when the argument is free.
    NotOpenFd { arg: u8 },
    /// Flag bits that make the flags invalid together, with bits that must stay clear; the
    /// other bits are free, so a MASKED_EQ term whose mask leaves these bits alone keeps it.
    OrBits { arg: u8, bits: u64, clear: u64 },
    /// This exact value, valid only while the argument `when` is pinned (unmasked) to one of
    /// `among` (compared on its low word, the kernel's `int`): the rejection is the handler's
    /// of that value, such as a socket family's protocol check.
    SetWhen {
        arg: u8,
        value: u64,
        when: u8,
        among: &'static [u64],
    },
}

impl Poison {
    fn arg(self) -> u8 {
        match self {
            Poison::Set { arg, .. }
            | Poison::NotOpenFd { arg }
            | Poison::OrBits { arg, .. }
            | Poison::SetWhen { arg, .. } => arg,
        }
    }
}

/// One poison with why it holds: the kernel function that rejects it, and the errno.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoisonOption {
    pub poison: Poison,
    /// Why the call is rejected before it acts, citing the kernel source (linux v6.18).
    pub why: &'static str,
}

/// A syscall's row of the safety table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub syscall: &'static str,
    /// In order of preference.
    pub poisons: &'static [PoisonOption],
}

const fn opt(poison: Poison, why: &'static str) -> PoisonOption {
    PoisonOption { poison, why }
}

const FD0: Poison = Poison::NotOpenFd { arg: 0 };
const FD0_WHY: &str =
    "fd is not open in the probe: EBADF from fdget before the call acts (fs/file.c)";

/// The safety table: the syscalls real profiles put argument conditions on (the project's
/// corpus: harness/tests/fixtures), each with the poisons that keep a generated case harmless.
pub const TABLE: &[Entry] = &[
    Entry {
        syscall: "read",
        poisons: &[
            opt(FD0, FD0_WHY),
            opt(Poison::Set { arg: 1, value: KERNEL_POINTER }, "a kernel buffer address: vfs_read checks access_ok before reading (fs/read_write.c), EFAULT, or EBADF for an fd not open for reading"),
        ],
    },
    Entry {
        syscall: "write",
        poisons: &[
            opt(FD0, FD0_WHY),
            opt(Poison::Set { arg: 1, value: KERNEL_POINTER }, "a kernel buffer address: vfs_write checks access_ok before writing (fs/read_write.c), EFAULT, or EBADF for an fd not open for writing"),
        ],
    },
    Entry {
        syscall: "pread64",
        poisons: &[
            opt(Poison::Set { arg: 3, value: u64::MAX }, "a negative offset: ksys_pread64 answers EINVAL before it looks at the fd (fs/read_write.c)"),
            opt(FD0, FD0_WHY),
        ],
    },
    Entry {
        syscall: "pwrite64",
        poisons: &[
            opt(Poison::Set { arg: 3, value: u64::MAX }, "a negative offset: ksys_pwrite64 answers EINVAL before it looks at the fd (fs/read_write.c)"),
            opt(FD0, FD0_WHY),
        ],
    },
    Entry {
        syscall: "writev",
        poisons: &[
            opt(FD0, FD0_WHY),
            opt(Poison::Set { arg: 1, value: KERNEL_POINTER }, "a kernel iovec address: import_iovec's copy_from_user fails (EFAULT) before anything is written (lib/iov_iter.c), or EBADF for an fd not open for writing"),
        ],
    },
    Entry {
        syscall: "recvfrom",
        poisons: &[
            opt(FD0, FD0_WHY),
            opt(Poison::Set { arg: 1, value: KERNEL_POINTER }, "a kernel buffer address: __sys_recvfrom's import_ubuf answers EFAULT before the fd is looked up (net/socket.c)"),
        ],
    },
    Entry {
        syscall: "fstat",
        poisons: &[
            opt(FD0, FD0_WHY),
            opt(Poison::Set { arg: 1, value: KERNEL_POINTER }, "a kernel stat buffer: cp_new_stat's copy_to_user fails (EFAULT, fs/stat.c); fstat only reads metadata"),
        ],
    },
    Entry {
        syscall: "close",
        poisons: &[opt(FD0, "an fd the probe does not hold: close_fd answers EBADF and closes nothing (fs/file.c)")],
    },
    Entry {
        syscall: "dup",
        poisons: &[opt(FD0, "an fd the probe does not hold: dup answers EBADF and creates nothing (fs/file.c)")],
    },
    Entry {
        syscall: "dup3",
        poisons: &[
            opt(Poison::Set { arg: 2, value: 1 }, "flags other than O_CLOEXEC: ksys_dup3 answers EINVAL first (fs/file.c)"),
            opt(FD0, FD0_WHY),
        ],
    },
    Entry {
        syscall: "ftruncate",
        poisons: &[
            opt(Poison::Set { arg: 1, value: u64::MAX }, "a negative length: do_sys_ftruncate answers EINVAL before it looks at the fd (fs/open.c)"),
            opt(FD0, "an fd the probe does not hold: do_sys_ftruncate answers EBADF and truncates nothing (fs/open.c)"),
        ],
    },
    Entry {
        syscall: "access",
        poisons: &[
            opt(Poison::Set { arg: 0, value: KERNEL_POINTER }, "a kernel path address: do_faccessat's getname answers EFAULT (fs/open.c); access only checks"),
            opt(Poison::OrBits { arg: 1, bits: 8, clear: 0 }, "a mode bit outside S_IRWXO: do_faccessat answers EINVAL first (fs/open.c)"),
        ],
    },
    Entry {
        syscall: "mmap",
        poisons: &[opt(Poison::Set { arg: 5, value: 1 }, "an offset that is not page aligned: sys_mmap answers EINVAL before anything is mapped (arch/x86/kernel/sys_x86_64.c, arch/arm64/kernel/sys.c)")],
    },
    Entry {
        syscall: "munmap",
        poisons: &[opt(Poison::Set { arg: 0, value: 1 }, "an address that is not page aligned: do_vmi_munmap answers EINVAL before anything is unmapped (mm/vma.c)")],
    },
    Entry {
        syscall: "socket",
        poisons: &[
            opt(Poison::OrBits { arg: 1, bits: 0x4000_0000, clear: 0 }, "a type flag other than SOCK_CLOEXEC and SOCK_NONBLOCK: __sys_socket_create answers EINVAL before any socket exists (net/socket.c)"),
            opt(Poison::Set { arg: 0, value: 0xffff }, "a family at or above NPROTO: __sock_create answers EAFNOSUPPORT before any socket exists (net/socket.c)"),
            opt(Poison::SetWhen { arg: 2, value: 0xffff_ffff, when: 0, among: &[1, 2, 10, 16] }, "a protocol of -1 where the family is pinned to AF_UNIX, AF_INET, AF_INET6 or AF_NETLINK: unix_create answers EPROTONOSUPPORT (net/unix/af_unix.c), inet_create and inet6_create EINVAL for a protocol outside 0..IPPROTO_MAX (net/ipv4/af_inet.c, net/ipv6/af_inet6.c), netlink_create EPROTONOSUPPORT outside 0..MAX_LINKS (net/netlink/af_netlink.c), each before the family's socket exists; __sock_create releases the bare socket it allocated and no fd is installed (net/socket.c)"),
        ],
    },
    Entry {
        syscall: "connect",
        poisons: &[
            opt(Poison::Set { arg: 2, value: 0xffff }, "an address length above sizeof(struct sockaddr_storage): move_addr_to_kernel answers EINVAL (net/socket.c), and an fd that is no socket answers EBADF or ENOTSOCK"),
            opt(FD0, FD0_WHY),
        ],
    },
    Entry {
        syscall: "shutdown",
        poisons: &[opt(FD0, "an fd the probe does not hold: sockfd_lookup answers EBADF and nothing is shut down (net/socket.c)")],
    },
    Entry {
        syscall: "ioctl",
        poisons: &[opt(FD0, "an fd the probe does not hold: ioctl answers EBADF before any driver sees the command (fs/ioctl.c)")],
    },
    Entry {
        syscall: "process_vm_readv",
        poisons: &[opt(Poison::Set { arg: 5, value: 1 }, "flags other than 0: process_vm_rw answers EINVAL first (mm/process_vm_access.c)")],
    },
    Entry {
        syscall: "process_vm_writev",
        poisons: &[opt(Poison::Set { arg: 5, value: 1 }, "flags other than 0: process_vm_rw answers EINVAL first (mm/process_vm_access.c)")],
    },
    Entry {
        syscall: "clone",
        // CLONE_SIGHAND without CLONE_VM, as the catalog's own clone variants do.
        poisons: &[opt(Poison::OrBits { arg: 0, bits: 0x800, clear: 0x100 }, "CLONE_SIGHAND without CLONE_VM: copy_process answers EINVAL before any child or namespace exists (kernel/fork.c)")],
    },
    Entry {
        syscall: "unshare",
        // Bit 0 is CSIGNAL's, never a valid unshare flag.
        poisons: &[opt(Poison::OrBits { arg: 0, bits: 0x1, clear: 0 }, "a flag bit outside the ones unshare knows: check_unshare_flags answers EINVAL before any namespace exists (kernel/fork.c)")],
    },
];

/// Why the kernel would act on every value some term allows: the syscall's only arguments
/// are the ones the rule compares. Named per syscall so the coverage can say so.
pub const NO_POISON: &[(&str, &str)] = &[(
    "personality",
    "its one argument is the persona itself, which the call sets",
)];

/// Syscalls whose i386 entry takes its arguments elsewhere than the 64-bit entry the table's
/// poisons are written for (arch/x86/entry/syscalls/syscall_32.tbl): no i386 case is made.
pub const I386_OTHER_LAYOUT: &[(&str, &str)] = &[
    ("mmap", "i386's mmap (90) is old_mmap, whose one argument points to the six in memory (compat_sys_ia32_mmap, arch/x86/kernel/sys_ia32.c)"),
    ("pread64", "i386's pread64 takes the offset as two 32-bit words, arg3 and arg4 (compat_sys_ia32_pread64, arch/x86/kernel/sys_ia32.c)"),
    ("pwrite64", "i386's pwrite64 takes the offset as two 32-bit words, arg3 and arg4 (compat_sys_ia32_pwrite64, arch/x86/kernel/sys_ia32.c)"),
];

/// Whether `poison` still rejects the call when `abi`'s registers carry it: an i386 register
/// holds 32 bits, so a value above them (a kernel address, a 64-bit -1) would reach the kernel
/// cut to its low word, which means something else there (0xfffff000 is a user address; a
/// length of 0xffffffff is no longer negative to compat_sys_ftruncate).
fn survives_registers(poison: Poison, abi: Abi) -> bool {
    match poison {
        Poison::Set { value, .. } | Poison::SetWhen { value, .. } if abi == Abi::I386 => {
            value <= u64::from(u32::MAX)
        }
        _ => true,
    }
}

/// The safety table's row for `syscall`.
pub fn entry(syscall: &str) -> Option<&'static Entry> {
    TABLE.iter().find(|e| e.syscall == syscall)
}

/// Why no generated case can be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoCase(pub String);

impl fmt::Display for NoCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The id of the case that sets `terms` on `syscall` of `abi`, sorted by argument.
pub fn id(abi: Abi, syscall: &str, terms: &[Term]) -> String {
    let prefix = abi.id_prefix().map(|p| format!("{p}:")).unwrap_or_default();
    let mut terms = terms.to_vec();
    terms.sort();
    let list: Vec<String> = terms.iter().map(Term::to_string).collect();
    format!("{prefix}{syscall}[{}]", list.join(","))
}

/// Whether `id` has the shape of a generated case's id.
pub fn is_generated_id(id: &str) -> bool {
    id.ends_with(']') && id.contains('[')
}

fn usable(p: Poison, args: &mut [u64; 6], pinned: &[Term]) -> bool {
    let term = pinned.iter().find(|t| t.index == p.arg());
    let a = p.arg() as usize;
    match (p, term) {
        (Poison::Set { value, .. }, None) => {
            args[a] = value;
            true
        }
        (Poison::Set { value, .. }, Some(t)) => t.mask.is_none() && t.value == value,
        (Poison::NotOpenFd { .. }, None) => {
            args[a] = u64::MAX;
            true
        }
        (Poison::NotOpenFd { .. }, Some(_)) => (args[a] & 0xffff_ffff) >= NOT_OPEN_FD,
        (Poison::OrBits { bits, .. }, None) => {
            args[a] = bits;
            true
        }
        (
            Poison::SetWhen {
                value, when, among, ..
            },
            None,
        ) => {
            let pinned_among = pinned.iter().any(|t| {
                t.index == when && t.mask.is_none() && among.contains(&(t.value & 0xffff_ffff))
            });
            if pinned_among {
                args[a] = value;
            }
            pinned_among
        }
        (Poison::SetWhen { .. }, Some(_)) => false,
        (Poison::OrBits { bits, clear, .. }, Some(t)) => {
            let free = match t.mask {
                Some(m) => bits & m == 0,
                None => args[a] & bits == bits,
            };
            if free && args[a] & clear == 0 {
                args[a] |= bits;
                true
            } else {
                false
            }
        }
    }
}

/// The case that sets `terms` on `syscall` of `abi`, every other argument a poison (or the
/// catalog's all-ones default when a poison already rejects the call).
pub fn build(abi: Abi, syscall: &str, terms: &[Term]) -> Result<Case, NoCase> {
    if let Some((_, why)) = NO_POISON.iter().find(|(s, _)| *s == syscall) {
        return Err(NoCase(format!("no poison possible for {syscall}: {why}")));
    }
    let entry = entry(syscall).ok_or_else(|| {
        NoCase(format!(
            "{syscall} has no row in the poison table (probes/catalog/src/generated.rs)"
        ))
    })?;
    if let Some((_, why)) = I386_OTHER_LAYOUT
        .iter()
        .find(|(s, _)| abi == Abi::I386 && *s == syscall)
    {
        return Err(NoCase(format!("no i386 case for {syscall}: {why}")));
    }
    let nr = crate::variants::nr(abi, syscall)
        .ok_or_else(|| NoCase(format!("{syscall} is not in the {abi} table")))?;
    let mut args = [u64::MAX; 6];
    for t in terms {
        args[t.index as usize] = t.value;
    }
    let chosen = entry
        .poisons
        .iter()
        .filter(|o| survives_registers(o.poison, abi))
        .find(|o| {
            let mut trial = args;
            let ok = usable(o.poison, &mut trial, terms);
            if ok {
                args = trial;
            }
            ok
        })
        .ok_or_else(|| {
            NoCase(format!(
                "no poison left for {}: the arguments it compares are the ones that could reject it ({})",
                id(abi, syscall, terms),
                entry
                    .poisons
                    .iter()
                    .map(|o| o.why)
                    .collect::<Vec<_>>()
                    .join("; ")
            ))
        })?;
    Ok(Case {
        id: id(abi, syscall, terms),
        abi,
        syscall: entry.syscall,
        nr,
        args: args.map(Arg::Value),
        harmless: chosen.why,
        may_block: false,
    })
}

/// Rebuilds a generated case from its id, for an arch's ABIs.
pub fn parse(arch: crate::Arch, id: &str) -> Result<Case, NoCase> {
    let bad = || NoCase(format!("{id:?} is not a generated case id"));
    let (abi, rest) = match id.split_once(':') {
        Some((p, rest)) if !p.contains('[') => {
            let abi = arch
                .compat_abis()
                .iter()
                .copied()
                .find(|a| a.id_prefix() == Some(p))
                .ok_or_else(bad)?;
            (abi, rest)
        }
        _ => (arch.native_abi(), id),
    };
    let (syscall, list) = rest
        .strip_suffix(']')
        .and_then(|r| r.split_once('['))
        .ok_or_else(bad)?;
    let terms = list
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| t.parse::<Term>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| bad())?;
    let case = build(abi, syscall, &terms)?;
    // Only the canonical spelling, so one case has one id.
    if case.id != id {
        return Err(bad());
    }
    Ok(case)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Arch;

    fn t(index: u8, value: u64) -> Term {
        Term {
            index,
            mask: None,
            value,
        }
    }

    #[test]
    fn ids_read_as_the_terms_and_round_trip() {
        let c = build(Abi::X86_64, "read", &[t(2, 8192), t(0, 0)]).unwrap();
        assert_eq!(c.id, "read[arg0==0,arg2==0x2000]");
        // fd 0 may be open: the buffer is the poison.
        assert_eq!(c.args[1], Arg::Value(KERNEL_POINTER));
        assert_eq!(parse(Arch::X86_64, &c.id).unwrap(), c);
        let s = build(
            Abi::X86_64,
            "socket",
            &[
                t(0, 1),
                Term {
                    index: 1,
                    mask: Some(0xf),
                    value: 2,
                },
            ],
        )
        .unwrap();
        assert_eq!(s.id, "socket[arg0==1,arg1&0xf==2]");
        assert_eq!(s.args[1], Arg::Value(0x4000_0002));
        assert_eq!(parse(Arch::X86_64, &s.id).unwrap(), s);
        assert!(
            parse(Arch::X86_64, "read[arg0==0x0]").is_err(),
            "not canonical"
        );
        assert!(parse(Arch::X86_64, "read").is_err());
        assert!(parse(Arch::X86_64, "i386:read[arg0==0x40]").is_ok());
    }

    /// A socket pinned on family and whole type (the recorded Tomcat profile's rules) is
    /// poisoned by its protocol, but only for families whose create handler checks it first.
    #[test]
    fn a_pinned_socket_family_and_type_leave_the_protocol() {
        let c = build(Abi::X86_64, "socket", &[t(0, 1), t(1, 0x80801)]).unwrap();
        assert_eq!(c.args[2], Arg::Value(0xffff_ffff));
        let high = build(Abi::X86_64, "socket", &[t(0, 1 << 32 | 10), t(1, 0x80001)]).unwrap();
        assert_eq!(high.args[2], Arg::Value(0xffff_ffff));
        // AF_PACKET (17) takes any protocol: no case.
        assert!(build(Abi::X86_64, "socket", &[t(0, 17), t(1, 3)]).is_err());
    }

    #[test]
    fn a_pinned_fd_is_a_poison_only_when_no_process_holds_it() {
        let c = build(Abi::X86_64, "close", &[t(0, 64)]).unwrap();
        assert_eq!(c.args[0], Arg::Value(64));
        let e = build(Abi::X86_64, "close", &[t(0, 2)]).unwrap_err();
        assert!(e.0.contains("no poison left"), "{e}");
        // The high word does not help: the kernel reads an unsigned int.
        assert!(build(Abi::X86_64, "dup", &[t(0, 1 << 32 | 2)]).is_err());
    }

    #[test]
    fn flag_poisons_stay_outside_the_mask_and_clear_bits() {
        let ns = Term {
            index: 0,
            mask: Some(0x7e02_0000),
            value: 0x2_0000,
        };
        let c = build(Abi::X86_64, "clone", &[ns]).unwrap();
        assert_eq!(c.args[0], Arg::Value(0x2_0800));
        // CLONE_VM pinned: CLONE_SIGHAND no longer rejects the call.
        assert!(build(Abi::X86_64, "clone", &[t(0, 0x100)]).is_err());
        assert!(build(Abi::X86_64, "personality", &[t(0, 8)])
            .unwrap_err()
            .0
            .contains("persona"));
    }

    #[test]
    fn every_row_names_a_known_syscall_and_cites_the_kernel() {
        for e in TABLE {
            assert!(
                crate::variants::nr(Abi::X86_64, e.syscall).is_some(),
                "{}",
                e.syscall
            );
            for o in e.poisons {
                assert!(o.why.contains(".c"), "{}: {}", e.syscall, o.why);
            }
        }
    }
}
