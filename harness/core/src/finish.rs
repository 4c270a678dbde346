//! The finish step of a run, the same on every engine (a Docker or Podman engine, a CRI node):
//! the calibration's measurement per runtime, the oracle's predictions made with it, the host
//! facts, the matrix assembled once from the jobs' results, and each file configuration's rule
//! coverage. Pure: the containers have run by now, and what only I/O can tell comes in as
//! [`Readings`].

use crate::assemble::{assemble, JobResults};
use crate::calibration::{calibrate, Calibrated};
use crate::matrix::{HostFacts, Matrix};
use crate::plan::{JobKind, Plan};
use seccomp_catalog::record::HostRecord;
use std::collections::{BTreeMap, BTreeSet};

/// The engine's facts as the matrix's host facts, completed with what a probe saw of the host
/// in a baseline (`None` where no baseline ran on the host kernel): an engine knows its own
/// version, but only a container sees the kernel and the seccomp actions it gets.
pub type EngineHostFacts<'a> = Box<dyn Fn(Option<&HostRecord>) -> HostFacts + 'a>;

/// What the finish step needs that the core can't read: the engine's facts and the place the
/// harness runs in, taken by the caller, so that the step itself stays testable without either.
pub struct Readings<'a> {
    pub host_facts: EngineHostFacts<'a>,
    /// The capability bounding set where the harness runs (`None` where it can't tell): a
    /// local engine's runtime starts containers under the same one, so a start error can name
    /// a capability outside it ([`assemble`]).
    pub bounding_set: Option<u64>,
}

/// Predicts every cell with the calibration's measurement and assembles the matrix, with the
/// rule coverage of every file configuration. The coverage is made here, once for every engine,
/// so that no engine's run can report cells without it: a rule never exercised must be named as
/// such (the brief: a pass means proven), and a CRI run once left the coverage out.
pub fn assemble_run(plan: &Plan, results: &JobResults, readings: &Readings<'_>) -> Matrix {
    // Predictions need the calibration's measurement of the runtime's libseccomp.
    let calibrated = calibrations(plan, results);
    let unknown: BTreeMap<usize, BTreeSet<String>> = calibrated
        .iter()
        .map(|(rt, c)| (*rt, c.unknown.clone()))
        .collect();
    let predictions = plan.predict(&unknown);
    let host = host_facts(plan, results, &calibrated, &readings.host_facts);
    let mut matrix = assemble(plan, &predictions, results, host, readings.bounding_set);
    // With the calibration's unknown names, as the predictions had them.
    matrix.coverage = plan.coverage(&matrix, &unknown);
    matrix
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
/// the host kernel ran (a runtime with a kernel of its own reports that one instead, so its
/// baseline is never asked: [`crate::runtime::Runtime::runs_on_host_kernel`]), and what the
/// calibrations found of each runtime.
fn host_facts(
    plan: &Plan,
    results: &JobResults,
    calibrated: &BTreeMap<usize, Calibrated>,
    engine_host_facts: &dyn Fn(Option<&HostRecord>) -> HostFacts,
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
    let mut host = engine_host_facts(baseline_host);
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
mod tests;
