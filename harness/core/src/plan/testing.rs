//! Plans for the tests of planning and assembly. [`plan`] takes seven inputs and a test
//! varies one or two of them: [`PlanSetup`] holds the others at those of a Docker engine on
//! x86_64 with kernel 6.1 that passes `defaultErrnoRet` on, its default runtime as
//! [`Runtime::default`] models it, Docker's default capabilities and every case, so each test
//! names only what it is about.

use super::input::{add_upstream_beside_builtin, load_file, CapSpec, LoadedProfile};
use super::{plan, Plan, PlanError, PlannedRuntime, Selection};
use crate::profile::{engine_honours_default_errno_ret, KernelVersion};
use crate::runtime::Runtime;
use seccomp_catalog::Arch;
use std::path::PathBuf;

/// The inputs of one [`plan`] call, built up by what a test changes.
pub(crate) struct PlanSetup {
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    kernel: KernelVersion,
    honours_default_errno_ret: bool,
    runtimes: Vec<PlannedRuntime>,
    cases: Vec<String>,
    start_held_back: bool,
}

impl PlanSetup {
    pub(crate) fn of(profiles: Vec<LoadedProfile>) -> PlanSetup {
        PlanSetup {
            profiles,
            cap_sets: vec![CapSpec::docker_default()],
            kernel: KernelVersion::new(6, 1),
            honours_default_errno_ret: true,
            runtimes: vec![PlannedRuntime::default_of(Runtime::default())],
            cases: Vec::new(),
            start_held_back: false,
        }
    }

    /// As an engine `engine` of `version` plans it: upstream's default for the release joins
    /// beside `builtin` (it predicts builtin), and the engine passes `defaultErrnoRet` on or
    /// not as its release does.
    pub(crate) fn on_engine(mut self, engine: &str, version: &str) -> PlanSetup {
        let upstream = crate::upstream::default_for(engine, version);
        add_upstream_beside_builtin(&mut self.profiles, upstream)
            .unwrap_or_else(|e| panic!("{engine} {version}: {e}"));
        self.honours_default_errno_ret = engine_honours_default_errno_ret(engine, version);
        self
    }

    pub(crate) fn cap_sets(mut self, cap_sets: Vec<CapSpec>) -> PlanSetup {
        self.cap_sets = cap_sets;
        self
    }

    pub(crate) fn kernel(mut self, major: u64, minor: u64) -> PlanSetup {
        self.kernel = KernelVersion::new(major, minor);
        self
    }

    /// An engine before Docker 23, which drops `defaultErrnoRet`.
    pub(crate) fn dropping_default_errno_ret(mut self) -> PlanSetup {
        self.honours_default_errno_ret = false;
        self
    }

    pub(crate) fn runtimes(mut self, runtimes: Vec<PlannedRuntime>) -> PlanSetup {
        self.runtimes = runtimes;
        self
    }

    /// Only these cases, instead of the whole catalog.
    pub(crate) fn cases(mut self, ids: &[&str]) -> PlanSetup {
        self.cases = ids.iter().map(|id| id.to_string()).collect();
        self
    }

    /// `run --start-held-back`.
    pub(crate) fn starting_held_back(mut self) -> PlanSetup {
        self.start_held_back = true;
        self
    }

    pub(crate) fn plan(self) -> Result<Plan, PlanError> {
        plan(
            self.profiles,
            self.cap_sets,
            Arch::X86_64,
            self.kernel,
            self.honours_default_errno_ret,
            self.runtimes,
            Selection {
                cases: &self.cases,
                start_held_back: self.start_held_back,
            },
        )
    }
}

/// The engine's default capabilities, and the same with CAP_SYS_ADMIN: the set that unlocks
/// most of a default profile's conditional rules.
pub(crate) fn default_and_sys_admin() -> Vec<CapSpec> {
    vec![
        CapSpec::docker_default(),
        CapSpec::parse("+SYS_ADMIN").unwrap(),
    ]
}

/// Writes a test's profile to `name` in `dir`, which holds it for as long as a plan uses it.
pub(crate) fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, text).unwrap();
    p
}

/// [`write`], loaded as the harness loads a file profile.
pub(crate) fn file_profile(dir: &tempfile::TempDir, name: &str, text: &str) -> LoadedProfile {
    load_file(&write(dir, name, text))
}
