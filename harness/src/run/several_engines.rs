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
    let results = run_on_each(profiles, cap_sets, targets, opts).await;
    let (reports, mut failed) = name_the_reports(results, targets);
    if let Some(error) = whole_run_error(reports.is_empty(), &mut failed) {
        return Err(error);
    }
    Ok(combine_reports(reports, failed)?)
}

/// Each target's run, in parallel, in the order of `targets`.
async fn run_on_each<'t>(
    profiles: Vec<LoadedProfile>,
    cap_sets: Vec<CapSpec>,
    targets: &'t [EngineTarget],
    opts: &RunOptions,
) -> Vec<(&'t EngineTarget, Result<RunReport, RunError>)> {
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
    futures_util::future::join_all(runs).await
}

/// The engines that gave a matrix, each under its name, and those whose run failed.
#[allow(clippy::type_complexity)]
fn name_the_reports<'t>(
    results: Vec<(&'t EngineTarget, Result<RunReport, RunError>)>,
    targets: &[EngineTarget],
) -> (Vec<(String, RunReport)>, Vec<(&'t EngineTarget, RunError)>) {
    let mut reports: Vec<(String, RunReport)> = Vec::new();
    let mut failed = Vec::new();
    for (target, result) in results {
        let report = match result {
            Ok(report) => report,
            Err(source) => {
                failed.push((target, source));
                continue;
            }
        };
        let wanted = target.name.clone().unwrap_or_else(|| derived_name(&report));
        let name = unique_name(&wanted, |name| {
            reports.iter().any(|(existing, _)| existing == name)
                || (target.name.is_none()
                    && targets.iter().any(|t| t.name.as_deref() == Some(name)))
        });
        reports.push((name, report));
    }
    (reports, failed)
}

/// `wanted`, or where `taken` says it is, the first free of `wanted-2`, `wanted-3`, ...: two
/// unnamed engines of one version are numbered, and an unnamed engine keeps off the names
/// given to the others (one of which may have failed).
fn unique_name(wanted: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut name = wanted.to_string();
    let mut n = 2;
    while taken(&name) {
        name = format!("{wanted}-{n}");
        n += 1;
    }
    name
}

/// The error of the whole run, as on one engine, when no engine gave a matrix, or when the run
/// was interrupted (every engine's run stops then: a partial matrix would only look complete).
/// It is the interruption's error where there is one, so the run exits with its signal's code;
/// it is taken out of `failed`.
fn whole_run_error(
    no_report: bool,
    failed: &mut Vec<(&EngineTarget, RunError)>,
) -> Option<EnginesRunError> {
    let interrupted = |e: &RunError| matches!(e, RunError::Interrupted(_));
    let whole = no_report || failed.iter().any(|(_, e)| interrupted(e));
    if !whole || failed.is_empty() {
        return None;
    }
    let i = failed.iter().position(|(_, e)| interrupted(e)).unwrap_or(0);
    let (target, source) = failed.swap_remove(i);
    Some(EnginesRunError::Engine {
        name: target.name.clone().unwrap_or_else(|| target.url.clone()),
        url: target.url.clone(),
        source,
    })
}

/// One matrix of the engines that gave one, naming those that failed in its
/// `missing_engines`.
fn combine_reports(
    reports: Vec<(String, RunReport)>,
    failed: Vec<(&EngineTarget, RunError)>,
) -> Result<EnginesReport, FleetError> {
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

    #[test]
    fn a_taken_name_gets_the_first_free_number() {
        assert_eq!(unique_name("docker-28.5.2", |_| false), "docker-28.5.2");
        let taken = ["docker-28.5.2", "docker-28.5.2-2"];
        assert_eq!(
            unique_name("docker-28.5.2", |n| taken.contains(&n)),
            "docker-28.5.2-3"
        );
    }

    #[test]
    fn an_interruption_fails_the_whole_run_and_one_failed_engine_of_several_does_not() {
        let targets = [
            EngineTarget::parse("a=unix:///a").unwrap(),
            EngineTarget::parse("unix:///b").unwrap(),
        ];
        let interrupted = RunError::Interrupted(crate::engine::cleanup::Interrupted {
            signal: "SIGINT",
            run: crate::engine::cleanup::RunId::new(),
            removed: 0,
            cleanup_error: None,
        });
        let broken = || RunError::UnsupportedArch("mips".into());
        let mut failed = vec![(&targets[1], broken()), (&targets[0], interrupted)];
        match whole_run_error(false, &mut failed) {
            Some(EnginesRunError::Engine { name, source, .. }) => {
                assert_eq!(name, "a");
                assert!(matches!(source, RunError::Interrupted(_)));
            }
            other => panic!("expected the interruption, got {other:?}"),
        }
        assert_eq!(failed.len(), 1);

        let mut failed = vec![(&targets[1], broken())];
        assert!(whole_run_error(false, &mut failed).is_none());
        match whole_run_error(true, &mut failed) {
            Some(EnginesRunError::Engine { name, url, .. }) => {
                assert_eq!((name.as_str(), url.as_str()), ("unix:///b", "unix:///b"))
            }
            other => panic!("expected the engine's error, got {other:?}"),
        }
        assert!(whole_run_error(true, &mut Vec::new()).is_none());
    }
}
