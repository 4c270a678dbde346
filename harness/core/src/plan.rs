//! Which containers a run needs, and what the oracle expects of each cell. Pure: the engine's
//! facts (arch, kernel) and the calibration's measurement come in as arguments.
//!
//! [`plan`] decides the containers: per capability set one unconfined baseline (which also
//! serves as the `unconfined` configuration), per file configuration the profile as written
//! and its tagged twin, and one calibration container ([`Calibration`]). Each gets the
//! oracle's [`Start`] and the probe flags that follow from it. [`Plan::predict`] asks the
//! oracle for every cell once the calibration's measurement is in.

pub mod input;

use crate::calibration::Calibration;
use crate::configuration_id::ConfigurationId;
use crate::coverage::generate::{self, Generated};
use crate::oracle::{self, Oracle, Prediction, Start};
use crate::outcome::Outcome;
use crate::profile::{self, Host, KernelVersion, Profile};
use crate::runtime::Runtime;
use input::{CapSpec, LoadedProfile, ProfileKind};
use seccomp_catalog::record::ProbeArgs;
use seccomp_catalog::{Arch, Case, Catalog};
use std::collections::{BTreeMap, BTreeSet};

/// The seccomp option one container gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seccomp {
    Builtin,
    Unconfined,
    /// A profile, as the oracle models it: the engine gets it salted and serialized
    /// (`salt::salted_json`), so what runs is what was predicted.
    Profile(Profile),
}

/// A runtime the run uses: the engine's default, or one named with `run --runtime`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRuntime {
    /// The name the engine gets (`HostConfig.Runtime`); `None` for the engine's default, whose
    /// configurations keep the ids they have always had.
    pub name: Option<String>,
    /// The runtime as the oracle models it: the name and version the engine reports, or the
    /// model's own name for any name whose program tells ([`Runtime::known_by_program`]).
    pub model: Runtime,
    /// Why the engine's facts say this runtime will ignore a profile (its program's arguments
    /// leave profiles off: [`Runtime::known_by_program`]): the cause named when the
    /// calibration finds it unenforced.
    pub unenforced_cause: Option<String>,
}

impl PlannedRuntime {
    /// The engine's default runtime.
    pub fn default_of(model: Runtime) -> PlannedRuntime {
        PlannedRuntime {
            name: None,
            model,
            unenforced_cause: None,
        }
    }

    /// A runtime named with `--runtime`.
    pub fn named(name: &str, version: Option<&str>) -> PlannedRuntime {
        PlannedRuntime {
            name: Some(name.to_string()),
            model: Runtime::parse(name, version),
            unenforced_cause: None,
        }
    }

    /// The same runtime, known by the program the engine runs for it (`/info` `path` and
    /// `runtimeArgs`) where the program tells ([`Runtime::known_by_program`], under whatever
    /// name it is registered), with whether it applies profiles at all.
    pub fn with_command(mut self, program: &str, args: &[String]) -> PlannedRuntime {
        if let Some((model, unenforced_cause)) = Runtime::known_by_program(program, args) {
            self.model = model;
            self.unenforced_cause = unenforced_cause;
        }
        self
    }

    /// The name the engine knows the runtime by: `--runtime`'s, else the model's.
    pub fn engine_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.model.name)
    }
}

/// One column of the matrix.
#[derive(Debug, Clone)]
pub struct PlannedConfiguration {
    pub id: String,
    /// Index into [`Plan::profiles`].
    pub profile: usize,
    /// Index into [`Plan::cap_sets`].
    pub cap_set: usize,
    /// Index into [`Plan::runtimes`].
    pub runtime: usize,
    /// Whether the container starts and the probe reaches its cases: the oracle's answer for
    /// file profiles, [`Start::Starts`] for `builtin` and `unconfined`.
    pub start: Start,
    /// The calls the tagged copy for this configuration's runtime allows on purpose
    /// ([`crate::profile::Tagged::allowed_on_purpose`]): its run can't
    /// attribute their cells. Empty where there is no tagged run.
    pub(crate) tagged_allows: Vec<String>,
}

/// What one container run is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobKind {
    /// Unconfined, with the host facts: what the kernel does alone. It is also the
    /// `unconfined` configuration's run.
    Baseline {
        cap_set: usize,
        runtime: usize,
    },
    AsIs {
        configuration: usize,
    },
    Tagged {
        configuration: usize,
    },
    /// Measures which names the runtime's libseccomp knows ([`Calibration`]).
    Calibration {
        runtime: usize,
    },
}

#[derive(Debug, Clone)]
pub struct Job {
    pub kind: JobKind,
    pub seccomp: Seccomp,
    pub cap_set: usize,
    /// Index into [`Plan::runtimes`].
    pub runtime: usize,
    /// The cases to run when not [`Plan::case_ids`].
    pub cases: Option<Vec<String>>,
    /// The probe's flags before the case ids: `--host-facts` for a baseline, `--avoid` for the
    /// calls the oracle does not predict `allowed` under the job's own filter.
    pub probe_args: ProbeArgs,
    /// For a job that runs in-process, its cases cut after each one the oracle expects to end
    /// the probe ([`in_process_parts`]): the containers its restarts would start one after
    /// another, to start at once. Empty: all cases in one container, restarted as needed.
    pub parts: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Plan {
    pub arch: Arch,
    pub kernel: KernelVersion,
    /// The release's sublevel ([`KernelVersion::sublevel_of`]), set by the caller from the
    /// engine's facts: the kernel layer's stable backports need it.
    pub kernel_sublevel: Option<u64>,
    pub catalog: Catalog,
    /// The case ids to run: the catalog's in catalog order, then the generated ones.
    pub case_ids: Vec<String>,
    /// Per profile (by index into [`Plan::profiles`]), the cases its argument conditions call
    /// for on the native ABI ([`crate::coverage::generate`]); empty for builtin and unconfined.
    /// They run in the configuration's own containers (and the baselines): no extra one.
    pub(crate) generated: Vec<Generated>,
    pub profiles: Vec<LoadedProfile>,
    pub cap_sets: Vec<CapSpec>,
    pub configurations: Vec<PlannedConfiguration>,
    pub jobs: Vec<Job>,
    /// Whether the engine passes `defaultErrnoRet` on ([`Host::honours_default_errno_ret`]),
    /// and every planned runtime too (per its model:
    /// [`crate::runtime::RuntimeModel::honours_default_errno_ret`]).
    pub honours_default_errno_ret: bool,
    /// The runtimes configurations run on, whose models decide which profiles start and
    /// what the filter does (the first is the one the matrix's host facts describe).
    pub runtimes: Vec<PlannedRuntime>,
    /// Present when a file profile is in the run.
    pub(crate) calibration: Option<Calibration>,
    /// The calibration of the runtimes that resolve names with a table of their own
    /// ([`Runtime::resolves_names_itself`], [`Calibration::every_native_name`]).
    pub(crate) own_table_calibration: Option<Calibration>,
    /// The profile (index into [`Plan::profiles`]) that predicts `builtin`: upstream's default
    /// for the engine's release ([`input::BUILTIN_UPSTREAM`]); else why there is none.
    pub builtin_upstream: Result<usize, String>,
}

/// Per configuration, the expected cell of every planned case (in [`Plan::case_ids`] order);
/// `None` where nothing can be predicted (`builtin`).
#[derive(Debug, Clone, Default)]
pub struct Predictions(pub(crate) Vec<Option<Vec<Prediction>>>);

impl Predictions {
    pub(crate) fn get(&self, configuration: usize, case: usize) -> Option<&Prediction> {
        self.0.get(configuration)?.as_ref()?.get(case)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Profile(#[from] profile::ProfileError),
    #[error("invalid capability set {spec:?}: {source}")]
    Caps {
        spec: String,
        source: profile::CapError,
    },
    #[error("unknown case {0:?}: `seccomp-harness cases` lists the case ids")]
    UnknownCase(String),
    #[error("{file} holds {count} profiles where one was expected")]
    SeveralProfiles { file: String, count: usize },
    #[error("two configurations are both named {id:?}, from {first} and {second}: rename one of the profile files (or SeccompProfile resources, named by their metadata.name)")]
    DuplicateConfiguration {
        id: String,
        first: String,
        second: String,
    },
    #[error("--runtime names no runtime")]
    NoRuntime,
    /// A name the configuration's id could not carry: it would read back as other parts.
    #[error("a configuration of {file}: {source}")]
    ConfigurationId {
        file: String,
        source: crate::configuration_id::IdError,
    },
}

/// The probe flags for a filter: the machinery calls it must avoid.
fn avoid_flags(oracle: &Oracle, catalog: &Catalog) -> ProbeArgs {
    ProbeArgs {
        avoid: oracle
            .probe_avoid(catalog)
            .iter()
            .map(|s| s.to_string())
            .collect(),
        ..ProbeArgs::default()
    }
}

/// Where an in-process run of `ids` under `oracle`'s filter will need fresh containers, the
/// cases cut there: empty unless the probe runs them in-process ([`Job::runs_in_process`]).
///
/// The probe runs them in the order of [`own_calls::in_process_rank`], and a case that kills
/// it (a kill, a trap it has no handler for, the watchdog's timeout) or ends it (`exit`,
/// `exit_group`, `rt_sigreturn`, `uretprobe`, `uprobe` let through) ends its container; the
/// harness then starts a fresh one from the next case. Each part here is one of those
/// containers, so the same cases run in the same fresh processes, only at once. A wrong
/// guess costs a container, never a result: a part that ends early restarts on its own.
fn in_process_parts<'c>(
    oracle: &Oracle,
    args: &ProbeArgs,
    ids: &[String],
    case: impl Fn(&str) -> Option<&'c Case>,
    catalog: &Catalog,
) -> Vec<Vec<String>> {
    use seccomp_catalog::own_calls;
    if !runs_in_process(args, catalog.arch()) {
        return Vec::new();
    }
    let avoid: Vec<&str> = args.avoid.iter().map(String::as_str).collect();
    let rank = |id: &str| case(id).map_or(0, |c| own_calls::in_process_rank(c.syscall));
    let mut order: Vec<&String> = ids.iter().collect();
    order.sort_by_key(|id| rank(id));
    let mut parts: Vec<Vec<String>> = vec![Vec::new()];
    for id in order {
        parts.last_mut().expect("never empty").push(id.clone());
        let Some(c) = case(id) else { continue };
        let ends = match oracle.predict(c, &avoid, catalog).outcome {
            Outcome::Killed | Outcome::Timeout => true,
            Outcome::Allowed => own_calls::in_process_rank(c.syscall) == 2,
            _ => false,
        };
        if ends {
            parts.push(Vec::new());
        }
    }
    parts.retain(|p| !p.is_empty());
    if parts.len() < 2 {
        parts.clear();
    }
    parts
}

/// What of the planned work the user chose: the cases (empty for all), and whether profiles
/// that would hang the runtime ([`crate::runtime::RuntimeModel::kill_hangs_start`]) are
/// started anyway (`--start-held-back`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Selection<'a> {
    pub cases: &'a [String],
    pub start_held_back: bool,
}

impl<'a> Selection<'a> {
    /// These cases (all when empty), held-back profiles not started.
    pub fn cases(cases: &'a [String]) -> Self {
        Selection {
            cases,
            start_held_back: false,
        }
    }
}

/// Plans a run of `profiles` × `cap_sets` × `runtimes` for an engine on `arch` with
/// `kernel`, which passes `defaultErrnoRet` on to the runtime or not: the cases, then per
/// runtime the baselines and the calibration, then each configuration's containers. Predictions
/// come later, from [`Plan::predict`].
pub fn plan(
    mut profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    arch: Arch,
    kernel: KernelVersion,
    engine_honours_default_errno_ret: bool,
    runtimes: Vec<PlannedRuntime>,
    selection: Selection<'_>,
) -> Result<Plan, PlanError> {
    if runtimes.is_empty() {
        return Err(PlanError::NoRuntime);
    }
    let honours_default_errno_ret = engine_honours_default_errno_ret
        && runtimes
            .iter()
            .all(|r| crate::runtime::runtime_model(&r.model).honours_default_errno_ret);
    if !honours_default_errno_ret {
        tag_for_dropped_default(&mut profiles);
    }
    let catalog = Catalog::for_arch(arch);
    let generated: Vec<Generated> = profiles
        .iter()
        .map(|p| match &p.kind {
            ProfileKind::File { profile, .. } => generate::for_profile_on(profile, arch),
            _ => Generated::default(),
        })
        .collect();
    let cases = PlannedCases::select(&catalog, &generated, selection.cases)?;
    let (calibration, own_table_calibration) = calibrations(&profiles, &runtimes, &catalog, arch);
    let (configurations, configuration_jobs) = Planner {
        arch,
        kernel,
        catalog: &catalog,
        cap_sets: &cap_sets,
        runtimes: &runtimes,
        honours_default_errno_ret,
        cases: &cases,
        generated: &generated,
        start_held_back: selection.start_held_back,
    }
    .configurations(&profiles)?;
    let builtin_upstream = profiles
        .iter()
        .position(|p| p.name == input::BUILTIN_UPSTREAM)
        .ok_or_else(|| "no upstream default profile is in the run".to_string());
    let mut plan = Plan {
        arch,
        kernel,
        kernel_sublevel: None,
        catalog,
        case_ids: cases.ids,
        generated,
        builtin_upstream,
        jobs: baselines(runtimes.len(), cap_sets.len()),
        profiles,
        cap_sets,
        configurations,
        honours_default_errno_ret,
        runtimes,
        calibration,
        own_table_calibration,
    };
    // The jobs in their order: the baselines, the calibrations, the configurations'.
    let calibration_jobs = plan.calibration_jobs();
    plan.jobs.extend(calibration_jobs);
    plan.jobs.extend(configuration_jobs);
    Ok(plan)
}

/// Tags every file profile again for an engine or runtime that drops `defaultErrnoRet`: which
/// rules the runtime drops depends on the default the engine passes on.
fn tag_for_dropped_default(profiles: &mut [LoadedProfile]) {
    for p in profiles {
        if let ProfileKind::File { profile, tagged } = &mut p.kind {
            *tagged = profile::tag_for(profile, false);
        }
    }
}

/// The cases a run plans: the catalog's, in catalog order, then those the profiles' conditions
/// generated, each kept where the user selected it (all when the selection is empty).
#[derive(Debug)]
struct PlannedCases {
    ids: Vec<String>,
    /// How many of [`PlannedCases::ids`], from the start, are the catalog's.
    catalog_cases: usize,
}

impl PlannedCases {
    /// The selected cases, or the first selected id that is neither the catalog's nor
    /// generated.
    fn select(
        catalog: &Catalog,
        generated: &[Generated],
        selected: &[String],
    ) -> Result<PlannedCases, PlanError> {
        let is_generated = |id: &str| generated.iter().any(|g| g.cases.contains_key(id));
        if let Some(unknown) = selected
            .iter()
            .find(|id| catalog.get(id).is_none() && !is_generated(id))
        {
            return Err(PlanError::UnknownCase(unknown.clone()));
        }
        let chosen = |id: &str| selected.is_empty() || selected.iter().any(|s| s == id);
        let mut ids: Vec<String> = catalog
            .cases()
            .iter()
            .filter(|c| chosen(&c.id))
            .map(|c| c.id.clone())
            .collect();
        let catalog_cases = ids.len();
        let all_generated: BTreeSet<&String> = generated
            .iter()
            .flat_map(|g| g.cases.keys())
            .filter(|id| chosen(id))
            .collect();
        ids.extend(all_generated.into_iter().cloned());
        Ok(PlannedCases { ids, catalog_cases })
    }

    /// The cases of a configuration whose profile generated `own`: the catalog's and its own
    /// generated ones. `None` (every planned case, [`Plan::case_ids`]) where no case is
    /// generated at all.
    fn of_profile(&self, own: &Generated) -> Option<Vec<String>> {
        if self.ids.len() == self.catalog_cases {
            return None;
        }
        Some(
            self.ids
                .iter()
                .enumerate()
                .filter(|(i, id)| *i < self.catalog_cases || own.cases.contains_key(*id))
                .map(|(_, id)| id.clone())
                .collect(),
        )
    }
}

/// Per runtime, an unconfined baseline per capability set: the runtime sets up the process
/// the kernel judges, and the probe reports the host's facts from it.
fn baselines(runtimes: usize, cap_sets: usize) -> Vec<Job> {
    (0..runtimes)
        .flat_map(|rt| (0..cap_sets).map(move |s| (rt, s)))
        .map(|(rt, s)| Job {
            kind: JobKind::Baseline {
                cap_set: s,
                runtime: rt,
            },
            seccomp: Seccomp::Unconfined,
            cap_set: s,
            runtime: rt,
            cases: None,
            probe_args: ProbeArgs {
                host_facts: true,
                ..ProbeArgs::default()
            },
            parts: Vec::new(),
        })
        .collect()
}

/// The calibration a run needs when a file profile is in it, and the one of every native name
/// when a runtime resolves names itself ([`Calibration::every_native_name`]).
fn calibrations(
    profiles: &[LoadedProfile],
    runtimes: &[PlannedRuntime],
    catalog: &Catalog,
    arch: Arch,
) -> (Option<Calibration>, Option<Calibration>) {
    let calibration = profiles
        .iter()
        .any(|p| matches!(p.kind, ProfileKind::File { .. }))
        .then(|| Calibration::new(catalog, arch))
        .filter(|c| !c.cases.is_empty());
    let own_table_calibration = calibration
        .as_ref()
        .filter(|_| runtimes.iter().any(|r| r.model.resolves_names_itself()))
        .map(|_| Calibration::every_native_name(catalog, arch));
    (calibration, own_table_calibration)
}

/// What planning one configuration reads: the engine's terms, the run's cases and choices.
struct Planner<'a> {
    arch: Arch,
    kernel: KernelVersion,
    catalog: &'a Catalog,
    cap_sets: &'a [CapSpec],
    runtimes: &'a [PlannedRuntime],
    honours_default_errno_ret: bool,
    cases: &'a PlannedCases,
    generated: &'a [Generated],
    start_held_back: bool,
}

/// A configuration's planned containers: whether it starts, what its tagged copy allows on
/// purpose, and its jobs.
struct ConfigurationJobs {
    start: Start,
    tagged_allows: Vec<String>,
    jobs: Vec<Job>,
}

impl Planner<'_> {
    /// Every configuration, profile by profile, then capability set, then runtime, with the
    /// jobs they need; two of one id are refused, naming both files.
    fn configurations(
        &self,
        profiles: &[LoadedProfile],
    ) -> Result<(Vec<PlannedConfiguration>, Vec<Job>), PlanError> {
        let mut configurations = Vec::new();
        let mut jobs = Vec::new();
        let mut ids: BTreeMap<String, &str> = BTreeMap::new();
        for (p, loaded) in profiles.iter().enumerate() {
            for (s, caps) in self.cap_sets.iter().enumerate() {
                for (rt, runtime) in self.runtimes.iter().enumerate() {
                    let id = ConfigurationId {
                        engine: None,
                        profile: loaded.name.clone(),
                        caps: caps.changes.clone(),
                        runtime: runtime.name.clone(),
                    };
                    id.check().map_err(|source| PlanError::ConfigurationId {
                        file: loaded.source.clone(),
                        source,
                    })?;
                    let id = id.to_string();
                    if let Some(first) = ids.insert(id.clone(), &loaded.source) {
                        return Err(PlanError::DuplicateConfiguration {
                            id,
                            first: first.to_string(),
                            second: loaded.source.clone(),
                        });
                    }
                    let configuration = configurations.len();
                    let planned = self.configuration(configuration, p, &loaded.kind, s, rt);
                    jobs.extend(planned.jobs);
                    configurations.push(PlannedConfiguration {
                        id,
                        profile: p,
                        cap_set: s,
                        runtime: rt,
                        start: planned.start,
                        tagged_allows: planned.tagged_allows,
                    });
                }
            }
        }
        Ok((configurations, jobs))
    }

    /// The containers of configuration `configuration` (profile `p` of kind `kind`, with
    /// capability set `s` on runtime `rt`): none for unconfined (the baseline of its capability
    /// set is its run), one for builtin, the profile as written and its tagged twin for a file.
    fn configuration(
        &self,
        configuration: usize,
        p: usize,
        kind: &ProfileKind,
        s: usize,
        rt: usize,
    ) -> ConfigurationJobs {
        match kind {
            ProfileKind::Unconfined => ConfigurationJobs {
                start: Start::Starts,
                tagged_allows: Vec::new(),
                jobs: Vec::new(),
            },
            ProfileKind::Builtin => ConfigurationJobs {
                start: Start::Starts,
                tagged_allows: Vec::new(),
                jobs: vec![Job {
                    kind: JobKind::AsIs { configuration },
                    seccomp: Seccomp::Builtin,
                    cap_set: s,
                    runtime: rt,
                    cases: self.cases.of_profile(&self.generated[p]),
                    probe_args: ProbeArgs::default(),
                    parts: Vec::new(),
                }],
            },
            ProfileKind::File { profile, tagged } => {
                self.file(configuration, p, (profile, tagged), s, rt)
            }
        }
    }

    /// A file configuration: the oracle's [`Start`] for it, and unless it is held back (it
    /// would hang the runtime for good, [`crate::runtime::RuntimeModel::kill_hangs_start`];
    /// `--start-held-back` starts it on an engine the user can
    /// disturb), the profile as written and its tagged copy for the runtime, each with the
    /// probe flags and in-process parts its own filter calls for.
    fn file(
        &self,
        configuration: usize,
        p: usize,
        (profile, tagged): (&Profile, &profile::Tagged),
        s: usize,
        rt: usize,
    ) -> ConfigurationJobs {
        // The machinery's calls are all older than any libseccomp the runtime may have, so no
        // calibration is needed to choose them.
        let host = Host::new(self.arch, self.cap_sets[s].caps.clone(), self.kernel)
            .with_default_errno_ret(self.honours_default_errno_ret)
            .with_runtime(self.runtimes[rt].model.clone());
        let as_is = profile::resolve(profile, &host);
        let as_is = Oracle::new(&as_is);
        let start = as_is.start(self.catalog);
        if !self.start_held_back && matches!(start, Start::HeldBack(_)) {
            return ConfigurationJobs {
                start,
                tagged_allows: Vec::new(),
                jobs: Vec::new(),
            };
        }
        let tagged =
            crate::runtime::tagged_for(tagged, profile, &self.runtimes[rt].model, self.arch);
        let tagged_allows = tagged.allowed_on_purpose(profile);
        let tagged_resolved = profile::resolve(&tagged.profile, &host);
        let tagged_oracle = Oracle::new(&tagged_resolved);
        let cases = self.cases.of_profile(&self.generated[p]);
        let case = |id: &str| {
            self.catalog
                .get(id)
                .or_else(|| self.generated[p].cases.get(id))
        };
        let ids = cases.as_deref().unwrap_or(&self.cases.ids);
        let job = |kind: JobKind, seccomp: Profile, oracle: &Oracle| {
            let probe_args = avoid_flags(oracle, self.catalog);
            let parts = match start {
                Start::Starts => in_process_parts(oracle, &probe_args, ids, case, self.catalog),
                // A container that does not start fails the same in every part.
                _ => Vec::new(),
            };
            Job {
                kind,
                seccomp: Seccomp::Profile(seccomp),
                cap_set: s,
                runtime: rt,
                cases: cases.clone(),
                probe_args,
                parts,
            }
        };
        let jobs = vec![
            job(JobKind::AsIs { configuration }, profile.clone(), &as_is),
            job(
                JobKind::Tagged { configuration },
                tagged.profile.clone(),
                &tagged_oracle,
            ),
        ];
        ConfigurationJobs {
            start,
            tagged_allows,
            jobs,
        }
    }
}

impl Job {
    /// Whether the probe will run this job's cases in its own process from the start: told to,
    /// or told to avoid every way to fork, or every way to learn how a child ended (the reap
    /// calls, and SIGCHLD's siginfo, which needs rt_sigaction and rt_sigreturn). Such a job
    /// needs a fresh container after each case that ends or changes the probe (19 for
    /// `static-server-allowlist` before the probe learned its children's ends from SIGCHLD),
    /// so it is the longest of a run.
    pub(crate) fn runs_in_process(&self, arch: Arch) -> bool {
        runs_in_process(&self.probe_args, arch)
    }
}

/// [`Job::runs_in_process`], from the probe's flags.
fn runs_in_process(args: &ProbeArgs, arch: Arch) -> bool {
    use seccomp_catalog::own_calls::Role;
    let is_avoided = |n: &&str| args.avoid.iter().any(|a| a == n);
    // Out of use: every option avoided, or for a role that needs all of them, any one.
    let avoided = |role: Role| {
        let mut options = role.options(arch).iter();
        if role.needs_all() {
            options.any(is_avoided)
        } else {
            options.all(is_avoided)
        }
    };
    args.in_process || avoided(Role::Fork) || (avoided(Role::Reap) && avoided(Role::ChildSignal))
}

impl Plan {
    /// The order the jobs ask for a container slot in: those that run in-process first, then
    /// the rest, each group in plan order. Started last, an in-process job's chain of
    /// containers ran alone at the end of the default run; started first, it overlaps the
    /// one-container jobs.
    pub fn start_order(&self) -> Vec<usize> {
        let mut order: Vec<usize> = (0..self.jobs.len()).collect();
        order.sort_by_key(|&j| !self.jobs[j].runs_in_process(self.arch));
        order
    }

    /// A planned case: the catalog's, or one a profile's conditions generated.
    pub(crate) fn case(&self, id: &str) -> Option<&Case> {
        self.catalog
            .get(id)
            .or_else(|| self.generated.iter().find_map(|g| g.cases.get(id)))
    }

    /// Runs no generated case: the catalog's cases only, as before they existed.
    pub fn drop_generated(&mut self) {
        let catalog = &self.catalog;
        self.case_ids.retain(|id| catalog.get(id).is_some());
        for g in &mut self.generated {
            *g = Generated::default();
        }
        for job in &mut self.jobs {
            if !matches!(job.kind, JobKind::Calibration { .. }) {
                job.cases = None;
            }
            for part in &mut job.parts {
                part.retain(|id| catalog.get(id).is_some());
            }
            job.parts.retain(|p| !p.is_empty());
            if job.parts.len() < 2 {
                job.parts.clear();
            }
        }
    }

    /// Whether configuration `configuration` has a cell for case `id`: every catalog case, and
    /// the generated cases of its own profile only.
    pub(crate) fn has_cell(&self, configuration: usize, id: &str) -> bool {
        self.catalog.get(id).is_some()
            || self.generated[self.configurations[configuration].profile]
                .cases
                .contains_key(id)
    }

    /// A calibration container per runtime, each with the calibration its runtime needs
    /// ([`Plan::calibration_for`]): each runtime may link its own libseccomp.
    fn calibration_jobs(&self) -> Vec<Job> {
        (0..self.runtimes.len())
            .filter_map(|rt| {
                let c = self.calibration_for(rt)?;
                Some(Job {
                    kind: JobKind::Calibration { runtime: rt },
                    seccomp: Seccomp::Profile(c.profile.clone()),
                    cap_set: 0,
                    runtime: rt,
                    cases: Some(c.cases.iter().map(|(id, _)| id.clone()).collect()),
                    probe_args: ProbeArgs::default(),
                    parts: Vec::new(),
                })
            })
            .collect()
    }

    /// The calibration a runtime's container ran, if any.
    pub fn calibration_for(&self, runtime: usize) -> Option<&Calibration> {
        match &self.own_table_calibration {
            Some(g) if self.runtimes[runtime].model.resolves_names_itself() => Some(g),
            _ => self.calibration.as_ref(),
        }
    }

    /// The host the oracle resolves a configuration for, with the names the calibration found
    /// unknown to its runtime's libseccomp.
    pub fn host(&self, cap_set: usize, runtime: usize, unknown_names: &BTreeSet<String>) -> Host {
        Host::new(self.arch, self.cap_sets[cap_set].caps.clone(), self.kernel)
            .with_kernel_sublevel(self.kernel_sublevel)
            .with_default_errno_ret(self.honours_default_errno_ret)
            .with_unknown_names(unknown_names.clone())
            .with_runtime(self.runtimes[runtime].model.clone())
    }

    /// The job that gives a configuration's observed cells.
    pub fn as_is_job(&self, configuration: usize) -> JobKind {
        let conf = &self.configurations[configuration];
        match self.profiles[conf.profile].kind {
            ProfileKind::Unconfined => JobKind::Baseline {
                cap_set: conf.cap_set,
                runtime: conf.runtime,
            },
            _ => JobKind::AsIs { configuration },
        }
    }

    /// Whether a job runs a configuration the oracle holds back, which a run starts only when
    /// asked to (`run --start-held-back`): such a start hangs the runtime for good, so the
    /// engine must not wait for it a second time.
    pub fn held_back(&self, kind: JobKind) -> bool {
        match kind {
            JobKind::AsIs { configuration } | JobKind::Tagged { configuration } => {
                matches!(self.configurations[configuration].start, Start::HeldBack(_))
            }
            JobKind::Baseline { .. } | JobKind::Calibration { .. } => false,
        }
    }

    /// The name a job goes by in the progress bar, the timings and the diagnostics: the
    /// configuration id it serves, so that a user can tell which column a slow or failing
    /// container belongs to; a baseline by the `unconfined` id of its capability set and
    /// runtime, which it also is.
    pub fn job_label(&self, kind: JobKind) -> String {
        match kind {
            JobKind::Baseline { cap_set, runtime } => {
                let unconfined = ConfigurationId {
                    caps: self.cap_sets[cap_set].changes.clone(),
                    runtime: self.runtimes[runtime].name.clone(),
                    ..ConfigurationId::of_profile("unconfined")
                };
                format!("baseline ({unconfined})")
            }
            JobKind::AsIs { configuration } => self.configurations[configuration].id.clone(),
            JobKind::Tagged { configuration } => {
                format!("{} (tagged)", self.configurations[configuration].id)
            }
            JobKind::Calibration { runtime } => format!(
                "calibration (names the runtime's libseccomp knows){}",
                self.runtimes[runtime]
                    .name
                    .as_ref()
                    .map_or(String::new(), |n| format!("@{n}"))
            ),
        }
    }

    /// Asks the oracle for every cell, once the calibration has measured which names each
    /// runtime's libseccomp doesn't know (by runtime index; a runtime without a measurement
    /// is taken to know every name). Each file configuration is predicted once; builtin takes
    /// the prediction of upstream's configuration beside it (same capability set and runtime,
    /// so the same host and start), which is among the configurations.
    pub fn predict(&self, unknown_names: &BTreeMap<usize, BTreeSet<String>>) -> Predictions {
        let cases: Vec<_> = self
            .case_ids
            .iter()
            .map(|id| self.case(id).expect("planned cases are known"))
            .collect();
        let mut predictions: Vec<_> = self
            .configurations
            .iter()
            .map(|conf| match &self.profiles[conf.profile].kind {
                ProfileKind::Builtin => None,
                ProfileKind::Unconfined => Some(
                    cases
                        .iter()
                        .map(|c| oracle::predict_unfiltered(c, self.arch, self.kernel))
                        .collect(),
                ),
                ProfileKind::File { profile, .. } => Some(self.predict_file(
                    profile,
                    conf,
                    &cases,
                    unknown_names.get(&conf.runtime).unwrap_or(&BTreeSet::new()),
                )),
            })
            .collect();
        for (c, conf) in self.configurations.iter().enumerate() {
            if let ProfileKind::Builtin = self.profiles[conf.profile].kind {
                predictions[c] = self
                    .upstream_configuration(conf.cap_set, conf.runtime)
                    .and_then(|u| predictions[u].clone());
            }
        }
        Predictions(predictions)
    }

    fn predict_file(
        &self,
        profile: &Profile,
        conf: &PlannedConfiguration,
        cases: &[&seccomp_catalog::Case],
        unknown_names: &BTreeSet<String>,
    ) -> Vec<Prediction> {
        let resolved = profile::resolve(
            profile,
            &self.host(conf.cap_set, conf.runtime, unknown_names),
        );
        let oracle = Oracle::new(&resolved);
        oracle.expect(cases.iter().copied(), &conf.start, &self.catalog)
    }

    /// Rule coverage of every file configuration of `matrix` (which this plan assembled), with
    /// the calibration's unknown names as [`Plan::predict`] had them.
    pub fn coverage(
        &self,
        matrix: &crate::matrix::Matrix,
        unknown_names: &BTreeMap<usize, BTreeSet<String>>,
    ) -> Vec<crate::coverage::Coverage> {
        let mut out = Vec::new();
        for (c, conf) in self.configurations.iter().enumerate() {
            let loaded = &self.profiles[conf.profile];
            let ProfileKind::File { profile, .. } = &loaded.kind else {
                continue;
            };
            let resolved = profile::resolve(
                profile,
                &self.host(
                    conf.cap_set,
                    conf.runtime,
                    unknown_names.get(&conf.runtime).unwrap_or(&BTreeSet::new()),
                ),
            );
            let oracle = Oracle::new(&resolved);
            let cells: Vec<&crate::matrix::Cell> = matrix
                .cells
                .iter()
                .filter(|cell| cell.configuration == conf.id)
                .collect();
            let start_error = matrix
                .configurations
                .get(c)
                .and_then(|m| m.start_error.as_deref());
            out.push(crate::coverage::of(&crate::coverage::Input {
                configuration: &conf.id,
                profile_name: &loaded.name,
                profile,
                resolved: &resolved,
                oracle: &oracle,
                cells: &cells,
                not_generated: &self.generated[conf.profile].not_generated,
                start_error,
            }));
        }
        out
    }

    /// The configuration that runs upstream's default with a capability set on a runtime:
    /// builtin's prediction and attribution.
    pub fn upstream_configuration(&self, cap_set: usize, runtime: usize) -> Option<usize> {
        let profile = *self.builtin_upstream.as_ref().ok()?;
        self.configurations
            .iter()
            .position(|c| c.profile == profile && c.cap_set == cap_set && c.runtime == runtime)
    }
}

#[cfg(test)]
pub(crate) mod testing;
#[cfg(test)]
mod tests;
