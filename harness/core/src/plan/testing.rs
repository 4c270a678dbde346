//! Plans as the unit tests of planning, assembly and the finish step make them. One place says
//! what a test plan runs on when a test does not say otherwise, so that each test names only
//! what it varies, and a change to [`plan`]'s arguments is made once for every test.

use super::input::{add_upstream_beside_builtin, CapSpec, LoadedProfile};
use super::{plan, Plan, PlannedRuntime, Selection};
use crate::profile::{engine_honours_default_errno_ret, KernelVersion};
use crate::runtime::Runtime;
use seccomp_catalog::Arch;

/// A plan's arguments, each with the value most tests need.
pub(crate) struct TestPlan {
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    kernel: KernelVersion,
    honours_default_errno_ret: bool,
    runtimes: Vec<PlannedRuntime>,
    cases: Vec<String>,
}

impl TestPlan {
    /// `profiles` on x86_64 with kernel 6.1, the engine's default capabilities, the engine's
    /// default runtime as [`Runtime::default`] models it, `defaultErrnoRet` honoured, and
    /// every case of the catalog.
    pub(crate) fn of(profiles: Vec<LoadedProfile>) -> TestPlan {
        TestPlan {
            profiles,
            cap_sets: vec![CapSpec::docker_default()],
            kernel: KernelVersion::new(6, 1),
            honours_default_errno_ret: true,
            runtimes: vec![PlannedRuntime::default_of(Runtime::default())],
            cases: Vec::new(),
        }
    }

    /// As an engine `engine` of `version` plans it: upstream's default for the release joins
    /// beside `builtin` (it predicts builtin), and the engine passes `defaultErrnoRet` on or
    /// not as its release does.
    pub(crate) fn on_engine(mut self, engine: &str, version: &str) -> TestPlan {
        let upstream = crate::upstream::default_for(engine, version);
        add_upstream_beside_builtin(&mut self.profiles, upstream)
            .unwrap_or_else(|e| panic!("{engine} {version}: {e}"));
        self.honours_default_errno_ret = engine_honours_default_errno_ret(engine, version);
        self
    }

    pub(crate) fn kernel(mut self, major: u64, minor: u64) -> TestPlan {
        self.kernel = KernelVersion::new(major, minor);
        self
    }

    /// On an engine that drops `defaultErrnoRet` (Docker before 23).
    pub(crate) fn dropping_default_errno_ret(mut self) -> TestPlan {
        self.honours_default_errno_ret = false;
        self
    }

    pub(crate) fn runtimes(mut self, runtimes: Vec<PlannedRuntime>) -> TestPlan {
        self.runtimes = runtimes;
        self
    }

    pub(crate) fn cases(mut self, cases: &[&str]) -> TestPlan {
        self.cases = cases.iter().map(|c| c.to_string()).collect();
        self
    }

    /// The plan; a test plan that can't be made is the test's own error.
    pub(crate) fn plan(self) -> Plan {
        plan(
            self.profiles,
            self.cap_sets,
            Arch::X86_64,
            self.kernel,
            self.honours_default_errno_ret,
            self.runtimes,
            Selection::cases(&self.cases),
        )
        .unwrap_or_else(|e| panic!("{e}"))
    }
}
