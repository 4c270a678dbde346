use super::*;
use crate::assemble::JobResult;
use crate::coverage::RuleState;
use crate::matrix::HostFacts;
use crate::plan::input::BUILTIN_UPSTREAM;
use crate::plan::testing::{file_profile, PlanSetup};
use crate::plan::PlannedRuntime;
use crate::runtime::{Runtime, DEFAULT_NAME};
use seccomp_catalog::record::CaseRecord;

/// The run id the tests' profiles are salted with.
const RUN: &str = "run-1";

/// `profiles` planned on containerd 1.7.24 (x86_64, kernel 6.12, the node's default runtime
/// with no version reported) with the default capabilities, for the `cases` named.
fn plan_on_containerd(profiles: Vec<LoadedProfile>, cases: &[&str]) -> Plan {
    PlanSetup::of(profiles)
        .on_engine("containerd", "v1.7.24")
        .kernel(6, 12)
        .runtimes(vec![PlannedRuntime::default_of(Runtime::parse(
            DEFAULT_NAME,
            None,
        ))])
        .cases(cases)
        .plan()
        .unwrap()
}

/// runtime-default (with containerd 1.7.24's default beside it) and unconfined, on a node.
fn node_plan() -> Plan {
    let profiles = [LoadedProfile::builtin(), LoadedProfile::unconfined()]
        .into_iter()
        .map(as_node_reads)
        .collect();
    plan_on_containerd(profiles, &["getpid", "keyctl"])
}

/// A profile denying getpid only under `includes: {caps: [CAP_SYS_ADMIN]}`, with the
/// default capabilities, planned for a node (`on_node`: as containerd reads it) or for a
/// Docker engine.
fn conditional_plan(dir: &tempfile::TempDir, on_node: bool) -> Plan {
    let loaded = file_profile(
        dir,
        "admin-getpid.json",
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_ADMIN"]}}]}"#,
    );
    let profiles = vec![if on_node {
        as_node_reads(loaded)
    } else {
        loaded
    }];
    plan_on_containerd(profiles, &["getpid"])
}

/// The jobs' records of a run where getpid is allowed unconfined and denied by the rule
/// (EPERM as is, the rule's sentinel in the tagged copy): what the node does with the
/// profile above, whose `includes` it drops.
fn denied_by_the_rule(plan: &Plan) -> JobResults {
    let c = plan
        .configurations
        .iter()
        .position(|c| c.id == "admin-getpid")
        .unwrap();
    let ProfileKind::File { tagged, .. } = &plan.profiles[plan.configurations[c].profile].kind
    else {
        panic!("a file profile");
    };
    let sentinel = tagged.profile.rules[0].errno_ret.unwrap() as i32;
    let answer = |record: CaseRecord| JobResult {
        records: [("getpid".to_string(), record)].into(),
        ..Default::default()
    };
    let mut results = JobResults::new();
    let baseline = JobKind::Baseline {
        cap_set: 0,
        runtime: 0,
    };
    results.insert(baseline, answer(CaseRecord::returned(7)));
    results.insert(
        JobKind::AsIs { configuration: c },
        answer(CaseRecord::failed(1)),
    );
    results.insert(
        JobKind::Tagged { configuration: c },
        answer(CaseRecord::failed(sentinel)),
    );
    results
}

/// A node's host facts, as the tests need none of them.
fn readings() -> Readings<'static> {
    Readings {
        host_facts: Box::new(|_| HostFacts::default()),
        bounding_set: None,
    }
}

/// The rule coverage of a node's run, as a Docker engine's run has it, of the profile as
/// containerd reads it: the rule Docker would leave out (its `includes` unmet) is in the
/// node's filter, and proven by the cells; a configuration left out for a failed job
/// takes its coverage with it.
#[test]
fn a_nodes_run_reports_rule_coverage_of_the_profile_as_containerd_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let node = conditional_plan(&dir, true);
    let results = denied_by_the_rule(&node);
    let mut diagnostics = Vec::new();
    let m = node_matrix(
        &node,
        &results,
        &readings(),
        Vec::new(),
        &[],
        &mut diagnostics,
    );
    assert_eq!(
        m.cells.iter().map(|c| c.verdict).collect::<Vec<_>>(),
        [Verdict::Pass],
        "{:?}",
        m.cells
    );
    let [coverage] = m.coverage.as_slice() else {
        panic!("one file configuration, one coverage: {:?}", m.coverage);
    };
    assert_eq!(coverage.configuration, "admin-getpid");
    let getpid: Vec<_> = coverage
        .rules
        .iter()
        .filter(|r| r.syscall == "getpid" && r.abi == "x86_64")
        .collect();
    assert_eq!(getpid.len(), 1, "{:?}", coverage.rules);
    assert_eq!(getpid[0].state, RuleState::Proven, "{:?}", getpid[0]);
    assert_eq!(getpid[0].hit.as_deref(), Some("getpid"));
    let figure = coverage.figures.iter().find(|f| f.abi == "x86_64").unwrap();
    assert_eq!((figure.proven, figure.rules), (1, 1));

    // On a Docker engine the same file's rule is not in the filter, with the reason.
    let docker = conditional_plan(&dir, false);
    let m = node_matrix(
        &docker,
        &JobResults::new(),
        &readings(),
        Vec::new(),
        &[],
        &mut diagnostics,
    );
    let rule = &m.coverage[0].rules[0];
    assert_eq!(rule.state, RuleState::NotInFilter);
    assert!(
        rule.reason
            .as_deref()
            .is_some_and(|r| r.starts_with("Docker leaves the rule out here")),
        "{rule:?}"
    );

    // A configuration whose tagged job failed is left out, its coverage too.
    let failed = [(
        JobKind::Tagged { configuration: 0 },
        "the node went away".to_string(),
    )];
    let m = node_matrix(
        &node,
        &results,
        &readings(),
        Vec::new(),
        &failed,
        &mut diagnostics,
    );
    assert!(m.coverage.is_empty(), "{:?}", m.coverage);
    assert_eq!(m.missing_configurations[0].id, "admin-getpid");
}

#[test]
fn upstreams_default_goes_rendered_for_the_container_and_every_profile_salted() {
    let plan = node_plan();
    // containerd passes defaultErrnoRet through to a runtime that honours it.
    assert!(plan.honours_default_errno_ret);
    let ids: Vec<_> = plan.configurations.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [RUNTIME_DEFAULT, BUILTIN_UPSTREAM, "unconfined"]);
    let profiles = node_profiles(&plan, RUN);
    assert_eq!(profiles.len(), plan.jobs.len());
    for (i, (job, profile)) in plan.jobs.iter().zip(&profiles).enumerate() {
        let upstream = matches!(
            job.kind,
            JobKind::AsIs { configuration: 1 } | JobKind::Tagged { configuration: 1 }
        );
        match (&job.seccomp, profile) {
            (Seccomp::Builtin, NodeProfile::RuntimeDefault) => {}
            (Seccomp::Unconfined, NodeProfile::Unconfined) => {}
            (
                Seccomp::Profile(p),
                NodeProfile::Localhost {
                    sent,
                    rendered_default,
                },
            ) => {
                assert_eq!(rendered_default.is_some(), upstream, "job {i}");
                // What containerd builds has no includes or excludes left to resolve.
                if let Some(r) = rendered_default {
                    assert_ne!(r, p);
                    assert!(r
                        .rules
                        .iter()
                        .all(|r| r.includes.is_empty() && r.excludes.is_empty()));
                }
                let base = rendered_default.as_ref().unwrap_or(p);
                let salt = salt::salt_for(RUN, i);
                let salted = salt::salted(base, salt, plan.honours_default_errno_ret);
                assert_eq!(
                    salted.rules.len(),
                    base.rules.len() + 1,
                    "job {i} is salted"
                );
                assert_eq!(
                    sent,
                    &salt::salted_json(base, salt, plan.honours_default_errno_ret)
                );
            }
            other => panic!("job {i}: {other:?}"),
        }
    }
}

/// The index of the job of `kind` in `plan`.
fn job(plan: &Plan, kind: JobKind) -> usize {
    job_index(plan, kind).unwrap()
}

/// What the node applies when it does what was predicted, by job: RuntimeDefault as
/// upstream's default rendered for the container, each Localhost profile as sent, and no
/// filter for Unconfined.
fn applied_as_predicted(
    plan: &Plan,
    profiles: &[NodeProfile],
    i: usize,
) -> Option<serde_json::Value> {
    match &profiles[i] {
        NodeProfile::RuntimeDefault => {
            let upstream = job(plan, JobKind::AsIs { configuration: 1 });
            let NodeProfile::Localhost {
                rendered_default: Some(rendered),
                ..
            } = &profiles[upstream]
            else {
                panic!("upstream's default goes rendered: {:?}", profiles[upstream]);
            };
            Some(rendered.to_json())
        }
        NodeProfile::Unconfined => None,
        NodeProfile::Localhost { sent, .. } => Some(serde_json::from_str(sent).unwrap()),
    }
}

#[test]
fn what_the_node_applied_as_predicted_or_did_not_report_makes_no_difference() {
    let plan = node_plan();
    let profiles = node_profiles(&plan, RUN);
    let as_predicted = |i| Some(applied_as_predicted(&plan, &profiles, i));
    assert_eq!(applied_checks(&plan, &profiles, as_predicted), []);
    // Nothing recorded (the node's ContainerStatus said nothing): nothing to compare.
    assert_eq!(applied_checks(&plan, &profiles, |_| None), []);
}

#[test]
fn each_way_the_applied_object_can_differ_is_named_on_its_configuration() {
    let plan = node_plan();
    let profiles = node_profiles(&plan, RUN);
    let runtime_default = job(&plan, JobKind::AsIs { configuration: 0 });
    let upstream = job(&plan, JobKind::AsIs { configuration: 1 });
    let unconfined = job(&plan, plan.as_is_job(2));
    let differing = |i| {
        Some(if i == runtime_default {
            None
        } else if i == upstream {
            Some(serde_json::json!({"defaultAction": 7}))
        } else if i == unconfined {
            applied_as_predicted(&plan, &profiles, upstream)
        } else {
            applied_as_predicted(&plan, &profiles, i)
        })
    };
    let checks = applied_checks(&plan, &profiles, differing);
    assert_eq!(checks.len(), 3, "{checks:?}");
    assert_eq!(
        checks[0],
        (0, vec!["no filter where one was predicted".to_string()])
    );
    let (c, unreadable) = &checks[1];
    assert_eq!(*c, 1);
    assert!(
        unreadable.len() == 1
            && unreadable[0].starts_with("an object the harness can't read: ")
            && unreadable[0].contains("defaultAction"),
        "{unreadable:?}"
    );
    assert_eq!(
        checks[2],
        (2, vec!["a filter where none was predicted".to_string()])
    );

    // RuntimeDefault applied without one of the rules upstream's default renders: that rule.
    let mut fewer = applied_as_predicted(&plan, &profiles, runtime_default).unwrap();
    let rules = fewer["syscalls"].as_array_mut().unwrap();
    let dropped = rules.remove(0);
    let without_a_rule = |i| {
        Some(if i == runtime_default {
            Some(fewer.clone())
        } else {
            applied_as_predicted(&plan, &profiles, i)
        })
    };
    let checks = applied_checks(&plan, &profiles, without_a_rule);
    let [(0, differences)] = checks.as_slice() else {
        panic!("RuntimeDefault alone differs: {checks:?}");
    };
    assert_eq!(differences.len(), 1, "{differences:?}");
    let name = dropped["names"][0].as_str().unwrap();
    assert!(
        differences[0].starts_with("predicted rule not applied: ") && differences[0].contains(name),
        "{differences:?} (dropped {dropped})"
    );
}

#[test]
fn a_difference_in_what_containerd_applied_is_noted_on_the_cells_it_may_explain() {
    let plan = node_plan();
    let mut results = JobResults::new();
    let baseline = JobResult {
        records: [("getpid".to_string(), CaseRecord::returned(7))].into(),
        ..Default::default()
    };
    results.insert(
        JobKind::Baseline {
            cap_set: 0,
            runtime: 0,
        },
        baseline,
    );
    let mut matrix = assemble_run(&plan, &results, &readings());
    let passing = |m: &Matrix, id: &str| {
        m.cells
            .iter()
            .find(|c| c.configuration == "unconfined" && c.case == id)
            .map(|c| c.verdict)
    };
    assert_eq!(passing(&matrix, "getpid"), Some(Verdict::Pass));
    let before = matrix.clone();
    let mut diagnostics = Vec::new();
    let unconfined = 2;
    note_applied_differences(
        &mut matrix,
        &plan,
        vec![(unconfined, vec!["a filter where none was predicted".into()])],
        &mut diagnostics,
    );
    assert_eq!(
        diagnostics,
        [(
            "unconfined".to_string(),
            vec!["a filter where none was predicted".to_string()]
        )]
    );
    for (cell, was) in matrix.cells.iter().zip(&before.cells) {
        let noted = cell.configuration == "unconfined" && cell.verdict != Verdict::Pass;
        if noted {
            let note = cell.observed.note.as_deref().unwrap();
            assert!(
                note.ends_with(
                    "another seccomp object than predicted: a filter where none was predicted"
                ),
                "{note}"
            );
        } else {
            assert_eq!(
                cell, was,
                "only the unconfined cells not passing get the note"
            );
        }
    }
    assert!(matrix
        .cells
        .iter()
        .any(|c| c.configuration == "unconfined" && c.verdict != Verdict::Pass));
}
