//! crun: its start needs (before and after the engine reports the start), the calls that
//! survive an errno, and its refusal of a stray `errnoRet`. Every fact with its measurement.

use super::RuntimeModel;
use crate::version::Version;

/// The name engines register crun under.
pub(super) const NAME: &str = "crun";

/// The annotation of crun's OCI features document (`crun features`) that carries its version.
pub(super) const FEATURES_VERSION_ANNOTATION: &str = "run.oci.crun.version";

/// crun 1.28's calls after loading the filter (Docker 28.5.2 and Podman 5.8.6, which load the
/// filter before dropping privileges: `apply_security_settings` then `libcrun_set_caps`).
/// Found under a SCMP_ACT_LOG default, the kernel log naming `crun`'s calls (the log is rate
/// limited, so each round allowed what the last one found, until a round logged nothing),
/// then each call denied (ERRNO), trapped and killed alone in a default-ALLOW profile:
/// - prctl ("prctl drop bounding"), setresgid, setresuid ("setresuid to `0`"), capset,
///   rt_sigprocmask, rt_sigaction, write and pselect6: any denial fails the start;
/// - close: an errno is ignored, a trap or kill fails the start;
/// - after `crun start` returned: read (the exec fifo) and execve fail on an errno (exit 1,
///   "read from the exec fifo: Operation not permitted") and die of SIGSYS on a trap or kill
///   (exit 159); close_range survives an errno.
///
/// A default-ERRNO (and a default-TRAP) profile allowing exactly these, the exit calls and
/// the probe's footprint ran the probe.
///
/// Podman 5.8.6 creates the container in the runtime when a client attaches, so there the
/// refusal comes back from the attach: "preparing container … for attach: crun: setresgid to
/// `0`: Operation not permitted".
const CRUN_1_28_FATAL: &[&str] = &[
    "prctl",
    "setresgid",
    "setresuid",
    "capset",
    "rt_sigprocmask",
    "rt_sigaction",
    "write",
    "pselect6",
];

/// crun: only 1.28 was measured (the lab's sid-crun and podman); older versions get its model.
pub(super) const MODELS: &[RuntimeModel] = &[RuntimeModel {
    runtime: NAME,
    since: Version::new(0, 0, 0),
    enosys_stub: false,
    stub_covers_native: false,
    honours_default_errno_ret: true,
    kill_hangs_start: false,
    fatal: CRUN_1_28_FATAL,
    tolerated: &["close"],
    after_start_fatal: &["read", "execve"],
    after_start_tolerated: &["close_range"],
    refuses_stray_errno_ret: true,
    sites: &[],
    fallback_needs: &[],
}];
