//! Syscall families: a coarse grouping of the catalog's syscalls by what they touch, so the HTML
//! report can filter its ~400 rows to "namespaces & mounts" or "io_uring & aio". Data, not
//! code: one table of families, each with its syscall names and name prefixes; the first family
//! that claims a name wins, and anything unclaimed is `other`. A case's family is its syscall's
//! (argument variants and compat ABIs included).

/// `(family, exact names, name prefixes)`, checked in order.
const FAMILIES: &[(&str, &[&str], &[&str])] = &[
    (
        "namespaces & mounts",
        &[
            "unshare",
            "setns",
            "mount",
            "umount2",
            "pivot_root",
            "chroot",
            "open_tree",
            "open_tree_attr",
            "move_mount",
            "fsopen",
            "fsconfig",
            "fsmount",
            "fspick",
            "mount_setattr",
            "statmount",
            "listmount",
        ],
        &[],
    ),
    (
        "process & threads",
        &[
            "clone",
            "clone3",
            "fork",
            "vfork",
            "execve",
            "execveat",
            "exit",
            "exit_group",
            "wait4",
            "waitid",
            "kcmp",
            "personality",
            "prctl",
            "arch_prctl",
            "set_tid_address",
            "set_robust_list",
            "get_robust_list",
            "rseq",
            "set_thread_area",
            "get_thread_area",
            "modify_ldt",
            "process_vm_readv",
            "process_vm_writev",
            "ptrace",
            "gettid",
            "getpid",
            "getppid",
            "getpgrp",
            "getpgid",
            "setpgid",
            "getsid",
            "setsid",
            "restart_syscall",
            "uretprobe",
            "uprobe",
            "futex",
            "futex_waitv",
            "futex_wake",
            "futex_wait",
            "futex_requeue",
            "getcpu",
            "membarrier",
            "seccomp",
            "process_madvise",
            "process_mrelease",
            "getrlimit",
            "setrlimit",
            "prlimit64",
            "getrusage",
            "times",
            "getpriority",
            "setpriority",
            "ioprio_set",
            "ioprio_get",
        ],
        &["pidfd_", "sched_"],
    ),
    (
        "credentials & capabilities",
        &["capget", "capset", "getgroups", "setgroups", "umask"],
        &[
            "getuid", "getgid", "geteuid", "getegid", "setuid", "setgid", "setre", "setres",
            "getres", "setfs",
        ],
    ),
    (
        "signals",
        &[
            "pause",
            "kill",
            "tkill",
            "tgkill",
            "sigaltstack",
            "signalfd",
            "signalfd4",
        ],
        &["rt_sig", "rt_tgsig"],
    ),
    (
        "memory",
        &[
            "brk",
            "mmap",
            "munmap",
            "mprotect",
            "mremap",
            "msync",
            "mincore",
            "madvise",
            "mlock",
            "mlock2",
            "munlock",
            "mlockall",
            "munlockall",
            "remap_file_pages",
            "mbind",
            "set_mempolicy",
            "get_mempolicy",
            "set_mempolicy_home_node",
            "migrate_pages",
            "move_pages",
            "memfd_create",
            "memfd_secret",
            "userfaultfd",
            "map_shadow_stack",
            "mseal",
            "cachestat",
        ],
        &["pkey_"],
    ),
    (
        "io_uring & aio",
        &[
            "io_setup",
            "io_destroy",
            "io_getevents",
            "io_submit",
            "io_cancel",
            "io_pgetevents",
        ],
        &["io_uring_"],
    ),
    (
        "network",
        &[
            "socket",
            "socketpair",
            "socketcall",
            "connect",
            "accept",
            "accept4",
            "sendto",
            "recvfrom",
            "sendmsg",
            "recvmsg",
            "sendmmsg",
            "recvmmsg",
            "shutdown",
            "bind",
            "listen",
            "getsockname",
            "getpeername",
            "setsockopt",
            "getsockopt",
        ],
        &[],
    ),
    (
        "ipc",
        &["pipe", "pipe2", "ipc"],
        &["shm", "sem", "msg", "mq_"],
    ),
    (
        "time & timers",
        &[
            "nanosleep",
            "getitimer",
            "setitimer",
            "alarm",
            "gettimeofday",
            "settimeofday",
            "time",
            "adjtimex",
        ],
        &["clock_", "timer_", "timerfd_"],
    ),
    (
        "keys, bpf & tracing",
        &[
            "add_key",
            "request_key",
            "keyctl",
            "bpf",
            "perf_event_open",
            "lookup_dcookie",
            "fanotify_init",
            "fanotify_mark",
        ],
        &[],
    ),
    ("lsm & landlock", &[], &["lsm_", "landlock_"]),
    (
        "system administration",
        &[
            "reboot",
            "kexec_load",
            "kexec_file_load",
            "init_module",
            "finit_module",
            "delete_module",
            "create_module",
            "get_kernel_syms",
            "query_module",
            "swapon",
            "swapoff",
            "acct",
            "quotactl",
            "quotactl_fd",
            "sethostname",
            "setdomainname",
            "syslog",
            "iopl",
            "ioperm",
            "vhangup",
            "_sysctl",
            "nfsservctl",
            "uselib",
            "ustat",
            "sysfs",
            "sysinfo",
            "uname",
            "getrandom",
        ],
        &[],
    ),
    (
        "unimplemented",
        &[
            "getpmsg",
            "putpmsg",
            "afs_syscall",
            "tuxcall",
            "security",
            "vserver",
            "epoll_ctl_old",
            "epoll_wait_old",
        ],
        &[],
    ),
    (
        "events & polling",
        &["poll", "ppoll", "select", "pselect6", "eventfd", "eventfd2"],
        &["epoll_", "inotify_"],
    ),
    (
        "extended attributes",
        &[],
        &[
            "setxattr",
            "getxattr",
            "listxattr",
            "removexattr",
            "lsetxattr",
            "lgetxattr",
            "llistxattr",
            "lremovexattr",
            "fsetxattr",
            "fgetxattr",
            "flistxattr",
            "fremovexattr",
        ],
    ),
];

/// Every family name, in table order, then `files & i/o` (the catch-all for the file calls)
/// and `other`.
pub fn all() -> Vec<&'static str> {
    FAMILIES
        .iter()
        .map(|(f, _, _)| *f)
        .chain([FILES, OTHER])
        .collect()
}

const FILES: &str = "files & i/o";
const OTHER: &str = "other";

/// The file calls are too many to list one by one; they are what remains of the calls on
/// paths and descriptors.
const FILE_PREFIXES: &[&str] = &[
    "read",
    "write",
    "open",
    "close",
    "stat",
    "fstat",
    "lstat",
    "newfstat",
    "lseek",
    "pread",
    "pwrite",
    "preadv",
    "pwritev",
    "readv",
    "writev",
    "access",
    "faccessat",
    "dup",
    "sendfile",
    "fcntl",
    "flock",
    "fsync",
    "fdatasync",
    "sync",
    "truncate",
    "ftruncate",
    "getdents",
    "getcwd",
    "chdir",
    "fchdir",
    "rename",
    "mkdir",
    "rmdir",
    "creat",
    "link",
    "unlink",
    "symlink",
    "readlink",
    "chmod",
    "fchmod",
    "chown",
    "fchown",
    "lchown",
    "utime",
    "mknod",
    "statfs",
    "fstatfs",
    "ioctl",
    "readahead",
    "fadvise64",
    "futimesat",
    "splice",
    "tee",
    "vmsplice",
    "fallocate",
    "name_to_handle_at",
    "open_by_handle_at",
    "copy_file_range",
    "statx",
    "close_range",
    "file_getattr",
    "file_setattr",
];

/// The family of a syscall name (without an ABI prefix or argument variant).
pub(crate) fn of_syscall(name: &str) -> &'static str {
    for (family, names, prefixes) in FAMILIES {
        if names.contains(&name) || prefixes.iter().any(|p| name.starts_with(p)) {
            return family;
        }
    }
    if FILE_PREFIXES.iter().any(|p| name.starts_with(p)) {
        return FILES;
    }
    OTHER
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_catalog::{Arch, Catalog};

    #[test]
    fn every_catalog_syscall_has_a_family_other_than_other() {
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let unclaimed: Vec<_> = Catalog::for_arch(arch)
                .cases()
                .iter()
                .map(|c| c.syscall)
                .filter(|s| of_syscall(s) == OTHER)
                .collect();
            assert!(unclaimed.is_empty(), "{arch:?}: {unclaimed:?}");
        }
    }

    #[test]
    fn the_first_family_that_claims_a_name_wins() {
        assert_eq!(of_syscall("unshare"), "namespaces & mounts");
        assert_eq!(of_syscall("io_uring_setup"), "io_uring & aio");
        assert_eq!(of_syscall("setxattrat"), "extended attributes");
        assert_eq!(of_syscall("openat2"), "files & i/o");
        assert_eq!(of_syscall("pidfd_open"), "process & threads");
        assert_eq!(of_syscall("socketcall"), "network");
        assert!(all().contains(&"other"));
    }
}
