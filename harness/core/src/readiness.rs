//! Readiness for newer images: the syscalls this kernel implements that the engine's own
//! default profile (`builtin`) denies with EPERM rather than ENOSYS.
//!
//! An image built on a newer distribution calls what its libc knows. Where the kernel lacks a
//! call, or runc's stub answers ENOSYS (a number above the profile's highest), libc falls back
//! to an older call. EPERM means "you may not", so it can't, and the program breaks: the
//! standing "operation not permitted" reports against the Docker official images (clone3,
//! faccessat2, fchmodat2, statx). So the summary lists every plain native case whose builtin
//! cell is an errno EPERM from the filter (not the kernel's own answer: such cells are
//! `ambiguous`), where the unconfined baseline shows that the kernel implements the call.
//!
//! For each it says whether the runtime's libseccomp knows the name (from the calibration run,
//! `host.seccomp.runtime_unknown_syscalls`; a rule on an unknown name is dropped, so even a
//! newer profile would not help until libseccomp is upgraded) and from which upstream Docker
//! release the default allows it ([`crate::upstream`]).

use crate::matrix::{Cell, Matrix};
use crate::outcome::{Outcome, RuleRef};
use crate::profile::KernelVersion;
use seccomp_catalog::Arch;
use serde::{Deserialize, Serialize};

const EPERM: i32 = 1;

/// The readiness summary of one matrix. Part of the JSON matrix (an optional field, added
/// within schema_version 1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Readiness {
    /// The builtin configuration the entries come from.
    pub configuration: String,
    pub entries: Vec<Entry>,
    /// Said once for the whole summary where the builtin configuration's runtime answers
    /// EPERM for every errno (gVisor, measured by the calibration:
    /// `host.seccomp.errno_rewritten`): no denial there is ever ENOSYS, so a newer libc's
    /// ENOSYS fallbacks never happen, whatever the profile asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Entry {
    pub syscall: String,
    /// What decided the EPERM: the rule the upstream profile's tagged run attributed, else
    /// the prediction's; `None` where neither is known (builtin unpredicted).
    pub rule: Option<RuleRef>,
    /// Whether a rule of the upstream profile for this engine's release names the call, under
    /// any condition (capabilities, arguments). `false` is the new-syscall case: the profile
    /// predates the call, so its default action answers EPERM where ENOSYS was expected.
    /// `None` when no upstream profile is known for the engine.
    pub upstream_names_it: Option<bool>,
    /// Whether the runtime's libseccomp knows the name; `None` when not measured.
    pub libseccomp_knows: Option<bool>,
    /// The first upstream Docker release from which every later default allows the call;
    /// `None` when the newest does not.
    pub allowed_from: Option<String>,
    /// The last release that allowed it, where the newest no longer does (io_uring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_until: Option<String>,
}

impl Entry {
    /// `from Docker 25.0.0`, `allowed until 24.0.9, not since`, `never`.
    pub fn allowance(&self) -> String {
        match (&self.allowed_from, &self.allowed_until) {
            (Some(v), _) => format!("from Docker {v}"),
            (None, Some(u)) => format!("until Docker {u}, not since"),
            (None, None) => "in no release".into(),
        }
    }

    /// `yes`, `no`, `not measured`.
    pub fn knows(&self) -> &'static str {
        match self.libseccomp_knows {
            Some(true) => "yes",
            Some(false) => "no",
            None => "not measured",
        }
    }

    /// `defaultAction`, `syscalls[12]`, `unknown`.
    pub fn by(&self) -> String {
        self.rule
            .map_or_else(|| "unknown".into(), |r| r.to_string())
    }
}

/// The builtin configuration with Docker's default capabilities, else the first builtin one.
fn builtin_configuration(matrix: &Matrix) -> Option<&str> {
    let builtins: Vec<_> = matrix
        .configurations
        .iter()
        .filter(|c| c.source == "builtin")
        .collect();
    builtins
        .iter()
        .find(|c| c.caps.is_empty())
        .or(builtins.first())
        .map(|c| c.id.as_str())
}

/// A builtin cell that says "EPERM from the filter, on a call the kernel has".
fn is_eperm_denial(cell: &Cell, baseline: Option<&Cell>) -> bool {
    let denied = cell.observed.outcome == Outcome::Errno && cell.observed.errno == Some(EPERM);
    // The baseline's cell is `allowed` or `absent` (unconfined); without one the observed
    // EPERM already differs from the kernel's answer, which classification checked.
    let implemented = baseline.is_none_or(|b| b.observed.outcome != Outcome::Absent);
    denied && implemented
}

/// Computes the summary from the matrix: its builtin column, its unconfined column with the
/// same capabilities as the baseline, the runtime's unknown names, and the upstream data.
/// `None` when the matrix has no builtin configuration.
pub fn of(matrix: &Matrix) -> Option<Readiness> {
    let configuration = builtin_configuration(matrix)?;
    let caps = matrix.configuration(configuration)?.caps.clone();
    let unconfined = matrix
        .configurations
        .iter()
        .find(|c| c.source == "unconfined" && c.caps == caps)
        .map(|c| c.id.as_str());
    let arch = Arch::parse(&matrix.host.arch);
    let native = arch.map(|a| a.native_abi().name().to_string());
    let denied: Vec<&Cell> = matrix
        .cells_of(configuration)
        .filter(|c| c.case == c.syscall && Some(&c.abi) == native.as_ref())
        .filter(|c| is_eperm_denial(c, unconfined.and_then(|u| matrix.cell(u, &c.case))))
        .collect();
    let names: Vec<&str> = denied.iter().map(|c| c.syscall.as_str()).collect();
    let kernel = KernelVersion::parse_release(&matrix.host.kernel).ok();
    let allowance = match (arch, kernel) {
        (Some(a), Some(k)) => crate::upstream::docker_allowance(a, k, &names),
        _ => Vec::new(),
    };
    let unknown = matrix.host.seccomp.runtime_unknown_syscalls.as_ref();
    let upstream = crate::upstream::default_for(&matrix.host.engine, &matrix.host.engine_version)
        .ok()
        .map(crate::upstream::profile_of);
    let mut entries: Vec<Entry> = denied
        .iter()
        .map(|c| {
            let a = allowance
                .iter()
                .find(|(n, _)| *n == c.syscall)
                .map(|(_, a)| a);
            Entry {
                syscall: c.syscall.clone(),
                rule: c.observed.rule.or(c.expected.rule),
                upstream_names_it: upstream
                    .as_ref()
                    .map(|p| p.rules.iter().any(|r| r.names.contains(&c.syscall))),
                libseccomp_knows: unknown.map(|u| !u.contains(&c.syscall)),
                allowed_from: a.and_then(|a| a.from.clone()),
                allowed_until: a.and_then(|a| a.until.clone()),
            }
        })
        .collect();
    // The new-syscall cases first: a newer libc calls them without a second thought.
    entries.sort_by_key(|e| e.upstream_names_it == Some(true));
    let runtime = matrix
        .configuration(configuration)
        .and_then(|c| c.runtime.clone())
        .unwrap_or_else(|| matrix.host.runtime.clone());
    let note = matrix
        .host
        .seccomp
        .errno_rewritten
        .contains(&runtime)
        .then(|| {
            format!(
                "on {runtime} every denial is EPERM (it answers EPERM for every SCMP_ACT_ERRNO, whatever errnoRet says: measured by the calibration), so a newer libc's ENOSYS fallbacks never happen there: an image breaks on every call the profile denies, not only on these"
            )
        });
    Some(Readiness {
        configuration: configuration.to_string(),
        entries,
        note,
    })
}

/// The summary a renderer shows: the one the run stored, else computed from the cells (a
/// matrix written before the summary existed).
pub fn of_matrix(matrix: &Matrix) -> Option<Readiness> {
    matrix.readiness.clone().or_else(|| of(matrix))
}

/// How the summary changed between two matrices (for `diff`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Newly denied with EPERM.
    pub added: Vec<Entry>,
    /// No longer denied with EPERM.
    pub removed: Vec<Entry>,
    /// Listed on both sides, with another rule, libseccomp knowledge or release.
    pub changed: Vec<(Entry, Entry)>,
}

impl Change {
    pub fn between(old: Option<&Readiness>, new: Option<&Readiness>) -> Change {
        let empty = Vec::new();
        let old = old.map_or(&empty, |r| &r.entries);
        let new = new.map_or(&empty, |r| &r.entries);
        let find = |list: &[Entry], s: &str| list.iter().find(|e| e.syscall == s).cloned();
        Change {
            added: new
                .iter()
                .filter(|e| find(old, &e.syscall).is_none())
                .cloned()
                .collect(),
            removed: old
                .iter()
                .filter(|e| find(new, &e.syscall).is_none())
                .cloned()
                .collect(),
            changed: new
                .iter()
                .filter_map(|e| {
                    find(old, &e.syscall)
                        .filter(|o| o != e)
                        .map(|o| (o, e.clone()))
                })
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.changed.is_empty()
    }

    /// One line per change: `+ lsm_list_modules: EPERM by defaultAction; …`, `- io_uring_setup`,
    /// `~ mseal: libseccomp knows it no -> yes`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.added {
            out.push(format!("+ {}: now EPERM ({})", e.syscall, e.summary()));
        }
        for e in &self.removed {
            out.push(format!("- {}: no longer EPERM", e.syscall));
        }
        for (o, n) in &self.changed {
            out.push(format!(
                "~ {}: {} -> {}",
                n.syscall,
                o.summary(),
                n.summary()
            ));
        }
        out
    }
}

impl Entry {
    /// `by defaultAction; the runtime's libseccomp knows it: yes; upstream's default allows it from Docker 28.0.0`.
    pub fn summary(&self) -> String {
        format!(
            "by {}; upstream names it: {}; the runtime's libseccomp knows it: {}; upstream's default allows it {}",
            self.by(),
            self.naming(),
            self.knows(),
            self.allowance()
        )
    }
}

/// The summary's heading line, shared by the text formats.
pub fn headline(r: &Readiness) -> String {
    match &r.note {
        Some(note) => format!("{}; {note}", counted(r)),
        None => counted(r),
    }
}

fn counted(r: &Readiness) -> String {
    let unnamed = r
        .entries
        .iter()
        .filter(|e| e.upstream_names_it == Some(false))
        .count();
    match r.entries.len() {
        0 => format!(
            "readiness: {} denies no implemented syscall with EPERM",
            r.configuration
        ),
        n => format!(
            "readiness: {} denies {n} implemented {} with EPERM, not ENOSYS, so a newer image's libc can't fall back; {unnamed} named by no rule of the upstream profile (its default action answers)",
            r.configuration,
            if n == 1 { "syscall" } else { "syscalls" },
        ),
    }
}

impl Entry {
    /// `not named (default action)`, `named by a rule`, `unknown`.
    pub fn naming(&self) -> &'static str {
        match self.upstream_names_it {
            Some(false) => "no: the default action answers",
            Some(true) => "yes, under conditions not met here",
            None => "no upstream profile",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{cell, exp, matrix, obs};

    fn sample() -> Matrix {
        let mut confs = vec![
            crate::matrix::fixture::configuration("builtin"),
            crate::matrix::fixture::configuration("unconfined"),
        ];
        confs[0].source = "builtin".into();
        confs[1].source = "unconfined".into();
        let eperm = || obs(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));
        let e = || exp(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));
        let mut m = matrix(
            &[],
            vec![
                cell("builtin", "lsm_list_modules", eperm(), e()),
                cell(
                    "unconfined",
                    "lsm_list_modules",
                    obs(Outcome::Allowed, None, None),
                    e(),
                ),
                // The kernel lacks it: not a readiness problem.
                cell("builtin", "uselib", eperm(), e()),
                cell(
                    "unconfined",
                    "uselib",
                    obs(Outcome::Absent, Some(38), None),
                    e(),
                ),
                // The kernel's own EPERM (capabilities): ambiguous, not listed.
                cell(
                    "builtin",
                    "reboot",
                    obs(Outcome::Ambiguous, Some(1), None),
                    e(),
                ),
                // A variant and a compat case are not plain native calls.
                cell("builtin", "socket(AF_VSOCK)", eperm(), e()),
                cell("builtin", "i386:keyctl", eperm(), e()),
                cell(
                    "builtin",
                    "clone3",
                    obs(Outcome::Errno, Some(38), None),
                    e(),
                ),
            ],
        );
        m.configurations = confs;
        m.host.seccomp.runtime_unknown_syscalls = Some(vec!["lsm_list_modules".into()]);
        m.host.kernel = "6.18.44".into();
        m
    }

    #[test]
    fn lists_implemented_calls_the_builtin_profile_denies_with_eperm() {
        let r = of(&sample()).unwrap();
        assert_eq!(r.configuration, "builtin");
        let names: Vec<_> = r.entries.iter().map(|e| e.syscall.as_str()).collect();
        assert_eq!(names, ["lsm_list_modules"]);
        let e = &r.entries[0];
        assert_eq!(e.libseccomp_knows, Some(false));
        assert_eq!(e.allowed_from, None);
        assert_eq!(e.allowance(), "in no release");
        assert_eq!(e.by(), "defaultAction");
        assert!(headline(&r).contains("1 implemented syscall"));
        // The fixture's engine is Docker 25.0.3, whose default never names lsm_list_modules.
        assert_eq!(e.upstream_names_it, Some(false));
    }

    #[test]
    fn every_format_shows_the_summary() {
        use crate::report::{render, Format, Options};
        let mut m = sample();
        m.readiness = of(&m);
        for format in Format::ALL {
            let text = render(format, &m, &Options::default());
            assert!(
                text.contains("readiness") && text.contains("lsm_list_modules"),
                "{}: {text}",
                format.name()
            );
        }
        // A matrix written before the summary existed gets it computed.
        m.readiness = None;
        let md = render(Format::Markdown, &m, &Options::default());
        assert!(md.contains("#### Readiness"), "{md}");
    }

    #[test]
    fn no_builtin_no_summary() {
        let m = matrix(&["p"], vec![]);
        assert_eq!(of(&m), None);
    }

    #[test]
    fn changes_between_two_summaries() {
        let old = of(&sample()).unwrap();
        let mut new = old.clone();
        new.entries[0].libseccomp_knows = Some(true);
        new.entries.push(Entry {
            syscall: "mseal".into(),
            rule: None,
            upstream_names_it: None,
            libseccomp_knows: None,
            allowed_from: Some("28.0.0".into()),
            allowed_until: None,
        });
        let c = Change::between(Some(&old), Some(&new));
        assert_eq!(c.added.len(), 1);
        assert_eq!(c.changed.len(), 1);
        assert!(c.removed.is_empty());
        assert!(Change::between(Some(&old), Some(&old)).is_empty());
        let gone = Change::between(Some(&old), None);
        assert_eq!(gone.removed.len(), 1);
    }
}
