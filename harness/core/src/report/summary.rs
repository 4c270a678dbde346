//! Verdict counts per configuration and the failing cells: what every human-facing format puts
//! first, computed once here so the table and the markdown agree.

use crate::matrix::{Cell, Configuration, Matrix, Verdict};

/// Verdict counts of one configuration.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub pass: usize,
    pub fail: usize,
    pub unpredicted: usize,
    pub drift: usize,
    /// Cells of profiles the harness did not start (the verdict `held_back`): never passes.
    pub held_back: usize,
    pub not_enforced: usize,
    /// Cells whose observation fits the prediction without proving it (`undecided`).
    pub undecided: usize,
}

impl Counts {
    fn add(&mut self, v: Verdict) {
        match v {
            Verdict::Pass => self.pass += 1,
            Verdict::Fail => self.fail += 1,
            Verdict::Unpredicted => self.unpredicted += 1,
            Verdict::Drift => self.drift += 1,
            Verdict::HeldBack => self.held_back += 1,
            Verdict::NotEnforced => self.not_enforced += 1,
            Verdict::Undecided => self.undecided += 1,
        }
    }
}

/// The runtimes that ignored the profiles, each with the reason (`host.seccomp.not_enforced`,
/// or each engine's in a run over several engines, then named `<engine>/<runtime>`): what
/// every format says first, because no cell of theirs shows what a profile does.
pub fn not_enforced(matrix: &Matrix) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = matrix
        .host
        .seccomp
        .not_enforced
        .iter()
        .map(|(r, why)| (r.clone(), why.clone()))
        .collect();
    for e in &matrix.engines {
        for (r, why) in &e.host.seccomp.not_enforced {
            let name = format!("{}/{r}", e.name);
            if !out.iter().any(|(n, _)| *n == name || n == r) {
                out.push((name, why.clone()));
            }
        }
    }
    out
}

/// The line every format puts under its headline when engines of a run over several gave no
/// matrix: the cells counted are only the other engines'.
pub(crate) fn missing_engines_headline(matrix: &Matrix) -> Option<String> {
    let names: Vec<&str> = matrix
        .missing_engines
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    match names.len() {
        0 => None,
        1 => Some(format!("engine missing from this matrix: {}", names[0])),
        n => Some(format!(
            "{n} engines missing from this matrix: {}",
            names.join(", ")
        )),
    }
}

/// The line every format puts under its headline when configurations of the run have no cells
/// (the engine died or failed their container runs): the matrix is partial. Each one's error
/// follows in [`missing_configurations`].
pub(crate) fn missing_configurations_headline(matrix: &Matrix) -> Option<String> {
    match matrix.missing_configurations.len() {
        0 => None,
        n => Some(format!(
            "PARTIAL MATRIX: {n} configuration(s) missing, their run ended in an engine error: {}",
            matrix
                .missing_configurations
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// Each missing configuration as `id: error`, for the lines under the headline.
pub fn missing_configurations(matrix: &Matrix) -> Vec<String> {
    matrix
        .missing_configurations
        .iter()
        .map(|m| format!("{}: {}", m.id, m.error))
        .collect()
}

/// The one-line headline every format starts with when a runtime ignored the profiles.
pub(crate) fn not_enforced_headline(matrix: &Matrix, counts: &Counts) -> Option<String> {
    let runtimes = not_enforced(matrix);
    if runtimes.is_empty() {
        return None;
    }
    Some(format!(
        "PROFILES NOT ENFORCED on {}: {} cells show no profile's doing (verdict not_enforced)",
        runtimes
            .iter()
            .map(|(r, _)| r.as_str())
            .collect::<Vec<_>>()
            .join(", "),
        counts.not_enforced
    ))
}

/// Counts per configuration (in matrix order), their total, and the failing cells (in matrix
/// order).
#[derive(Debug)]
pub struct Summary<'a> {
    pub per_configuration: Vec<(&'a Configuration, Counts)>,
    pub total: Counts,
    pub failures: Vec<&'a Cell>,
    /// The builtin cells that drift from upstream's profile (in matrix order).
    pub drifts: Vec<&'a Cell>,
}

impl<'a> Summary<'a> {
    pub fn of(matrix: &'a Matrix) -> Self {
        let mut per_configuration: Vec<_> = matrix
            .configurations
            .iter()
            .map(|c| (c, Counts::default()))
            .collect();
        let mut total = Counts::default();
        let mut failures = Vec::new();
        let mut drifts = Vec::new();
        for cell in &matrix.cells {
            total.add(cell.verdict);
            // A cell whose configuration is not listed still counts in the total: the matrix
            // is read, not trusted.
            if let Some((_, counts)) = per_configuration
                .iter_mut()
                .find(|(c, _)| c.id == cell.configuration)
            {
                counts.add(cell.verdict);
            }
            match cell.verdict {
                Verdict::Fail => failures.push(cell),
                Verdict::Drift => drifts.push(cell),
                _ => {}
            }
        }
        Summary {
            per_configuration,
            total,
            failures,
            drifts,
        }
    }
}
