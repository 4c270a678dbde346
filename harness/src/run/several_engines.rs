//! One run over several engines: the same profiles and capability sets on each engine given
//! (`run --docker-host A --docker-host B`), the engines in parallel, each with its own image
//! build, watchdog, restarts and cleanup (each is a whole [`execute`]), and one matrix of
//! them all ([`seccomp_harness_core::fleet::combine_partial`]). With one engine it is exactly
//! [`execute`]. An engine whose run fails while others complete is named in the matrix's
//! `missing_engines` instead of failing the whole run.

use super::execute::{execute, RunError, RunOptions, RunReport};
use seccomp_harness_core::fleet::{combine_partial, valid_name, FleetError};
use seccomp_harness_core::matrix::{Matrix, MissingEngine};
use seccomp_harness_core::plan::input::{CapSpec, LoadedProfile};

/// An engine to run on: its address and, where the user gave one (`NAME=URL`), its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineTarget {
    pub name: Option<String>,
    pub url: String,
    /// A Kubernetes node's CRI socket (`run --cri`) rather than a Docker API.
    pub cri: bool,
}

impl EngineTarget {
    /// `unix:///run/docker.sock` or `sid=unix:///…/docker.sock`: what precedes the first `=`
    /// is a name when it holds no `://` (an `=` inside an address, `ssh://h?x=1`, is not) and
    /// the rest is an address. A name that can't prefix configuration ids is refused here,
    /// before any engine runs.
    pub fn parse(spec: &str) -> Result<EngineTarget, FleetError> {
        if let Some((name, url)) = spec.split_once('=') {
            if !name.contains("://") && url.contains("://") {
                if !valid_name(name) {
                    return Err(FleetError::BadName(name.to_string()));
                }
                return Ok(EngineTarget {
                    name: Some(name.to_string()),
                    url: url.to_string(),
                    cri: false,
                });
            }
        }
        Ok(EngineTarget {
            name: None,
            url: spec.to_string(),
            cri: false,
        })
    }

    /// A `--cri [NAME=]URL` target.
    pub fn parse_cri(spec: &str) -> Result<EngineTarget, FleetError> {
        Ok(EngineTarget {
            cri: true,
            ..EngineTarget::parse(spec)?
        })
    }

    /// Checks a run's targets before anything runs: two engines given the same name would
    /// otherwise be found out only after both had run.
    pub fn check_all(targets: &[EngineTarget]) -> Result<(), FleetError> {
        for (i, t) in targets.iter().enumerate() {
            if let Some(name) = &t.name {
                if targets[..i].iter().any(|o| o.name.as_ref() == Some(name)) {
                    return Err(FleetError::DuplicateName(name.clone()));
                }
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EnginesRunError {
    #[error("engine {name} ({url}): {source}")]
    Engine {
        name: String,
        url: String,
        #[source]
        source: RunError,
    },
    #[error(transparent)]
    Combine(#[from] FleetError),
}

/// What a run over several engines hands back.
#[derive(Debug)]
pub struct EnginesReport {
    pub matrix: Matrix,
    /// Each engine's own report, by name, in the order given.
    pub reports: Vec<(String, RunReport)>,
    /// The engines whose run failed while others completed, by name, with the error (the
    /// matrix names them in `missing_engines`); the caller picks the exit code from it.
    pub failed: Vec<(String, RunError)>,
}

/// A name from the engine's facts where the user gave none: `docker-28.5.2`, `podman-5.8.6`.
fn derived_name(report: &RunReport) -> String {
    let raw = format!("{}-{}", report.facts.engine, report.facts.engine_version);
    raw.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Runs `profiles` × `cap_sets` on every engine of `targets` at once and combines the
/// matrices. `opts.docker_host` is ignored: each target sets its own.
pub async fn execute_on_engines(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    targets: &[EngineTarget],
    opts: &RunOptions,
) -> Result<EnginesReport, EnginesRunError> {
    let runs = targets.iter().map(|t| {
        let opts = RunOptions {
            docker_host: Some(t.url.clone()),
            // One bar per engine would draw over the others; the CLI reports each engine's
            // end instead.
            progress: opts.progress && targets.len() == 1,
            ..opts.clone()
        };
        let (profiles, cap_sets) = (profiles.clone(), cap_sets.clone());
        async move {
            let report = if t.cri {
                super::cri::execute_cri(profiles, cap_sets, &t.url, &opts).await
            } else {
                execute(profiles, cap_sets, &opts).await
            };
            (t, report)
        }
    });
    let mut reports: Vec<(String, RunReport)> = Vec::new();
    let mut failed: Vec<(&EngineTarget, RunError)> = Vec::new();
    for (target, result) in futures_util::future::join_all(runs).await {
        let report = match result {
            Ok(report) => report,
            Err(source) => {
                failed.push((target, source));
                continue;
            }
        };
        let mut name = target.name.clone().unwrap_or_else(|| derived_name(&report));
        // Two unnamed engines of one version: number the later ones. An unnamed engine also
        // keeps off the names given to the others (one of which may have failed).
        let base = name.clone();
        let mut n = 2;
        let given = |name: &str| {
            target.name.is_none() && targets.iter().any(|t| t.name.as_deref() == Some(name))
        };
        while reports.iter().any(|(existing, _)| *existing == name) || given(&name) {
            name = format!("{base}-{n}");
            n += 1;
        }
        reports.push((name, report));
    }
    // The whole run fails, as on one engine, when no engine gave a matrix, or when the run was
    // interrupted (every engine's run stops then: a partial matrix would only look complete).
    let whole = reports.is_empty()
        || failed
            .iter()
            .any(|(_, e)| matches!(e, RunError::Interrupted(_)));
    if whole && !failed.is_empty() {
        // The interruption's error when there is one, so the run exits with its signal's code.
        let i = failed
            .iter()
            .position(|(_, e)| matches!(e, RunError::Interrupted(_)))
            .unwrap_or(0);
        let (target, source) = failed.swap_remove(i);
        return Err(EnginesRunError::Engine {
            name: target.name.clone().unwrap_or_else(|| target.url.clone()),
            url: target.url.clone(),
            source,
        });
    }
    // An engine that gave no matrix has no facts to name it by: its given name, else its
    // address.
    let failed: Vec<(String, &EngineTarget, RunError)> = failed
        .into_iter()
        .map(|(t, e)| (t.name.clone().unwrap_or_else(|| t.url.clone()), t, e))
        .collect();
    let missing = failed
        .iter()
        .map(|(name, t, e)| MissingEngine {
            name: name.clone(),
            url: t.url.clone(),
            error: e.to_string(),
        })
        .collect();
    let matrix = combine_partial(
        reports
            .iter()
            .map(|(name, r)| (name.clone(), r.matrix.clone()))
            .collect(),
        missing,
    )?;
    Ok(EnginesReport {
        matrix,
        reports,
        failed: failed.into_iter().map(|(n, _, e)| (n, e)).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_take_an_optional_name() {
        assert_eq!(
            EngineTarget::parse("sid=unix:///var/lib/x/docker.sock").unwrap(),
            EngineTarget {
                name: Some("sid".into()),
                url: "unix:///var/lib/x/docker.sock".into(),
                cri: false,
            }
        );
        assert_eq!(
            EngineTarget::parse("tcp://127.0.0.1:2375").unwrap(),
            EngineTarget {
                name: None,
                url: "tcp://127.0.0.1:2375".into(),
                cri: false,
            }
        );
        // An `=` inside the address is not a name.
        assert_eq!(EngineTarget::parse("ssh://me@host?x=1").unwrap().name, None);
        // A name that can't prefix ids, and a name given twice, are refused up front.
        assert_eq!(
            EngineTarget::parse("my/host=unix:///s"),
            Err(FleetError::BadName("my/host".into()))
        );
        let twice = [
            EngineTarget::parse("a=unix:///x").unwrap(),
            EngineTarget::parse("a=unix:///y").unwrap(),
        ];
        assert_eq!(
            EngineTarget::check_all(&twice),
            Err(FleetError::DuplicateName("a".into()))
        );
    }
}
