//! The calibration container: which syscall names the runtime's libseccomp knows.

use super::assemble::JobResult;
use seccomp_catalog::{Arch, Catalog};
use std::collections::{BTreeMap, BTreeSet};

/// The syscalls numbered from 424 on (the same numbers on x86_64 and aarch64, the first
/// common numbering, Linux 5.1) are those an older libseccomp may not know. The calibration
/// container runs a profile with an ALLOW default and one ERRNO rule per candidate, each with
/// its own errno: a case that answers its errno names a known syscall; any other answer (the
/// filter let it through) an unknown one, which runc dropped (`matchCall`: "unknown seccomp
/// syscall ignored"). Measured with libseccomp 2.5.4 on Linux 6.18: statmount, listmount,
/// lsm_*, mseal, the *xattrat calls, open_tree_attr and file_getattr are unknown.
///
/// x86_64's newer `uretprobe` (335) and `uprobe` (336) can't be measured this way: the kernel
/// never hands them to a filter (see the oracle's `seccomp_exception`).
pub const CALIBRATION_MIN_NR: u64 = 424;
/// Calls runc (or its Go runtime) may make after it loads the filter, where an errno would
/// stop the container (see `oracle::RUNTIME_NEEDS`): never calibrated, assumed known.
const CALIBRATION_SKIP: &[&str] = &[
    "pidfd_send_signal",
    "pidfd_open",
    "clone3",
    "close_range",
    "openat2",
    "pidfd_getfd",
    "faccessat2",
];
const CALIBRATION_ERRNO_BASE: u32 = 3000;

/// The calibration container's profile and what each of its errnos stands for.
#[derive(Debug, Clone)]
pub struct Calibration {
    pub json: String,
    /// Case id (the plain native case, named as the syscall) → the errno its rule returns.
    pub cases: Vec<(String, i32)>,
}

impl Calibration {
    pub(super) fn new(catalog: &Catalog, arch: Arch) -> Calibration {
        let native = arch.native_abi();
        let names: Vec<&str> = catalog
            .cases()
            .iter()
            .filter(|c| c.abi == native && c.id == c.syscall)
            .filter(|c| c.nr >= CALIBRATION_MIN_NR)
            .filter(|c| !CALIBRATION_SKIP.contains(&c.syscall))
            .map(|c| c.syscall)
            .collect();
        let cases: Vec<(String, i32)> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.to_string(), (CALIBRATION_ERRNO_BASE + i as u32) as i32))
            .collect();
        let rules: Vec<serde_json::Value> = cases
            .iter()
            .map(|(n, e)| {
                serde_json::json!({"names": [n], "action": "SCMP_ACT_ERRNO", "errnoRet": e})
            })
            .collect();
        let json = serde_json::to_string_pretty(&serde_json::json!({
            "defaultAction": "SCMP_ACT_ALLOW",
            "syscalls": rules,
        }))
        .expect("a JSON value serializes");
        Calibration { json, cases }
    }

    /// The names the runtime's libseccomp doesn't know, from the calibration run's errnos
    /// (case id → errno, `None` for a case that returned without one). `None` when the run
    /// gave no record at all.
    pub fn unknown_names(
        &self,
        errnos: &BTreeMap<String, Option<i32>>,
    ) -> Option<BTreeSet<String>> {
        if errnos.is_empty() {
            return None;
        }
        Some(
            self.cases
                .iter()
                .filter(|(id, e)| errnos.get(id).is_some_and(|got| *got != Some(*e)))
                .map(|(id, _)| id.clone())
                .collect(),
        )
    }
}

/// The names the runtime's libseccomp doesn't know, from the calibration container's result.
/// `None` when the container did not start or gave no record (the oracle then assumes every
/// name is known).
pub fn calibrate(calibration: &Calibration, result: &JobResult) -> Option<BTreeSet<String>> {
    if result.start_error.is_some() {
        return None;
    }
    let errnos: BTreeMap<String, Option<i32>> = result
        .records
        .iter()
        .map(|(id, r)| (id.clone(), r.errno))
        .collect();
    calibration.unknown_names(&errnos)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calibration_finds_the_names_that_did_not_answer_their_errno() {
        let cal = Calibration::new(&Catalog::for_arch(Arch::X86_64), Arch::X86_64);
        let errno_of = |id: &str| cal.cases.iter().find(|(c, _)| c == id).unwrap().1;
        let mut got: BTreeMap<String, Option<i32>> = cal
            .cases
            .iter()
            .map(|(id, e)| (id.clone(), Some(*e)))
            .collect();
        got.insert("mseal".into(), Some(22));
        got.insert("listmount".into(), None);
        assert!(errno_of("mseal") as u32 >= CALIBRATION_ERRNO_BASE);
        assert_eq!(
            cal.unknown_names(&got).unwrap(),
            BTreeSet::from(["listmount".to_string(), "mseal".to_string()])
        );
        assert_eq!(cal.unknown_names(&BTreeMap::new()), None);
    }
}
