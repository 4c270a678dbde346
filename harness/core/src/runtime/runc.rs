//! runc: its start needs and tolerated calls per version, its ENOSYS stub (`patchbpf`), its
//! Go fallbacks. Every fact with its measurement.
//!
//! Under a CRI node (the cgroupfs driver), runc removes a container's own cgroup when the
//! container goes, but not the pod's parent directories: measured on containerd 1.7 and 2.1
//! with runc 1.1 and 1.3 (the harness removes them, empty, once its pods are gone).

use super::{site, FallbackNeeds, RuntimeModel, RuntimeSite};
use crate::version::Version;
use seccomp_catalog::own_calls::OwnArg::{Fixed as F, RunTime as R};

/// The name engines register runc under.
pub(super) const NAME: &str = "runc";

/// The annotation of runc's OCI features document (`runc features`, runtime-spec
/// `features.md`) that carries its version.
pub(super) const FEATURES_VERSION_ANNOTATION: &str = "org.opencontainers.runc.version";

/// The name runc's init process takes once it has loaded the filter: the process a kill on
/// one of its threads leaves a zombie with live Go threads, so that `runc create` waits for
/// it for good (see `RuntimeModel::kill_hangs_start`).
pub const INIT_PROCESS: &str = "runc:[2:INIT]";

/// Why a start passed its deadline, and what became of the hung init: `freed` is the pids the
/// harness killed (none where the engine's processes are not visible from here).
pub fn hung_start_note(deadline_secs: u64, freed: &[i32]) -> String {
    let cleanup = match freed {
        [] => format!(
            "no hung `{INIT_PROCESS}` of this container is visible from here, so the \
             container may stay stuck in the engine (SIGKILL its `{INIT_PROCESS}` on the \
             engine's host to free it)"
        ),
        pids => format!(
            "the harness killed the hung `{INIT_PROCESS}` (pid {}) so that the engine could remove the container",
            pids.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", ")
        ),
    };
    format!(
        "the runtime did not start the container within {deadline_secs} s: {NAME} hangs when a \
         profile kills one thread of its init process (SCMP_ACT_KILL on a call it \
         makes after loading the filter); {cleanup}"
    )
}

/// The calls every runc version makes after loading the filter, with a version's own on top:
/// one list written once, so runc 1.3's can't drift from the older versions'.
macro_rules! runc_needs {
    ($($extra:literal),*) => {
        &[
            "write",
            "close",
            "fstatfs",
            "openat",
            "getdents64",
            "getcwd",
            "chdir",
            "newfstatat",
            "fstat",
            "setuid",
            "setgid",
            "setgroups",
            "capget",
            "capset",
            "prctl",
            "getppid",
            "execve",
            "rt_sigreturn",
            $($extra,)*
        ]
    };
}

/// Calls runc makes after loading the filter, whatever its version (measured with runc 1.1.5
/// by narrowing an allow-list, see profiles/README.md: denying any of these stops the
/// container from starting, often with a message that names none of them). `write` too:
/// denying it alone gave "cannot start an already running container". `close` too: runc
/// closes its log pipe after loading the filter and fails on an error (`standard_init_linux.go`
/// "close log pipe"); a default-ALLOW profile denying only `close` (ERRNO) failed the start
/// on runc 1.1.5 ("cannot start a stopped process"), 1.1.15 and 1.3.6 ("cannot start a
/// container that has stopped"). `rt_sigreturn` too, though denying it stops only some starts:
/// runc's init is a Go program, and the Go runtime's signal handlers (async preemption sends
/// SIGURG to its threads, Go 1.14 on) can run between loading the filter and `execve`; their
/// return is `rt_sigreturn`, and under an errno the thread resumes on a garbage frame. A
/// default-ALLOW profile denying only `rt_sigreturn` (ERRNO) failed 2 of 16 `--noop` starts on
/// runc 1.1.5 with exit 139 (SIGSEGV) before the probe ran; with `rt_sigreturn` allowed, the
/// same allow-list started every time. A start that fails at random proves nothing either
/// way, so such a profile is predicted not to start.
pub const RUNC_NEEDS: &[&str] = runc_needs!();

/// The needs of runc from 1.2.8 and 1.3.3 ([`RUNC_PATHRS_LITE`]) on top of [`RUNC_NEEDS`]:
/// statx (the mount id of /proc/thread-self/fd; with an errno, or the stub's ENOSYS, the
/// start failed "could not get mount id" on runc 1.3.6).
const RUNC_1_3_FATAL: &[&str] = runc_needs!("statx");

/// runc 1.1.5's (Docker 20.10.24, this host) write, close and fstat after loading the filter,
/// measured by allowing each only under argument conditions in an allow-list that starts
/// (the nginx start-able copy) and starting `--noop` containers: the start needed exactly
/// `write(3, _, 1)` (the exec fifo's "0"; `arg0 == 3` and `arg2 == 1` each started, `arg0 <=
/// 2` and `arg2 == 0` did not), `close(3)` and `close(4)` (one EQ rule each started; either
/// alone did not, and with only `close(4)` allowed the start hung), and `fstat` on 0, 1 and 2
/// (all three EQ rules started; any two did not). runc 1.1.15 (the lab's trixie-runc, Docker
/// 26.1.5) measured the same way gave the same: the six EQ sites started three `--noop`
/// containers of three, and dropping `close(4)`, moving the write to `arg0 == 2` or dropping
/// `fstat(2)` each failed the start; the start-able httpd copy (write `fd <= 8, count <= 256`,
/// close and fstat `fd <= 64`) starts there too. runc 1.2.0 to 1.3.2 were not measured, so
/// their calls are judged with the catalog's arguments; runc from 1.2.8 and 1.3.3 has its own
/// sites ([`RUNC_PATHRS_LITE_SITES`]).
const RUNC_1_1_SITES: &[RuntimeSite] = &[
    site("write", [F(3), R, F(1), F(0), F(0), F(0)]),
    site("close", [F(3), F(0), F(0), F(0), F(0), F(0)]),
    site("close", [F(4), F(0), F(0), F(0), F(0), F(0)]),
    site("fstat", [F(0), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(1), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(2), R, F(0), F(0), F(0), F(0)]),
];

/// The models, the newest first. runc: measured under a SCMP_ACT_LOG default
/// (`runc:[2:INIT]`'s calls in the kernel log) and by trapping, denying and killing each call
/// alone: runc 1.1.5 (Docker 20.10.24) called faccessat2 (exec's lookup); runc 1.3.6 (Docker
/// 28.5.2, the lab's sid-runc) also openat2, statx and tgkill. runc 1.1.15 (the lab's
/// trixie-runc) started profiles without statx. No runc between 1.1.15 and 1.3.6 was
/// measured: where runc's source shows what changed (runc's git history, read for this), the
/// boundary is that release ([`RUNC_PATHRS_LITE`]: 1.2.8 in the 1.2 series, 1.3.3 in the 1.3
/// series); otherwise 1.2 is taken to behave like 1.3.6.
pub(super) const MODELS: &[RuntimeModel] = &[
    RuntimeModel {
        since: Version::new(1, 3, 3),
        ..RUNC_PATHRS_LITE
    },
    RuntimeModel {
        since: Version::new(1, 3, 0),
        ..RUNC_1_2
    },
    RUNC_PATHRS_LITE,
    RUNC_1_2,
    RUNC_1_1_15,
    RuntimeModel {
        since: Version::new(0, 0, 0),
        stub_covers_native: false,
        ..RUNC_1_1_15
    },
];

/// runc 1.2.0 to 1.2.7 and 1.3.0 to 1.3.2: the Go runtime's and exec's calls of 1.3.6
/// (openat2 and tgkill tolerated, not measured on these versions), without what the
/// pathrs-lite code of [`RUNC_PATHRS_LITE`] added: from the source, their post-filter code
/// opens `/proc/thread-self/fd` and the exec fifo's `/proc/thread-self/fd/N` by path, with no
/// mount-id check (no statx) and no walk by hand (no readlinkat).
const RUNC_1_2: RuntimeModel = RuntimeModel {
    since: Version::new(1, 2, 0),
    tolerated: &["faccessat2", "openat2", "tgkill"],
    sites: &[],
    ..RUNC_1_1_15
};

/// runc from the fix of CVE-2025-31133, CVE-2025-52565 and CVE-2025-52881 (1.2.8, 1.3.3 and
/// 1.4.0-rc.3, released together on 2025-11-05; runc commits "utils: use safe procfs for
/// /proc/self/fd loop code" and "*: switch to safer securejoin.Reopen"), measured as runc
/// 1.3.6. After the filter loads, runc reaches /proc through filepath-securejoin's
/// pathrs-lite: `CloseExecFrom` ("error closing exec fds") lists `/proc/thread-self/fd` when
/// `close_range(CLOSE_RANGE_CLOEXEC)` fails, the exec fifo is reopened through
/// `/proc/thread-self/fd`, and `UnsafeCloseFrom` lists the fds again before `execve`.
/// pathrs-lite checks the reopened fd's mount id with `statx` every time ("could not get mount
/// id": [`RUNC_1_3_FATAL`]). It looks paths up with `openat2` where a probe call of openat2
/// succeeds; where it fails (an errno, the ENOSYS stub, an old kernel) it walks the path one
/// component at a time, which duplicates the /proc handle with `fcntl(F_DUPFD_CLOEXEC)` and
/// reads the `thread-self` symlink with `readlinkat`, and fails on an error from either
/// ("get handle to /proc/thread-self/fd: readlinkat …: operation not permitted", the start-able
/// nginx and Tomcat copies of the corpus on the lab's runc 1.3.6).
///
/// Measured on the lab's sid-runc (Docker 28.5.2, containerd 2.1.9, runc 1.3.6) with
/// default-ALLOW profiles, three `docker run`s each: an errno on openat2 and readlinkat failed
/// the start ("unable to setup user: readlinkat fsmount:fscontext:proc/self/"), on openat2 and
/// fcntl too ("clone root fd: fcntl(F_DUPFD_CLOEXEC"); readlinkat, fcntl or openat2 alone
/// started. runc 1.1.5 (this host) and 1.1.15 (the lab's trixie-runc) started all five.
const RUNC_PATHRS_LITE: RuntimeModel = RuntimeModel {
    since: Version::new(1, 2, 8),
    fatal: RUNC_1_3_FATAL,
    sites: RUNC_PATHRS_LITE_SITES,
    fallback_needs: &[FallbackNeeds {
        unless_allowed: "openat2",
        fatal: &["readlinkat", "fcntl"],
        sites: RUNC_PATHRS_LITE_WALK_SITES,
    }],
    ..RUNC_1_2
};

/// runc 1.3.6's write, close and fstat after loading the filter whose errno fails the start,
/// measured as for 1.1 ([`RUNC_1_1_SITES`]) but the other way round: a default-ALLOW profile
/// with an ERRNO rule on one fd (`arg0 == N`, N from 0 to 20, and one rule for `arg0 >= 21`)
/// per `docker run`, on the lab's sid-runc (Docker 28.5.2, containerd 2.1.9), each failing
/// one three times of three: `write(5, _, 1)` (the exec fifo's "0": "cannot start an already
/// running container"; `arg2 == 0` on fd 5 started), `close(4)` (the start hung) and
/// `close(5)` (the init died before Docker could bind its network namespace), `fstat` on 0, 1
/// and 2 ("unable to setup user: fstat /dev/stdin") and on 13, the procfs handle
/// (`fstat fsmount:fscontext:proc`). Every other fd, `close(3)` included (runc 1.1's fifo fd),
/// started. The fds are those runc's init holds under Docker 28.5.2; another engine may
/// number them otherwise.
const RUNC_PATHRS_LITE_SITES: &[RuntimeSite] = &[
    site("write", [F(5), R, F(1), F(0), F(0), F(0)]),
    site("close", [F(4), F(0), F(0), F(0), F(0), F(0)]),
    site("close", [F(5), F(0), F(0), F(0), F(0), F(0)]),
    site("fstat", [F(0), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(1), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(2), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(13), R, F(0), F(0), F(0), F(0)]),
];

/// The fstat calls runc 1.3.6's walk of /proc adds when openat2 fails (each component's
/// handle: "stat component \"self\""), measured as [`RUNC_PATHRS_LITE_SITES`] with openat2
/// denied as well: fstat on 4, 5, 7, 11 and 12 failed the start too; write, close and the
/// other fds as without the walk.
const RUNC_PATHRS_LITE_WALK_SITES: &[RuntimeSite] = &[
    site("fstat", [F(4), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(5), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(7), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(11), R, F(0), F(0), F(0), F(0)]),
    site("fstat", [F(12), R, F(0), F(0), F(0), F(0)]),
];

/// runc 1.1.15 (the lab's trixie-runc): the model the others are written against, each
/// stating only what it changes.
const RUNC_1_1_15: RuntimeModel = RuntimeModel {
    runtime: NAME,
    since: Version::new(1, 1, 15),
    enosys_stub: true,
    stub_covers_native: true,
    honours_default_errno_ret: true,
    kill_hangs_start: true,
    fatal: RUNC_NEEDS,
    tolerated: &["faccessat2"],
    after_start_fatal: &[],
    after_start_tolerated: &[],
    refuses_stray_errno_ret: false,
    sites: RUNC_1_1_SITES,
    fallback_needs: &[],
};

/// Calls a runtime makes after loading the filter that survive an errno but not a trap
/// ([`MODELS`]: runc's Go code falls back from faccessat2 and openat2 on an
/// errno, and runc 1.3 signals its threads with tgkill), and the probe's clock: where the
/// kernel's clocksource has no vDSO support, clock_gettime is a real syscall (seen in the
/// kernel log under a SCMP_ACT_LOG default on this project's host).
pub const FALLBACK_CALLS: &[&str] = &["faccessat2", "openat2", "tgkill", "clock_gettime"];

/// Where runc's faccessat2 falls back to (Go's `Faccessat` emulation, after ENOSYS or EPERM):
/// when the profile doesn't allow faccessat2 and runc's ENOSYS stub or the default answers
/// it, runc 1.1.5 calls faccessat, getuid, getgid and getegid, and survives an errno on each.
/// Measured on this host (Docker 20.10.24, runc 1.1.5) with start-able copies of the recorded
/// Tomcat and httpd allow-lists (the corpus's `cessa-tomcat-test.startable.json` and
/// `cessa-httpd-test.startable.json`): under a SCMP_ACT_LOG default
/// with faccessat2 answering ENOSYS the kernel log showed `runc:[2:INIT]` calling each (269,
/// 102, 104, 108); under a TRAP default (the tagged copy) the start failed ("cannot start a
/// stopped process") until the ones each list leaves out were allowed; under their ERRNO
/// default both started.
pub const FACCESSAT2_FALLBACK_CALLS: &[&str] = &["faccessat", "getuid", "getgid", "getegid"];

/// Calls runc (or its Go runtime) may make after it loads the filter, where an errno would
/// stop the container (see [`RUNC_NEEDS`]): never calibrated, assumed known.
pub const CALIBRATION_SKIP: &[&str] = &[
    "pidfd_send_signal",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_create_of_one_container_only() {
        let argv = |s: &str| s.split(' ').map(String::from).collect::<Vec<_>>();
        let id = "7b28834d25f423ce1eafe7a02dc3639d9dbe1a9951fcc634b41c7319e54ed15c";
        let create = argv(&format!(
            "/usr/sbin/runc --root /run/docker/runtime-runc/moby --log /x/log.json --log-format json create --bundle /x --pid-file /x/init.pid {id}"
        ));
        let create_of = super::super::hung::create_of;
        assert_eq!(create_of(&create, id), Some(NAME));
        assert_eq!(create_of(&create, "another"), None);
        assert_eq!(create_of(&argv(&format!("runc start {id}")), id), None);
        assert_eq!(
            create_of(
                &argv(&format!(
                    "/usr/bin/containerd-shim-runc-v2 -namespace moby -id {id}"
                )),
                id
            ),
            None
        );
    }

    #[test]
    fn the_hung_start_note_says_what_was_freed() {
        let freed = hung_start_note(60, &[12, 34]);
        assert!(
            freed.starts_with("the runtime did not start the container within 60 s: runc hangs"),
            "{freed}"
        );
        assert!(freed.ends_with("killed the hung `runc:[2:INIT]` (pid 12, 34) so that the engine could remove the container"), "{freed}");
        let stuck = hung_start_note(60, &[]);
        assert!(
            stuck.contains("SIGKILL its `runc:[2:INIT]` on the engine's host"),
            "{stuck}"
        );
    }

    /// runc 1.3's list repeats runc's needs (a const slice can't be built from another): it
    /// must stay a superset, or a call runc 1.1 needs would be forgotten for 1.3.
    #[test]
    fn runc_1_3_needs_everything_runc_1_1_needs() {
        for call in RUNC_NEEDS {
            assert!(RUNC_1_3_FATAL.contains(call), "{call}");
        }
        assert!(RUNC_1_3_FATAL.contains(&"statx"));
    }

    /// The conformance snapshots are named by runc's major.minor (`runc-1.1`), yet runc 1.1.5
    /// and 1.1.15 differ: from 1.1.15 the ENOSYS stub always covers the native arch. That
    /// difference only shows under a profile that doesn't list the native arch, and every
    /// shipped profile lists both x86_64 and aarch64, so the two give the same stub and one
    /// snapshot per minor version is right for them. This fails when a shipped profile stops
    /// listing them (then the name needs the patch band too).
    #[test]
    fn runc_1_1_patch_versions_build_the_same_stub_for_every_shipped_profile() {
        use crate::runtime::{native_stub, runtime_model, Runtime};
        use seccomp_catalog::Arch;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../profiles");
        let old = runtime_model(&Runtime::parse("runc", Some("1.1.5")));
        let new = runtime_model(&Runtime::parse("runc", Some("1.1.15")));
        assert_ne!(old.stub_covers_native, new.stub_covers_native);
        let mut n = 0;
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.extension().is_none_or(|x| x != "json") {
                continue;
            }
            let profile = crate::profile::ProfileFile::read(&path)
                .and_then(|f| f.profiles())
                .unwrap()
                .remove(0)
                .profile;
            for arch in Arch::ALL {
                assert_eq!(
                    native_stub(old, &profile.arches, *arch),
                    native_stub(new, &profile.arches, *arch),
                    "{} on {arch}",
                    path.display()
                );
            }
            n += 1;
        }
        assert!(n >= 5, "{n} shipped profiles");
    }
}
