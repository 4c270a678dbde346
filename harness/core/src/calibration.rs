//! The calibration container: whether the runtime applies the profile at all, whether it keeps
//! a rule's errno, and which syscall names its libseccomp (or its own table:
//! [`runtime::Runtime::resolves_names_itself`]) knows.

use crate::assemble::JobResult;
use crate::profile::{Action, Arches, Filter, Format, Profile, Rule};
use crate::runtime;
use seccomp_catalog::{Arch, Catalog};
use std::collections::{BTreeMap, BTreeSet};

/// The syscalls numbered from 424 on (the same numbers on x86_64 and aarch64, the first
/// common numbering, Linux 5.1) are those an older libseccomp may not know. The calibration
/// container runs a profile with an ALLOW default and one ERRNO rule per candidate, each with
/// its own errno: a case that answers its errno names a known syscall; any other answer (the
/// filter let it through) an unknown one, whose rule the runtime ignored
/// ([`runtime::RuntimeModel`]). Measured with libseccomp 2.5.4 on Linux 6.18: statmount, listmount,
/// lsm_*, mseal, the *xattrat calls, open_tree_attr and file_getattr are unknown.
///
/// x86_64's newer `uretprobe` (335) and `uprobe` (336) can't be measured this way: the kernel
/// never hands them to a filter (see the oracle's `seccomp_exception`).
pub(crate) const CALIBRATION_MIN_NR: u64 = 424;
const CALIBRATION_ERRNO_BASE: u32 = 3000;
/// The control rule: a syscall every libseccomp and every runtime's own table know (getpgid,
/// Linux 1.0), which the probe's machinery never makes and which succeeds unconfined with the
/// catalog's arguments. If its rule has no effect, no rule of the profile has: the runtime
/// ignores profiles (one that applies them only when its arguments say so:
/// [`runtime::Runtime::known_by_program`]).
pub const CALIBRATION_CONTROL: &str = "getpgid";
const CALIBRATION_CONTROL_ERRNO: i32 = 2999;
const EPERM: i32 = 1;

/// What the calibration container measured about a runtime.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calibrated {
    /// The names whose rule had no effect while the control's did.
    pub unknown: BTreeSet<String>,
    /// The runtime answers EPERM where a rule asks for another errno
    /// ([`runtime::Runtime::rewritten_errno`]).
    pub errno_rewritten: bool,
    /// The control rule had no effect: what the control case answered instead.
    pub not_enforced: Option<String>,
}

/// The calibration container's profile and what each of its errnos stands for.
#[derive(Debug, Clone)]
pub struct Calibration {
    /// Default ALLOW, and an ERRNO rule per case with its own errno.
    pub(crate) profile: Profile,
    /// Case id (the plain native case, named as the syscall) → the errno its rule returns.
    pub cases: Vec<(String, i32)>,
}

impl Calibration {
    pub(crate) fn new(catalog: &Catalog, arch: Arch) -> Calibration {
        let native = arch.native_abi();
        let names: Vec<&str> = catalog
            .cases()
            .iter()
            .filter(|c| c.abi == native && c.id == c.syscall)
            .filter(|c| c.nr >= CALIBRATION_MIN_NR)
            .filter(|c| !runtime::CALIBRATION_SKIP.contains(&c.syscall))
            .map(|c| c.syscall)
            .collect();
        Calibration::of_names(catalog, names)
    }

    /// The calibration for a runtime that resolves names with a syscall table of its own, not
    /// libseccomp's, and whose table changes with its version
    /// ([`runtime::Runtime::resolves_names_itself`], with the names measured missing): every
    /// native syscall is a candidate. Left out: the probe's footprint and the machinery it
    /// can't do without (a denial would stop it), and calls that may block (an unknown name
    /// would let them sleep). Such a runtime makes no call under the filter, so nothing else
    /// must be spared.
    pub(crate) fn every_native_name(catalog: &Catalog, arch: Arch) -> Calibration {
        let native = arch.native_abi();
        use seccomp_catalog::own_calls::Role;
        // An errno on the other machinery moves the probe to its next option (down to
        // spinning on the clock), and no calibrated case blocks; these it can't do without.
        let spared: Vec<&str> = seccomp_catalog::own_calls::footprint(arch)
            .iter()
            .map(|f| f.syscall)
            .chain(
                [
                    Role::SignalHandlers,
                    Role::Fork,
                    Role::Lifeline,
                    Role::Reap,
                    Role::Write,
                    Role::Exit,
                ]
                .iter()
                .flat_map(|r| r.options(arch).iter().copied()),
            )
            .collect();
        let names: Vec<&str> = catalog
            .cases()
            .iter()
            .filter(|c| c.abi == native && c.id == c.syscall && !c.may_block)
            .filter(|c| c.syscall != CALIBRATION_CONTROL && !spared.contains(&c.syscall))
            .map(|c| c.syscall)
            .collect();
        Calibration::of_names(catalog, names)
    }

    fn of_names(catalog: &Catalog, mut names: Vec<&str>) -> Calibration {
        if names.is_empty() {
            return Calibration {
                profile: calibration_profile(&[]),
                cases: Vec::new(),
            };
        }
        let mut cases: Vec<(String, i32)> = names
            .drain(..)
            .enumerate()
            .map(|(i, n)| (n.to_string(), (CALIBRATION_ERRNO_BASE + i as u32) as i32))
            .collect();
        if catalog.get(CALIBRATION_CONTROL).is_some() {
            cases.insert(
                0,
                (CALIBRATION_CONTROL.to_string(), CALIBRATION_CONTROL_ERRNO),
            );
        }
        Calibration {
            profile: calibration_profile(&cases),
            cases,
        }
    }

    /// What the calibration run's errnos say (case id → errno, `None` for a case that
    /// returned without one). `None` when the run gave no record at all.
    ///
    /// The control first: its own errno means rules apply as written; EPERM means they apply
    /// but every errno is EPERM ([`runtime::Runtime::rewritten_errno`]), so EPERM then marks
    /// a known name too; anything else
    /// means the runtime ignores the profile, and no name can be judged.
    pub(crate) fn measure(&self, errnos: &BTreeMap<String, Option<i32>>) -> Option<Calibrated> {
        if errnos.is_empty() {
            return None;
        }
        let control = errnos.get(CALIBRATION_CONTROL).copied();
        let (errno_rewritten, not_enforced) = match control {
            None => (false, None),
            Some(Some(CALIBRATION_CONTROL_ERRNO)) => (false, None),
            Some(Some(EPERM)) => (true, None),
            Some(got) => (
                false,
                Some(format!(
                    "the calibration container's rule for {CALIBRATION_CONTROL} (SCMP_ACT_ERRNO {CALIBRATION_CONTROL_ERRNO}) had no effect: the call answered {}, as with no filter",
                    match got {
                        Some(e) => format!("errno {e}"),
                        None => "without an errno".to_string(),
                    }
                )),
            ),
        };
        let unknown = if not_enforced.is_some() {
            BTreeSet::new()
        } else {
            self.cases
                .iter()
                .filter(|(id, _)| id != CALIBRATION_CONTROL)
                .filter(|(id, e)| {
                    errnos.get(id).is_some_and(|got| {
                        *got != Some(*e) && !(errno_rewritten && *got == Some(EPERM))
                    })
                })
                .map(|(id, _)| id.clone())
                .collect()
        };
        Some(Calibrated {
            unknown,
            errno_rewritten,
            not_enforced,
        })
    }
}

/// What the calibration container measured. `None` when the container did not start or gave
/// no record (the oracle then assumes every name is known and the profile applied).
pub fn calibrate(calibration: &Calibration, result: &JobResult) -> Option<Calibrated> {
    if result.start_error.is_some() {
        return None;
    }
    let errnos: BTreeMap<String, Option<i32>> = result
        .records
        .iter()
        .map(|(id, r)| (id.clone(), r.errno))
        .collect();
    calibration.measure(&errnos)
}

/// A default-ALLOW profile with an ERRNO rule per `(name, errno)`.
fn calibration_profile(cases: &[(String, i32)]) -> Profile {
    Profile {
        format: Format::Docker,
        default_action: Some(Action::Allow),
        default_errno_ret: None,
        default_errno_name: None,
        arches: Arches::Unspecified,
        rules: cases
            .iter()
            .map(|(name, errno)| Rule {
                names: vec![name.clone()],
                action: Action::Errno,
                errno_ret: Some(*errno as u32),
                errno_name: None,
                args: Vec::new(),
                includes: Filter::default(),
                excludes: Filter::default(),
                comment: None,
            })
            .collect(),
        flags: Vec::new(),
        listener_path: None,
        listener_metadata: None,
    }
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
        let m = cal.measure(&got).unwrap();
        assert_eq!(
            m.unknown,
            BTreeSet::from(["listmount".to_string(), "mseal".to_string()])
        );
        assert!(!m.errno_rewritten);
        assert_eq!(m.not_enforced, None);
        assert_eq!(cal.measure(&BTreeMap::new()), None);
    }

    /// A runtime that answers EPERM for every errno ([`runtime::Runtime::rewritten_errno`],
    /// measured): every rule answers EPERM, so EPERM marks a known name; a name its table
    /// skips answers as unconfined.
    #[test]
    fn an_errno_rewritten_to_eperm_still_marks_a_known_name() {
        let cal = Calibration::new(&Catalog::for_arch(Arch::X86_64), Arch::X86_64);
        let mut got: BTreeMap<String, Option<i32>> = cal
            .cases
            .iter()
            .map(|(id, _)| (id.clone(), Some(1)))
            .collect();
        got.insert("mseal".into(), Some(38));
        let m = cal.measure(&got).unwrap();
        assert!(m.errno_rewritten);
        assert_eq!(m.not_enforced, None);
        assert_eq!(m.unknown, BTreeSet::from(["mseal".to_string()]));
    }

    /// A runtime that ignores the profile ([`runtime::Runtime::known_by_program`]): no rule has
    /// an effect, the control's included.
    #[test]
    fn a_control_rule_without_effect_means_the_profile_is_not_enforced() {
        let cal = Calibration::new(&Catalog::for_arch(Arch::X86_64), Arch::X86_64);
        assert_eq!(cal.cases[0].0, CALIBRATION_CONTROL);
        let mut got: BTreeMap<String, Option<i32>> = cal
            .cases
            .iter()
            .map(|(id, _)| (id.clone(), Some(38)))
            .collect();
        got.insert(CALIBRATION_CONTROL.into(), None);
        let m = cal.measure(&got).unwrap();
        let why = m.not_enforced.unwrap();
        assert!(
            why.contains("getpgid") && why.contains("no effect"),
            "{why}"
        );
        assert!(m.unknown.is_empty(), "no name can be judged");
    }
}
