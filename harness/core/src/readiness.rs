//! Readiness for newer images: the syscalls this kernel implements that the engine's own
//! default profile (`builtin`) denies with EPERM rather than ENOSYS.
//!
//! An image built on a newer distribution calls what its libc knows. Where the kernel lacks a
//! call, or the runtime's ENOSYS stub answers (a number above the profile's highest), libc
//! falls back to an older call. EPERM means "you may not", so it can't, and the program breaks:
//! the standing "operation not permitted" reports against the Docker official images (clone3,
//! faccessat2, fchmodat2, statx). So the summary lists every plain native case whose builtin
//! cell is an errno EPERM from the filter (not the kernel's own answer: such cells are
//! `ambiguous`), where the unconfined baseline shows that the kernel implements the call.
//!
//! For each it says whether the runtime's libseccomp knows the name (from the calibration run,
//! `host.seccomp.runtime_unknown_syscalls`; a rule on an unknown name is dropped, so even a
//! newer profile would not help until libseccomp is upgraded) and from which upstream Docker
//! release the default allows it ([`crate::upstream`]).
//!
//! Most of those calls (reboot, mount, swapon) are ones no userspace falls back from. The ones
//! that matter are in [`crate::fallbacks`]: a userspace that tries the call first and falls back
//! only on ENOSYS breaks on this EPERM. Each entry says which listed userspace it breaks (or
//! which copes, taking EPERM as "not supported" too, or which fails either way because its
//! fallback is denied as well), and carries the rule that makes the call answer ENOSYS
//! instead. The summary leads with those and folds the rest into a count.

use crate::engine_kind::EngineKind;
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
    /// Said once for the whole summary where the builtin configuration's runtime answers EPERM
    /// for every errno (measured by the calibration: `host.seccomp.errno_rewritten`): no denial
    /// there is ever ENOSYS, so a newer libc's ENOSYS fallbacks never happen, whatever the
    /// profile asks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The rules that make every call some listed userspace breaks on answer ENOSYS (one per
    /// set of exclusions), to add to the profile's `syscalls`; empty when none breaks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fix: Vec<FixRule>,
    /// The calls of listed userspace ([`crate::fallbacks`]) that this configuration answers
    /// with ENOSYS where the kernel has them: there the fallback works.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enosys: Vec<String>,
    /// Where [`Readiness::fix`] goes: which profile to copy and how to pass it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_placement: Option<String>,
}

/// A Docker profile rule, as it goes in `syscalls`: `{"names": ["clone3"], "action":
/// "SCMP_ACT_ERRNO", "errnoRet": 38}`, with `excludes.caps` where the profile allows the call
/// under those capabilities (two rules on one name that both apply fail the container's start).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct FixRule {
    pub names: Vec<String>,
    pub action: String,
    #[serde(rename = "errnoRet")]
    pub errno_ret: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excludes: Option<FixExcludes>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct FixExcludes {
    pub caps: Vec<String>,
}

impl FixRule {
    /// The rule as one line of JSON, ready to paste into `syscalls`.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a rule serializes")
    }
}

/// What an EPERM does to one listed userspace ([`crate::fallbacks`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    /// It falls back only on other errors (ENOSYS): it fails where ENOSYS would have worked.
    Breaks,
    /// It would fall back on ENOSYS, but its fallback call is denied here too.
    FailsEitherWay,
    /// It takes EPERM as "not supported" too and falls back.
    Copes,
}

/// One listed userspace that calls the syscall first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Affected {
    /// `glibc`, `util-linux`, `Go`, `Rust std`.
    pub userspace: String,
    /// The first release that calls it this way.
    pub since: String,
    /// The functions or programs that make the call.
    pub callers: Vec<String>,
    /// What it does instead when the call is not supported.
    pub fallback: String,
    /// The errors it takes for "not supported": `ENOSYS`, `ENOSYS or EPERM`, `any error`.
    pub not_supported: String,
    pub effect: Effect,
    /// The decision's file and line in the project's source: `glibc-2.34:sysdeps/…:55`.
    pub source: String,
}

impl Affected {
    /// `glibc ≥ 2.34 pthread_create, posix_spawn`.
    pub(crate) fn who(&self) -> String {
        crate::fallbacks::who(&self.userspace, &self.since, &self.callers)
    }

    /// `breaks (falls back to clone only on ENOSYS)`, `copes (falls back on ENOSYS or EPERM)`,
    /// `fails either way (falls back to mount on ENOSYS, and mount is denied too)`.
    pub(crate) fn effect_text(&self) -> String {
        match self.effect {
            Effect::Breaks => format!(
                "breaks: falls back to {} only on {}",
                self.fallback, self.not_supported
            ),
            Effect::FailsEitherWay => format!(
                "fails either way: falls back to {} on {}, and {} is denied too",
                self.fallback, self.not_supported, self.fallback
            ),
            Effect::Copes => format!(
                "copes: falls back to {} on {}",
                self.fallback, self.not_supported
            ),
        }
    }
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
    /// The first upstream release of the engine (Docker's unless [`Entry::history`] names
    /// another) from which every later default allows the call; `None` when the newest does not.
    pub allowed_from: Option<String>,
    /// The last release that allowed it, where the newest no longer does (io_uring).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_until: Option<String>,
    /// Whose releases `allowed_from` and `allowed_until` name: `containerd` (its
    /// RuntimeDefault) on a Kubernetes node, `podman` (the containers-common each release
    /// vendors) on a Podman engine; absent for Docker's `default.json` history.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// Listed userspace ([`crate::fallbacks`]) that calls this syscall first: what this EPERM
    /// does to each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userspace: Vec<Affected>,
    /// The rule that makes this call answer ENOSYS, where some listed userspace breaks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixRule>,
}

impl Entry {
    /// The listed userspace this EPERM breaks.
    pub fn breaks(&self) -> impl Iterator<Item = &Affected> {
        self.userspace.iter().filter(|a| a.effect == Effect::Breaks)
    }

    /// 0 where some listed userspace breaks, 1 where one fails either way, 2 where one copes,
    /// 3 where none is listed: the order the summary shows them in.
    fn rank(&self) -> u8 {
        self.userspace
            .iter()
            .map(|a| a.effect as u8)
            .min()
            .unwrap_or(3)
    }
}

impl Entry {
    /// `from Docker 25.0.0`, `until containerd 1.7.30, not since`, `in no release`.
    pub(crate) fn allowance(&self) -> String {
        let engine = self.history.as_deref().unwrap_or("Docker");
        match (&self.allowed_from, &self.allowed_until) {
            (Some(v), _) => format!("from {engine} {v}"),
            (None, Some(u)) => format!("until {engine} {u}, not since"),
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
    let release =
        crate::upstream::default_for(&matrix.host.engine, &matrix.host.engine_version).ok();
    let upstream = release.map(crate::upstream::profile_of);
    let mut entries = entries(matrix, configuration, unconfined, upstream.as_ref());
    // What breaks first, then the new-syscall cases: a newer libc calls them without a second
    // thought.
    entries.sort_by_key(|e| (e.rank(), e.upstream_names_it == Some(true)));
    let fix = merged_fixes(&entries);
    let fix_placement = (!fix.is_empty()).then(|| fix_placement(matrix, release, &entries));
    Some(Readiness {
        configuration: configuration.to_string(),
        entries,
        note: every_errno_eperm_note(matrix, configuration),
        fix,
        enosys: enosys_fallbacks(matrix, configuration, unconfined),
        fix_placement,
    })
}

/// One entry per plain native case that `configuration` denies with EPERM where the kernel
/// has the call, in the order of the catalog; `upstream` is the engine's own default profile.
fn entries(
    matrix: &Matrix,
    configuration: &str,
    unconfined: Option<&str>,
    upstream: Option<&crate::profile::Profile>,
) -> Vec<Entry> {
    let arch = Arch::parse(&matrix.host.arch);
    let native = arch.map(|a| a.native_abi().name().to_string());
    let denied: Vec<&Cell> = matrix
        .cells_of(configuration)
        .filter(|c| c.case == c.syscall && Some(&c.abi) == native.as_ref())
        .filter(|c| is_eperm_denial(c, unconfined.and_then(|u| matrix.cell(u, &c.case))))
        .collect();
    let names: Vec<&str> = denied.iter().map(|c| c.syscall.as_str()).collect();
    let kernel = KernelVersion::parse_release(&matrix.host.kernel).ok();
    let engine = EngineKind::parse(&matrix.host.engine);
    let allowance = match (engine, arch, kernel) {
        (Some(e), Some(a), Some(k)) => crate::upstream::allowance(e, a, k, &names),
        _ => Vec::new(),
    };
    // Docker's history is the default one an entry leaves unnamed (the schema's first).
    let history = engine
        .filter(|e| *e != EngineKind::Docker)
        .map(|e| e.to_string());
    let unknown = matrix.host.seccomp.runtime_unknown_syscalls.as_ref();
    let denied_here = |syscall: &str| {
        matrix.cell(configuration, syscall).is_some_and(|c| {
            matches!(
                c.observed.outcome,
                Outcome::Errno | Outcome::Killed | Outcome::Trapped | Outcome::Ambiguous
            )
        })
    };
    denied
        .iter()
        .map(|c| {
            let a = allowance
                .iter()
                .find(|(n, _)| *n == c.syscall)
                .map(|(_, a)| a);
            let mut e = Entry {
                syscall: c.syscall.clone(),
                rule: c.observed.rule.or(c.expected.rule),
                upstream_names_it: upstream
                    .map(|p| p.rules.iter().any(|r| r.names.contains(&c.syscall))),
                libseccomp_knows: unknown.map(|u| !u.contains(&c.syscall)),
                allowed_from: a.and_then(|a| a.from.clone()),
                allowed_until: a.and_then(|a| a.until.clone()),
                history: history.clone(),
                userspace: affected(&c.syscall, &denied_here),
                fix: None,
            };
            if e.breaks().next().is_some() {
                e.fix = Some(fix_rule(vec![e.syscall.clone()], upstream));
            }
            e
        })
        .collect()
}

/// Where the fix goes: the engine's default profile to copy (`release`, where the data has
/// it), how to pass the copy, and which of the fixed names the runtime's libseccomp drops.
fn fix_placement(
    matrix: &Matrix,
    release: Option<&crate::upstream::Release>,
    entries: &[Entry],
) -> String {
    let unknown: Vec<&str> = entries
        .iter()
        .filter(|e| e.fix.is_some() && e.libseccomp_knows == Some(false))
        .map(|e| e.syscall.as_str())
        .collect();
    let profile = match release {
        Some(r) => format!(
            "a copy of {} {}'s default profile ({} at {}, kept as harness/data/upstream-defaults/{})",
            matrix.host.engine, matrix.host.engine_version, r.path, r.tag, r.file
        ),
        None => format!("a copy of {}'s default profile", matrix.host.engine),
    };
    // A node takes no profile on the command line: the pod names a Localhost file, which
    // containerd reads without `archMap`, `includes` or `excludes` (`profile::node`).
    let how = if EngineKind::parse(&matrix.host.engine) == Some(EngineKind::Containerd) {
        "give it to the pod as a Localhost profile (`seccompProfile: {type: Localhost, localhostProfile: THAT_FILE}`), after resolving its `archMap`, `includes` and `excludes` for the container, which containerd drops from the file"
    } else {
        "run with --security-opt seccomp=THAT_FILE"
    };
    let mut text = format!("add to the `syscalls` of {profile} and {how}");
    if !unknown.is_empty() {
        text.push_str(&format!(
            "; the runtime's libseccomp does not know {}, so it drops the rule until libseccomp is upgraded",
            unknown.join(", ")
        ));
    }
    text
}

/// The note said once where the builtin configuration's runtime answers EPERM for every
/// errno (measured by the calibration: `host.seccomp.errno_rewritten`).
fn every_errno_eperm_note(matrix: &Matrix, configuration: &str) -> Option<String> {
    let runtime = matrix
        .configuration(configuration)
        .and_then(|c| c.runtime.clone())
        .unwrap_or_else(|| matrix.host.runtime.clone());
    matrix
        .host
        .seccomp
        .errno_rewritten
        .contains(&runtime)
        .then(|| {
            format!(
                "on {runtime} every denial is EPERM (it answers EPERM for every SCMP_ACT_ERRNO, whatever errnoRet says: measured by the calibration), so a newer libc's ENOSYS fallbacks never happen there: an image breaks on every call the profile denies, not only on these"
            )
        })
}

/// The listed userspace's syscalls (each once) that `configuration` answers with ENOSYS from
/// the filter (a rule or the runtime's stub) where the unconfined baseline shows the kernel has
/// them.
fn enosys_fallbacks(matrix: &Matrix, configuration: &str, unconfined: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for f in &crate::fallbacks::data().fallbacks {
        if out.contains(&f.syscall) {
            continue;
        }
        let Some(c) = matrix.cell(configuration, &f.syscall) else {
            continue;
        };
        let enosys =
            c.observed.outcome == Outcome::Errno && c.observed.errno == Some(ENOSYS as i32);
        let implemented = unconfined
            .and_then(|u| matrix.cell(u, &f.syscall))
            .is_none_or(|b| b.observed.outcome != Outcome::Absent);
        if enosys && implemented {
            out.push(f.syscall.clone());
        }
    }
    out
}

const ENOSYS: u32 = 38;

/// What an EPERM on `syscall` does to each listed userspace; `denied` says whether a fallback
/// call is denied in the same configuration.
fn affected(syscall: &str, denied: &dyn Fn(&str) -> bool) -> Vec<Affected> {
    crate::fallbacks::for_syscall(syscall)
        .map(|f| {
            let effect = if f.not_supported.covers(EPERM) {
                Effect::Copes
            } else if f.fallback_call.as_deref().is_some_and(denied) {
                Effect::FailsEitherWay
            } else {
                Effect::Breaks
            };
            Affected {
                userspace: f.userspace.clone(),
                since: f.since.clone(),
                callers: f.callers.clone(),
                fallback: f.fallback.clone(),
                not_supported: f.not_supported.describe(),
                effect,
                source: f.cite(),
            }
        })
        .collect()
}

/// `{"names": names, "action": "SCMP_ACT_ERRNO", "errnoRet": 38}`, excluding the capabilities
/// under which the profile's rules allow any of the names (both rules would apply there, and
/// libseccomp refuses two actions for one call).
pub(crate) fn fix_rule(names: Vec<String>, profile: Option<&crate::profile::Profile>) -> FixRule {
    let mut caps: Vec<String> = profile
        .map(|p| {
            p.rules
                .iter()
                .filter(|r| r.names.iter().any(|n| names.contains(n)))
                .flat_map(|r| r.includes.caps.iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    caps.sort();
    caps.dedup();
    FixRule {
        names,
        action: "SCMP_ACT_ERRNO".into(),
        errno_ret: ENOSYS,
        excludes: (!caps.is_empty()).then_some(FixExcludes { caps }),
    }
}

/// The entries' rules, one per set of exclusions, names in the summary's order.
fn merged_fixes(entries: &[Entry]) -> Vec<FixRule> {
    let mut out: Vec<FixRule> = Vec::new();
    for f in entries.iter().filter_map(|e| e.fix.as_ref()) {
        match out.iter_mut().find(|o| o.excludes == f.excludes) {
            Some(o) => o.names.extend(f.names.iter().cloned()),
            None => out.push(f.clone()),
        }
    }
    out
}

/// The summary a renderer shows: the one the run stored, else computed from the cells (a
/// matrix written before the summary existed).
pub(crate) fn of_matrix(matrix: &Matrix) -> Option<Readiness> {
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
        let mut text = format!(
            "by {}; upstream names it: {}; the runtime's libseccomp knows it: {}; upstream's default allows it {}",
            self.by(),
            self.naming(),
            self.knows(),
            self.allowance()
        );
        for a in &self.userspace {
            text.push_str(&format!("; {} {} ({})", a.who(), a.effect_text(), a.source));
        }
        if let Some(f) = &self.fix {
            text.push_str(&format!("; fix: {}", f.json()));
        }
        text
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
    let breaking: Vec<String> = r
        .entries
        .iter()
        .flat_map(|e| {
            e.breaks().map(move |a| {
                format!(
                    "{} fails with EPERM here ({}, falls back only on {}; {})",
                    a.who(),
                    e.syscall,
                    a.not_supported,
                    a.source
                )
            })
        })
        .collect();
    if !breaking.is_empty() {
        let rest = r.entries.iter().filter(|e| e.rank() > 0).count();
        let unnamed = r
            .entries
            .iter()
            .filter(|e| e.rank() > 0 && e.upstream_names_it == Some(false))
            .count();
        return format!(
            "readiness: on {}, {}; and {rest} more implemented {} denied with EPERM that no listed userspace breaks on ({unnamed} named by no rule of the upstream profile)",
            r.configuration,
            breaking.join("; "),
            if rest == 1 { "syscall" } else { "syscalls" },
        );
    }
    let unnamed = r
        .entries
        .iter()
        .filter(|e| e.upstream_names_it == Some(false))
        .count();
    let either: Vec<String> = r
        .entries
        .iter()
        .flat_map(|e| {
            e.userspace
                .iter()
                .filter(|a| a.effect == Effect::FailsEitherWay)
                .map(move |a| format!("{} on {}", a.who(), e.syscall))
        })
        .collect();
    let either = if either.is_empty() {
        String::new()
    } else {
        format!(
            " ({} get EPERM where they expect ENOSYS, but the call they fall back to is denied too)",
            either.join("; ")
        )
    };
    match r.entries.len() {
        0 => format!(
            "readiness: {} denies no implemented syscall with EPERM",
            r.configuration
        ),
        n => format!(
            "readiness: {} denies {n} implemented {} with EPERM, not ENOSYS; no listed userspace breaks on them{either}; {unnamed} named by no rule of the upstream profile (its default action answers)",
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

    /// The sample matrix on `engine` `version` (x86_64) with `syscalls` denied by builtin's
    /// default (EPERM) and allowed unconfined: calls builtin holds back on that engine.
    fn denied_by_builtin_on(engine: &str, version: &str, syscalls: &[&str]) -> Matrix {
        let mut m = sample();
        m.host.engine = engine.into();
        m.host.engine_version = version.into();
        m.host.arch = "x86_64".into();
        let e = || exp(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));
        m.cells = syscalls
            .iter()
            .flat_map(|&s| {
                [
                    cell(
                        "builtin",
                        s,
                        obs(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT)),
                        e(),
                    ),
                    cell("unconfined", s, obs(Outcome::Allowed, None, None), e()),
                ]
            })
            .collect();
        m
    }

    /// On a Kubernetes node the history is containerd's RuntimeDefault, not Docker's
    /// default.json (which allows mseal from 28.x and io_uring until 24.x).
    #[test]
    fn on_a_containerd_node_the_history_is_containerds() {
        let mut m = denied_by_builtin_on("containerd", "1.7.24~ds1", &["mseal", "io_uring_setup"]);
        let r = of(&m).unwrap();
        let get = |n: &str| r.entries.iter().find(|e| e.syscall == n).unwrap();
        assert_eq!(get("mseal").history.as_deref(), Some("containerd"));
        assert_eq!(get("mseal").allowance(), "from containerd 2.2.0");
        let io = get("io_uring_setup").allowance();
        assert!(io.starts_with("until containerd 1.7."), "{io}");
        // Docker's matrix keeps Docker's history, and says so.
        m.host.engine = "docker".into();
        m.host.engine_version = "25.0.3".into();
        let r = of(&m).unwrap();
        let io = r
            .entries
            .iter()
            .find(|e| e.syscall == "io_uring_setup")
            .unwrap();
        assert_eq!(io.history, None);
        assert!(
            io.allowance().starts_with("until Docker 2"),
            "{}",
            io.allowance()
        );
    }

    /// On a Podman engine the history is the containers-common its releases vendor, and the
    /// upstream profile is the one its release vendors: Podman 4.9.3's has no fchmodat2, which
    /// 5.0.0's allows.
    #[test]
    fn on_a_podman_engine_the_history_is_podmans() {
        let m = denied_by_builtin_on("podman", "4.9.3", &["fchmodat2"]);
        let r = of(&m).unwrap();
        let f = r.entries.iter().find(|e| e.syscall == "fchmodat2").unwrap();
        assert_eq!(f.history.as_deref(), Some("podman"));
        assert_eq!(f.allowance(), "from podman 5.0.0");
        assert_eq!(f.upstream_names_it, Some(false));
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

    /// builtin denying clone3 with EPERM (Docker before 20.10.10), fsopen and its fallback
    /// mount, and copy_file_range.
    fn fallbacks_sample() -> Matrix {
        let mut m = sample();
        let eperm = || obs(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));
        let e = || exp(Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));
        // The catalog's clone case (every namespace flag) is denied too, as by Docker's
        // default: it does not stand for glibc's fallback (thread flags).
        for s in ["clone3", "fsopen", "mount", "copy_file_range", "clone"] {
            m.cells.retain(|c| c.case != s);
            m.cells.push(cell("builtin", s, eperm(), e()));
            m.cells.push(cell(
                "unconfined",
                s,
                obs(Outcome::Allowed, None, None),
                e(),
            ));
        }
        m
    }

    #[test]
    fn leads_with_what_listed_userspace_breaks_on_and_carries_the_fix() {
        let r = of(&fallbacks_sample()).unwrap();
        let names: Vec<_> = r.entries.iter().map(|e| e.syscall.as_str()).collect();
        // clone3 breaks glibc; fsopen's fallback (mount) is denied too; copy_file_range: Rust
        // std copes; the rest has no listed userspace.
        assert_eq!(
            names[..3],
            ["clone3", "fsopen", "copy_file_range"],
            "{names:?}"
        );
        let clone3 = &r.entries[0];
        let glibc = clone3
            .userspace
            .iter()
            .find(|a| a.userspace == "glibc")
            .unwrap();
        assert_eq!(glibc.effect, Effect::Breaks);
        assert_eq!(
            glibc.source,
            "glibc-2.34:sysdeps/unix/sysv/linux/clone-internal.c:55"
        );
        let rust = clone3
            .userspace
            .iter()
            .find(|a| a.userspace == "Rust std")
            .unwrap();
        assert_eq!(rust.effect, Effect::Copes);
        assert_eq!(r.entries[1].userspace[0].effect, Effect::FailsEitherWay);
        assert!(r.entries[1].fix.is_none());
        assert!(r.entries[2]
            .userspace
            .iter()
            .all(|a| a.effect == Effect::Copes));
        // Docker 25.0.3's default allows clone3 with CAP_SYS_ADMIN: the fix must not apply there.
        let fix = clone3.fix.as_ref().unwrap();
        assert_eq!(
            fix.json(),
            r#"{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"excludes":{"caps":["CAP_SYS_ADMIN"]}}"#
        );
        assert_eq!(r.fix, vec![fix.clone()]);
        let placement = r.fix_placement.as_deref().unwrap();
        assert!(
            placement.contains("docker 25.0.3's default profile"),
            "{placement}"
        );
        let h = headline(&r);
        assert!(
            h.starts_with("readiness: on builtin, glibc ≥ 2.34 pthread_create, posix_spawn fails with EPERM here (clone3, falls back only on ENOSYS; glibc-2.34:sysdeps/unix/sysv/linux/clone-internal.c:55)"),
            "{h}"
        );
        assert!(
            h.contains("and 5 more implemented syscalls denied with EPERM"),
            "{h}"
        );
        assert!(clone3.summary().contains("fix: {\"names\":[\"clone3\"]"));
    }

    #[test]
    fn before_docker_20_10_10_the_fix_needs_no_exclusion() {
        // 20.10.0 to 20.10.9 name no clone3 at all (upstream-defaults v20.10.4.json): the
        // default action answers EPERM and no rule allows it under a capability.
        let mut m = fallbacks_sample();
        m.host.engine_version = "20.10.9".into();
        let r = of(&m).unwrap();
        assert_eq!(r.entries[0].upstream_names_it, Some(false));
        assert_eq!(
            r.fix[0].json(),
            r#"{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38}"#
        );
        let place = r.fix_placement.unwrap();
        assert!(
            place.contains("profiles/seccomp/default.json at v20.10.9")
                && place.contains("upstream-defaults/docker/v20.10.4.json"),
            "{place}"
        );
    }

    #[test]
    fn without_a_break_the_headline_says_so() {
        let mut m = fallbacks_sample();
        m.cells.retain(|c| c.case != "clone3");
        let r = of(&m).unwrap();
        assert!(r.fix.is_empty() && r.fix_placement.is_none());
        assert!(r.enosys.is_empty());
        let h = headline(&r);
        assert!(h.contains("no listed userspace breaks on them"), "{h}");
        assert!(
            h.contains("util-linux ≥ 2.39 libmount (mount(8)) on fsopen"),
            "{h}"
        );
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
            history: None,
            userspace: Vec::new(),
            fix: None,
        });
        let c = Change::between(Some(&old), Some(&new));
        assert_eq!(c.added.len(), 1);
        assert_eq!(c.changed.len(), 1);
        assert!(c.removed.is_empty());
        assert!(Change::between(Some(&old), Some(&old)).is_empty());
        let gone = Change::between(Some(&old), None);
        assert_eq!(gone.removed.len(), 1);
    }

    /// Where the fix goes: the copy of the engine's default to edit and how a node takes it.
    #[test]
    fn the_fix_placement_names_the_copy_and_how_to_pass_it() {
        let mut m = sample();
        let text = fix_placement(&m, None, &[]);
        assert!(
            text.ends_with("run with --security-opt seccomp=THAT_FILE"),
            "{text}"
        );
        m.host.engine = "containerd".into();
        let text = fix_placement(&m, None, &[]);
        assert!(text.starts_with("add to the `syscalls` of a copy of containerd's default profile and give it to the pod"), "{text}");
        assert!(every_errno_eperm_note(&m, "builtin").is_none());
        m.host.seccomp.errno_rewritten = vec![m.host.runtime.clone()];
        assert!(every_errno_eperm_note(&m, "builtin")
            .unwrap()
            .contains("every denial is EPERM"));
    }
}
