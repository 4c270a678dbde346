//! What a run on a Kubernetes node's CRI runtime decides without the node: each configuration in
//! Kubernetes' terms, and what the node applied set beside the prediction. `builtin` is the
//! node's RuntimeDefault (named [`RUNTIME_DEFAULT`] in the matrix), `unconfined` is Unconfined,
//! and a profile file is a Localhost profile predicted as containerd reads it
//! ([`crate::profile::node`]: Docker-only fields dropped). The harness's CRI run writes the
//! profiles and runs the pods; everything here is pure, so that a node's matrix is tested
//! without a node.

use crate::assemble::{leave_out_failed, JobResults};
use crate::finish::{assemble_run, Readings};
use crate::matrix::{Matrix, Verdict};
use crate::plan::input::{LoadedProfile, ProfileKind};
use crate::plan::{JobKind, Plan, Seccomp};
use crate::profile::node::{applied_differences, as_containerd_reads, rendered_for_node};
use crate::profile::{parse_str, salt, Profile};

/// The configuration name of a node's own default profile.
pub const RUNTIME_DEFAULT: &str = "runtime-default";

/// A profile of the run as the node takes it: `builtin` is named [`RUNTIME_DEFAULT`], and a
/// file's model is what containerd reads (the JSON the node gets is the file as written).
pub fn as_node_reads(mut p: LoadedProfile) -> LoadedProfile {
    match &mut p.kind {
        ProfileKind::Builtin => p.name = RUNTIME_DEFAULT.to_string(),
        ProfileKind::Unconfined => {}
        ProfileKind::File {
            profile, tagged, ..
        } => {
            *profile = as_containerd_reads(profile);
            tagged.profile = as_containerd_reads(&tagged.profile);
        }
    }
    p
}

/// What the node gets as one job's profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeProfile {
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
/// from a file); every profile carries a salt unique to the run (`run_id`) and the job, with
/// `defaultErrnoRet` kept where the plan says the node's runtime honours the OCI field
/// containerd passes through ([`Plan::honours_default_errno_ret`], as a Docker engine's run
/// salts).
pub fn node_profiles(plan: &Plan, run_id: &str) -> Vec<NodeProfile> {
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
        let salt = salt::salt_for(run_id, i);
        let sent = salt::salted_json(
            rendered_default.as_ref().unwrap_or(j),
            salt,
            plan.honours_default_errno_ret,
        );
        out.push(NodeProfile::Localhost {
            sent,
            rendered_default,
        });
    }
    out
}

/// Per configuration whose applied seccomp object was recorded, how it differs from the
/// prediction (only those that differ): RuntimeDefault against containerd's default for the
/// release rendered for the container, a Localhost profile against the file as containerd
/// reads it, Unconfined against no filter. `applied` gives what the node reported it applied to
/// the container of a job (by its index in the plan): `None` where nothing was recorded,
/// `Some(None)` for no filter, else the OCI seccomp object (`ContainerStatus` verbose,
/// `info.runtimeSpec.linux.seccomp`).
pub fn applied_checks(
    plan: &Plan,
    profiles: &[NodeProfile],
    applied: impl Fn(usize) -> Option<Option<serde_json::Value>>,
) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for c in 0..plan.configurations.len() {
        let Some(i) = job_index(plan, plan.as_is_job(c)) else {
            continue;
        };
        let Some(applied) = applied(i) else {
            continue;
        };
        let Some(predicted) = predicted_object(plan, c, i, profiles) else {
            continue;
        };
        let differences = object_differences(predicted, applied);
        if !differences.is_empty() {
            out.push((c, differences));
        }
    }
    out
}

fn job_index(plan: &Plan, kind: JobKind) -> Option<usize> {
    plan.jobs.iter().position(|j| j.kind == kind)
}

/// The seccomp object predicted for configuration `c`, whose own job is job `i`: `Some(None)`
/// for no filter; `None` where there is no prediction to compare with (builtin with no
/// upstream default beside it).
fn predicted_object(
    plan: &Plan,
    c: usize,
    i: usize,
    profiles: &[NodeProfile],
) -> Option<Option<Profile>> {
    let conf = &plan.configurations[c];
    match &plan.profiles[conf.profile].kind {
        ProfileKind::Unconfined => Some(None),
        ProfileKind::Builtin => {
            let u = plan.upstream_configuration(conf.cap_set, conf.runtime)?;
            let upstream_job = job_index(plan, JobKind::AsIs { configuration: u })?;
            match &profiles[upstream_job] {
                NodeProfile::Localhost {
                    rendered_default: Some(rendered),
                    ..
                } => Some(Some(rendered.clone())),
                _ => None,
            }
        }
        ProfileKind::File { .. } => Some(match &profiles[i] {
            NodeProfile::Localhost { sent, .. } => {
                parse_applied(sent).map(|p| as_containerd_reads(&p))
            }
            _ => None,
        }),
    }
}

fn parse_applied(text: &str) -> Option<Profile> {
    parse_str(text, "applied").ok()
}

/// How the applied object differs from the predicted one, as the notes name it.
fn object_differences(
    predicted: Option<Profile>,
    applied: Option<serde_json::Value>,
) -> Vec<String> {
    match (predicted, applied) {
        (None, None) => Vec::new(),
        (Some(_), None) => vec!["no filter where one was predicted".to_string()],
        (None, Some(_)) => vec!["a filter where none was predicted".to_string()],
        (Some(p), Some(a)) => match parse_applied(&a.to_string()) {
            Some(a) => applied_differences(&p, &a),
            None => vec![format!("an object the harness can't read: {a}")],
        },
    }
}

/// The finish of a node's run once its pods are gone: the matrix as a Docker engine's run
/// assembles it ([`assemble_run`]: cells, host facts, rule coverage), with what containerd
/// applied noted where it differs from the prediction (`applied`, from [`applied_checks`];
/// the differences join `diagnostics`), and the configurations whose jobs failed left out.
pub fn node_matrix(
    plan: &Plan,
    results: &JobResults,
    readings: &Readings<'_>,
    applied: Vec<(usize, Vec<String>)>,
    failed: &[(JobKind, String)],
    diagnostics: &mut Vec<(String, Vec<String>)>,
) -> Matrix {
    let mut matrix = assemble_run(plan, results, readings);
    note_applied_differences(&mut matrix, plan, applied, diagnostics);
    leave_out_failed(&mut matrix, plan, failed);
    matrix
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
            crate::matrix::append_note(&mut cell.observed.note, note.clone());
        }
        diagnostics.push((id.clone(), differences));
    }
}

#[cfg(test)]
mod tests;
