//! Start failures that the profile did not cause: the container's capabilities, its image, its
//! cgroup, the engine. Without this a configuration that can't start anywhere was described as
//! a seccomp problem (the note said that the profile allows every call the harness knows the
//! runtime to make), which points the user at the wrong file.
//!
//! Measured on this project's host (Docker 20.10.24 and its runtime,
//! [`crate::runtime::Runtime::default`]): `run builtin --cap-add ALL` fails every
//! configuration with the runtime's capability error ([`runtime::CAPABILITY_FAILURES`]), the
//! unconfined baseline with the same capabilities too, because the host's capability bounding
//! set (`CapBnd` of /proc/self/status: `000001fffeffffff`) lacks bit 24, CAP_SYS_RESOURCE, and
//! no process can gain a capability outside its bounding set (capabilities(7)).

use crate::profile::caps::ALL_CAPS;
use crate::profile::CapSet;
use crate::runtime;

/// What the runtime's message says went wrong, where it is not the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Capabilities,
    Image,
    Cgroup,
    Engine,
}

/// Fragments of the engines' messages, lower-cased, per kind, after the runtime's own for
/// capabilities ([`runtime::CAPABILITY_FAILURES`]): images: "exec format error", "no such image",
/// "executable file not found"; cgroups: any "cgroup" ("failed to write … cgroup.procs",
/// "cgroups: cgroup mountpoint does not exist"); engines: "unknown runtime", "no such
/// container", "is not running", and the harness's "stuck in Created" (a start that did not
/// return within its deadline twice, where no kill of the runtime's calls was predicted).
const PATTERNS: &[(Kind, &str)] = &[
    (Kind::Image, "exec format error"),
    (Kind::Image, "no such image"),
    (Kind::Image, "executable file not found"),
    (Kind::Image, "image not known"),
    (Kind::Cgroup, "cgroup"),
    (Kind::Engine, "unknown runtime"),
    (Kind::Engine, "runtime not found"),
    (Kind::Engine, "no such container"),
    // The harness's own words for a start that never returned, twice, in a configuration not
    // predicted to hang the runtime (engine/container.rs).
    (Kind::Engine, "stuck in created"),
];

fn kind_of(message: &str) -> Option<Kind> {
    let lower = message.to_ascii_lowercase();
    if runtime::CAPABILITY_FAILURES
        .iter()
        .any(|p| lower.contains(p))
    {
        return Some(Kind::Capabilities);
    }
    PATTERNS
        .iter()
        .find(|(_, p)| lower.contains(p))
        .map(|(k, _)| *k)
}

/// The capabilities of `caps` missing from a bounding set (`CapBnd`, bit n = capability n).
pub fn outside_bounding_set(caps: &CapSet, bounding: u64) -> Vec<&'static str> {
    caps.iter()
        .filter(|c| {
            ALL_CAPS
                .iter()
                .position(|a| a == c)
                .is_some_and(|bit| bit < 64 && bounding & (1 << bit) == 0)
        })
        .collect()
}

/// Reads `CapBnd:` from a /proc/PID/status text.
pub fn parse_cap_bnd(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// The cause of a start failure when it is not the profile, for the cells' note; `None` when
/// nothing says so (then the profile, or an unknown cause, is the candidate).
/// - `caps`: the configuration's capability set;
/// - `bounding`: the capability bounding set where the engine runs, where known;
/// - `baseline_error`: the unconfined baseline's start error with the same capabilities (the
///   same failure with no filter at all proves the filter innocent). `None` when it started.
pub fn outside_seccomp(
    message: &str,
    caps: &CapSet,
    bounding: Option<u64>,
    baseline_error: Option<&str>,
) -> Option<String> {
    let baseline = baseline_error.map(|_| {
        "; the unconfined baseline with the same capabilities failed to start too".to_string()
    });
    let baseline = baseline.unwrap_or_default();
    let cause =
        match kind_of(message) {
            Some(Kind::Capabilities) => {
                let missing = bounding
                    .map(|b| outside_bounding_set(caps, b))
                    .unwrap_or_default();
                if missing.is_empty() {
                    "the runtime could not give the container its capabilities: a capability it \
                 asks for is outside the engine's capability bounding set"
                        .to_string()
                } else {
                    format!(
                        "the runtime could not give the container its capabilities: this host's \
                     capability bounding set lacks {}, which the configuration asks for (a \
                     process can't gain a capability outside its bounding set); drop {} or \
                     run the engine with {} in its bounding set",
                        missing.join(", "),
                        missing
                            .iter()
                            .map(|c| c.trim_start_matches("CAP_"))
                            .collect::<Vec<_>>()
                            .join(", "),
                        if missing.len() == 1 { "it" } else { "them" }
                    )
                }
            }
            Some(Kind::Image) => "the probe image or its binary (not the profile)".to_string(),
            Some(Kind::Cgroup) => {
                "the container's cgroup (its memory and pids limits), not the profile".to_string()
            }
            Some(Kind::Engine) => {
                "the engine or its runtime configuration, not the profile".to_string()
            }
            None if baseline_error.is_some() => return Some(
                "not caused by the profile: the unconfined baseline with the same capabilities \
                 failed to start too"
                    .to_string(),
            ),
            None => return None,
        };
    Some(format!("not caused by the profile: {cause}{baseline}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::runtime::testing::CAPABILITY_FAILURE;

    #[test]
    fn cap_add_all_on_this_host_names_cap_sys_resource() {
        let all = CapSet::all();
        // This project's host: every capability but bit 24.
        let bnd = parse_cap_bnd("Name:\tx\nCapBnd:\t000001fffeffffff\n").unwrap();
        assert_eq!(outside_bounding_set(&all, bnd), vec!["CAP_SYS_RESOURCE"]);
        let note = outside_seccomp(
            CAPABILITY_FAILURE,
            &all,
            Some(bnd),
            Some(CAPABILITY_FAILURE),
        )
        .unwrap();
        assert!(note.contains("lacks CAP_SYS_RESOURCE"), "{note}");
        assert!(note.contains("baseline"), "{note}");
        assert!(!note.contains("seccomp"), "{note}");
    }

    #[test]
    fn without_the_bounding_set_the_capabilities_are_still_named_as_the_cause() {
        let note = outside_seccomp(CAPABILITY_FAILURE, &CapSet::all(), None, None).unwrap();
        assert!(note.contains("bounding set"), "{note}");
        // The default set fits any bounding set that holds it.
        let bnd = parse_cap_bnd("CapBnd:\t000001fffeffffff").unwrap();
        assert!(outside_bounding_set(&CapSet::docker_default(), bnd).is_empty());
    }

    #[test]
    fn image_cgroup_and_engine_errors_are_named() {
        let d = CapSet::docker_default();
        for (msg, word) in [
            ("exec /seccomp-probe: exec format error", "image"),
            (
                "failed to write 1 to cgroup.procs: permission denied",
                "cgroup",
            ),
            (
                "Error response from daemon: unknown runtime specified rt-b",
                "engine",
            ),
            (
                "stuck in Created: the runtime did not start the container within 60 s, twice",
                "engine",
            ),
        ] {
            let note = outside_seccomp(msg, &d, None, None).unwrap();
            assert!(note.contains(word), "{msg}: {note}");
        }
    }

    #[test]
    fn a_filter_failure_is_left_to_the_profile_unless_the_baseline_failed_too() {
        let d = CapSet::docker_default();
        let msg = "cannot start a stopped process: unknown";
        assert_eq!(outside_seccomp(msg, &d, None, None), None);
        assert!(outside_seccomp(msg, &d, None, Some(msg))
            .unwrap()
            .contains("baseline"));
    }
}
