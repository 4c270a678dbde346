//! The Matrix: every cell of a run, observed and expected side by side. Its JSON form is the
//! contract of DESIGN §5 (schema_version 2): renderers and `diff` read only this type, and a
//! matrix written by one version must be read by the next.

use crate::configuration_id::ConfigurationId;
use crate::outcome::{Outcome, RuleRef};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

/// Version 2 added the verdicts `not_enforced` (with `host.seccomp.not_enforced`) and
/// `held_back`: a reader of version 1 would not know them, so it could not read such a matrix.
/// Version 1 matrices hold a subset of version 2 and are read as they are, for `diff` and
/// `render`.
pub const SCHEMA_VERSION: u32 = 2;
/// The oldest schema_version this version reads.
pub const MIN_SCHEMA_VERSION: u32 = 1;
/// The same as [`MIN_SCHEMA_VERSION`].
pub const OLDEST_READABLE_SCHEMA: u32 = MIN_SCHEMA_VERSION;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Matrix {
    pub schema_version: u32,
    pub host: HostFacts,
    pub configurations: Vec<Configuration>,
    pub cells: Vec<Cell>,
    /// The readiness summary of the builtin configuration ([`crate::readiness`]); absent when
    /// the run had no builtin configuration, or the matrix was written before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<crate::readiness::Readiness>,
    /// Each engine of a run over several engines (`run --docker-host A --docker-host B`), by
    /// the name its configurations carry; empty for a run on one engine, whose facts are
    /// `host` ([`crate::fleet`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub engines: Vec<EngineEntry>,
    /// The engines of a run over several that gave no matrix (down, or gone in the middle of
    /// the run), each with why: their configurations are absent, the other engines' complete.
    /// Empty when every engine answered.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_engines: Vec<MissingEngine>,
    /// The configurations a run could not complete (the engine died or stopped answering in
    /// the middle of the run, or one container run ended in an engine error), each with why:
    /// their cells are absent, the other configurations' complete. A matrix with any is
    /// partial: the run exits 3, and every report says so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_configurations: Vec<MissingConfiguration>,
    /// Rule coverage of each file configuration ([`crate::coverage`]); empty in a matrix
    /// written before schema_version 2, or one without file profiles.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coverage: Vec<crate::coverage::Coverage>,
}

/// One engine of a run over several: its name, its facts and its builtin's readiness.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EngineEntry {
    pub name: String,
    pub host: HostFacts,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness: Option<crate::readiness::Readiness>,
}

/// An engine of a run over several that gave no matrix: its name, its address and the error
/// its run ended with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MissingEngine {
    pub name: String,
    pub url: String,
    pub error: String,
}

/// A configuration of the run with no cells: its id (as the configurations' ids are written)
/// and the engine error its container run ended with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct MissingConfiguration {
    pub id: String,
    pub error: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HostFacts {
    pub kernel: String,
    pub arch: String,
    pub engine: String,
    pub engine_version: String,
    pub api_version: String,
    /// The engine's default runtime.
    pub runtime: String,
    pub runtime_version: String,
    /// The default runtime's libseccomp, where the engine tells it (Docker 25+).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub libseccomp_version: Option<String>,
    /// Every registered runtime with its version where the engine tells it (empty string
    /// otherwise); absent in matrices written before it was recorded.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub runtimes: BTreeMap<String, String>,
    pub seccomp: SeccompFacts,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct SeccompFacts {
    /// `None` where /proc/config.gz was not readable.
    pub config_seccomp: Option<bool>,
    pub config_seccomp_filter: Option<bool>,
    pub actions_available: Vec<String>,
    /// The engine's `seccomp` SecurityOptions `profile=` value: `default`, `builtin`, a path.
    pub engine_profile: String,
    /// Syscall names the runtime's libseccomp doesn't know, as the run's calibration
    /// container measured them (the runtime ignores rules on them). Absent when nothing was
    /// measured (no file profile in the run, or the calibration container gave no record);
    /// empty when every candidate (numbers from 424 on, and x86_64's uretprobe and uprobe)
    /// is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_unknown_syscalls: Option<Vec<String>>,
    /// The runtimes that ignored the profiles they were given, each with the reason: the
    /// calibration container's rules had no effect on them (a runtime that applies profiles
    /// only when its own option says so). Their confined cells are `not_enforced`. Keyed by the
    /// runtime's name as `run --runtime` gave it (the default runtime's name otherwise).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub not_enforced: BTreeMap<String, String>,
    /// The runtimes that answered EPERM where the calibration's rules asked for their own
    /// errnos: every denial there is EPERM.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errno_rewritten: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Configuration {
    /// `[engine/]profile[CAPS][@runtime]`, e.g. `deny-namespaces+SYS_ADMIN-NET_RAW` or
    /// `sid/builtin@rt-b`: written and read by `configuration_id::ConfigurationId`, whose doc
    /// gives the rule.
    pub id: String,
    pub profile: String,
    /// The file path, or `builtin` / `unconfined`.
    pub source: String,
    /// sha256 of the profile file's bytes; `None` for builtin and unconfined.
    pub sha256: Option<String>,
    /// Docker-style capability changes, e.g. `+SYS_ADMIN`, `-NET_RAW`.
    pub caps: Vec<String>,
    /// The runtime the configuration ran on, when the run named runtimes (`run --runtime`);
    /// absent when it ran on the engine's default runtime (`host.runtime`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    /// The runtime's message when the container could not start under this configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_error: Option<String>,
    /// The engine it ran on, in a run over several engines (the id then starts `<engine>/`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub engine: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Cell {
    pub configuration: String,
    pub profile: String,
    pub caps: Vec<String>,
    pub case: String,
    pub syscall: String,
    pub abi: String,
    pub observed: Observed,
    pub expected: Expected,
    pub verdict: Verdict,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Observed {
    pub outcome: Outcome,
    pub errno: Option<i32>,
    pub signal: Option<i32>,
    /// The rule the tagged run attributed the denial to, where it could.
    pub rule: Option<RuleRef>,
    /// Anything a reader needs to trust the cell: why it is ambiguous, the runtime's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Adds `more` after what a cell's note says, `; `-joined: each step that learns something
/// about a cell (the oracle, the assembly, a node's applied object) adds to the note and none
/// replaces what another wrote.
pub(crate) fn append_note(note: &mut Option<String>, more: impl Into<String>) {
    let more = more.into();
    *note = Some(match note.take() {
        Some(n) => format!("{n}; {more}"),
        None => more,
    });
}

/// Puts `first` before what a cell's note says (see [`append_note`]): for what a reader must
/// see first, such as why the cell can't count.
pub(crate) fn prepend_note(note: &mut Option<String>, first: impl Into<String>) {
    let first = first.into();
    *note = Some(match note.take() {
        Some(n) => format!("{first}; {n}"),
        None => first,
    });
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Expected {
    pub outcome: Outcome,
    pub errno: Option<i32>,
    pub rule: Option<RuleRef>,
    /// Where the oracle is not sure of the true behaviour, it says why here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    /// Nothing to compare with: the builtin profile where no upstream profile is known for
    /// the engine's release (the note says why).
    Unpredicted,
    /// The builtin profile behaved otherwise than upstream's default for the engine's release,
    /// run as a file beside it: a distribution's patch, a vendor build. Reported with the two
    /// observations in the note, never counted as a failure of the oracle. (A value added
    /// within schema_version 1: only a matrix with drifting cells holds it.)
    Drift,
    /// Nothing ran: the profile kills a call the runtime makes after loading the filter, and
    /// a runtime whose start such a kill hangs (measured per runtime) then hangs for good, so
    /// the harness did not start the container (`run --start-held-back` starts it anyway).
    /// Never a pass: counted apart in every format. (Added in schema_version 2.)
    HeldBack,
    /// The runtime ignored the profile (its calibration rules had no effect), so what the
    /// cell shows is not the profile's doing: never a pass. The note names the reason.
    NotEnforced,
    /// What the cell saw fits the prediction but doesn't prove it: the same errno here as
    /// unconfined, and nothing to tell the filter's answer from the kernel's (no tagged
    /// record for the case, or the tagged copy allows the call on purpose; the observation's
    /// note names which). Never a pass, not a failure: counted apart in every format. (A
    /// value added within schema_version 2: only a matrix with such cells holds it.)
    Undecided,
}

impl Verdict {
    /// Every verdict, in the order the HTML report offers them as filters.
    pub const ALL: [Verdict; 7] = [
        Verdict::Pass,
        Verdict::Fail,
        Verdict::NotEnforced,
        Verdict::Undecided,
        Verdict::Drift,
        Verdict::HeldBack,
        Verdict::Unpredicted,
    ];

    /// The name the JSON contract gives the verdict: the HTML and the diff reports print it,
    /// so a reader can search the matrix for the word they see.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Unpredicted => "unpredicted",
            Verdict::Drift => "drift",
            Verdict::HeldBack => "held_back",
            Verdict::NotEnforced => "not_enforced",
            Verdict::Undecided => "undecided",
        }
    }
}

/// Why a matrix file could not be read. Each variant names the file, because `diff` reads two
/// and the user must know which one is wrong.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("failed to read matrix `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("`{}` is not a usable matrix: {source}", path.display())]
    Invalid {
        path: PathBuf,
        #[source]
        source: ParseError,
    },
}

/// Why a JSON text is not a matrix this version can read.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("invalid JSON: {0}")]
    Json(#[source] serde_json::Error),
    #[error("no `schema_version` field; is this a seccomp-harness matrix?")]
    MissingSchemaVersion,
    #[error(
        "schema_version {found} is not supported (this seccomp-harness reads {MIN_SCHEMA_VERSION} to {SCHEMA_VERSION}); \
         use the seccomp-harness version that wrote it"
    )]
    UnsupportedSchemaVersion { found: serde_json::Value },
    #[error("does not match the matrix format: {0}")]
    Shape(#[source] serde_json::Error),
}

impl Matrix {
    /// A matrix of this schema version with these configurations and cells, and nothing yet
    /// of what is computed from them (readiness, coverage) or of other engines.
    pub fn new(host: HostFacts, configurations: Vec<Configuration>, cells: Vec<Cell>) -> Matrix {
        Matrix {
            schema_version: SCHEMA_VERSION,
            host,
            configurations,
            cells,
            readiness: None,
            engines: Vec::new(),
            missing_engines: Vec::new(),
            missing_configurations: Vec::new(),
            coverage: Vec::new(),
        }
    }

    /// Whether the run behind this matrix did not complete: an engine of several gave no
    /// matrix, or configurations have no cells. No report gives such a matrix a pass mark.
    pub fn is_partial(&self) -> bool {
        !self.missing_engines.is_empty() || !self.missing_configurations.is_empty()
    }

    /// The columns of one runtime, with the `@<runtime>` taken off their ids, so that `diff`
    /// can pair them with another runtime's columns (`run --runtime rt-a,rt-b` puts both in
    /// one matrix). Configurations that name no runtime ran on `host.runtime`: they belong to
    /// that one. The host facts then describe `runtime`. `None` when no column ran on it.
    pub fn for_runtime(&self, runtime: &str) -> Option<Matrix> {
        let view = RuntimeView {
            runtime,
            default_runtime: &self.host.runtime,
        };
        let kept: HashSet<&str> = self
            .configurations
            .iter()
            .filter(|c| view.owns(c))
            .map(|c| c.id.as_str())
            .collect();
        if kept.is_empty() {
            return None;
        }
        Some(Matrix {
            schema_version: self.schema_version,
            host: self.host_on(runtime),
            configurations: self
                .configurations
                .iter()
                .filter(|c| kept.contains(c.id.as_str()))
                .map(|c| Configuration {
                    id: view.strip(&c.id),
                    runtime: None,
                    ..c.clone()
                })
                .collect(),
            cells: self
                .cells
                .iter()
                .filter(|c| kept.contains(c.configuration.as_str()))
                .map(|c| Cell {
                    configuration: view.strip(&c.configuration),
                    ..c.clone()
                })
                .collect(),
            // builtin's readiness belongs to the engine's default runtime.
            readiness: self.readiness.clone().filter(|_| view.is_default()),
            engines: self.engines.clone(),
            missing_engines: self.missing_engines.clone(),
            missing_configurations: self
                .missing_configurations
                .iter()
                .filter(|m| view.owns_missing(m))
                .map(|m| MissingConfiguration {
                    id: view.strip(&m.id),
                    ..m.clone()
                })
                .collect(),
            coverage: self
                .coverage
                .iter()
                .filter(|c| kept.contains(c.configuration.as_str()))
                .map(|c| crate::coverage::Coverage {
                    configuration: view.strip(&c.configuration),
                    ..c.clone()
                })
                .collect(),
        })
    }

    /// The host facts as they describe `runtime`: its version from the registered runtimes'
    /// where it is not the default one.
    fn host_on(&self, runtime: &str) -> HostFacts {
        let mut host = self.host.clone();
        if host.runtime != runtime {
            host.runtime = runtime.to_string();
            host.runtime_version = self.host.runtimes.get(runtime).cloned().unwrap_or_default();
            // Measured for the default runtime only.
            host.libseccomp_version = None;
        }
        host
    }

    /// Parses a matrix, checking `schema_version` before the shape so that a file from a newer
    /// version says so instead of failing on whichever field changed first.
    pub fn from_json(text: &str) -> Result<Matrix, ParseError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(ParseError::Json)?;
        match value.get("schema_version") {
            None => return Err(ParseError::MissingSchemaVersion),
            Some(v)
                if !v.as_u64().is_some_and(|n| {
                    (u64::from(MIN_SCHEMA_VERSION)..=u64::from(SCHEMA_VERSION)).contains(&n)
                }) =>
            {
                return Err(ParseError::UnsupportedSchemaVersion { found: v.clone() })
            }
            Some(_) => {}
        }
        serde_json::from_value(value).map_err(ParseError::Shape)
    }

    /// Reads and parses a matrix file; errors name the file.
    pub fn load(path: &Path) -> Result<Matrix, LoadError> {
        let text = std::fs::read_to_string(path).map_err(|source| LoadError::Read {
            path: path.to_owned(),
            source,
        })?;
        Matrix::from_json(&text).map_err(|source| LoadError::Invalid {
            path: path.to_owned(),
            source,
        })
    }

    pub fn configuration(&self, id: &str) -> Option<&Configuration> {
        self.configurations.iter().find(|c| c.id == id)
    }

    /// The cell of one configuration and case. Linear: renderers that look up every cell build
    /// their own index instead.
    pub fn cell(&self, configuration: &str, case: &str) -> Option<&Cell> {
        self.cells
            .iter()
            .find(|c| c.configuration == configuration && c.case == case)
    }

    /// Every case id, in the order of its first cell: the run writes cells in catalog order, so
    /// this keeps related cases (a syscall and its argument variants) together.
    pub fn case_ids(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.cells
            .iter()
            .map(|c| c.case.as_str())
            .filter(|case| seen.insert(*case))
            .collect()
    }

    /// The cells of one configuration, in matrix order.
    pub(crate) fn cells_of<'a>(
        &'a self,
        configuration: &'a str,
    ) -> impl Iterator<Item = &'a Cell> + 'a {
        self.cells
            .iter()
            .filter(move |c| c.configuration == configuration)
    }
}

/// Which columns of a matrix ran on one runtime, for [`Matrix::for_runtime`].
struct RuntimeView<'a> {
    runtime: &'a str,
    /// The engine's default runtime (`host.runtime`): where a configuration naming no runtime
    /// ran.
    default_runtime: &'a str,
}

impl RuntimeView<'_> {
    fn is_default(&self) -> bool {
        self.default_runtime == self.runtime
    }

    fn owns(&self, c: &Configuration) -> bool {
        match &c.runtime {
            Some(r) => r == self.runtime,
            None => self.is_default(),
        }
    }

    /// A missing configuration is absent from the configurations: its id says the runtime.
    fn owns_missing(&self, m: &MissingConfiguration) -> bool {
        match m.id.parse::<ConfigurationId>().map(|id| id.runtime) {
            Ok(Some(r)) => r == self.runtime,
            Ok(None) | Err(_) => self.is_default(),
        }
    }

    /// The id without `@<runtime>`; one that names no runtime (or that no run of the harness
    /// wrote) stays as it is.
    fn strip(&self, id: &str) -> String {
        match id.parse::<ConfigurationId>() {
            Ok(parsed) if parsed.runtime.as_deref() == Some(self.runtime) => ConfigurationId {
                runtime: None,
                ..parsed
            }
            .to_string(),
            _ => id.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_joined_never_replaced() {
        let mut note = None;
        append_note(&mut note, "the runtime said x");
        assert_eq!(note.as_deref(), Some("the runtime said x"));
        append_note(&mut note, "containerd applied y");
        prepend_note(&mut note, "not enforced");
        assert_eq!(
            note.as_deref(),
            Some("not enforced; the runtime said x; containerd applied y")
        );
        let mut empty = None;
        prepend_note(&mut empty, "first");
        assert_eq!(empty.as_deref(), Some("first"));
    }

    #[test]
    fn verdict_names_are_the_serialized_ones() {
        for v in Verdict::ALL {
            assert_eq!(serde_json::to_value(v).unwrap(), v.as_str(), "{v:?}");
        }
    }

    const MINIMAL: &str = r#"{
        "schema_version": 2,
        "host": { "kernel": "6.1.0", "arch": "x86_64", "engine": "docker",
                  "engine_version": "25.0.0", "api_version": "1.44", "runtime": "rt-a",
                  "runtime_version": "1.1.12",
                  "seccomp": { "config_seccomp": true, "config_seccomp_filter": null,
                               "actions_available": ["kill_process"],
                               "engine_profile": "builtin" } },
        "configurations": [ { "id": "p", "profile": "p", "source": "p.json", "sha256": "ab",
                              "caps": [] } ],
        "cells": [
          { "configuration": "p", "profile": "p", "caps": [], "case": "mkdir",
            "syscall": "mkdir", "abi": "x86_64",
            "observed": { "outcome": "errno", "errno": 1, "signal": null, "rule": "default" },
            "expected": { "outcome": "errno", "errno": 1, "rule": "default" },
            "verdict": "pass" },
          { "configuration": "p", "profile": "p", "caps": [], "case": "getpid",
            "syscall": "getpid", "abi": "x86_64",
            "observed": { "outcome": "allowed", "errno": null, "signal": null, "rule": 0 },
            "expected": { "outcome": "allowed", "errno": null, "rule": 0 },
            "verdict": "pass" } ] }"#;

    #[test]
    fn a_contract_example_round_trips() {
        let m = Matrix::from_json(MINIMAL).unwrap();
        assert_eq!(m.case_ids(), ["mkdir", "getpid"]);
        assert_eq!(
            m.cell("p", "getpid").unwrap().observed.rule,
            Some(RuleRef::Index(0))
        );
        let again = Matrix::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(m, again);
    }

    #[test]
    fn a_newer_schema_version_is_named_before_any_field_error() {
        let text = r#"{"schema_version": 3, "something_new": true}"#;
        let e = Matrix::from_json(text).unwrap_err();
        assert!(
            matches!(e, ParseError::UnsupportedSchemaVersion { .. }),
            "{e}"
        );
        assert!(e.to_string().contains("schema_version 3"), "{e}");
        // Version 1 (before `held_back`) still reads.
        let v1 = MINIMAL.replacen("\"schema_version\": 2", "\"schema_version\": 1", 1);
        assert!(v1.contains("\"schema_version\": 1"), "{v1}");
        Matrix::from_json(&v1).unwrap();
    }

    #[test]
    fn json_without_a_schema_version_is_not_taken_for_a_matrix() {
        let e = Matrix::from_json("{}").unwrap_err();
        assert!(matches!(e, ParseError::MissingSchemaVersion), "{e}");
        let e = Matrix::from_json("[1,").unwrap_err();
        assert!(matches!(e, ParseError::Json(_)), "{e}");
    }

    #[test]
    fn load_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("old.json");
        let e = Matrix::load(&missing).unwrap_err();
        assert!(e.to_string().contains("old.json"), "{e}");
        let bad = dir.path().join("new.json");
        std::fs::write(&bad, r#"{"schema_version": 1}"#).unwrap();
        let e = Matrix::load(&bad).unwrap_err();
        assert!(e.to_string().contains("new.json"), "{e}");
        assert!(e.to_string().contains("missing field"), "{e}");
    }
}

/// Small constructed matrices for the renderers' and `diff`'s unit tests.
#[cfg(test)]
mod runtime_tests {
    use super::fixture::*;
    use super::*;

    #[test]
    fn one_runtimes_columns_lose_their_suffix() {
        let mut m = Matrix::new(
            host(),
            vec![configuration("p@rt-a"), configuration("p@rt-b")],
            Vec::new(),
        );
        m.configurations[0].runtime = Some("rt-a".into());
        m.configurations[1].runtime = Some("rt-b".into());
        m.host.runtimes.insert("rt-b".into(), "1.28".into());
        let rt_b = m.for_runtime("rt-b").unwrap();
        assert_eq!(rt_b.configurations.len(), 1);
        assert_eq!(rt_b.configurations[0].id, "p");
        assert_eq!(
            (
                rt_b.host.runtime.as_str(),
                rt_b.host.runtime_version.as_str()
            ),
            ("rt-b", "1.28")
        );
        assert!(m.for_runtime("rt-c").is_none());
        // A matrix without --runtime is its host runtime's.
        let plain = Matrix {
            configurations: vec![configuration("p")],
            ..m.clone()
        };
        assert_eq!(plain.for_runtime("rt-a").unwrap().configurations[0].id, "p");
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    use super::*;

    pub fn host() -> HostFacts {
        HostFacts {
            kernel: "6.1.0-18-amd64".into(),
            arch: "x86_64".into(),
            engine: "docker".into(),
            engine_version: "25.0.3".into(),
            api_version: "1.44".into(),
            runtime: "rt-a".into(),
            runtime_version: "1.1.12".into(),
            libseccomp_version: None,
            runtimes: BTreeMap::new(),
            seccomp: SeccompFacts {
                config_seccomp: Some(true),
                config_seccomp_filter: Some(true),
                actions_available: vec!["kill_process".into(), "errno".into(), "log".into()],
                engine_profile: "builtin".into(),
                runtime_unknown_syscalls: None,
                not_enforced: BTreeMap::new(),
                errno_rewritten: Vec::new(),
            },
        }
    }

    pub fn configuration(id: &str) -> Configuration {
        let parsed: ConfigurationId = id.parse().expect("a fixture's id");
        let profile = parsed.profile;
        Configuration {
            id: id.into(),
            source: format!("profiles/{profile}.json"),
            profile,
            sha256: Some("0123abcd".into()),
            caps: parsed.caps.iter().map(ToString::to_string).collect(),
            runtime: parsed.runtime,
            start_error: None,
            engine: None,
        }
    }

    pub(crate) fn obs(outcome: Outcome, errno: Option<i32>, rule: Option<RuleRef>) -> Observed {
        let signal = matches!(outcome, Outcome::Killed | Outcome::Trapped).then_some(31);
        Observed {
            outcome,
            errno,
            signal,
            rule,
            note: None,
        }
    }

    pub(crate) fn exp(outcome: Outcome, errno: Option<i32>, rule: Option<RuleRef>) -> Expected {
        Expected {
            outcome,
            errno,
            rule,
            note: None,
        }
    }

    /// A cell with the verdict the harness itself would give ([`crate::classify::verdict`]).
    pub fn cell(configuration: &str, case: &str, observed: Observed, expected: Expected) -> Cell {
        let verdict = crate::classify::verdict(&observed, Some(&expected));
        let c = self::configuration(configuration);
        let (abi, syscall) = match case.split_once(':') {
            Some((abi, rest)) => (abi, rest),
            None => ("x86_64", case),
        };
        Cell {
            configuration: configuration.into(),
            profile: c.profile,
            caps: c.caps,
            case: case.into(),
            syscall: syscall.split('(').next().unwrap_or(syscall).into(),
            abi: abi.into(),
            observed,
            expected,
            verdict,
        }
    }

    /// A cell allowed, as predicted.
    pub fn allowed(configuration: &str, case: &str) -> Cell {
        cell(
            configuration,
            case,
            obs(Outcome::Allowed, None, None),
            exp(Outcome::Allowed, None, None),
        )
    }

    pub fn matrix(configurations: &[&str], cells: Vec<Cell>) -> Matrix {
        let configurations = configurations.iter().map(|c| configuration(c)).collect();
        Matrix::new(host(), configurations, cells)
    }
}
