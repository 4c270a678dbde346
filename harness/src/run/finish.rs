//! What the finish step reads where the harness runs: the engine's facts as host facts and
//! the capability bounding set. The step itself ([`seccomp_harness_core::finish`]) is pure.

use crate::engine::EngineFacts;
use seccomp_harness_core::finish::Readings;

/// The finish step's readings for a run on the engine whose facts are `facts`.
pub(super) fn readings(facts: &EngineFacts) -> Readings<'_> {
    Readings {
        host_facts: Box::new(|probe| facts.host_facts(probe)),
        bounding_set: bounding_set(),
    }
}

/// The capability bounding set where the harness runs (`CapBnd` of /proc/self/status): a
/// local engine's runtime starts containers under the same one, so a capability missing here
/// is one no container of that engine can hold. `None` where /proc can't tell.
fn bounding_set() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| seccomp_harness_core::start_failure::parse_cap_bnd(&s))
}
