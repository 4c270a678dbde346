//! `diff`: what changed between two matrices, e.g. two engine versions, two hosts, two kernels.
//!
//! Cells are matched by configuration id and case id, nothing cleverer: ids are what a user
//! names in a run, and a configuration renamed between runs shows up as one removed and one
//! added, which is true. Only behaviour counts as a change ([`MatrixDiff::has_changes`]): a
//! cell's observed outcome, errno, signal, attributed rule or verdict, and cases or
//! configurations that appear or vanish. Host facts and configuration details (profile hash,
//! source) are reported as context: comparing two hosts always changes the kernel, and what
//! matters is whether the filter behaved differently. Notes are free text and not compared.

use crate::matrix::{Cell, Configuration, HostFacts, Matrix, Observed, Verdict};
use crate::outcome::Outcome;
use serde::Serialize;
use std::collections::HashMap;

/// Version of the JSON form of [`MatrixDiff`]: tools read it, so it is versioned like the
/// matrix.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatrixDiff {
    pub schema_version: u32,
    /// Host facts that differ (context; never a change by themselves).
    pub host: Vec<FactChange>,
    pub configurations_added: Vec<String>,
    pub configurations_removed: Vec<String>,
    /// Configurations in both whose profile, source, hash, caps or start error differ
    /// (context; never a change by themselves).
    pub configurations_changed: Vec<ConfigurationChange>,
    /// Cases that appear in `new` for configurations present in both.
    pub cases_added: Vec<CaseChange>,
    /// Cases missing from `new` for configurations present in both.
    pub cases_removed: Vec<CaseChange>,
    /// Cells in both whose behaviour or verdict differs, grouped by [`ChangeKind`] (in its
    /// order), then in `new`'s cell order.
    pub cells: Vec<CellChange>,
    /// How the readiness summary changed (context: the builtin cells behind it are changes
    /// of their own).
    pub readiness: crate::readiness::Change,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FactChange {
    pub fact: String,
    pub old: String,
    pub new: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConfigurationChange {
    pub configuration: String,
    pub changes: Vec<FactChange>,
}

/// One case added or removed, with the configurations it was added to or removed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseChange {
    pub case: String,
    pub configurations: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellChange {
    pub configuration: String,
    pub case: String,
    pub kind: ChangeKind,
    pub old: CellState,
    pub new: CellState,
}

/// One side of a changed cell: what was observed and the verdict it got.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CellState {
    pub observed: Observed,
    pub verdict: Verdict,
}

/// How a cell changed, from the most to the least alarming for a profile's author. The order
/// is the order of the groups in every output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// Allowed before; now an errno, killed or trapped.
    NewlyDenied,
    /// An errno, killed or trapped before; now allowed.
    NewlyAllowed,
    /// An errno both times, a different one.
    ErrnoChanged,
    /// Denied both times, but killed or trapped on one side (or by another signal).
    KillTrapChanged,
    /// Any other outcome change: absent, timeout, start failure, ambiguous, not run.
    OtherOutcome,
    /// Same behaviour, attributed to another rule (the profile changed under it).
    RuleChanged,
    /// Same behaviour and rule, another verdict (the prediction changed).
    VerdictChanged,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 7] = [
        ChangeKind::NewlyDenied,
        ChangeKind::NewlyAllowed,
        ChangeKind::ErrnoChanged,
        ChangeKind::KillTrapChanged,
        ChangeKind::OtherOutcome,
        ChangeKind::RuleChanged,
        ChangeKind::VerdictChanged,
    ];

    /// The group heading in the human-readable outputs.
    pub(crate) fn title(self) -> &'static str {
        match self {
            ChangeKind::NewlyDenied => "newly denied",
            ChangeKind::NewlyAllowed => "newly allowed",
            ChangeKind::ErrnoChanged => "errno changed",
            ChangeKind::KillTrapChanged => "kill/trap changed",
            ChangeKind::OtherOutcome => "other outcome changes",
            ChangeKind::RuleChanged => "attributed to another rule",
            ChangeKind::VerdictChanged => "verdict changed",
        }
    }

    /// How `old` became `new`, or `None` when the cells agree on everything compared.
    pub fn of(old: &Cell, new: &Cell) -> Option<ChangeKind> {
        let (o, n) = (&old.observed, &new.observed);
        let denied = |x: Outcome| matches!(x, Outcome::Errno | Outcome::Killed | Outcome::Trapped);
        let kind = if o.outcome == n.outcome && o.errno == n.errno && o.signal == n.signal {
            if o.rule != n.rule {
                ChangeKind::RuleChanged
            } else if old.verdict != new.verdict {
                ChangeKind::VerdictChanged
            } else {
                return None;
            }
        } else if o.outcome == Outcome::Allowed && denied(n.outcome) {
            ChangeKind::NewlyDenied
        } else if denied(o.outcome) && n.outcome == Outcome::Allowed {
            ChangeKind::NewlyAllowed
        } else if o.outcome == Outcome::Errno && n.outcome == Outcome::Errno {
            ChangeKind::ErrnoChanged
        } else if denied(o.outcome) && denied(n.outcome) {
            ChangeKind::KillTrapChanged
        } else {
            ChangeKind::OtherOutcome
        };
        Some(kind)
    }
}

impl MatrixDiff {
    pub fn between(old: &Matrix, new: &Matrix) -> MatrixDiff {
        let old_ids: Vec<&str> = config_ids(old);
        let new_ids: Vec<&str> = config_ids(new);
        let in_both: Vec<&str> = new_ids
            .iter()
            .copied()
            .filter(|id| old_ids.contains(id))
            .collect();

        let old_cells = index(old);
        let new_cells = index(new);
        let mut cells = Vec::new();
        let mut added: Vec<(&str, &str)> = Vec::new();
        for cell in &new.cells {
            let key = (cell.configuration.as_str(), cell.case.as_str());
            if !in_both.contains(&key.0) {
                continue;
            }
            match old_cells.get(&key) {
                None => added.push(key),
                Some(old_cell) => {
                    if let Some(kind) = ChangeKind::of(old_cell, cell) {
                        cells.push(CellChange {
                            configuration: cell.configuration.clone(),
                            case: cell.case.clone(),
                            kind,
                            old: state(old_cell),
                            new: state(cell),
                        });
                    }
                }
            }
        }
        // Stable: within a kind, new's cell order is kept.
        cells.sort_by_key(|c| c.kind);
        let removed: Vec<(&str, &str)> = old
            .cells
            .iter()
            .map(|c| (c.configuration.as_str(), c.case.as_str()))
            .filter(|key| in_both.contains(&key.0) && !new_cells.contains_key(key))
            .collect();

        MatrixDiff {
            schema_version: SCHEMA_VERSION,
            host: host_changes(&old.host, &new.host),
            configurations_added: new_ids
                .iter()
                .filter(|id| !old_ids.contains(id))
                .map(|id| id.to_string())
                .collect(),
            configurations_removed: old_ids
                .iter()
                .filter(|id| !new_ids.contains(id))
                .map(|id| id.to_string())
                .collect(),
            configurations_changed: in_both
                .iter()
                .filter_map(|id| {
                    let changes =
                        configuration_changes(old.configuration(id)?, new.configuration(id)?);
                    (!changes.is_empty()).then(|| ConfigurationChange {
                        configuration: id.to_string(),
                        changes,
                    })
                })
                .collect(),
            cases_added: group_by_case(&added),
            cases_removed: group_by_case(&removed),
            cells,
            readiness: crate::readiness::Change::between(
                crate::readiness::of_matrix(old).as_ref(),
                crate::readiness::of_matrix(new).as_ref(),
            ),
        }
    }

    /// Whether behaviour changed: what `diff`'s exit code 1 means. Host and configuration
    /// details alone don't count (see the module doc).
    pub fn has_changes(&self) -> bool {
        !(self.configurations_added.is_empty()
            && self.configurations_removed.is_empty()
            && self.cases_added.is_empty()
            && self.cases_removed.is_empty()
            && self.cells.is_empty())
    }

    /// The changed cells of one kind, in order.
    pub(crate) fn cells_of(&self, kind: ChangeKind) -> impl Iterator<Item = &CellChange> {
        self.cells.iter().filter(move |c| c.kind == kind)
    }
}

/// Configuration ids as the matrix lists them, then any a cell names that the list lacks.
fn config_ids(m: &Matrix) -> Vec<&str> {
    let mut ids: Vec<&str> = m.configurations.iter().map(|c| c.id.as_str()).collect();
    for c in &m.cells {
        if !ids.contains(&c.configuration.as_str()) {
            ids.push(&c.configuration);
        }
    }
    ids
}

fn index(m: &Matrix) -> HashMap<(&str, &str), &Cell> {
    m.cells
        .iter()
        .map(|c| ((c.configuration.as_str(), c.case.as_str()), c))
        .collect()
}

fn state(c: &Cell) -> CellState {
    CellState {
        observed: c.observed.clone(),
        verdict: c.verdict,
    }
}

fn group_by_case(keys: &[(&str, &str)]) -> Vec<CaseChange> {
    let mut out: Vec<CaseChange> = Vec::new();
    for (configuration, case) in keys {
        match out.iter_mut().find(|c| c.case == *case) {
            Some(c) => c.configurations.push(configuration.to_string()),
            None => out.push(CaseChange {
                case: case.to_string(),
                configurations: vec![configuration.to_string()],
            }),
        }
    }
    out
}

fn fact(out: &mut Vec<FactChange>, name: &str, old: String, new: String) {
    if old != new {
        out.push(FactChange {
            fact: name.into(),
            old,
            new,
        });
    }
}

fn flag(v: Option<bool>) -> String {
    v.map_or_else(|| "unknown".into(), |b| b.to_string())
}

fn host_changes(old: &HostFacts, new: &HostFacts) -> Vec<FactChange> {
    let mut out = Vec::new();
    let pairs = [
        ("kernel", &old.kernel, &new.kernel),
        ("arch", &old.arch, &new.arch),
        ("engine", &old.engine, &new.engine),
        ("engine_version", &old.engine_version, &new.engine_version),
        ("api_version", &old.api_version, &new.api_version),
        ("runtime", &old.runtime, &new.runtime),
        (
            "runtime_version",
            &old.runtime_version,
            &new.runtime_version,
        ),
        (
            "engine_profile",
            &old.seccomp.engine_profile,
            &new.seccomp.engine_profile,
        ),
    ];
    for (name, o, n) in pairs {
        fact(&mut out, name, o.clone(), n.clone());
    }
    let (o, n) = (&old.seccomp, &new.seccomp);
    fact(
        &mut out,
        "config_seccomp",
        flag(o.config_seccomp),
        flag(n.config_seccomp),
    );
    fact(
        &mut out,
        "config_seccomp_filter",
        flag(o.config_seccomp_filter),
        flag(n.config_seccomp_filter),
    );
    fact(
        &mut out,
        "actions_available",
        o.actions_available.join(" "),
        n.actions_available.join(" "),
    );
    out
}

fn configuration_changes(old: &Configuration, new: &Configuration) -> Vec<FactChange> {
    let mut out = Vec::new();
    let opt = |s: &Option<String>| s.clone().unwrap_or_else(|| "none".into());
    fact(
        &mut out,
        "profile",
        old.profile.clone(),
        new.profile.clone(),
    );
    fact(&mut out, "source", old.source.clone(), new.source.clone());
    fact(&mut out, "sha256", opt(&old.sha256), opt(&new.sha256));
    fact(&mut out, "caps", old.caps.join(" "), new.caps.join(" "));
    fact(
        &mut out,
        "start_error",
        opt(&old.start_error),
        opt(&new.start_error),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::matrix::fixture::{cell, exp, matrix, obs};
    use crate::outcome::RuleRef;

    fn c(config: &str, case: &str, outcome: Outcome, errno: Option<i32>) -> Cell {
        cell(
            config,
            case,
            obs(outcome, errno, None),
            exp(outcome, errno, None),
        )
    }

    #[test]
    fn identical_matrices_have_no_changes() {
        let m = matrix(&["p"], vec![c("p", "getpid", Outcome::Allowed, None)]);
        let d = MatrixDiff::between(&m, &m);
        assert!(!d.has_changes());
        assert!(d.host.is_empty() && d.configurations_changed.is_empty());
    }

    #[test]
    fn changed_cells_are_classified_and_grouped_in_kind_order() {
        use Outcome::*;
        let old = matrix(
            &["p"],
            vec![
                c("p", "a", Errno, Some(1)),
                c("p", "b", Allowed, None),
                c("p", "c", Errno, Some(1)),
                c("p", "d", Errno, Some(1)),
                c("p", "e", Killed, None),
                c("p", "f", Allowed, None),
                c("p", "g", Allowed, None),
                c("p", "h", Allowed, None),
                c("p", "same", Errno, Some(38)),
            ],
        );
        let mut new = matrix(
            &["p"],
            vec![
                c("p", "a", Allowed, None),
                c("p", "b", Errno, Some(1)),
                c("p", "c", Errno, Some(38)),
                c("p", "d", Killed, None),
                c("p", "e", Trapped, None),
                c("p", "f", Absent, None),
                c("p", "g", Allowed, None),
                c("p", "h", Allowed, None),
                c("p", "same", Errno, Some(38)),
            ],
        );
        new.cells[6].observed.rule = Some(RuleRef::Index(3));
        new.cells[7].verdict = Verdict::Fail;
        let d = MatrixDiff::between(&old, &new);
        let got: Vec<(&str, ChangeKind)> =
            d.cells.iter().map(|c| (c.case.as_str(), c.kind)).collect();
        assert_eq!(
            got,
            [
                ("b", ChangeKind::NewlyDenied),
                ("a", ChangeKind::NewlyAllowed),
                ("c", ChangeKind::ErrnoChanged),
                ("d", ChangeKind::KillTrapChanged),
                ("e", ChangeKind::KillTrapChanged),
                ("f", ChangeKind::OtherOutcome),
                ("g", ChangeKind::RuleChanged),
                ("h", ChangeKind::VerdictChanged),
            ]
        );
        assert!(d.has_changes());
    }

    #[test]
    fn cases_and_configurations_added_and_removed() {
        use Outcome::*;
        let old = matrix(
            &["p", "gone"],
            vec![
                c("p", "old_case", Allowed, None),
                c("p", "kept", Allowed, None),
                c("gone", "kept", Allowed, None),
            ],
        );
        let new = matrix(
            &["p", "fresh"],
            vec![
                c("p", "kept", Allowed, None),
                c("p", "new_case", Allowed, None),
                c("fresh", "kept", Allowed, None),
            ],
        );
        let d = MatrixDiff::between(&old, &new);
        assert_eq!(d.configurations_added, ["fresh"]);
        assert_eq!(d.configurations_removed, ["gone"]);
        let case = |c: &str| CaseChange {
            case: c.into(),
            configurations: vec!["p".into()],
        };
        assert_eq!(d.cases_added, [case("new_case")]);
        assert_eq!(d.cases_removed, [case("old_case")]);
        assert!(d.cells.is_empty());
        assert!(d.has_changes());
    }

    #[test]
    fn host_and_profile_details_are_context_not_changes() {
        let old = matrix(&["p"], vec![c("p", "getpid", Outcome::Allowed, None)]);
        let mut new = old.clone();
        new.host.kernel = "6.8.0".into();
        new.host.seccomp.config_seccomp_filter = None;
        new.configurations[0].sha256 = Some("ffff".into());
        let d = MatrixDiff::between(&old, &new);
        assert!(!d.has_changes());
        assert_eq!(
            d.host,
            [
                FactChange {
                    fact: "kernel".into(),
                    old: "6.1.0-18-amd64".into(),
                    new: "6.8.0".into()
                },
                FactChange {
                    fact: "config_seccomp_filter".into(),
                    old: "true".into(),
                    new: "unknown".into()
                },
            ]
        );
        assert_eq!(d.configurations_changed[0].changes[0].fact, "sha256");
    }

    #[test]
    fn json_names_kinds_in_snake_case() {
        let old = matrix(&["p"], vec![c("p", "a", Outcome::Allowed, None)]);
        let new = matrix(&["p"], vec![c("p", "a", Outcome::Errno, Some(1))]);
        let v = serde_json::to_value(MatrixDiff::between(&old, &new)).unwrap();
        assert_eq!(v["cells"][0]["kind"], "newly_denied");
        assert_eq!(v["cells"][0]["new"]["observed"]["errno"], 1);
        assert_eq!(v["schema_version"], 1);
    }
}
