//! The prepare step of a run, the same on every engine: what the engine's facts decide (its
//! arch, its kernel, the runtimes the configurations run on, whether it passes
//! `defaultErrnoRet` on) and the plan, made once from them. Pure: the facts come in as a value,
//! so the step is tested without an engine.

use super::execute::{RunError, RunOptions};
use crate::engine::EngineFacts;
use seccomp_catalog::Arch;
use seccomp_harness_core::engine_kind::EngineKind;
use seccomp_harness_core::plan::input::{add_upstream_beside_builtin, CapSpec, LoadedProfile};
use seccomp_harness_core::plan::{self, Plan, PlannedRuntime, Selection};
use seccomp_harness_core::profile::{engine_honours_default_errno_ret, KernelVersion};
use seccomp_harness_core::runtime::Runtime;
use seccomp_harness_core::upstream::{self, NoUpstream, Release};

/// What the user chose of the planned work, as the prepare step takes it from the options.
#[derive(Debug, Clone, Copy)]
pub(super) struct Choices<'a> {
    /// Runtimes named with `--runtime`; empty for the engine's default.
    pub(crate) runtimes: &'a [String],
    pub(crate) selection: Selection<'a>,
    /// Whether the profiles' generated cases run ([`RunOptions::generated_cases`]).
    pub(crate) generated_cases: bool,
    /// [`RunOptions::containers_common`].
    pub(crate) containers_common: Option<&'a str>,
}

impl<'a> Choices<'a> {
    /// A Docker or Podman engine's run: everything the options say.
    pub(crate) fn of(opts: &'a RunOptions) -> Choices<'a> {
        Choices {
            runtimes: &opts.runtimes,
            selection: Selection {
                cases: &opts.cases,
                start_held_back: opts.start_held_back,
            },
            generated_cases: opts.generated_cases,
            containers_common: opts.containers_common.as_deref(),
        }
    }

    /// A Kubernetes node's run: its default runtime (the CRI names no other), and held-back
    /// profiles stay held back, as freeing a hung runtime (engine/hung.rs) is done for a
    /// Docker engine's containers only.
    pub(crate) fn on_node(opts: &'a RunOptions) -> Choices<'a> {
        Choices {
            runtimes: &[],
            selection: Selection::cases(&opts.cases),
            generated_cases: opts.generated_cases,
            containers_common: opts.containers_common.as_deref(),
        }
    }
}

/// Plans `profiles` × `cap_sets` for the engine at `host` whose facts are `facts`: upstream's
/// default for the engine's release joins the run beside `builtin` (it predicts builtin), and
/// the plan gets the kernel's sublevel and, where there is no upstream default, the reason.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
pub(super) fn plan_for_engine(
    mut profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    facts: &EngineFacts,
    host: &str,
    choices: Choices<'_>,
) -> Result<Plan, RunError> {
    let (arch, kernel) = arch_and_kernel(facts)?;
    let honours = engine_honours_default_errno_ret(&facts.engine, &facts.engine_version);
    let runtimes =
        planned_runtimes(facts, choices.runtimes).map_err(|name| RunError::UnknownRuntime {
            host: host.to_string(),
            name,
            registered: facts.runtimes.join(", "),
        })?;
    let upstream = upstream_for(facts, host, choices.containers_common)?;
    let upstream = add_upstream_beside_builtin(&mut profiles, upstream);
    let mut plan = plan::plan(
        profiles,
        cap_sets,
        arch,
        kernel,
        honours,
        runtimes,
        choices.selection,
    )?;
    plan.kernel_sublevel = KernelVersion::sublevel_of(&facts.kernel);
    if !choices.generated_cases {
        plan.drop_generated();
    }
    if let Err(why) = upstream {
        plan.builtin_upstream = Err(why.to_string());
    }
    Ok(plan)
}

/// The upstream default that predicts the engine's builtin: the containers-common release
/// the user named for a Podman engine's host, else the one the engine's release was built
/// from. A named release that the data lacks, or one named for another engine, is the user's
/// error; the engine's own release missing from the data only leaves builtin unpredicted.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
fn upstream_for(
    facts: &EngineFacts,
    host: &str,
    containers_common: Option<&str>,
) -> Result<Result<&'static Release, NoUpstream>, RunError> {
    let Some(version) = containers_common else {
        return Ok(upstream::default_for(&facts.engine, &facts.engine_version));
    };
    if EngineKind::parse(&facts.engine) != Some(EngineKind::Podman) {
        return Err(RunError::ContainersCommonNotPodman {
            host: host.to_string(),
            engine: facts.engine.clone(),
        });
    }
    upstream::containers_common(version)
        .map(Ok)
        .map_err(RunError::ContainersCommon)
}

/// The engine's arch as the catalog knows it, and its kernel's version.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
pub(super) fn arch_and_kernel(facts: &EngineFacts) -> Result<(Arch, KernelVersion), RunError> {
    let arch =
        Arch::parse(&facts.arch).ok_or_else(|| RunError::UnsupportedArch(facts.arch.clone()))?;
    let kernel = KernelVersion::parse_release(&facts.kernel).map_err(|e| RunError::Kernel {
        release: facts.kernel.clone(),
        message: e.to_string(),
    })?;
    Ok((arch, kernel))
}

/// The runtimes of a run: the engine's default, or each named one that the engine has (else
/// the first name it lacks).
fn planned_runtimes(facts: &EngineFacts, named: &[String]) -> Result<Vec<PlannedRuntime>, String> {
    let with_command = |rt: PlannedRuntime, name: &str| match facts.runtime_commands.get(name) {
        Some(c) => rt.with_command(&c.path, &c.args),
        None => rt,
    };
    if named.is_empty() {
        return Ok(vec![with_command(
            PlannedRuntime::default_of(Runtime::parse(
                &facts.default_runtime,
                facts.runtime_version.as_deref(),
            )),
            &facts.default_runtime,
        )]);
    }
    named
        .iter()
        .map(|name| {
            // An engine that lists no runtimes (an old API) is taken at its word later.
            if !facts.runtimes.is_empty() && !facts.runtimes.contains(name) {
                return Err(name.clone());
            }
            Ok(with_command(
                PlannedRuntime::named(name, facts.runtime_versions.get(name).map(String::as_str)),
                name,
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::facts::RuntimeCommand;
    use crate::run::input::{load_profile, ProfileInput};
    use seccomp_harness_core::plan::input::BUILTIN_UPSTREAM;
    use seccomp_harness_core::runtime::testing::{OWN_KERNEL_NAME, OWN_KERNEL_PROGRAM};
    use seccomp_harness_core::runtime::DEFAULT_NAME;

    /// An engine whose default is the default runtime, with a second one registered (`rt-b`).
    fn facts(engine: &str, version: &str, kernel: &str) -> EngineFacts {
        EngineFacts {
            engine: engine.into(),
            engine_version: version.into(),
            arch: "x86_64".into(),
            kernel: kernel.into(),
            default_runtime: DEFAULT_NAME.into(),
            runtime_version: Some("1.1.5".into()),
            runtimes: vec![DEFAULT_NAME.into(), "rt-b".into()],
            ..EngineFacts::default()
        }
    }

    fn builtin_and_unconfined() -> Vec<LoadedProfile> {
        [ProfileInput::Builtin, ProfileInput::Unconfined]
            .iter()
            .map(|p| load_profile(p).unwrap())
            .collect()
    }

    fn one_case(opts: &mut RunOptions) {
        opts.cases = vec!["getpid".into()];
    }

    #[test]
    fn upstream_joins_beside_builtin_and_the_kernel_gives_its_sublevel() {
        let mut opts = RunOptions::default();
        one_case(&mut opts);
        let plan = plan_for_engine(
            builtin_and_unconfined(),
            vec![CapSpec::docker_default()],
            &facts("docker", "20.10.24+dfsg1", "6.1.0-50-amd64"),
            "unix:///var/run/docker.sock",
            Choices::of(&opts),
        )
        .unwrap();
        let names: Vec<_> = plan.profiles.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["builtin", BUILTIN_UPSTREAM, "unconfined"]);
        assert_eq!(plan.builtin_upstream, Ok(1));
        assert_eq!(plan.kernel, KernelVersion::new(6, 1));
        assert_eq!(plan.kernel_sublevel, Some(0));
        // Docker 20.10 drops defaultErrnoRet; 23 and later pass it on.
        assert!(!plan.honours_default_errno_ret);
        assert_eq!(plan.runtimes.len(), 1);
        assert_eq!(plan.runtimes[0].name, None);
        assert_eq!(plan.runtimes[0].model.name, DEFAULT_NAME);
    }

    /// Podman's builtin is predicted from the containers-common its release vendors, or from
    /// the release the user names for the host's package; naming one for another engine, or
    /// one the data lacks, is refused.
    #[test]
    #[allow(clippy::result_large_err)] // the run's own error type, matched here
    fn a_podman_engines_builtin_is_predicted_from_containers_common() {
        let mut opts = RunOptions::default();
        one_case(&mut opts);
        let host = "unix:///run/podman/podman.sock";
        let plan = |f: &EngineFacts, opts: &RunOptions| {
            plan_for_engine(
                builtin_and_unconfined(),
                vec![CapSpec::docker_default()],
                f,
                host,
                Choices::of(opts),
            )
        };
        let source = |plan: &Plan| {
            plan.profiles[*plan.builtin_upstream.as_ref().unwrap()]
                .source
                .clone()
        };
        let podman = facts("podman", "5.8.2", "6.12.0");
        let vendored = plan(&podman, &opts).unwrap();
        assert!(
            source(&vendored).contains("containers-common v0.67.1 as vendored by podman v5.8.2"),
            "{}",
            source(&vendored)
        );
        // Podman 5.8.6 is newer than the data: builtin stays unpredicted, and says why.
        let newer = plan(&facts("podman", "5.8.6", "6.12.0"), &opts).unwrap();
        assert!(newer.profiles.iter().all(|p| p.name != BUILTIN_UPSTREAM));
        assert!(
            newer
                .builtin_upstream
                .as_ref()
                .unwrap_err()
                .contains("no upstream Podman release 5.8.6"),
            "{:?}",
            newer.builtin_upstream
        );
        // The host's containers-common, named, is what builtin is predicted from.
        opts.containers_common = Some("0.64.1+ds1-1".into());
        let named = plan(&facts("podman", "5.8.6", "6.12.0"), &opts).unwrap();
        assert!(
            source(&named).contains("(containers-common v0.64.1 at "),
            "{}",
            source(&named)
        );
        match plan(&facts("docker", "28.5.2", "6.12.0"), &opts) {
            Err(e @ RunError::ContainersCommonNotPodman { .. }) => {
                assert!(
                    e.to_string()
                        .contains("the engine at unix:///run/podman/podman.sock is docker"),
                    "{e}"
                )
            }
            other => panic!("{other:?}"),
        }
        opts.containers_common = Some("0.20.0".into());
        match plan(&podman, &opts) {
            Err(e @ RunError::ContainersCommon(_)) => assert!(
                e.to_string().starts_with(
                    "--containers-common: no upstream containers-common release 0.20.0 in the data"
                ),
                "{e}"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_engine_without_an_upstream_default_names_why() {
        let mut opts = RunOptions::default();
        one_case(&mut opts);
        let plan = plan_for_engine(
            builtin_and_unconfined(),
            vec![CapSpec::docker_default()],
            &facts("docker", "1.2.3", "6.12.0"),
            "tcp://lab:2375",
            Choices::of(&opts),
        )
        .unwrap();
        assert!(plan.profiles.iter().all(|p| p.name != BUILTIN_UPSTREAM));
        assert!(plan.builtin_upstream.is_err());
    }

    #[test]
    #[allow(clippy::result_large_err)] // the run's own error type, matched here
    fn named_runtimes_must_be_the_engines_and_a_node_takes_only_its_default() {
        let mut opts = RunOptions::default();
        one_case(&mut opts);
        opts.runtimes = vec!["rt-b".into(), "rt-unregistered".into()];
        let f = facts("docker", "28.5.2", "6.12.0");
        let host = "tcp://lab:2375";
        let plan = |choices| {
            plan_for_engine(
                builtin_and_unconfined(),
                vec![CapSpec::docker_default()],
                &f,
                host,
                choices,
            )
        };
        match plan(Choices::of(&opts)) {
            Err(RunError::UnknownRuntime {
                host: h,
                name,
                registered,
            }) => {
                assert_eq!((h.as_str(), name.as_str()), (host, "rt-unregistered"));
                assert_eq!(registered, format!("{DEFAULT_NAME}, rt-b"));
            }
            other => panic!("{other:?}"),
        }
        let mut second = RunOptions::default();
        one_case(&mut second);
        second.runtimes = vec!["rt-b".into()];
        let named = plan(Choices::of(&second)).unwrap();
        assert_eq!(named.runtimes[0].name.as_deref(), Some("rt-b"));
        assert_eq!(named.configurations[0].id, "builtin@rt-b");
        let on_node = plan(Choices::on_node(&opts)).unwrap();
        assert_eq!(on_node.runtimes[0].name, None);
        assert_eq!(on_node.configurations[0].id, "builtin");
    }

    #[test]
    fn a_runtime_known_by_its_program_gets_that_programs_model() {
        let mut f = facts("docker", "28.5.2", "6.12.0");
        f.default_runtime = "sandboxed".into();
        f.runtime_commands.insert(
            "sandboxed".into(),
            RuntimeCommand {
                path: OWN_KERNEL_PROGRAM.into(),
                args: Vec::new(),
            },
        );
        let runtimes = planned_runtimes(&f, &[]).unwrap();
        assert_eq!(runtimes[0].model.name, OWN_KERNEL_NAME);
        assert!(!runtimes[0].model.runs_on_host_kernel());
        assert!(runtimes[0].unenforced_cause.is_some(), "no --oci-seccomp");
    }

    #[test]
    fn an_arch_or_kernel_the_harness_cannot_read_is_the_environments_fault() {
        let mut f = facts("docker", "28.5.2", "6.12.0");
        f.arch = "riscv64".into();
        assert!(matches!(
            arch_and_kernel(&f),
            Err(RunError::UnsupportedArch(a)) if a == "riscv64"
        ));
        f.arch = "aarch64".into();
        f.kernel = "not a release".into();
        assert!(matches!(arch_and_kernel(&f), Err(RunError::Kernel { .. })));
        f.kernel = "7.2.0-rc1".into();
        assert_eq!(
            arch_and_kernel(&f).unwrap(),
            (Arch::Aarch64, KernelVersion::new(7, 2))
        );
    }

    #[test]
    fn without_generated_cases_only_the_catalogs_run() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("deny-small-reads.json");
        std::fs::write(
            &path,
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":64,"op":"SCMP_CMP_LE"}]}]}"#,
        )
        .unwrap();
        let profiles = vec![load_profile(&ProfileInput::File(path)).unwrap()];
        let f = facts("docker", "28.5.2", "6.12.0");
        let mut opts = RunOptions::default();
        let with = plan_for_engine(
            profiles.clone(),
            vec![CapSpec::docker_default()],
            &f,
            "h",
            Choices::of(&opts),
        )
        .unwrap();
        opts.generated_cases = false;
        let without = plan_for_engine(
            profiles,
            vec![CapSpec::docker_default()],
            &f,
            "h",
            Choices::of(&opts),
        )
        .unwrap();
        let catalog = without.catalog.cases().len();
        assert!(with.case_ids.len() > catalog, "the rule generates cases");
        assert_eq!(without.case_ids.len(), catalog);
    }
}
