use super::*;
use crate::outcome::{Outcome, RuleRef};
use crate::plan::input::{load_file, load_upstream, qualify_shared_names};
use crate::plan::testing::{default_and_sys_admin, file_profile, PlanSetup};
use crate::profile::ProfileFile;
use std::path::Path;

const DENY_GETPID: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#;

/// builtin, unconfined and a file denying getpid, each with Docker's default capabilities and
/// with +SYS_ADMIN, on the default runtime ([`Runtime::default`]) and kernel 6.1 with a calibration: the plan the next four tests
/// read, each for one part of it (the directory holds the file for as long as the plan is used).
fn plan_of_three_kinds_on_two_cap_sets() -> (tempfile::TempDir, Plan) {
    let dir = tempfile::tempdir().unwrap();
    let profiles = vec![
        LoadedProfile::builtin(),
        LoadedProfile::unconfined(),
        file_profile(&dir, "deny-getpid.json", DENY_GETPID),
    ];
    let plan = PlanSetup::of(profiles)
        .cap_sets(default_and_sys_admin())
        .plan()
        .unwrap();
    (dir, plan)
}

#[test]
fn plans_a_configuration_per_profile_and_cap_set_in_the_order_given() {
    let (_dir, plan) = plan_of_three_kinds_on_two_cap_sets();
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
}

#[test]
fn plans_a_baseline_per_cap_set_and_a_tagged_run_per_file_configuration() {
    let (_dir, plan) = plan_of_three_kinds_on_two_cap_sets();
    // 2 baselines (also the unconfined runs) + 1 calibration + 2 builtin + 2 as-is and 2
    // tagged for the file.
    assert_eq!(plan.jobs.len(), 9);
    assert!(plan.jobs[..2]
        .iter()
        .all(|j| j.probe_args.to_args() == ["--host-facts"]));
    let cal = plan.calibration.as_ref().unwrap();
    assert!(cal.cases.iter().any(|(id, _)| id == "mseal"));
    assert!(!cal.cases.iter().any(|(id, _)| id == "clone3"));
    assert!(plan
        .jobs
        .iter()
        .any(|j| j.kind == JobKind::Calibration { runtime: 0 } && j.cases.is_some()));
    assert_eq!(
        plan.as_is_job(2),
        JobKind::Baseline {
            cap_set: 0,
            runtime: 0
        }
    );
}

#[test]
fn predicts_the_file_profile_and_lets_unconfined_follow_the_kernel() {
    let (_dir, plan) = plan_of_three_kinds_on_two_cap_sets();
    let predictions = plan.predict(&BTreeMap::new());
    let getpid = plan.case_ids.iter().position(|c| c == "getpid").unwrap();
    let p = predictions.get(4, getpid).unwrap();
    assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
    assert!(predictions.get(0, getpid).is_none());
    // Unconfined follows the kernel: 6.1 predates mseal (6.10), not getpid.
    let mseal = plan.case_ids.iter().position(|c| c == "mseal").unwrap();
    assert_eq!(predictions.get(2, mseal).unwrap().outcome, Outcome::Absent);
    assert_eq!(
        predictions.get(2, getpid).unwrap().outcome,
        Outcome::Allowed
    );
    // So does a file profile that lets it through.
    assert_eq!(predictions.get(4, mseal).unwrap().outcome, Outcome::Absent);
}

/// builtin is predicted by upstream's profile, which runs beside it as a file configuration
/// of the same capability set and runtime: builtin's prediction is that configuration's, not a
/// neighbour's (the two capability sets' differ: +SYS_ADMIN unlocks upstream's rules).
#[test]
fn builtin_takes_the_prediction_of_its_upstream_configuration() {
    let runtimes = vec![
        PlannedRuntime::named("rt-a", Some("1.3.6")),
        PlannedRuntime::named("rt-b", None)
            .with_command(crate::runtime::testing::OWN_KERNEL_PROGRAM, &[]),
    ];
    let plan = PlanSetup::of(vec![LoadedProfile::builtin(), LoadedProfile::unconfined()])
        .on_engine("docker", "28.5.2")
        .cap_sets(default_and_sys_admin())
        .runtimes(runtimes)
        .plan()
        .unwrap();
    let predictions = plan.predict(&BTreeMap::new());
    let builtins: Vec<usize> = (0..plan.configurations.len())
        .filter(|&c| {
            let profile = plan.configurations[c].profile;
            matches!(plan.profiles[profile].kind, ProfileKind::Builtin)
        })
        .collect();
    assert_eq!(builtins.len(), 4, "two capability sets on two runtimes");
    let mut by_cap_set = BTreeMap::new();
    for c in builtins {
        let conf = &plan.configurations[c];
        let u = plan
            .upstream_configuration(conf.cap_set, conf.runtime)
            .unwrap();
        assert_ne!(u, c);
        let builtin = predictions.0[c].as_ref().expect("builtin is predicted");
        assert_eq!(Some(builtin), predictions.0[u].as_ref(), "{}", conf.id);
        by_cap_set.insert((conf.runtime, conf.cap_set), builtin);
    }
    assert_ne!(by_cap_set[&(0, 0)], by_cap_set[&(0, 1)]);
}

#[test]
fn tags_the_file_profile_so_that_its_denials_name_their_rule() {
    let (_dir, plan) = plan_of_three_kinds_on_two_cap_sets();
    let ProfileKind::File { tagged, .. } = &plan.profiles[plan.configurations[4].profile].kind
    else {
        panic!("configuration 4 is the file profile");
    };
    let getpid_slot = crate::profile::tag::Slot::direct(seccomp_catalog::Abi::X86_64, 39);
    assert_eq!(
        tagged.sentinels.attribute_slot(getpid_slot, 3000),
        crate::profile::tag::Attributed::Rule(RuleRef::Index(0))
    );
}

#[test]
fn an_engine_that_drops_default_errno_ret_gets_its_own_tagging() {
    let dir = tempfile::tempdir().unwrap();
    // Everything the runtime and the probe need to reach the cases.
    let mut needs = crate::runtime::runtime_model(&Runtime::default())
        .fatal
        .to_vec();
    needs.extend(
        seccomp_catalog::own_calls::footprint(Arch::X86_64)
            .iter()
            .map(|f| f.syscall),
    );
    needs.push("write");
    let f = file_profile(
        &dir,
        "p.json",
        &format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[{{"names":{},"action":"SCMP_ACT_ALLOW"}},{{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}}]}}"#,
            serde_json::to_string(&needs).unwrap()
        ),
    );
    let plan = PlanSetup::of(vec![f])
        .dropping_default_errno_ret()
        .cases(&["getpid", "read"])
        .plan()
        .unwrap();
    // The default is EPERM on this engine, so the getpid rule is dropped and traps.
    match &plan.profiles[0].kind {
        ProfileKind::File { tagged, .. } => {
            assert!(tagged.default_traps);
            assert_eq!(tagged.profile.rules[1].action, profile::Action::Trap);
        }
        _ => unreachable!(),
    }
    let predictions = plan.predict(&BTreeMap::new());
    let p = predictions.0[0].as_ref().unwrap();
    assert!(p
        .iter()
        .all(|p| p.errno == Some(1) && p.rule == Some(RuleRef::DEFAULT)));
}

/// Kills getppid, which the runtime calls after loading the filter.
const KILLS_GETPPID: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getppid"],"action":"SCMP_ACT_KILL"}]}"#;

#[test]
fn a_profile_killing_a_runtime_call_is_held_back_and_one_denying_it_is_predicted_to_fail() {
    let dir = tempfile::tempdir().unwrap();
    let kills = file_profile(&dir, "kills.json", KILLS_GETPPID);
    let denies = file_profile(
        &dir,
        "denies.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["fstatfs"],"action":"SCMP_ACT_ERRNO"},{"names":["kill","poll"],"action":"SCMP_ACT_TRAP"}]}"#,
    );
    let plan = PlanSetup::of(vec![kills, denies]).plan().unwrap();
    assert!(matches!(plan.configurations[0].start, Start::HeldBack(_)));
    assert!(!plan.jobs.iter().any(|j| matches!(
        j.kind,
        JobKind::AsIs { configuration: 0 } | JobKind::Tagged { configuration: 0 }
    )));
    assert!(matches!(plan.configurations[1].start, Start::Refused(_)));
    let as_is = plan
        .jobs
        .iter()
        .find(|j| j.kind == JobKind::AsIs { configuration: 1 })
        .unwrap();
    // The probe is told which of its calls the profile does not allow.
    assert_eq!(as_is.probe_args.to_args(), ["--avoid", "kill,poll"]);
    let predictions = plan.predict(&BTreeMap::new());
    let p = predictions.get(0, 0).unwrap();
    assert_eq!(p.outcome, Outcome::StartFailed);
    assert!(p.note.as_deref().is_some_and(|n| n.contains("getppid")));
    let p = predictions.get(1, 0).unwrap();
    assert!(p.note.as_deref().is_some_and(|n| n.contains("fstatfs")));
}

/// kills.json (held back: it kills getppid, which the runtime calls after loading the filter)
/// and unconfined, with two capability sets on the engine's default runtime and on one named
/// `rt-b`, the held-back profile started anyway.
fn held_back_plan_on_two_runtimes(dir: &tempfile::TempDir) -> Plan {
    let kills = file_profile(dir, "kills.json", KILLS_GETPPID);
    let default = PlannedRuntime::default_of(Runtime::default());
    let named = PlannedRuntime {
        name: Some("rt-b".into()),
        ..default.clone()
    };
    PlanSetup::of(vec![LoadedProfile::unconfined(), kills])
        .cap_sets(default_and_sys_admin())
        .runtimes(vec![default, named])
        .cases(&["getpid"])
        .starting_held_back()
        .plan()
        .unwrap()
}

#[test]
fn only_the_jobs_of_a_held_back_configuration_are_held_back() {
    let dir = tempfile::tempdir().unwrap();
    let plan = held_back_plan_on_two_runtimes(&dir);
    let mut held = Vec::new();
    for job in &plan.jobs {
        let configuration = match job.kind {
            JobKind::AsIs { configuration } | JobKind::Tagged { configuration } => configuration,
            JobKind::Baseline { .. } | JobKind::Calibration { .. } => {
                assert!(!plan.held_back(job.kind), "{:?}", job.kind);
                continue;
            }
        };
        let start = &plan.configurations[configuration].start;
        assert_eq!(
            plan.held_back(job.kind),
            matches!(start, Start::HeldBack(_)),
            "{:?}",
            job.kind
        );
        if plan.held_back(job.kind) {
            held.push(job.kind);
        }
    }
    // kills.json on both capability sets and both runtimes, each as written and tagged.
    assert_eq!(held.len(), 8, "{held:?}");
}

#[test]
fn a_job_is_labelled_by_the_configuration_it_serves() {
    let dir = tempfile::tempdir().unwrap();
    let plan = held_back_plan_on_two_runtimes(&dir);
    let labels: BTreeSet<String> = plan.jobs.iter().map(|j| plan.job_label(j.kind)).collect();
    let expected: BTreeSet<String> = [
        "baseline (unconfined)",
        "baseline (unconfined+SYS_ADMIN)",
        "baseline (unconfined@rt-b)",
        "baseline (unconfined+SYS_ADMIN@rt-b)",
        "calibration (names the runtime's libseccomp knows)",
        "calibration (names the runtime's libseccomp knows)@rt-b",
        "kills",
        "kills (tagged)",
        "kills+SYS_ADMIN",
        "kills+SYS_ADMIN (tagged)",
        "kills@rt-b",
        "kills@rt-b (tagged)",
        "kills+SYS_ADMIN@rt-b",
        "kills+SYS_ADMIN@rt-b (tagged)",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(labels, expected);
    // One label a job: the progress bar and the timings tell every container apart.
    assert_eq!(labels.len(), plan.jobs.len());
}

#[test]
fn unknown_cases_and_duplicate_names_are_refused() {
    let p = vec![LoadedProfile::unconfined()];
    let err = PlanSetup::of(p.clone()).cases(&["nope"]).plan();
    assert!(matches!(err, Err(PlanError::UnknownCase(_))));
    let err = PlanSetup::of([p.clone(), p].concat()).plan();
    assert!(matches!(err, Err(PlanError::DuplicateConfiguration { .. })));
}

/// A name the id would read back as other parts (`p@x` as profile `p` on runtime `x`) is
/// refused before anything runs, naming the file; so is such a runtime name.
#[test]
fn names_a_configuration_id_cannot_carry_are_refused() {
    let mut named = LoadedProfile::unconfined();
    named.name = "p@x".into();
    named.source = "dir/p@x.json".into();
    let refused = |profiles: Vec<LoadedProfile>, runtime: Option<&str>| {
        let mut rt = PlannedRuntime::default_of(Runtime::default());
        rt.name = runtime.map(str::to_string);
        match PlanSetup::of(profiles).runtimes(vec![rt]).plan() {
            Err(e @ PlanError::ConfigurationId { .. }) => e.to_string(),
            other => panic!("{:?}", other.map(|p| p.configurations.len())),
        }
    };
    let e = refused(vec![named], None);
    assert!(e.contains("\"p@x\"") && e.contains("dir/p@x.json"), "{e}");
    let plain = LoadedProfile::unconfined();
    let e = refused(vec![plain], Some("a@b"));
    assert!(e.contains("runtime name \"a@b\""), "{e}");
}

/// SPO's v1 and v1beta1 examples define SeccompProfile resources of the same names: they run
/// in one plan as `<file stem>:<name>`. Two files of one stem can't be told apart that way:
/// the plan refuses them, naming both files.
#[test]
fn shared_resource_names_are_qualified_by_file_and_unresolvable_ones_name_both_files() {
    let k8s = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/wild/k8s/");
    let load = |f: &str| {
        let read = ProfileFile::read(Path::new(&format!("{k8s}{f}"))).unwrap();
        LoadedProfile::of_file(&read).unwrap()
    };
    let mut profiles = [
        load("spo-seccompprofile.v1.yaml"),
        load("spo-seccompprofile.v1beta1.yaml"),
    ]
    .concat();
    qualify_shared_names(&mut profiles);
    let names: Vec<&str> = profiles.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"spo-seccompprofile.v1:profile-block-all"),
        "{names:?}"
    );
    assert!(
        names.contains(&"spo-seccompprofile.v1beta1:profile-block-all"),
        "{names:?}"
    );
    let planned = PlanSetup::of(profiles).cases(&["getpid"]).plan().unwrap();
    assert_eq!(planned.configurations.len(), 8);

    let dir = tempfile::tempdir().unwrap();
    let json = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[]}"#;
    let mut files = Vec::new();
    for sub in ["a", "b"] {
        std::fs::create_dir(dir.path().join(sub)).unwrap();
        let f = dir.path().join(sub).join("p.json");
        std::fs::write(&f, json).unwrap();
        files.push(f);
    }
    let mut profiles: Vec<_> = files.iter().map(|f| load_file(f)).collect();
    qualify_shared_names(&mut profiles);
    let err = PlanSetup::of(profiles)
        .cases(&["getpid"])
        .plan()
        .unwrap_err()
        .to_string();
    for f in &files {
        assert!(err.contains(&f.display().to_string()), "{err}");
    }
    assert!(err.contains("rename one"), "{err}");
}

/// A profile that denies every way to learn how a child ended (wait4, waitid, and
/// rt_sigaction for SIGCHLD's handler) runs in-process, a new container after each case that
/// ends the probe: its jobs ask for a slot first, the rest keep plan order. One that denies
/// only the reap calls stays in fork mode: the probe learns its children's ends from SIGCHLD.
#[test]
fn jobs_that_run_in_process_start_first() {
    let dir = tempfile::tempdir().unwrap();
    let waits = file_profile(
        &dir,
        "waits-denied.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["wait4","waitid"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let ends = file_profile(
        &dir,
        "ends-denied.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["wait4","waitid","rt_sigaction"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    let getpid = file_profile(&dir, "deny-getpid.json", DENY_GETPID);
    let plan = PlanSetup::of(vec![getpid, waits, ends]).plan().unwrap();
    let in_process: Vec<bool> = plan
        .jobs
        .iter()
        .map(|j| j.runs_in_process(plan.arch))
        .collect();
    // baseline, calibration, then as-is and tagged of deny-getpid, waits-denied, ends-denied.
    assert_eq!(
        in_process,
        [false, false, false, false, false, false, true, true]
    );
    assert_eq!(plan.start_order(), [6, 7, 0, 1, 2, 3, 4, 5]);

    // The in-process jobs' cases are cut where the probe will end: after each call that ends
    // it (exit, exit_group, rt_sigreturn let through) and each bad-arch kill (the profile
    // lists no architectures, so i386 and x32 calls are killed on x86_64).
    assert!(plan.jobs[..6].iter().all(|j| j.parts.is_empty()));
    let rank =
        |id: &str| seccomp_catalog::own_calls::in_process_rank(plan.case(id).unwrap().syscall);
    for job in &plan.jobs[6..] {
        let mut in_order: Vec<&String> = plan.case_ids.iter().collect();
        in_order.sort_by_key(|id| rank(id));
        assert_eq!(job.parts.concat().iter().collect::<Vec<_>>(), in_order);
        let ends: Vec<&str> = job.parts[..job.parts.len() - 1]
            .iter()
            .map(|p| p.last().unwrap().as_str())
            .collect();
        for id in [
            "exit",
            "exit_group",
            "rt_sigreturn",
            "i386:getpid",
            "x32:getpid",
            // With rt_sigaction denied the probe has no handler for a wake-up signal: pause
            // sleeps until the watchdog ends the container.
            "pause",
        ] {
            assert!(ends.contains(&id), "{id} ends no part: {ends:?}");
        }
        // Nothing else ends one: the calls that end the probe, other ABIs' calls, pause.
        assert!(
            ends.iter()
                .all(|id| rank(id) == 2 || id.contains(':') || *id == "pause"),
            "{ends:?}"
        );
    }
}

#[test]
fn planned_cases_are_the_catalogs_then_the_generated_and_each_configuration_gets_its_own() {
    let catalog = Catalog::for_arch(Arch::X86_64);
    let reads = profile::parse_str(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["read"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":64,"op":"SCMP_CMP_LE"}]}]}"#,
        "reads.json",
    )
    .unwrap();
    let generated = vec![
        Generated::default(),
        generate::for_profile_on(&reads, Arch::X86_64),
    ];
    let own: Vec<String> = generated[1].cases.keys().cloned().collect();
    assert!(!own.is_empty());

    let all = PlannedCases::select(&catalog, &generated, &[]).unwrap();
    assert_eq!(all.catalog_cases, catalog.cases().len());
    assert_eq!(all.ids[..all.catalog_cases].len(), catalog.cases().len());
    assert_eq!(all.ids[all.catalog_cases..], own[..]);
    // A profile without generated cases runs the catalog's; one with, those and its own.
    assert_eq!(
        all.of_profile(&generated[0]).unwrap(),
        all.ids[..all.catalog_cases]
    );
    assert_eq!(all.of_profile(&generated[1]).unwrap(), all.ids);

    let picked = [own[0].clone(), "getpid".to_string()];
    let some = PlannedCases::select(&catalog, &generated, &picked).unwrap();
    assert_eq!(some.ids, ["getpid".to_string(), own[0].clone()]);
    assert_eq!(some.catalog_cases, 1);
    // Nothing generated at all: every configuration runs every planned case.
    let none = PlannedCases::select(&catalog, &generated[..1], &[]).unwrap();
    assert_eq!(none.of_profile(&generated[0]), None);
    assert!(matches!(
        PlannedCases::select(&catalog, &generated, &["getpid".into(), "nope".into()]),
        Err(PlanError::UnknownCase(id)) if id == "nope"
    ));
}

#[test]
fn jobs_come_in_order_baselines_calibrations_then_configurations() {
    let p = vec![
        LoadedProfile::unconfined(),
        load_upstream(crate::upstream::default_for("docker", "28.5.2").unwrap()),
    ];
    let runtimes = vec![
        PlannedRuntime::named("rt-a", Some("1.3.6")),
        PlannedRuntime::named("rt-b", None)
            .with_command(crate::runtime::testing::OWN_KERNEL_PROGRAM, &[]),
    ];
    let plan = PlanSetup::of(p)
        .cap_sets(default_and_sys_admin())
        .kernel(6, 12)
        .runtimes(runtimes)
        .cases(&["getpid"])
        .plan()
        .unwrap();
    let kinds: Vec<JobKind> = plan.jobs.iter().map(|j| j.kind).collect();
    let baseline = |cap_set, runtime| JobKind::Baseline { cap_set, runtime };
    assert_eq!(
        kinds[..6],
        [
            baseline(0, 0),
            baseline(1, 0),
            baseline(0, 1),
            baseline(1, 1),
            JobKind::Calibration { runtime: 0 },
            JobKind::Calibration { runtime: 1 },
        ]
    );
    // Each runtime's calibration is the one its runtime needs.
    let own_table = &plan.jobs[5];
    let every_name = plan.own_table_calibration.as_ref().unwrap();
    assert_eq!(
        own_table.seccomp,
        Seccomp::Profile(every_name.profile.clone())
    );
    let libseccomp = &plan.jobs[4];
    let calibration = plan.calibration.as_ref().unwrap();
    assert_eq!(
        libseccomp.seccomp,
        Seccomp::Profile(calibration.profile.clone())
    );
    // Then the file configurations (4: two capability sets on two runtimes), each as written
    // and tagged, in configuration order; unconfined's run is its baseline.
    let rest: Vec<JobKind> = (4..8)
        .flat_map(|configuration| {
            [
                JobKind::AsIs { configuration },
                JobKind::Tagged { configuration },
            ]
        })
        .collect();
    assert_eq!(kinds[6..], rest[..]);
    let ids: Vec<_> = plan.configurations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids[4..],
        [
            "builtin-upstream@rt-a",
            "builtin-upstream@rt-b",
            "builtin-upstream+SYS_ADMIN@rt-a",
            "builtin-upstream+SYS_ADMIN@rt-b",
        ]
    );
}
