//! The facts the harness needs about the kernel and the probe's own confinement, gathered
//! inside the container: what seccomp mode and filters are in force, what the kernel supports,
//! and with which capabilities the cases run.

use flate2::read::GzDecoder;
use seccomp_catalog::record::{HostRecord, RunMode};
use std::io::Read;

/// Every SECCOMP_RET_* action (linux/seccomp.h), named as /proc/sys/kernel/seccomp/actions_avail
/// names them.
const ACTIONS: &[(&str, u32)] = &[
    ("kill_process", 0x8000_0000),
    ("kill_thread", 0x0000_0000),
    ("trap", 0x0003_0000),
    ("errno", 0x0005_0000),
    ("user_notif", 0x7fc0_0000),
    ("trace", 0x7ff0_0000),
    ("log", 0x7ffc_0000),
    ("allow", 0x7fff_0000),
];

const SECCOMP_GET_ACTION_AVAIL: u64 = 2;

/// `actions_mask` is [`actions_mask`]'s answer, asked by the caller (in a forked child when it
/// can, since a filter may kill `seccomp` itself).
pub fn gather(mode: RunMode, actions_mask: u32) -> HostRecord {
    let (kernel_release, machine) = uname();
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> Option<&str> {
        status.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|r| r.strip_prefix(':'))
                .map(str::trim)
        })
    };
    let num = |name: &str| field(name).and_then(|v| v.parse::<u32>().ok());
    let uid = field("Uid")
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        // SAFETY: getuid cannot fail.
        .unwrap_or_else(|| unsafe { libc::getuid() });
    let (config_seccomp, config_seccomp_filter) = kernel_config();
    HostRecord {
        kernel_release,
        machine,
        seccomp_mode: num("Seccomp"),
        seccomp_filters: num("Seccomp_filters"),
        no_new_privs: num("NoNewPrivs").map(|v| v != 0),
        cap_eff: field("CapEff").map(str::to_string),
        uid,
        actions_avail_proc: std::fs::read_to_string("/proc/sys/kernel/seccomp/actions_avail")
            .ok()
            .map(|s| s.split_whitespace().map(str::to_string).collect()),
        actions_avail_syscall: ACTIONS
            .iter()
            .enumerate()
            .filter(|(i, _)| actions_mask & (1 << i) != 0)
            .map(|(_, (name, _))| name.to_string())
            .collect(),
        config_seccomp,
        config_seccomp_filter,
        mode,
    }
}

fn uname() -> (String, String) {
    // SAFETY: uname fills the zeroed struct; the fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return (String::new(), String::new());
        }
        let s = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        (s(&u.release), s(&u.machine))
    }
}

/// The actions the kernel accepts, asked with seccomp(SECCOMP_GET_ACTION_AVAIL), as a bit per
/// entry of [`ACTIONS`]. Unlike the /proc file this works without /proc, but a filter may deny
/// `seccomp` itself, and then no bit is set.
pub fn actions_mask() -> u32 {
    let mut mask = 0;
    for (i, (_, action)) in ACTIONS.iter().enumerate() {
        let ok = crate::raw::sys(
            libc::SYS_seccomp,
            [
                SECCOMP_GET_ACTION_AVAIL,
                0,
                action as *const u32 as u64,
                0,
                0,
                0,
            ],
        )
        .is_ok();
        mask |= (ok as u32) << i;
    }
    mask
}

/// CONFIG_SECCOMP and CONFIG_SECCOMP_FILTER from /proc/config.gz; `None` for both when the file
/// is missing (CONFIG_IKCONFIG_PROC is off on many distributions) or unreadable.
fn kernel_config() -> (Option<bool>, Option<bool>) {
    let Ok(file) = std::fs::File::open("/proc/config.gz") else {
        return (None, None);
    };
    let mut text = String::new();
    if GzDecoder::new(file).read_to_string(&mut text).is_err() {
        return (None, None);
    }
    (
        Some(config_enabled(&text, "CONFIG_SECCOMP")),
        Some(config_enabled(&text, "CONFIG_SECCOMP_FILTER")),
    )
}

fn config_enabled(config: &str, name: &str) -> bool {
    config.lines().any(|l| {
        l.strip_prefix(name)
            .and_then(|r| r.strip_prefix('='))
            .is_some_and(|v| v == "y")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_lines_match_whole_names_only() {
        let cfg =
            "CONFIG_SECCOMP=y\n# CONFIG_SECCOMP_FILTER is not set\nCONFIG_SECCOMP_CACHE_DEBUG=y\n";
        assert!(config_enabled(cfg, "CONFIG_SECCOMP"));
        assert!(!config_enabled(cfg, "CONFIG_SECCOMP_FILTER"));
    }

    #[test]
    fn gathers_this_host() {
        let h = gather(RunMode::Fork, actions_mask());
        assert!(!h.kernel_release.is_empty());
        assert_eq!(h.machine, std::env::consts::ARCH);
        assert!(h.actions_avail_syscall.iter().any(|a| a == "allow"));
    }
}
