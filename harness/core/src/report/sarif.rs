//! SARIF 2.1.0, the format GitHub code scanning (and other CI annotation tools) reads: each
//! finding becomes a result located at the profile file and at the line and column of the rule
//! that decided it (or of `defaultAction`), so a pull request shows it on that line.
//!
//! Results: each failing cell (error), each drifting builtin cell (warning), each cell left
//! without a prediction (note), each rule of a profile that decided no cell of the run, so that
//! nothing proves it (warning), each readiness problem (warning), each `check` error and lint,
//! and each changed cell of a `diff`. The positions come from [`SourceMap`], which the CLI
//! reads from the files a matrix names; a file that is gone or changed since the run gives
//! results located at the file alone. The output is checked against the official schema
//! (`tests/data/sarif-schema-2.1.0.json`) in the tests below.

use crate::diff::{ChangeKind, MatrixDiff};
use crate::matrix::{Cell, Configuration, Matrix, Verdict};
use crate::outcome::{RuleOther, RuleRef};
use crate::profile::{SourceMap, Span};
use crate::report::glyph::{describe_expected, describe_observed};
use crate::runtime::prose;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The spans of each profile file a matrix names, by the configuration's `source`.
pub type Sources = BTreeMap<String, SourceMap>;

/// What a result reports: one SARIF rule (a `reportingDescriptor`) each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    CellFailed,
    CellDrift,
    CellUnpredicted,
    CellHeldBack,
    CellNotEnforced,
    CellUndecided,
    RuleUnproven,
    Readiness,
    CheckError,
    CheckWarning,
    Changed,
    /// An engine of the run, or a configuration, gave no cells: the matrix is partial.
    RunIncomplete,
}

impl Kind {
    const ALL: [Kind; 12] = [
        Kind::CellFailed,
        Kind::CellDrift,
        Kind::CellUnpredicted,
        Kind::CellHeldBack,
        Kind::CellNotEnforced,
        Kind::CellUndecided,
        Kind::RuleUnproven,
        Kind::Readiness,
        Kind::CheckError,
        Kind::CheckWarning,
        Kind::Changed,
        Kind::RunIncomplete,
    ];

    fn id(self) -> &'static str {
        match self {
            Kind::CellFailed => "cell-failed",
            Kind::CellDrift => "cell-drift",
            Kind::CellUnpredicted => "cell-unpredicted",
            Kind::CellHeldBack => "cell-held-back",
            Kind::CellNotEnforced => "cell-not-enforced",
            Kind::CellUndecided => "cell-undecided",
            Kind::RuleUnproven => "rule-unproven",
            Kind::Readiness => "readiness",
            Kind::CheckError => "profile-invalid",
            Kind::CheckWarning => "profile-lint",
            Kind::Changed => "cell-changed",
            Kind::RunIncomplete => "run-incomplete",
        }
    }

    fn level(self) -> &'static str {
        match self {
            Kind::CellFailed | Kind::CellNotEnforced | Kind::CheckError | Kind::RunIncomplete => {
                "error"
            }
            Kind::CellUnpredicted | Kind::CellUndecided => "note",
            _ => "warning",
        }
    }

    fn description(self) -> &'static str {
        match self {
            Kind::CellFailed => "The engine did otherwise than the profile says: the observed outcome differs from the prediction.",
            Kind::CellDrift => "The engine's builtin profile behaved otherwise than upstream's default for the engine's release.",
            Kind::CellUnpredicted => "No prediction for this cell (builtin with no known upstream profile): nothing was proven.",
            Kind::CellHeldBack => prose::HELD_BACK_RULE,
            Kind::CellNotEnforced => prose::NOT_ENFORCED_RULE,
            Kind::CellUndecided => "The same errno under the profile as unconfined, and nothing to tell the filter's answer from the kernel's: it fits the prediction but nothing was proven.",
            Kind::RuleUnproven => "No cell of the run was decided by this rule, so the run does not prove what it does.",
            Kind::Readiness => "builtin answers EPERM where a newer libc expects ENOSYS to fall back: a newer image breaks.",
            Kind::CheckError => prose::CHECK_ERROR_RULE,
            Kind::CheckWarning => "The profile is valid but a rule does not do what it seems to.",
            Kind::Changed => "A cell behaves otherwise than in the old matrix.",
            Kind::RunIncomplete => "The run did not complete: an engine or a configuration gave no cells (the engine was down, died or failed a call), so nothing about it was proven.",
        }
    }
}

/// One finding, before it becomes a SARIF result.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub kind: Kind,
    pub message: String,
    /// The profile file, as the user named it; `None` for builtin and unconfined.
    pub file: Option<String>,
    pub span: Option<Span>,
    /// The configuration (and case), for results with no file.
    pub logical: Option<String>,
    /// Stable across runs, so code scanning tracks one alert per cell.
    pub fingerprint: String,
    /// A level other than the kind's own (a diff's newly allowed call is an error).
    pub level: Option<&'static str>,
}

/// The findings of a matrix, rendered as SARIF.
pub fn render(matrix: &Matrix, sources: &Sources) -> String {
    to_string(&findings(matrix, sources))
}

/// The changed cells of a diff; located in the new matrix's profiles where it is given.
pub fn render_diff(diff: &MatrixDiff, new: Option<&Matrix>, sources: &Sources) -> String {
    let configs: BTreeMap<&str, &Configuration> = new
        .iter()
        .flat_map(|m| &m.configurations)
        .map(|c| (c.id.as_str(), c))
        .collect();
    let out = diff
        .cells
        .iter()
        .map(|c| {
            let config = configs.get(c.configuration.as_str()).copied();
            let rule = c.new.observed.rule;
            let (file, span) = locate(config, rule, sources);
            Finding {
                kind: Kind::Changed,
                message: format!(
                    "{} in {}: {} → {} ({})",
                    c.case,
                    c.configuration,
                    describe_observed(&c.old.observed),
                    describe_observed(&c.new.observed),
                    c.kind.title()
                ),
                file,
                span,
                logical: Some(format!("{}/{}", c.configuration, c.case)),
                fingerprint: format!("{}/{}", c.configuration, c.case),
                level: (c.kind == ChangeKind::NewlyAllowed).then_some("error"),
            }
        })
        .collect::<Vec<_>>();
    to_string(&out)
}

/// `check`'s findings, already made by the caller (it knows each error's position).
pub fn render_findings(findings: &[Finding]) -> String {
    to_string(findings)
}

/// Every finding of `matrix`, in the order: what the run lacks (missing engines and
/// configurations), failing cells, drift, unpredicted, unproven rules, readiness.
pub fn findings(matrix: &Matrix, sources: &Sources) -> Vec<Finding> {
    let mut out = incomplete(matrix);
    out.extend(cell_findings(matrix, sources));
    out
}

/// The engines and configurations that gave no cells, each with its error: a partial matrix
/// must not read as a clean scan.
fn incomplete(matrix: &Matrix) -> Vec<Finding> {
    let engines = matrix.missing_engines.iter().map(|m| Finding {
        kind: Kind::RunIncomplete,
        message: format!(
            "engine {} ({}) is missing from this matrix: {}",
            m.name, m.url, m.error
        ),
        file: None,
        span: None,
        logical: Some(m.name.clone()),
        fingerprint: format!("missing-engine/{}", m.name),
        level: None,
    });
    let configurations = matrix.missing_configurations.iter().map(|m| Finding {
        kind: Kind::RunIncomplete,
        message: format!(
            "configuration {} is missing from this matrix: {}",
            m.id, m.error
        ),
        file: None,
        span: None,
        logical: Some(m.id.clone()),
        fingerprint: format!("missing-configuration/{}", m.id),
        level: None,
    });
    engines.chain(configurations).collect()
}

fn cell_findings(matrix: &Matrix, sources: &Sources) -> Vec<Finding> {
    let configs: BTreeMap<&str, &Configuration> = matrix
        .configurations
        .iter()
        .map(|c| (c.id.as_str(), c))
        .collect();
    let mut out: Vec<Finding> = matrix
        .cells
        .iter()
        .filter_map(|cell| {
            cell_finding(
                cell,
                configs.get(cell.configuration.as_str()).copied(),
                sources,
            )
        })
        .collect();
    out.sort_by_key(|f| f.kind);
    out.extend(unproven_rules(matrix, sources));
    if let Some(r) = &crate::readiness::of_matrix(matrix) {
        for e in &r.entries {
            out.push(Finding {
                kind: Kind::Readiness,
                message: readiness_message(r, e),
                file: None,
                span: None,
                logical: Some(r.configuration.clone()),
                fingerprint: format!("readiness/{}/{}", r.configuration, e.syscall),
                level: None,
            });
        }
    }
    out
}

/// A readiness problem: what the EPERM breaks, with the decision's source, and the rule that
/// fixes it and where it goes.
fn readiness_message(r: &crate::readiness::Readiness, e: &crate::readiness::Entry) -> String {
    let mut text = format!(
        "builtin ({}) answers {} with EPERM, not ENOSYS (by {}; upstream's default allows it {})",
        r.configuration,
        e.syscall,
        e.by(),
        e.allowance()
    );
    if e.userspace.is_empty() {
        text.push_str("; no listed userspace falls back from it");
    }
    for a in &e.userspace {
        text.push_str(&format!("; {} {} ({})", a.who(), a.effect_text(), a.source));
    }
    if let (Some(f), Some(place)) = (&e.fix, &r.fix_placement) {
        text.push_str(&format!(". Fix: {place}: {}", f.json()));
    }
    text
}

fn cell_finding(cell: &Cell, config: Option<&Configuration>, sources: &Sources) -> Option<Finding> {
    let kind = match cell.verdict {
        Verdict::Pass => return None,
        Verdict::Fail => Kind::CellFailed,
        Verdict::Drift => Kind::CellDrift,
        Verdict::Unpredicted => Kind::CellUnpredicted,
        Verdict::HeldBack => Kind::CellHeldBack,
        Verdict::NotEnforced => Kind::CellNotEnforced,
        Verdict::Undecided => Kind::CellUndecided,
    };
    let rule = cell.expected.rule.or(cell.observed.rule);
    let (file, span) = locate(config, rule, sources);
    Some(Finding {
        kind,
        message: format!(
            "{} in {}: observed {}, expected {}",
            cell.case,
            cell.configuration,
            describe_observed(&cell.observed),
            describe_expected(&cell.expected)
        ),
        file,
        span,
        logical: Some(format!("{}/{}", cell.configuration, cell.case)),
        fingerprint: format!("{}/{}", cell.configuration, cell.case),
        level: None,
    })
}

/// The rules of each profile file that are not proven on both sides in any of its
/// configurations ([`crate::coverage`]), each with the reason; for a matrix without coverage
/// (schema_version 1), the rules that decided no cell.
fn unproven_rules(matrix: &Matrix, sources: &Sources) -> Vec<Finding> {
    if !matrix.coverage.is_empty() {
        return unproven_by_coverage(matrix, sources);
    }
    let mut decided: BTreeMap<&str, BTreeSet<usize>> = BTreeMap::new();
    let source_of: BTreeMap<&str, &str> = matrix
        .configurations
        .iter()
        .map(|c| (c.id.as_str(), c.source.as_str()))
        .collect();
    for cell in &matrix.cells {
        let Some(source) = source_of.get(cell.configuration.as_str()) else {
            continue;
        };
        let set = decided.entry(source).or_default();
        for r in [cell.expected.rule, cell.observed.rule]
            .into_iter()
            .flatten()
        {
            if let RuleRef::Index(i) = r {
                set.insert(i);
            }
        }
    }
    let mut out = Vec::new();
    for (source, set) in decided {
        let Some(map) = sources.get(source) else {
            continue;
        };
        for i in (0..map.rule_count()).filter(|i| !set.contains(i)) {
            out.push(Finding {
                kind: Kind::RuleUnproven,
                message: format!(
                    "syscalls[{i}] of {source} decided no cell of this run: no case reached it, or a rule before it or the default answered first"
                ),
                file: Some(source.to_string()),
                span: map.rule(i),
                logical: None,
                fingerprint: format!("unproven/{source}/{i}"),
                level: None,
            });
        }
    }
    out
}

fn unproven_by_coverage(matrix: &Matrix, sources: &Sources) -> Vec<Finding> {
    use crate::coverage::RuleState;
    let source_of: BTreeMap<&str, &str> = matrix
        .configurations
        .iter()
        .map(|c| (c.id.as_str(), c.source.as_str()))
        .collect();
    // Per file and rule: proven somewhere, or the first reason it is not.
    let mut state: BTreeMap<(&str, usize), Option<String>> = BTreeMap::new();
    for c in &matrix.coverage {
        let Some(source) = source_of.get(c.configuration.as_str()) else {
            continue;
        };
        let native = c
            .figures
            .first()
            .map(|f| f.abi.as_str())
            .unwrap_or_default();
        for r in c.rules.iter().filter(|r| r.abi == native) {
            let entry = state.entry((source, r.rule)).or_insert_with(|| {
                Some(format!(
                    "{}: {}",
                    c.configuration,
                    crate::coverage::describe(r)
                ))
            });
            if matches!(r.state, RuleState::Proven | RuleState::NotInFilter) {
                *entry = None;
            }
        }
    }
    state
        .into_iter()
        .filter_map(|((source, i), why)| {
            let why = why?;
            let map = sources.get(source)?;
            Some(Finding {
                kind: Kind::RuleUnproven,
                message: format!("syscalls[{i}] of {source} is not proven on both sides: {why}"),
                file: Some(source.to_string()),
                span: map.rule(i),
                logical: None,
                fingerprint: format!("unproven/{source}/{i}"),
                level: None,
            })
        })
        .collect()
}

/// The file and the span of `rule` in a configuration's profile.
fn locate(
    config: Option<&Configuration>,
    rule: Option<RuleRef>,
    sources: &Sources,
) -> (Option<String>, Option<Span>) {
    let Some(config) = config.filter(|c| c.sha256.is_some()) else {
        return (None, None);
    };
    let file = Some(config.source.clone());
    let Some(map) = sources.get(&config.source) else {
        return (file, None);
    };
    let span = match rule {
        Some(RuleRef::Index(i)) => map.rule(i),
        Some(RuleRef::Other(RuleOther::BadArch)) => Some(map.locate("architectures")),
        Some(RuleRef::Other(RuleOther::EnosysStub)) => Some(map.locate("syscalls")),
        Some(RuleRef::Other(RuleOther::Default)) | None => Some(map.default_action()),
    };
    (file, span)
}

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'a str,
    version: &'a str,
    runs: Vec<Run<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool<'a>,
    column_kind: &'a str,
    results: Vec<SarifResult>,
}

#[derive(Serialize)]
struct Tool<'a> {
    driver: Driver<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver<'a> {
    name: &'a str,
    version: &'a str,
    rules: Vec<Descriptor<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor<'a> {
    id: &'a str,
    short_description: Text,
    default_configuration: Configured<'a>,
}

#[derive(Serialize)]
struct Configured<'a> {
    level: &'a str,
}

#[derive(Serialize)]
struct Text {
    text: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult {
    rule_id: &'static str,
    rule_index: usize,
    level: &'static str,
    message: Text,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    locations: Vec<Location>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location {
    #[serde(skip_serializing_if = "Option::is_none")]
    physical_location: Option<Physical>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logical_locations: Vec<Logical>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Physical {
    artifact_location: Artifact,
    #[serde(skip_serializing_if = "Option::is_none")]
    region: Option<Region>,
}

#[derive(Serialize)]
struct Artifact {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Logical {
    fully_qualified_name: String,
}

/// A path as a SARIF URI reference: relative paths stay relative (code scanning resolves them
/// against the repository root), absolute ones become `file://` URIs; characters a URI can't
/// hold are percent-encoded.
fn uri(path: &str) -> String {
    let mut out = String::new();
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn to_string(findings: &[Finding]) -> String {
    let results = findings
        .iter()
        .map(|f| {
            let physical = f.file.as_ref().map(|file| Physical {
                artifact_location: Artifact { uri: uri(file) },
                region: f.span.map(|s| Region {
                    start_line: s.start.line,
                    start_column: s.start.column,
                    end_line: s.end.line,
                    end_column: s.end.column,
                }),
            });
            let logical: Vec<Logical> = f
                .logical
                .iter()
                .map(|n| Logical {
                    fully_qualified_name: n.clone(),
                })
                .collect();
            let locations = if physical.is_none() && logical.is_empty() {
                Vec::new()
            } else {
                vec![Location {
                    physical_location: physical,
                    logical_locations: logical,
                }]
            };
            SarifResult {
                rule_id: f.kind.id(),
                rule_index: Kind::ALL.iter().position(|k| *k == f.kind).unwrap_or(0),
                level: f.level.unwrap_or(f.kind.level()),
                message: Text {
                    text: f.message.clone(),
                },
                locations,
                partial_fingerprints: BTreeMap::from([(
                    "seccompHarness/v1",
                    f.fingerprint.clone(),
                )]),
            }
        })
        .collect();
    let log = Log {
        schema: "https://json.schemastore.org/sarif-2.1.0.json",
        version: "2.1.0",
        runs: vec![Run {
            tool: Tool {
                driver: Driver {
                    name: "seccomp-harness",
                    version: env!("CARGO_PKG_VERSION"),
                    rules: Kind::ALL
                        .iter()
                        .map(|k| Descriptor {
                            id: k.id(),
                            short_description: Text {
                                text: k.description().to_string(),
                            },
                            default_configuration: Configured { level: k.level() },
                        })
                        .collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).expect("SARIF serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests;
