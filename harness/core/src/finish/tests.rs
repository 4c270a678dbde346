use super::*;
use crate::assemble::JobResult;
use crate::calibration::CALIBRATION_CONTROL;
use crate::coverage::RuleState;
use crate::matrix::Verdict;
use crate::plan::input::LoadedProfile;
use crate::plan::testing::{file_profile, PlanSetup};
use crate::plan::PlannedRuntime;
use crate::runtime::testing::{OWN_KERNEL_NAME, OWN_KERNEL_PROGRAM};
use crate::runtime::{Runtime, DEFAULT_NAME};
use seccomp_catalog::record::CaseRecord;

/// unconfined and a file profile that denies getpid, on `runtimes`, kernel 6.12.
fn two_runtime_plan(runtimes: Vec<PlannedRuntime>) -> Plan {
    let dir = tempfile::tempdir().unwrap();
    let denies = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#;
    let profiles = vec![
        LoadedProfile::unconfined(),
        file_profile(&dir, "deny-getpid.json", denies),
    ];
    PlanSetup::of(profiles)
        .kernel(6, 12)
        .runtimes(runtimes)
        .cases(&["getpid"])
        .plan()
        .unwrap()
}

/// A runtime with a kernel of its own, known by its program (no `--oci-seccomp` there).
fn own_kernel() -> PlannedRuntime {
    PlannedRuntime::named(OWN_KERNEL_NAME, None).with_command(OWN_KERNEL_PROGRAM, &[])
}

/// The default runtime, named, at a version that runs on the host kernel.
fn on_host() -> PlannedRuntime {
    PlannedRuntime::named(DEFAULT_NAME, Some("1.3.6"))
}

/// The calibration job's records where every rule answered `answer(expected errno)`.
fn calibration_run(plan: &Plan, rt: usize, answer: impl Fn(i32) -> i32) -> JobResult {
    let c = plan.calibration_for(rt).unwrap();
    JobResult {
        records: c
            .cases
            .iter()
            .map(|(id, e)| (id.clone(), CaseRecord::failed(answer(*e))))
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

/// An engine's host facts: its own kernel, unless a probe saw the host's.
fn engine_host_facts(probe: Option<&HostRecord>) -> HostFacts {
    HostFacts {
        engine: "docker".into(),
        engine_version: "28.5.2".into(),
        kernel: probe.map_or("6.12.0-engine".into(), |p| p.kernel_release.clone()),
        ..HostFacts::default()
    }
}

fn readings() -> Readings<'static> {
    Readings {
        host_facts: Box::new(engine_host_facts),
        bounding_set: None,
    }
}

#[test]
fn the_host_facts_come_from_a_baseline_the_host_kernel_ran() {
    let plan = two_runtime_plan(vec![own_kernel(), on_host()]);
    let mut results = JobResults::new();
    for (rt, kernel) in [(0, "4.4.0"), (1, "6.12.117-host")] {
        let baseline = JobKind::Baseline {
            cap_set: 0,
            runtime: rt,
        };
        results.insert(baseline, baseline_run(kernel));
    }
    let host = host_facts(&plan, &results, &BTreeMap::new(), &engine_host_facts);
    assert_eq!(host.kernel, "6.12.117-host");
    // With no baseline of the host kernel, the engine's facts stand alone.
    results.remove(&JobKind::Baseline {
        cap_set: 0,
        runtime: 1,
    });
    let host = host_facts(&plan, &results, &BTreeMap::new(), &engine_host_facts);
    assert_eq!(host.kernel, "6.12.0-engine");
}

#[test]
fn the_calibrations_name_unknown_rewritten_and_ignored_rules_per_runtime() {
    let plan = two_runtime_plan(vec![on_host(), own_kernel()]);
    let mut results = JobResults::new();
    // The default runtime knows every name but mseal; the one with its own kernel ignores the
    // rules (its control answers as with no filter).
    let mut known = calibration_run(&plan, 0, |e| e);
    known.records.insert("mseal".into(), CaseRecord::failed(38));
    results.insert(JobKind::Calibration { runtime: 0 }, known);
    let mut ignored = calibration_run(&plan, 1, |_| 38);
    ignored
        .records
        .insert(CALIBRATION_CONTROL.into(), CaseRecord::returned(0));
    results.insert(JobKind::Calibration { runtime: 1 }, ignored);
    let calibrated = calibrations(&plan, &results);
    assert_eq!(
        calibrated[&0].unknown,
        BTreeSet::from(["mseal".to_string()])
    );
    let host = host_facts(&plan, &results, &calibrated, &engine_host_facts);
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
    let host = host_facts(&plan, &results, &calibrated, &engine_host_facts);
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
    let baseline = JobKind::Baseline {
        cap_set: 0,
        runtime: 0,
    };
    results.insert(baseline, record(CaseRecord::returned(7)));
    results.insert(
        JobKind::AsIs {
            configuration: file,
        },
        record(CaseRecord::failed(1)),
    );
    let matrix = assemble_run(&plan, &results, &readings());
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
    assert_eq!(matrix.host.engine, "docker", "the engine's facts are read");
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
    assert_ne!(rule.state, RuleState::Proven, "{rule:?}");
}
