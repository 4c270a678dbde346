//! Which containers a run needs, and what the oracle expects of each cell. Pure: the engine's
//! facts (arch, kernel) and the calibration's measurement come in as arguments.
//!
//! [`plan`] decides the containers, including one calibration container that measures which
//! syscall names the runtime's libseccomp knows ([`Calibration`]); [`Plan::predict`] asks the
//! oracle for every cell once that measurement is in.

use crate::oracle::{Oracle, Prediction};
use crate::outcome::{Outcome, RuleRef};
use crate::profile::{self, CapError, CapSet, Host, KernelVersion, ProfileError, TagError, Tagged};
use seccomp_catalog::{Arch, Catalog};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Tag(#[from] TagError),
    #[error("invalid capability set {spec:?}: {source}")]
    Caps { spec: String, source: CapError },
    #[error("unknown case {0:?}: `seccomp-harness cases` lists the case ids")]
    UnknownCase(String),
    #[error("two configurations are both named {0:?}: rename one of the profile files")]
    DuplicateConfiguration(String),
}

/// A profile as the user named it on the command line.
#[derive(Debug, Clone)]
pub enum ProfileInput {
    /// The engine's own default profile: no `seccomp=` option at all.
    Builtin,
    /// `seccomp=unconfined`.
    Unconfined,
    File(PathBuf),
}

impl ProfileInput {
    /// `builtin` and `unconfined` are keywords; anything else is a path.
    pub fn parse(s: &str) -> ProfileInput {
        match s {
            "builtin" => ProfileInput::Builtin,
            "unconfined" => ProfileInput::Unconfined,
            path => ProfileInput::File(PathBuf::from(path)),
        }
    }
}

/// One capability set: Docker's default plus changes such as `+SYS_ADMIN` and `-NET_RAW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapSpec {
    /// As the matrix records them: `["+SYS_ADMIN"]`, empty for Docker's default.
    pub changes: Vec<String>,
    pub caps: CapSet,
}

impl CapSpec {
    pub fn docker_default() -> CapSpec {
        CapSpec {
            changes: Vec::new(),
            caps: CapSet::docker_default(),
        }
    }

    /// One set from a `--caps` token (`default`, `+SYS_ADMIN`, `+SYS_ADMIN-NET_RAW`... with
    /// `,` inside a token not allowed: the list separator splits sets).
    pub fn parse(token: &str) -> Result<CapSpec, PlanError> {
        // `+A-B` → `+A,-B` for the cap parser, which takes comma-separated changes.
        let mut spec = String::new();
        for (i, ch) in token.char_indices() {
            if i > 0 && (ch == '+' || ch == '-') {
                spec.push(',');
            }
            spec.push(ch);
        }
        let (caps, changes) = CapSet::parse_changes(&spec).map_err(|source| PlanError::Caps {
            spec: token.to_string(),
            source,
        })?;
        Ok(CapSpec { changes, caps })
    }

    /// From `--cap-add` / `--cap-drop` lists.
    pub fn from_add_drop(add: &[String], drop: &[String]) -> Result<CapSpec, PlanError> {
        let tokens: Vec<String> = add
            .iter()
            .map(|a| format!("+{a}"))
            .chain(drop.iter().map(|d| format!("-{d}")))
            .collect();
        let joined = tokens.join(",");
        let (caps, changes) = CapSet::parse_changes(&joined).map_err(|source| PlanError::Caps {
            spec: joined.clone(),
            source,
        })?;
        Ok(CapSpec { changes, caps })
    }

    /// `--cap-add` / `--cap-drop` values for the engine.
    pub fn engine_add_drop(&self) -> (Vec<String>, Vec<String>) {
        let mut add = Vec::new();
        let mut drop = Vec::new();
        for c in &self.changes {
            let (sign, name) = c.split_at(1);
            if sign == "+" {
                add.push(name.to_string())
            } else {
                drop.push(name.to_string())
            }
        }
        (add, drop)
    }

    fn suffix(&self) -> String {
        self.changes.concat()
    }
}

/// The seccomp option one container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seccomp {
    Builtin,
    Unconfined,
    Json(String),
}

/// A profile loaded for the run.
#[derive(Debug, Clone)]
pub struct LoadedProfile {
    pub name: String,
    pub source: String,
    pub sha256: Option<String>,
    pub kind: ProfileKind,
}

// One value per profile of a run: the size difference doesn't matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone)]
pub enum ProfileKind {
    Builtin,
    Unconfined,
    File {
        text: String,
        profile: profile::Profile,
        tagged: Tagged,
    },
}

/// One column of the matrix.
#[derive(Debug, Clone)]
pub struct PlannedConfiguration {
    pub id: String,
    /// Index into [`Plan::profiles`].
    pub profile: usize,
    /// Index into [`Plan::cap_sets`].
    pub cap_set: usize,
    /// Per case, in catalog order; `None` where nothing can be predicted (builtin).
    pub predictions: Option<Vec<Prediction>>,
    /// The oracle expects the runtime to refuse the container, and why.
    pub predicted_start_failure: Option<String>,
    /// Syscalls the runtime makes after it loads the filter that this profile does not allow,
    /// with the predicted outcome (`getppid: killed`): the likely cause of a start failure.
    pub runtime_conflicts: Vec<String>,
    /// Why the harness did not start this configuration at all (see
    /// [`Plan::hold_back_runtime_killers`]).
    pub not_started: Option<String>,
}

/// Syscalls runc makes after it installs the filter, before the probe runs (measured with runc
/// 1.1.5 by narrowing an allow-list, see profiles/README.md: denying any of these stops the
/// container from starting, often with a message that names none of them).
pub const RUNTIME_NEEDS: &[&str] = &[
    "fstatfs",
    "openat",
    "getdents64",
    "getcwd",
    "chdir",
    "newfstatat",
    "fstat",
    "setuid",
    "setgid",
    "setgroups",
    "capget",
    "capset",
    "prctl",
    "getppid",
    "execve",
];

/// What one container run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Baseline {
        cap_set: usize,
    },
    AsIs {
        configuration: usize,
    },
    Tagged {
        configuration: usize,
    },
    /// Measures which names the runtime's libseccomp knows ([`Calibration`]).
    Calibration,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub kind: JobKind,
    pub seccomp: Seccomp,
    pub cap_set: usize,
    /// The cases to run when not [`Plan::case_ids`].
    pub cases: Option<Vec<String>>,
}

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
/// stop the container (see `RUNTIME_NEEDS` in assemble): never calibrated, assumed known.
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
    fn new(catalog: &Catalog, arch: Arch) -> Calibration {
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

#[derive(Debug, Clone)]
pub struct Plan {
    pub arch: Arch,
    pub kernel: KernelVersion,
    pub catalog: Catalog,
    /// The case ids to run, in catalog order.
    pub case_ids: Vec<String>,
    pub profiles: Vec<LoadedProfile>,
    pub cap_sets: Vec<CapSpec>,
    pub configurations: Vec<PlannedConfiguration>,
    pub jobs: Vec<Job>,
    /// Whether the engine passes `defaultErrnoRet` on ([`Host::honours_default_errno_ret`]).
    pub honours_default_errno_ret: bool,
    /// Present when a file profile is in the run.
    pub calibration: Option<Calibration>,
}

/// Loads a profile input: reads and validates files, tags them.
pub fn load_profile(input: &ProfileInput) -> Result<LoadedProfile, PlanError> {
    Ok(match input {
        ProfileInput::Builtin => LoadedProfile {
            name: "builtin".into(),
            source: "builtin".into(),
            sha256: None,
            kind: ProfileKind::Builtin,
        },
        ProfileInput::Unconfined => LoadedProfile {
            name: "unconfined".into(),
            source: "unconfined".into(),
            sha256: None,
            kind: ProfileKind::Unconfined,
        },
        ProfileInput::File(path) => {
            let (text, profile) = profile::load(path)?;
            let file = path.display().to_string();
            let tagged = profile::tag(&text, &file)?;
            LoadedProfile {
                name: profile_name(path),
                source: file,
                sha256: Some(hex(&Sha256::digest(text.as_bytes()))),
                kind: ProfileKind::File {
                    text,
                    profile,
                    tagged,
                },
            }
        }
    })
}

fn profile_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Plans a run of `profiles` × `cap_sets` for an engine on `arch` with `kernel`, which
/// passes `defaultErrnoRet` on to the runtime or not. Predictions come later, from
/// [`Plan::predict`].
pub fn plan(
    mut profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    arch: Arch,
    kernel: KernelVersion,
    honours_default_errno_ret: bool,
    selected_cases: &[String],
) -> Result<Plan, PlanError> {
    // Which rules runc drops depends on the default the engine passes on: tag for it.
    if !honours_default_errno_ret {
        for p in &mut profiles {
            if let ProfileKind::File { text, tagged, .. } = &mut p.kind {
                *tagged = profile::tag_for(text, &p.source, false)?;
            }
        }
    }
    let catalog = Catalog::for_arch(arch);
    for id in selected_cases {
        if catalog.get(id).is_none() {
            return Err(PlanError::UnknownCase(id.clone()));
        }
    }
    let cases: Vec<_> = catalog
        .cases()
        .iter()
        .filter(|c| selected_cases.is_empty() || selected_cases.contains(&c.id))
        .collect();
    let case_ids = cases.iter().map(|c| c.id.clone()).collect();

    let mut configurations = Vec::new();
    let mut jobs: Vec<Job> = (0..cap_sets.len())
        .map(|i| Job {
            kind: JobKind::Baseline { cap_set: i },
            seccomp: Seccomp::Unconfined,
            cap_set: i,
            cases: None,
        })
        .collect();
    let calibration = profiles
        .iter()
        .any(|p| matches!(p.kind, ProfileKind::File { .. }))
        .then(|| Calibration::new(&catalog, arch))
        .filter(|c| !c.cases.is_empty());
    if let Some(c) = &calibration {
        jobs.push(Job {
            kind: JobKind::Calibration,
            seccomp: Seccomp::Json(c.json.clone()),
            cap_set: 0,
            cases: Some(c.cases.iter().map(|(id, _)| id.clone()).collect()),
        });
    }
    let mut ids = BTreeMap::new();
    for (p, loaded) in profiles.iter().enumerate() {
        for (s, caps) in cap_sets.iter().enumerate() {
            let id = format!("{}{}", loaded.name, caps.suffix());
            if ids.insert(id.clone(), ()).is_some() {
                return Err(PlanError::DuplicateConfiguration(id));
            }
            let c = configurations.len();
            let seccomp = match &loaded.kind {
                ProfileKind::Builtin => Seccomp::Builtin,
                ProfileKind::Unconfined => Seccomp::Unconfined,
                ProfileKind::File { text, .. } => Seccomp::Json(text.clone()),
            };
            jobs.push(Job {
                kind: JobKind::AsIs { configuration: c },
                seccomp,
                cap_set: s,
                cases: None,
            });
            if let ProfileKind::File { tagged, .. } = &loaded.kind {
                jobs.push(Job {
                    kind: JobKind::Tagged { configuration: c },
                    seccomp: Seccomp::Json(tagged.json.clone()),
                    cap_set: s,
                    cases: None,
                });
            }
            configurations.push(PlannedConfiguration {
                id,
                profile: p,
                cap_set: s,
                predictions: None,
                predicted_start_failure: None,
                runtime_conflicts: Vec::new(),
                not_started: None,
            });
        }
    }
    Ok(Plan {
        arch,
        kernel,
        catalog: catalog.clone(),
        case_ids,
        profiles,
        cap_sets,
        configurations,
        jobs,
        honours_default_errno_ret,
        calibration,
    })
}

impl Plan {
    /// The host the oracle resolves a configuration for, with the names the calibration found
    /// unknown.
    pub fn host(&self, cap_set: usize, unknown_names: &BTreeSet<String>) -> Host {
        Host::new(self.arch, self.cap_sets[cap_set].caps.clone(), self.kernel)
            .with_default_errno_ret(self.honours_default_errno_ret)
            .with_unknown_names(unknown_names.clone())
    }

    /// Asks the oracle for every cell, once the calibration has measured which names the
    /// runtime's libseccomp doesn't know.
    /// Takes out the containers of configurations whose profile kills a call the runtime makes
    /// after it loads the filter. Measured with runc 1.1.5: SCMP_ACT_KILL on getppid kills one
    /// thread of the Go `runc init`, which stays a zombie with live threads; `runc create` then
    /// waits for good, the engine's start request never returns, and the container can't be
    /// removed through the API. Such a configuration is reported as `start_failed`, predicted,
    /// with the reason, and nothing is left behind. Predicting with no unknown names is safe
    /// here: every libseccomp knows the runtime's calls.
    pub fn hold_back_runtime_killers(&mut self) {
        self.predict(&BTreeSet::new());
        let mut held = Vec::new();
        for (c, conf) in self.configurations.iter_mut().enumerate() {
            let kills: Vec<&str> = conf
                .runtime_conflicts
                .iter()
                .filter(|k| k.ends_with(": killed"))
                .map(|k| k.trim_end_matches(": killed"))
                .collect();
            if !kills.is_empty() {
                let why = format!(
                    "not started: the profile kills {}, which the runtime calls after it loads the filter; \
                     runc then hangs for good (measured with runc 1.1.5) and the engine can neither start nor remove the container",
                    kills.join(", ")
                );
                conf.not_started = Some(why.clone());
                conf.predicted_start_failure = Some(why);
                held.push(c);
            }
        }
        self.jobs.retain(|j| match j.kind {
            JobKind::AsIs { configuration } | JobKind::Tagged { configuration } => {
                !held.contains(&configuration)
            }
            _ => true,
        });
    }

    pub fn predict(&mut self, unknown_names: &BTreeSet<String>) {
        let cases: Vec<_> = self
            .case_ids
            .iter()
            .map(|id| {
                self.catalog
                    .get(id)
                    .expect("planned cases come from the catalog")
            })
            .collect();
        let mut out = Vec::with_capacity(self.configurations.len());
        for conf in &self.configurations {
            let host = self.host(conf.cap_set, unknown_names);
            out.push(match &self.profiles[conf.profile].kind {
                ProfileKind::Builtin => (None, None, Vec::new()),
                ProfileKind::Unconfined => {
                    let allowed = Prediction {
                        outcome: Outcome::Allowed,
                        errno: None,
                        rule: None,
                        note: None,
                    };
                    (Some(vec![allowed; cases.len()]), None, Vec::new())
                }
                ProfileKind::File { profile, .. } => {
                    let resolved = profile::resolve(profile, &host);
                    let oracle = Oracle::new(&resolved);
                    let conflicts = RUNTIME_NEEDS
                        .iter()
                        .filter_map(|name| self.catalog.get(name))
                        .filter_map(|case| {
                            let p = oracle.predict(case);
                            (p.outcome != Outcome::Allowed)
                                .then(|| format!("{}: {}", case.id, p.outcome))
                        })
                        .collect::<Vec<_>>();
                    let start = oracle.start_failure().map(str::to_string).or_else(|| {
                        (!conflicts.is_empty()).then(|| {
                            format!(
                                "the runtime makes these calls after it loads the filter and the profile does not allow them: {}",
                                conflicts.join(", ")
                            )
                        })
                    });
                    (
                        Some(cases.iter().map(|c| oracle.predict(c)).collect()),
                        start,
                        conflicts,
                    )
                }
            });
        }
        for (conf, (p, s, r)) in self.configurations.iter_mut().zip(out) {
            conf.predictions = p;
            conf.predicted_start_failure = s.or_else(|| conf.not_started.clone());
            conf.runtime_conflicts = r;
        }
    }

    /// The sentinel map of a file profile's tagged run.
    pub fn sentinels(&self, configuration: usize) -> Option<&BTreeMap<i32, RuleRef>> {
        match &self.profiles[self.configurations[configuration].profile].kind {
            ProfileKind::File { tagged, .. } => Some(&tagged.sentinels),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn plans_a_baseline_per_cap_set_and_a_tagged_run_per_file_configuration() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            &dir,
            "deny-getpid.json",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let profiles = [
            ProfileInput::Builtin,
            ProfileInput::Unconfined,
            ProfileInput::File(f),
        ]
        .iter()
        .map(|p| load_profile(p).unwrap())
        .collect();
        let caps = vec![
            CapSpec::docker_default(),
            CapSpec::parse("+SYS_ADMIN").unwrap(),
        ];
        let mut plan = plan(
            profiles,
            caps,
            Arch::X86_64,
            KernelVersion::new(6, 1),
            true,
            &[],
        )
        .unwrap();
        plan.predict(&BTreeSet::new());
        let ids: Vec<_> = plan.configurations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "builtin",
                "builtin+SYS_ADMIN",
                "unconfined",
                "unconfined+SYS_ADMIN",
                "deny-getpid",
                "deny-getpid+SYS_ADMIN"
            ]
        );
        // 2 baselines + 1 calibration + 6 as-is + 2 tagged.
        assert_eq!(plan.jobs.len(), 11);
        let cal = plan.calibration.as_ref().unwrap();
        assert!(cal.cases.iter().any(|(id, _)| id == "mseal"));
        assert!(!cal.cases.iter().any(|(id, _)| id == "clone3"));
        assert!(plan
            .jobs
            .iter()
            .any(|j| j.kind == JobKind::Calibration && j.cases.is_some()));
        let getpid = plan.case_ids.iter().position(|c| c == "getpid").unwrap();
        let p = &plan.configurations[4].predictions.as_ref().unwrap()[getpid];
        assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
        assert!(plan.configurations[0].predictions.is_none());
        assert!(plan
            .sentinels(4)
            .unwrap()
            .values()
            .any(|r| *r == RuleRef::Index(0)));
    }

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

    #[test]
    fn an_engine_that_drops_default_errno_ret_gets_its_own_tagging() {
        let dir = tempfile::tempdir().unwrap();
        let f = write(
            &dir,
            "p.json",
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let profiles = vec![load_profile(&ProfileInput::File(f)).unwrap()];
        let mut plan = plan(
            profiles,
            vec![CapSpec::docker_default()],
            Arch::X86_64,
            KernelVersion::new(6, 1),
            false,
            &["getpid".into(), "read".into()],
        )
        .unwrap();
        // The default is EPERM on this engine, so the getpid rule is dropped and traps.
        match &plan.profiles[0].kind {
            ProfileKind::File { tagged, .. } => {
                assert!(tagged.default_traps);
                assert_eq!(tagged.profile.rules[0].action, profile::Action::Trap);
            }
            _ => unreachable!(),
        }
        plan.predict(&BTreeSet::new());
        let p = &plan.configurations[0].predictions.as_ref().unwrap();
        assert!(p
            .iter()
            .all(|p| p.errno == Some(1) && p.rule == Some(RuleRef::DEFAULT)));
    }

    #[test]
    fn cap_tokens_parse_like_docker_names() {
        let c = CapSpec::parse("+SYS_ADMIN-NET_RAW").unwrap();
        assert_eq!(c.changes, ["+SYS_ADMIN", "-NET_RAW"]);
        assert_eq!(
            c.engine_add_drop(),
            (vec!["SYS_ADMIN".to_string()], vec!["NET_RAW".to_string()])
        );
        assert!(c.caps.contains("CAP_SYS_ADMIN") && !c.caps.contains("CAP_NET_RAW"));
        assert!(CapSpec::parse("default").unwrap().changes.is_empty());
        assert!(matches!(
            CapSpec::parse("+NOT_A_CAP"),
            Err(PlanError::Caps { .. })
        ));
    }

    #[test]
    fn a_profile_killing_a_runtime_call_is_held_back_and_one_denying_it_is_predicted_to_fail() {
        let dir = tempfile::tempdir().unwrap();
        let kills = write(
            &dir,
            "kills.json",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL"}]}"#,
        );
        let denies = write(
            &dir,
            "denies.json",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["fstatfs"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        let profiles = [ProfileInput::File(kills), ProfileInput::File(denies)]
            .iter()
            .map(|p| load_profile(p).unwrap())
            .collect();
        let mut plan = plan(
            profiles,
            vec![CapSpec::docker_default()],
            Arch::X86_64,
            KernelVersion::new(6, 1),
            true,
            &[],
        )
        .unwrap();
        plan.hold_back_runtime_killers();
        let held = &plan.configurations[0];
        assert!(held
            .not_started
            .as_deref()
            .is_some_and(|w| w.contains("getppid")));
        assert!(!plan.jobs.iter().any(|j| matches!(
            j.kind,
            JobKind::AsIs { configuration: 0 } | JobKind::Tagged { configuration: 0 }
        )));
        let denied = &plan.configurations[1];
        assert!(denied.not_started.is_none());
        assert!(plan
            .jobs
            .iter()
            .any(|j| j.kind == JobKind::AsIs { configuration: 1 }));
        assert!(denied
            .predicted_start_failure
            .as_deref()
            .is_some_and(|w| w.contains("fstatfs")));
        // The prediction survives the second pass after calibration.
        plan.predict(&BTreeSet::new());
        assert!(plan.configurations[0].predicted_start_failure.is_some());
    }

    #[test]
    fn unknown_cases_and_duplicate_names_are_refused() {
        let p = vec![load_profile(&ProfileInput::Unconfined).unwrap()];
        let err = plan(
            p.clone(),
            vec![CapSpec::docker_default()],
            Arch::X86_64,
            KernelVersion::new(6, 1),
            true,
            &["nope".into()],
        );
        assert!(matches!(err, Err(PlanError::UnknownCase(_))));
        let err = plan(
            [p.clone(), p].concat(),
            vec![CapSpec::docker_default()],
            Arch::X86_64,
            KernelVersion::new(6, 1),
            true,
            &[],
        );
        assert!(matches!(err, Err(PlanError::DuplicateConfiguration(_))));
    }
}
