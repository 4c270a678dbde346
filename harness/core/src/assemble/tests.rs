use super::*;
use crate::plan::input::{load_upstream, LoadedProfile};
use crate::plan::testing::PlanSetup;

/// The baseline of the first capability set on the engine's default runtime.
const BASELINE: JobKind = JobKind::Baseline {
    cap_set: 0,
    runtime: 0,
};

fn ok() -> CaseRecord {
    CaseRecord::returned(0)
}

fn errno(e: i32) -> CaseRecord {
    CaseRecord::failed(e)
}

fn job(records: &[(&str, CaseRecord)]) -> JobResult {
    JobResult {
        records: records
            .iter()
            .map(|(id, r)| (id.to_string(), r.clone()))
            .collect(),
        ..Default::default()
    }
}

/// builtin with upstream's Docker 20.10.24 default beside it, on getpid and keyctl.
fn builtin_plan(with_upstream: bool) -> Plan {
    let mut profiles = vec![LoadedProfile::builtin()];
    if with_upstream {
        let release = crate::upstream::default_for("docker", "20.10.24+dfsg1").unwrap();
        profiles.push(load_upstream(release));
    }
    PlanSetup::of(profiles)
        .kernel(6, 18)
        .dropping_default_errno_ret()
        .cases(&["getpid", "keyctl"])
        .plan()
        .unwrap()
}

/// [`builtin_plan`] with upstream's profile, its predictions, the index of upstream's
/// configuration, and the results of the baseline and of builtin's run: builtin denies keyctl
/// (the kernel answers EINVAL) and lets getpid through.
fn builtin_beside_upstream() -> (Plan, Predictions, usize, JobResults) {
    let plan = builtin_plan(true);
    let predictions = plan.predict(&Default::default());
    let upstream = plan.upstream_configuration(0, 0).unwrap();
    let results = JobResults::from([
        (BASELINE, job(&[("getpid", ok()), ("keyctl", errno(22))])),
        (
            JobKind::AsIs { configuration: 0 },
            job(&[("getpid", ok()), ("keyctl", errno(1))]),
        ),
    ]);
    (plan, predictions, upstream, results)
}

#[test]
fn builtin_is_predicted_attributed_by_upstream_and_drift_is_reported() {
    // builtin denies keyctl as upstream's profile does, but lets getpid through where
    // upstream's (as if patched) denied it: drift.
    let (plan, predictions, upstream, mut results) = builtin_beside_upstream();
    results.insert(
        JobKind::AsIs {
            configuration: upstream,
        },
        job(&[("getpid", errno(1)), ("keyctl", errno(1))]),
    );
    // On an engine that drops defaultErrnoRet the tagged copy traps the default: a
    // seccomp SIGSYS in the tagged run attributes keyctl's EPERM to it.
    let tagged_keyctl = CaseRecord {
        sigsys: Some(seccomp_catalog::record::SigsysInfo {
            code: 1,
            ..Default::default()
        }),
        ..errno(38)
    };
    results.insert(
        JobKind::Tagged {
            configuration: upstream,
        },
        job(&[("getpid", errno(1)), ("keyctl", tagged_keyctl)]),
    );
    let m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
    let keyctl = m.cell("builtin", "keyctl").unwrap();
    assert_eq!(keyctl.verdict, Verdict::Pass, "{keyctl:?}");
    assert_eq!(keyctl.observed.rule, Some(crate::outcome::RuleRef::DEFAULT));
    let getpid = m.cell("builtin", "getpid").unwrap();
    assert_eq!(getpid.verdict, Verdict::Drift);
    let note = getpid.observed.note.as_deref().unwrap();
    assert!(
        note.starts_with(
            "drift: builtin returned, upstream's profile as a file (builtin-upstream) errno 1"
        ),
        "{note}"
    );
}

#[test]
fn without_an_upstream_profile_builtin_stays_unpredicted_with_the_reason() {
    let mut plan = builtin_plan(false);
    plan.builtin_upstream = Err(crate::upstream::default_for("docker", "19.03.15")
        .unwrap_err()
        .to_string());
    let predictions = plan.predict(&Default::default());
    let mut results = JobResults::new();
    results.insert(BASELINE, job(&[("getpid", ok())]));
    results.insert(JobKind::AsIs { configuration: 0 }, job(&[("getpid", ok())]));
    let m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
    let c = m.cell("builtin", "getpid").unwrap();
    assert_eq!(c.verdict, Verdict::Unpredicted);
    assert!(
        c.expected
            .note
            .as_deref()
            .is_some_and(|n| n.contains("no upstream Docker release 19.3.15")),
        "{:?}",
        c.expected.note
    );
}

/// Which reason a cell without an observation gets, and how a sentinel names a rule.
mod reasons {
    use super::super::*;
    use super::BASELINE;
    use crate::plan::testing::{file_profile, PlanSetup};

    /// A plan of one file profile (default caps) on two cases, and its predictions.
    fn planned(profile_json: &str) -> (Plan, Predictions, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let p = PlanSetup::of(vec![file_profile(&dir, "p.json", profile_json)])
            .cases(&["getpid", "getppid"])
            .plan()
            .unwrap();
        let predictions = p.predict(&Default::default());
        (p, predictions, dir)
    }

    /// The results of configuration 0's three containers: the baseline, the profile as
    /// written and its tagged copy.
    fn three_runs(baseline: JobResult, as_is: JobResult, tagged: JobResult) -> JobResults {
        JobResults::from([
            (BASELINE, baseline),
            (JobKind::AsIs { configuration: 0 }, as_is),
            (JobKind::Tagged { configuration: 0 }, tagged),
        ])
    }

    fn errno(id: &str, e: i32) -> CaseRecord {
        CaseRecord {
            id: id.into(),
            ..CaseRecord::failed(e)
        }
    }

    fn ok(id: &str) -> CaseRecord {
        CaseRecord {
            id: id.into(),
            ..CaseRecord::returned(1)
        }
    }

    fn result(records: &[CaseRecord]) -> JobResult {
        JobResult {
            records: records.iter().map(|r| (r.id.clone(), r.clone())).collect(),
            ..Default::default()
        }
    }

    /// SPO's base profile for the default runtime (an allow-list with an ERRNO default that leaves rt_sigaction to
    /// it), on a call the kernel refuses without CAP_SYS_ADMIN and on rt_sigaction.
    #[test]
    fn a_silent_tagged_run_leaves_the_kernels_errno_undecided_and_names_why() {
        let strict = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
          "syscalls":[{"names":["arch_prctl","brk","capget","capset","chdir","close","close_range",
            "epoll_ctl","epoll_pwait","execve","exit_group","faccessat2","fcntl","fstat","fstatfs",
            "futex","getcwd","getdents64","getpid","getppid","getuid","mmap","mprotect",
            "nanosleep","newfstatat","openat","openat2","prctl","read","recvfrom","rt_sigreturn",
            "sched_yield","set_tid_address","setgid","setgroups","setuid","sigaltstack","statx",
            "tgkill","write"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let dir = tempfile::tempdir().unwrap();
        let (unshare, sigaction) = ("unshare(CLONE_NEWNS)", "rt_sigaction");
        let plan = PlanSetup::of(vec![file_profile(&dir, "strict.json", strict)])
            .kernel(6, 18)
            .dropping_default_errno_ret()
            .cases(&[unshare, sigaction])
            .plan()
            .unwrap();
        let c = &plan.configurations[0];
        assert!(c.tagged_allows.iter().any(|n| n == sigaction), "{c:?}");
        let predictions = plan.predict(&Default::default());
        let mut tagged = result(&[ok(sigaction)]);
        tagged.not_run.insert(
            unshare.into(),
            NotRun {
                message: "stopped after 256 containers (restart limit)".into(),
                before_first_case: false,
            },
        );
        let results = three_runs(
            result(&[errno(unshare, 1), errno(sigaction, 22)]),
            result(&[errno(unshare, 1), errno(sigaction, 1)]),
            tagged,
        );
        let m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
        let strict_cell = |case: &str| {
            m.cells
                .iter()
                .find(|c| c.case == case && c.configuration == "strict")
                .unwrap()
        };
        let u = strict_cell(unshare);
        assert_eq!(
            (u.observed.outcome, u.verdict),
            (Outcome::Ambiguous, Verdict::Undecided)
        );
        let note = u.observed.note.as_deref().unwrap();
        assert!(note.contains("did not reach this case"), "{note}");
        // Denied where the kernel answers EINVAL: the filter's, but the tagged copy allows
        // rt_sigaction on purpose, so no rule is named.
        let s = strict_cell(sigaction);
        assert_eq!(
            (s.observed.outcome, s.observed.rule, s.verdict),
            (Outcome::Errno, None, Verdict::Pass)
        );
        let note = s.observed.note.as_deref().unwrap();
        assert!(note.contains("allows rt_sigaction on purpose"), "{note}");
    }

    const DENY_GETPID: &str = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#;

    fn cell<'m>(m: &'m Matrix, case: &str) -> &'m Cell {
        m.cells.iter().find(|c| c.case == case).unwrap()
    }

    #[test]
    fn a_sentinel_in_the_tagged_run_names_the_rule() {
        let (plan, predictions, _dir) = planned(DENY_GETPID);
        let results = three_runs(
            result(&[ok("getpid"), ok("getppid")]),
            result(&[errno("getpid", 13), ok("getppid")]),
            result(&[errno("getpid", 3000), ok("getppid")]),
        );
        let m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
        let c = cell(&m, "getpid");
        assert_eq!(
            (c.observed.outcome, c.observed.rule),
            (Outcome::Errno, Some(crate::outcome::RuleRef::Index(0)))
        );
        assert_eq!(c.verdict, Verdict::Pass);
        assert_eq!(cell(&m, "getppid").observed.outcome, Outcome::Allowed);
    }

    /// A runtime that ignored the profile: the calibration found the profile ignored, so no cell
    /// of the file profile passes, whatever it shows; unconfined's cells are unaffected.
    #[test]
    fn a_runtime_that_ignored_the_profile_gets_not_enforced_cells_with_the_reason() {
        let (plan, predictions, _dir) = planned(DENY_GETPID);
        let all_ok = || result(&[ok("getpid"), ok("getppid")]);
        let results = three_runs(all_ok(), all_ok(), all_ok());
        let mut host = HostFacts::default();
        host.seccomp.not_enforced.insert(
            plan.runtimes[0].engine_name().into(),
            "the control rule had no effect".into(),
        );
        let m = assemble(&plan, &predictions, &results, host, None);
        for case in ["getpid", "getppid"] {
            let c = cell(&m, case);
            assert_eq!(c.verdict, Verdict::NotEnforced, "{case}");
            let note = c.observed.note.as_deref().unwrap();
            assert!(
                note.contains("not enforced") && note.contains("control rule"),
                "{note}"
            );
        }
        assert!(crate::assemble::has_unenforced(&m));
        assert!(!crate::assemble::has_failures(&m));
    }

    /// On a runtime that answers EPERM for every errno the tagged run traps where the profile
    /// denies: a trap there proves the filter's EPERM even where the kernel would answer EPERM
    /// too; no trap means the EPERM is the kernel's (or the runtime's own), so the filter
    /// allowed it.
    #[test]
    fn where_every_errno_is_eperm_a_trap_in_the_tagged_run_shows_the_filter_denied() {
        let dir = tempfile::tempdir().unwrap();
        let args: Vec<String> = crate::runtime::testing::OWN_KERNEL_ENFORCING_ARGS
            .iter()
            .map(|a| a.to_string())
            .collect();
        let own_kernel = crate::plan::PlannedRuntime::named("rt-b", None)
            .with_command(crate::runtime::testing::OWN_KERNEL_PROGRAM, &args);
        assert_eq!(own_kernel.model, crate::runtime::testing::own_kernel());
        assert!(own_kernel.unenforced_cause.is_none());
        let plan = PlanSetup::of(vec![file_profile(&dir, "p.json", DENY_GETPID)])
            .runtimes(vec![own_kernel])
            .cases(&["getpid", "getppid"])
            .plan()
            .unwrap();
        let predictions = plan.predict(&Default::default());
        let trapped = CaseRecord {
            id: "getpid".into(),
            sigsys: Some(seccomp_catalog::record::SigsysInfo {
                code: 1,
                ..Default::default()
            }),
            ..Default::default()
        };
        let both_eperm = || result(&[errno("getpid", 1), errno("getppid", 1)]);
        let results = three_runs(
            both_eperm(),
            both_eperm(),
            result(&[trapped, errno("getppid", 1)]),
        );
        let m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
        let c = cell(&m, "getpid");
        assert_eq!(
            (c.observed.outcome, c.observed.errno),
            (Outcome::Errno, Some(1))
        );
        assert!(c
            .observed
            .note
            .as_deref()
            .unwrap()
            .contains("not attributed"));
        assert_eq!(c.expected.errno, Some(1), "errnoRet 13 is EPERM there");
        assert_eq!(c.verdict, Verdict::Pass);
        let c = cell(&m, "getppid");
        assert_eq!(c.observed.outcome, Outcome::Allowed);
        assert_eq!(c.verdict, Verdict::Pass);
    }

    /// The matrix of [`DENY_GETPID`] from its as-is run alone, which denied getpid and did not
    /// reach getppid (`getppid`), after a start that failed with `start_error` or none.
    fn as_is_alone(start_error: Option<&str>, getppid: NotRun) -> Matrix {
        let (plan, predictions, _dir) = planned(DENY_GETPID);
        let mut as_is = result(&[errno("getpid", 13)]);
        as_is.start_error = start_error.map(str::to_string);
        as_is.not_run.insert("getppid".into(), getppid);
        let results = JobResults::from([(JobKind::AsIs { configuration: 0 }, as_is)]);
        assemble(&plan, &predictions, &results, HostFacts::default(), None)
    }

    #[test]
    fn a_start_error_wins_over_every_record() {
        let m = as_is_alone(
            Some("the runtime's create failed"),
            NotRun {
                message: "never reached".into(),
                before_first_case: true,
            },
        );
        for case in ["getpid", "getppid"] {
            let c = cell(&m, case);
            assert_eq!(c.observed.outcome, Outcome::StartFailed, "{case}");
            let note = c.observed.note.as_deref().unwrap();
            assert!(note.starts_with("the runtime's create failed"), "{note}");
            // Nothing predicted a failure: the note lists what the runtime needs instead.
            assert!(note.contains("after loading the filter"), "{note}");
        }
        assert_eq!(
            m.configurations[0]
                .start_error
                .as_deref()
                .map(|e| e.starts_with("the runtime's create failed")),
            Some(true)
        );
    }

    #[test]
    fn a_case_the_probe_never_reached_is_not_run_with_the_reason() {
        let m = as_is_alone(
            None,
            NotRun {
                message: "killed by SIGSYS".into(),
                before_first_case: false,
            },
        );
        let c = cell(&m, "getppid");
        assert_eq!(c.observed.outcome, Outcome::NotRun);
        assert_eq!(c.observed.note.as_deref(), Some("killed by SIGSYS"));
    }

    #[test]
    fn a_tagged_run_that_failed_to_start_is_named_in_the_unattributed_cells() {
        let (plan, predictions, _dir) = planned(DENY_GETPID);
        let tagged = JobResult {
            start_error: Some("error loading seccomp filter: invalid argument".into()),
            ..Default::default()
        };
        let results = three_runs(
            result(&[ok("getpid"), ok("getppid")]),
            result(&[errno("getpid", 13), ok("getppid")]),
            tagged,
        );
        let m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
        let c = cell(&m, "getpid");
        assert_eq!(
            (c.observed.outcome, c.observed.rule),
            (Outcome::Errno, None)
        );
        let note = c.observed.note.as_deref().unwrap();
        assert!(
            note.contains("tagged copy of the profile failed to start"),
            "{note}"
        );
        assert!(note.contains("invalid argument"), "{note}");
    }
}

#[test]
fn a_tally_counts_every_container_and_keeps_each_jobs_diagnostics_sorted() {
    // builtin (configuration 0) and builtin-upstream (1): each job is named by the plan.
    let plan = builtin_plan(true);
    let with = |diagnostics: &[&str]| JobResult {
        diagnostics: diagnostics.iter().map(|d| d.to_string()).collect(),
        ..Default::default()
    };
    let t = tally(
        &plan,
        vec![
            (
                JobKind::Tagged { configuration: 1 },
                with(&["restarted"]),
                3,
            ),
            (JobKind::AsIs { configuration: 0 }, with(&["fell back"]), 2),
            (JobKind::AsIs { configuration: 1 }, with(&[]), 1),
        ],
    );
    assert_eq!(t.containers, 6);
    assert_eq!(
        t.containers_by_job,
        [
            ("builtin-upstream (tagged)".to_string(), 3),
            ("builtin".into(), 2),
            ("builtin-upstream".into(), 1)
        ]
    );
    assert_eq!(t.results.len(), 3);
    assert_eq!(
        t.diagnostics,
        [
            ("builtin".to_string(), vec!["fell back".to_string()]),
            ("builtin-upstream (tagged)".into(), vec!["restarted".into()]),
        ]
    );
}

/// A job that ended in an engine error takes out exactly the configurations that need it:
/// upstream's as-is run is builtin's attribution, so both go; nothing else is touched.
#[test]
fn a_failed_job_leaves_out_the_configurations_that_need_it() {
    let (plan, predictions, upstream, results) = builtin_beside_upstream();
    let mut m = assemble(&plan, &predictions, &results, HostFacts::default(), None);
    let whole = m.clone();
    leave_out_failed(&mut m, &plan, &[]);
    assert_eq!(m, whole, "no failed job: nothing changes");

    let failed = vec![(
        JobKind::AsIs {
            configuration: upstream,
        },
        "builtin-upstream: cannot start probe container x on unix:///s: closed".to_string(),
    )];
    leave_out_failed(&mut m, &plan, &failed);
    let missing: Vec<&str> = m
        .missing_configurations
        .iter()
        .map(|c| c.id.as_str())
        .collect();
    assert_eq!(missing, ["builtin", "builtin-upstream"]);
    assert!(m.missing_configurations[0].error.ends_with("closed"));
    assert!(m.configurations.is_empty() && m.cells.is_empty() && m.readiness.is_none());
    assert!(m.is_partial());

    // The baseline is every configuration's: with it gone, nothing is kept.
    let mut m = whole.clone();
    leave_out_failed(&mut m, &plan, &[(BASELINE, "gone".into())]);
    assert_eq!(m.missing_configurations.len(), plan.configurations.len());
}

#[test]
fn a_columns_verdict_names_not_enforced_before_drift_and_drift_before_the_judgement() {
    let plan = builtin_plan(true);
    let results = JobResults::new();
    let mut host = HostFacts::default();
    let noted = || nothing_observed(Outcome::NotRun, Some("why".into()));
    let column = Column::of(&plan, 0, &results, &host, None);
    assert_eq!(column.conf.id, "builtin");
    assert!(!column.held_back && column.start_error.is_none());
    // builtin has no filter of its own to read errnos from; upstream's beside it has.
    assert!(column.errnos().is_empty());
    assert!(column.upstream_errnos().contains(&1));
    assert!(matches!(column.attribution(&[]), Attribution::Untaggable));
    assert!(column.upstream(&results, &[]).is_some());
    let mut o = noted();
    let drift = Some("drift: differs".to_string());
    assert_eq!(column.verdict(&mut o, drift.clone(), None), Verdict::Drift);
    assert_eq!(o, noted());
    let mut o = noted();
    assert_eq!(column.verdict(&mut o, None, None), verdict(&noted(), None));

    host.seccomp.not_enforced.insert(
        plan.runtimes[0].engine_name().into(),
        "the rules had no effect".into(),
    );
    let column = Column::of(&plan, 0, &results, &host, None);
    let mut o = noted();
    assert_eq!(column.verdict(&mut o, drift, None), Verdict::NotEnforced);
    assert_eq!(
        o.note.as_deref(),
        Some("not enforced on this runtime: the rules had no effect; why")
    );
    // The file profile beside it is ignored on that runtime too.
    let upstream = plan
        .configurations
        .iter()
        .position(|c| c.id == "builtin-upstream")
        .unwrap();
    assert!(Column::of(&plan, upstream, &results, &host, None)
        .not_enforced
        .is_some());
}
