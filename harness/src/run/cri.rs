//! A run on a Kubernetes node's CRI runtime (`run --cri unix:///…/containerd.sock`): the same
//! plan, oracle and matrix as a Docker run, with each configuration in Kubernetes' terms:
//! `builtin` is the node's RuntimeDefault (named `runtime-default` in the matrix), `unconfined`
//! is Unconfined, and a profile file is a Localhost profile written beside the node's socket and
//! predicted as containerd reads it (`profile::node`: Docker-only fields dropped). The default
//! capability set is the runtime's: containerd's (`oci.defaultUnixCaps`) is Docker's 14.

use super::execute::{collect_results, probe_for, Collected, RunError, RunOptions, RunReport};
use super::finish::assemble_run;
use super::prepare::{plan_for_engine, Choices};
use super::progress::Progress;
use crate::engine::cri::{node::CriEndpoint, pod, CriError, CriNode, PodRunner};
use crate::engine::{ContainerSpec, EngineError, Interrupted, RunId, SeccompMode};
use seccomp_harness_core::assemble::{leave_out_failed, tally, Tally};
use seccomp_harness_core::matrix::{Matrix, Verdict};
use seccomp_harness_core::plan::input::{CapSpec, LoadedProfile, ProfileKind};
use seccomp_harness_core::plan::{JobKind, Plan, Seccomp};
use seccomp_harness_core::profile::node::rendered_for_node;
use seccomp_harness_core::profile::{salt, Profile};
use std::time::Instant;

/// The configuration name of a node's own default profile.
pub(crate) const RUNTIME_DEFAULT: &str = "runtime-default";

/// Connects to the node at `url`, plans and runs `profiles` × `cap_sets`, and assembles the
/// matrix: the same prepare and finish steps as a Docker engine's run, with the profiles as
/// the node reads them ([`as_node_reads`], [`node_profiles`]) and, after the matrix, what
/// containerd reports it applied ([`applied_checks`]).
pub(crate) async fn execute_cri(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    url: &str,
    opts: &RunOptions,
) -> Result<RunReport, RunError> {
    let endpoint: CriEndpoint = url.parse().map_err(EngineError::from)?;
    let node = CriNode::connect(endpoint)
        .await
        .map_err(EngineError::from)?;
    let facts = node.facts();
    // RuntimeDefault is predicted from containerd's default for the node's release, which runs
    // as a Localhost profile beside it, rendered per job as containerd builds it for the
    // container ([`node_profiles`]).
    let profiles = profiles.into_iter().map(as_node_reads).collect();
    let plan = plan_for_engine(
        profiles,
        cap_sets,
        &facts,
        node.url(),
        Choices::on_node(opts),
    )?;
    let probe = probe_for(opts, plan.arch, node.url())?;
    let images = node
        .ensure_images(probe, &facts.arch)
        .await
        .map_err(EngineError::from)?;
    let run_id = RunId::new();
    let runner = PodRunner::new(node.clone(), images, run_id.clone(), opts.parallel)
        .map_err(EngineError::from)?;
    let profiles = node_profiles(&plan, &run_id);
    let seccomp = write_node_profiles(&runner, &profiles)?;
    let started = Instant::now();
    let collected = run_pods(&runner, &plan, &seccomp, run_id, opts).await?;
    let seconds = started.elapsed().as_secs_f64();
    let Tally {
        containers,
        containers_by_job,
        results,
        mut diagnostics,
    } = tally(collected.jobs);
    let applied = applied_checks(&plan, &seccomp, &profiles, &runner);
    let matrix = node_matrix(
        &plan,
        &facts,
        &results,
        applied,
        &collected.failed,
        &mut diagnostics,
    );
    Ok(RunReport {
        matrix,
        facts,
        containers,
        containers_by_job,
        seconds,
        diagnostics,
        timings: Default::default(),
    })
}

/// The finish of a node's run once its pods are gone: the matrix as a Docker engine's run
/// assembles it ([`assemble_run`]: cells, host facts, rule coverage), with what containerd
/// applied noted where it differs from the prediction, and the configurations whose jobs
/// failed left out. Pure, so that the node's matrix is tested without a node.
fn node_matrix(
    plan: &Plan,
    facts: &crate::engine::EngineFacts,
    results: &seccomp_harness_core::assemble::JobResults,
    applied: Vec<(usize, Vec<String>)>,
    failed: &[(JobKind, String)],
    diagnostics: &mut Vec<(String, Vec<String>)>,
) -> Matrix {
    let mut matrix = assemble_run(plan, facts, results);
    note_applied_differences(&mut matrix, plan, applied, diagnostics);
    leave_out_failed(&mut matrix, plan, failed);
    matrix
}

/// What the node gets as one job's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
enum NodeProfile {
    /// RuntimeDefault: the node's own profile.
    RuntimeDefault,
    Unconfined,
    /// A Localhost profile: the JSON written for the node (salted), and for the jobs of
    /// upstream's default the JSON rendered for the container before its salt, which is what
    /// the node's RuntimeDefault should apply.
    Localhost {
        sent: String,
        rendered_default: Option<Profile>,
    },
}

/// Each job's profile as the node gets it, in plan order. Upstream's default is rendered as
/// containerd builds it for the container (its conditions resolved: the node would drop them
/// from a file); every profile carries a salt unique to the run and the job, with
/// `defaultErrnoRet` kept, as the runtime honours the OCI field containerd passes through
/// ([`seccomp_harness_core::runtime::RuntimeModel::honours_default_errno_ret`]).
fn node_profiles(plan: &Plan, run_id: &RunId) -> Vec<NodeProfile> {
    let mut out = Vec::with_capacity(plan.jobs.len());
    for (i, job) in plan.jobs.iter().enumerate() {
        let j = match &job.seccomp {
            Seccomp::Builtin => {
                out.push(NodeProfile::RuntimeDefault);
                continue;
            }
            Seccomp::Unconfined => {
                out.push(NodeProfile::Unconfined);
                continue;
            }
            Seccomp::Profile(p) => p,
        };
        let rendered_default = match job.kind {
            JobKind::AsIs { configuration } | JobKind::Tagged { configuration }
                if plan.builtin_upstream.as_ref().ok()
                    == Some(&plan.configurations[configuration].profile) =>
            {
                let host = plan.host(job.cap_set, job.runtime, &Default::default());
                Some(rendered_for_node(j, &host))
            }
            _ => None,
        };
        let salt = salt::salt_for(run_id.as_str(), i);
        let sent = salt::salted_json(rendered_default.as_ref().unwrap_or(j), salt, true);
        out.push(NodeProfile::Localhost {
            sent,
            rendered_default,
        });
    }
    out
}

/// Writes each Localhost profile beside the node's socket; the seccomp option of each job's
/// container, in plan order.
#[allow(clippy::result_large_err)] // the run's own error type, as `RunError` is everywhere here
fn write_node_profiles(
    runner: &PodRunner,
    profiles: &[NodeProfile],
) -> Result<Vec<SeccompMode>, RunError> {
    let mut seccomp = Vec::with_capacity(profiles.len());
    for (i, profile) in profiles.iter().enumerate() {
        seccomp.push(match profile {
            NodeProfile::RuntimeDefault => SeccompMode::Builtin,
            NodeProfile::Unconfined => SeccompMode::Unconfined,
            NodeProfile::Localhost { sent, .. } => {
                let file = runner.write_profile(i, sent).map_err(EngineError::from)?;
                SeccompMode::ProfilePath(file.node.display().to_string())
            }
        });
    }
    Ok(seccomp)
}

/// Runs every job of the plan in its pod; on Ctrl-C, and on every other path too, nothing of
/// the run stays on the node.
async fn run_pods(
    runner: &PodRunner,
    plan: &Plan,
    seccomp: &[SeccompMode],
    run_id: RunId,
    opts: &RunOptions,
) -> Result<Collected, RunError> {
    let progress = Progress::new(opts.progress, plan.jobs.len());
    let futures = plan.jobs.iter().zip(seccomp).map(|(job, seccomp)| {
        let (cap_add, cap_drop) = plan.cap_sets[job.cap_set].engine_add_drop();
        let spec = ContainerSpec {
            cap_add,
            cap_drop,
            probe_args: job.probe_args.clone(),
            case_timeout: opts.case_timeout,
            ..ContainerSpec::new(seccomp.clone())
        };
        let label = plan.job_label(job.kind);
        let progress = &progress;
        async move {
            let cases = job.cases.as_ref().unwrap_or(&plan.case_ids);
            let t = Instant::now();
            let run = runner.run(&spec, cases).await;
            if let Ok(r) = &run {
                progress.job_done(&label, t.elapsed().as_secs_f64(), r.containers);
            }
            (job.kind, label, run)
        }
    });
    let runs = tokio::select! {
        runs = futures_util::future::join_all(futures) => runs,
        signal = crate::engine::cleanup::interrupt_signal() => {
            let (removed, cleanup_error) = match runner.finish().await {
                Ok(n) => (n, None),
                Err(e) => (0, Some(e.to_string())),
            };
            return Err(RunError::Interrupted(Interrupted {
                signal,
                run: run_id,
                removed,
                cleanup_error,
            }));
        }
    };
    progress.finish();
    let swept = runner.finish().await;
    let collected = collect_results(runs)?;
    swept.map_err(EngineError::from)?;
    Ok(collected)
}

/// Notes, on every cell not passing of a configuration whose applied seccomp object differs
/// from the prediction, what containerd applied instead, and names the differences among the
/// run's diagnostics.
fn note_applied_differences(
    matrix: &mut Matrix,
    plan: &Plan,
    applied: Vec<(usize, Vec<String>)>,
    diagnostics: &mut Vec<(String, Vec<String>)>,
) {
    for (c, differences) in applied {
        let id = &plan.configurations[c].id;
        let note = format!(
            "containerd applied (ContainerStatus verbose) another seccomp object than predicted: {}",
            differences.join("; ")
        );
        for cell in matrix
            .cells
            .iter_mut()
            .filter(|cell| &cell.configuration == id && cell.verdict != Verdict::Pass)
        {
            cell.observed.note = Some(match cell.observed.note.take() {
                Some(n) => format!("{n}; {note}"),
                None => note.clone(),
            });
        }
        diagnostics.push((id.clone(), differences));
    }
}

/// Per configuration whose applied seccomp object was recorded, how it differs from the
/// prediction (only those that differ): RuntimeDefault against containerd's default for the
/// release rendered for the container, a Localhost profile against the file as containerd
/// reads it, Unconfined against no filter.
fn applied_checks(
    plan: &Plan,
    seccomp: &[SeccompMode],
    profiles: &[NodeProfile],
    runner: &PodRunner,
) -> Vec<(usize, Vec<String>)> {
    use seccomp_harness_core::profile::node::{applied_differences, as_containerd_reads};
    let job_of = |kind: JobKind| plan.jobs.iter().position(|j| j.kind == kind);
    let parse = |text: &str| seccomp_harness_core::profile::parse_str(text, "applied").ok();
    let sent = |i: usize| match &profiles[i] {
        NodeProfile::Localhost { sent, .. } => Some(sent.as_str()),
        _ => None,
    };
    let rendered_default = |i: usize| match &profiles[i] {
        NodeProfile::Localhost {
            rendered_default, ..
        } => rendered_default.as_ref(),
        _ => None,
    };
    let mut out = Vec::new();
    for (c, conf) in plan.configurations.iter().enumerate() {
        let Some(i) = job_of(plan.as_is_job(c)) else {
            continue;
        };
        let Some(applied) = runner.applied(&seccomp[i]) else {
            continue;
        };
        let predicted = match &plan.profiles[conf.profile].kind {
            ProfileKind::Unconfined => None,
            ProfileKind::Builtin => {
                let Some(u) = plan.upstream_configuration(conf.cap_set, conf.runtime) else {
                    continue;
                };
                let Some(rendered) =
                    job_of(JobKind::AsIs { configuration: u }).and_then(rendered_default)
                else {
                    continue;
                };
                Some(rendered.clone())
            }
            ProfileKind::File { .. } => sent(i).and_then(parse).map(|p| as_containerd_reads(&p)),
        };
        let differences = match (predicted, applied) {
            (None, None) => Vec::new(),
            (Some(_), None) => vec!["no filter where one was predicted".to_string()],
            (None, Some(_)) => vec!["a filter where none was predicted".to_string()],
            (Some(p), Some(a)) => match parse(&a.to_string()) {
                Some(a) => applied_differences(&p, &a),
                None => vec![format!("an object the harness can't read: {a}")],
            },
        };
        if !differences.is_empty() {
            out.push((c, differences));
        }
    }
    out
}

/// A profile of the run as the node takes it: `builtin` is named `runtime-default`, and a
/// file's model is what containerd reads (the JSON the node gets is the file as written).
fn as_node_reads(mut p: LoadedProfile) -> LoadedProfile {
    match &mut p.kind {
        ProfileKind::Builtin => p.name = RUNTIME_DEFAULT.to_string(),
        ProfileKind::Unconfined => {}
        ProfileKind::File {
            profile, tagged, ..
        } => {
            *profile = seccomp_harness_core::profile::node::as_containerd_reads(profile);
            tagged.profile =
                seccomp_harness_core::profile::node::as_containerd_reads(&tagged.profile);
        }
    }
    p
}

/// `clean --cri URL`: removes the pod sandboxes (and their empty cgroups) of runs whose process
/// is gone, or of every run with `all`.
pub async fn clean_cri(url: &str, all: bool) -> Result<usize, CriError> {
    let node = CriNode::connect(url.parse()?).await?;
    pod::sweep(&node, None, all).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineFacts;
    use crate::run::input::{load_profile, ProfileInput};
    use seccomp_harness_core::matrix::Verdict;
    use seccomp_harness_core::plan::input::BUILTIN_UPSTREAM;

    /// `profiles` planned on containerd 1.7.24 (x86_64, kernel 6.12, the default runtime) with
    /// the default capabilities, for the `cases` named.
    fn plan_on_containerd(profiles: Vec<LoadedProfile>, cases: &[&str]) -> Plan {
        let facts = EngineFacts {
            engine: "containerd".into(),
            engine_version: "v1.7.24".into(),
            arch: "x86_64".into(),
            kernel: "6.12.0".into(),
            default_runtime: seccomp_harness_core::runtime::DEFAULT_NAME.into(),
            ..EngineFacts::default()
        };
        let opts = RunOptions {
            cases: cases.iter().map(|c| c.to_string()).collect(),
            ..RunOptions::default()
        };
        plan_for_engine(
            profiles,
            vec![CapSpec::docker_default()],
            &facts,
            "unix:///run/containerd/containerd.sock",
            Choices::on_node(&opts),
        )
        .unwrap()
    }

    /// runtime-default (with containerd 1.7.24's default beside it) and unconfined, on a node.
    fn node_plan() -> Plan {
        let profiles = [ProfileInput::Builtin, ProfileInput::Unconfined]
            .iter()
            .map(|p| as_node_reads(load_profile(p).unwrap()))
            .collect();
        plan_on_containerd(profiles, &["getpid", "keyctl"])
    }

    /// A profile denying getpid only under `includes: {caps: [CAP_SYS_ADMIN]}`, with the
    /// default capabilities, planned for a node (`on_node`: as containerd reads it) or for a
    /// Docker engine.
    fn conditional_plan(dir: &std::path::Path, on_node: bool) -> Plan {
        let path = dir.join("admin-getpid.json");
        std::fs::write(
            &path,
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","includes":{"caps":["CAP_SYS_ADMIN"]}}]}"#,
        )
        .unwrap();
        let loaded = load_profile(&ProfileInput::File(path)).unwrap();
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
    fn denied_by_the_rule(plan: &Plan) -> seccomp_harness_core::assemble::JobResults {
        use seccomp_catalog::record::CaseRecord;
        use seccomp_harness_core::assemble::JobResult;
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
        let answer = |errno: Option<i32>| JobResult {
            records: [(
                "getpid".to_string(),
                CaseRecord {
                    ret: Some(errno.map_or(7, |e| -(e as i64))),
                    errno,
                    ..Default::default()
                },
            )]
            .into(),
            ..Default::default()
        };
        let mut results = seccomp_harness_core::assemble::JobResults::new();
        let baseline = JobKind::Baseline {
            cap_set: 0,
            runtime: 0,
        };
        results.insert(baseline, answer(None));
        results.insert(JobKind::AsIs { configuration: c }, answer(Some(1)));
        results.insert(JobKind::Tagged { configuration: c }, answer(Some(sentinel)));
        results
    }

    /// The rule coverage of a node's run, as a Docker engine's run has it, of the profile as
    /// containerd reads it: the rule Docker would leave out (its `includes` unmet) is in the
    /// node's filter, and proven by the cells; a configuration left out for a failed job
    /// takes its coverage with it.
    #[test]
    fn a_nodes_run_reports_rule_coverage_of_the_profile_as_containerd_reads_it() {
        use seccomp_harness_core::coverage::RuleState;
        let dir = tempfile::tempdir().unwrap();
        let facts = EngineFacts::default();
        let node = conditional_plan(dir.path(), true);
        let results = denied_by_the_rule(&node);
        let mut diagnostics = Vec::new();
        let m = node_matrix(&node, &facts, &results, Vec::new(), &[], &mut diagnostics);
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
        let docker = conditional_plan(dir.path(), false);
        let m = node_matrix(
            &docker,
            &facts,
            &seccomp_harness_core::assemble::JobResults::new(),
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
            &facts,
            &results,
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
        let ids: Vec<_> = plan.configurations.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, [RUNTIME_DEFAULT, BUILTIN_UPSTREAM, "unconfined"]);
        let run = RunId::new();
        let profiles = node_profiles(&plan, &run);
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
                    let salt = salt::salt_for(run.as_str(), i);
                    let salted = salt::salted(base, salt, true);
                    assert_eq!(
                        salted.rules.len(),
                        base.rules.len() + 1,
                        "job {i} is salted"
                    );
                    assert_eq!(sent, &salt::salted_json(base, salt, true));
                }
                other => panic!("job {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn a_difference_in_what_containerd_applied_is_noted_on_the_cells_it_may_explain() {
        let plan = node_plan();
        let mut results = seccomp_harness_core::assemble::JobResults::new();
        let allowed = seccomp_catalog::record::CaseRecord {
            ret: Some(7),
            ..Default::default()
        };
        let baseline = seccomp_harness_core::assemble::JobResult {
            records: [("getpid".to_string(), allowed.clone())].into(),
            ..Default::default()
        };
        results.insert(
            JobKind::Baseline {
                cap_set: 0,
                runtime: 0,
            },
            baseline,
        );
        let facts = EngineFacts::default();
        let mut matrix = assemble_run(&plan, &facts, &results);
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
}
