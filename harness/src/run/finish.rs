//! The finish step of a run, the same on every engine (a Docker or Podman engine, a CRI node):
//! the calibration's measurement per runtime, the oracle's predictions made with it, the host
//! facts, the matrix assembled once from the jobs' results, and each file configuration's rule
//! coverage. Pure: the containers have run by now.

use crate::engine::EngineFacts;
use seccomp_harness_core::assemble::{assemble, JobResults};
use seccomp_harness_core::calibration::{calibrate, Calibrated};
use seccomp_harness_core::matrix::{HostFacts, Matrix};
use seccomp_harness_core::plan::{JobKind, Plan};
use std::collections::{BTreeMap, BTreeSet};

/// Predicts every cell with the calibration's measurement and assembles the matrix, with the
/// rule coverage of every file configuration. The coverage is made here, once for every engine,
/// so that no engine's run can report cells without it: a rule never exercised must be named as
/// such (the brief: a pass means proven), and a CRI run once left the coverage out.
pub(super) fn assemble_run(plan: &Plan, facts: &EngineFacts, results: &JobResults) -> Matrix {
    // Predictions need the calibration's measurement of the runtime's libseccomp.
    let calibrated = calibrations(plan, results);
    let unknown: BTreeMap<usize, BTreeSet<String>> = calibrated
        .iter()
        .map(|(rt, c)| (*rt, c.unknown.clone()))
        .collect();
    let predictions = plan.predict(&unknown);
    let host = host_facts(plan, facts, results, &calibrated);
    let mut matrix = assemble(plan, &predictions, results, host, bounding_set());
    // With the calibration's unknown names, as the predictions had them.
    matrix.coverage = plan.coverage(&matrix, &unknown);
    matrix
}

/// The capability bounding set where the harness runs (`CapBnd` of /proc/self/status): a
/// local engine's runtime starts containers under the same one, so a capability missing here
/// is one no container of that engine can hold. `None` where /proc can't tell.
fn bounding_set() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| seccomp_harness_core::start_failure::parse_cap_bnd(&s))
}

/// What each runtime's calibration container measured, by runtime index; a runtime whose
/// calibration did not run, did not start or gave no record has none.
fn calibrations(plan: &Plan, results: &JobResults) -> BTreeMap<usize, Calibrated> {
    (0..plan.runtimes.len())
        .filter_map(|rt| {
            let c = plan.calibration_for(rt)?;
            let r = results.get(&JobKind::Calibration { runtime: rt })?;
            Some((rt, calibrate(c, r)?))
        })
        .collect()
}

/// The matrix's host facts: the engine's, with what the probe saw of the host in a baseline
/// the host kernel ran (a runtime with a kernel of its own reports that kernel's facts, so its
/// baseline is never asked: [`seccomp_harness_core::runtime::Runtime::runs_on_host_kernel`]),
/// and what the calibrations found of each runtime.
fn host_facts(
    plan: &Plan,
    facts: &EngineFacts,
    results: &JobResults,
    calibrated: &BTreeMap<usize, Calibrated>,
) -> HostFacts {
    let baseline_host = (0..plan.runtimes.len())
        .find(|&rt| plan.runtimes[rt].model.runs_on_host_kernel())
        .and_then(|rt| {
            results.get(&JobKind::Baseline {
                cap_set: 0,
                runtime: rt,
            })
        })
        .and_then(|r| r.host.as_ref());
    let mut host = facts.host_facts(baseline_host);
    host.seccomp.runtime_unknown_syscalls = calibrated
        .get(&0)
        .map(|c| c.unknown.iter().cloned().collect());
    host.seccomp.not_enforced = calibrated
        .iter()
        .filter_map(|(rt, c)| {
            let measured = c.not_enforced.as_ref()?;
            let runtime = &plan.runtimes[*rt];
            let why = match &runtime.unenforced_cause {
                Some(cause) => format!("{measured}; {cause}"),
                None => measured.clone(),
            };
            Some((runtime.engine_name().to_string(), why))
        })
        .collect();
    host.seccomp.errno_rewritten = calibrated
        .iter()
        .filter(|(_, c)| c.errno_rewritten)
        .map(|(rt, _)| plan.runtimes[*rt].engine_name().to_string())
        .collect();
    host
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::input::{load_with_file, ProfileInput};
    use seccomp_catalog::record::{CaseRecord, HostRecord};
    use seccomp_catalog::Arch;
    use seccomp_harness_core::assemble::JobResult;
    use seccomp_harness_core::calibration::CALIBRATION_CONTROL;
    use seccomp_harness_core::matrix::Verdict;
    use seccomp_harness_core::plan::input::CapSpec;
    use seccomp_harness_core::plan::{plan, PlannedRuntime, Selection};
    use seccomp_harness_core::profile::KernelVersion;
    use seccomp_harness_core::runtime::testing::{OWN_KERNEL_NAME, OWN_KERNEL_PROGRAM};
    use seccomp_harness_core::runtime::{Runtime, DEFAULT_NAME};

    /// A runtime with a kernel of its own, known by its program (no `--oci-seccomp` there).
    fn own_kernel() -> PlannedRuntime {
        PlannedRuntime::named(OWN_KERNEL_NAME, None).with_command(OWN_KERNEL_PROGRAM, &[])
    }

    /// unconfined and a file profile that denies getpid, on `runtimes`.
    fn two_runtime_plan(runtimes: Vec<PlannedRuntime>) -> Plan {
        let profiles = load_with_file(
            &[ProfileInput::Unconfined],
            "deny-getpid.json",
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#,
        );
        plan(
            profiles,
            vec![CapSpec::docker_default()],
            Arch::X86_64,
            KernelVersion::new(6, 12),
            true,
            runtimes,
            Selection::cases(&["getpid".into()]),
        )
        .unwrap()
    }

    fn errno(e: i32) -> CaseRecord {
        CaseRecord {
            ret: Some(-(e as i64)),
            errno: Some(e),
            ..Default::default()
        }
    }

    /// The calibration job's records where every rule answered `answer(expected errno)`.
    fn calibration_run(plan: &Plan, rt: usize, answer: impl Fn(i32) -> i32) -> JobResult {
        let c = plan.calibration_for(rt).unwrap();
        JobResult {
            records: c
                .cases
                .iter()
                .map(|(id, e)| (id.clone(), errno(answer(*e))))
                .collect(),
            ..Default::default()
        }
    }

    fn baseline_run(kernel: &str) -> JobResult {
        JobResult {
            host: Some(HostRecord {
                kernel_release: kernel.into(),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn facts() -> EngineFacts {
        EngineFacts {
            engine: "docker".into(),
            engine_version: "28.5.2".into(),
            kernel: "6.12.0-engine".into(),
            ..EngineFacts::default()
        }
    }

    #[test]
    fn the_host_facts_come_from_a_baseline_the_host_kernel_ran() {
        let on_host = PlannedRuntime::named(DEFAULT_NAME, Some("1.3.6"));
        let plan = two_runtime_plan(vec![own_kernel(), on_host]);
        let mut results = JobResults::new();
        for (rt, kernel) in [(0, "4.4.0"), (1, "6.12.117-host")] {
            let baseline = JobKind::Baseline {
                cap_set: 0,
                runtime: rt,
            };
            results.insert(baseline, baseline_run(kernel));
        }
        let host = host_facts(&plan, &facts(), &results, &BTreeMap::new());
        assert_eq!(host.kernel, "6.12.117-host");
    }

    #[test]
    fn the_calibrations_name_unknown_rewritten_and_ignored_rules_per_runtime() {
        let on_host = PlannedRuntime::named(DEFAULT_NAME, Some("1.3.6"));
        let plan = two_runtime_plan(vec![on_host, own_kernel()]);
        let mut results = JobResults::new();
        // The default runtime knows every name but mseal; the one with its own kernel ignores
        // the rules (its control answers as with no filter).
        let mut default_run = calibration_run(&plan, 0, |e| e);
        default_run.records.insert("mseal".into(), errno(38));
        results.insert(JobKind::Calibration { runtime: 0 }, default_run);
        let mut ignored = calibration_run(&plan, 1, |_| 38);
        ignored.records.insert(
            CALIBRATION_CONTROL.into(),
            CaseRecord {
                ret: Some(0),
                ..Default::default()
            },
        );
        results.insert(JobKind::Calibration { runtime: 1 }, ignored);
        let calibrated = calibrations(&plan, &results);
        assert_eq!(
            calibrated[&0].unknown,
            BTreeSet::from(["mseal".to_string()])
        );
        let host = host_facts(&plan, &facts(), &results, &calibrated);
        assert_eq!(
            host.seccomp.runtime_unknown_syscalls,
            Some(vec!["mseal".to_string()])
        );
        let why = &host.seccomp.not_enforced[OWN_KERNEL_NAME];
        assert!(
            why.contains("had no effect") && why.contains("--oci-seccomp"),
            "{why}"
        );
        assert!(host.seccomp.errno_rewritten.is_empty());

        // Every rule answering EPERM: with --oci-seccomp, that runtime rewrites errnos
        // (`Runtime::rewritten_errno`).
        results.insert(
            JobKind::Calibration { runtime: 1 },
            calibration_run(&plan, 1, |_| 1),
        );
        let calibrated = calibrations(&plan, &results);
        let host = host_facts(&plan, &facts(), &results, &calibrated);
        assert!(host.seccomp.not_enforced.is_empty());
        assert_eq!(host.seccomp.errno_rewritten, [OWN_KERNEL_NAME]);
    }

    #[test]
    fn a_run_assembles_with_its_calibrations_unknown_names() {
        let plan = two_runtime_plan(vec![PlannedRuntime::default_of(Runtime::default())]);
        let file = plan
            .configurations
            .iter()
            .position(|c| c.id == "deny-getpid")
            .unwrap();
        let mut results = JobResults::new();
        results.insert(
            JobKind::Calibration { runtime: 0 },
            calibration_run(&plan, 0, |e| e),
        );
        let record = |r: CaseRecord| JobResult {
            records: [("getpid".to_string(), r)].into(),
            ..Default::default()
        };
        let allowed = CaseRecord {
            ret: Some(7),
            ..Default::default()
        };
        let baseline = JobKind::Baseline {
            cap_set: 0,
            runtime: 0,
        };
        results.insert(baseline, record(allowed));
        results.insert(
            JobKind::AsIs {
                configuration: file,
            },
            record(errno(1)),
        );
        let matrix = assemble_run(&plan, &facts(), &results);
        let verdicts: Vec<_> = matrix
            .cells
            .iter()
            .map(|c| (c.configuration.as_str(), c.verdict))
            .collect();
        assert_eq!(
            verdicts,
            [
                ("unconfined", Verdict::Pass),
                ("deny-getpid", Verdict::Pass)
            ]
        );
        assert_eq!(
            matrix.host.seccomp.runtime_unknown_syscalls,
            Some(Vec::new())
        );
        // The file configuration's rule coverage comes with the matrix (unconfined has none):
        // its one rule was hit as is, but no tagged record attributes the EPERM to it.
        let ids: Vec<_> = matrix
            .coverage
            .iter()
            .map(|c| c.configuration.as_str())
            .collect();
        assert_eq!(ids, ["deny-getpid"]);
        let rule = &matrix.coverage[0].rules[0];
        assert_eq!(
            (rule.syscall.as_str(), rule.abi.as_str()),
            ("getpid", "x86_64")
        );
        assert_ne!(
            rule.state,
            seccomp_harness_core::coverage::RuleState::Proven,
            "{rule:?}"
        );
    }
}
