//! Rule coverage: for each rule of a file profile, on each ABI its filter covers, whether the
//! matrix proves it on both sides. A rule is *hit* when a passing cell matched all its
//! conditions and showed its action (attributed to it by the tagged run where the action is an
//! errno), *missed* when a passing cell on the same syscall fell outside its conditions and got
//! another answer. Proven means both, or a hit for a rule without conditions (nothing falls
//! outside it). Anything short of that names its reason: Docker leaves the rule out here, the
//! runtime drops or ignores it, another rule shadows it, no harmless call satisfies it.
//!
//! [`generate`] makes the cases that the argument conditions call for.

pub mod generate;

use crate::matrix::{Cell, Verdict};
use crate::oracle::{action_outcome, condition_chains, Oracle};
use crate::outcome::{Outcome, RuleRef};
use crate::profile::model::Profile;
use crate::profile::names;
use crate::profile::resolve::Resolved;
use generate::NotGenerated;
use serde::{Deserialize, Serialize};

/// One file configuration's coverage (schema_version 2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Coverage {
    pub configuration: String,
    pub profile: String,
    /// Per ABI the filter covers: the figure.
    pub figures: Vec<Figure>,
    pub rules: Vec<RuleCoverage>,
}

/// Rules proven on both sides, out of all rules of the filter, on one ABI. A rule is one name
/// of one entry of `syscalls[]`; the ones not in this host's filter are counted apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Figure {
    pub abi: String,
    pub proven: usize,
    pub rules: usize,
    /// Rules named with the reason they are not in the filter ([`RuleState::NotInFilter`]).
    pub not_in_filter: usize,
    /// The same for the rules with argument conditions.
    pub argument_proven: usize,
    pub argument_rules: usize,
}

impl Figure {
    pub fn percent(&self) -> f64 {
        percent(self.proven, self.rules)
    }
}

fn percent(a: usize, b: usize) -> f64 {
    if b == 0 {
        100.0
    } else {
        a as f64 * 100.0 / b as f64
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RuleState {
    /// Hit and missed (or hit, for a rule without conditions).
    Proven,
    /// Hit, but no case outside its conditions got another answer.
    HitOnly,
    /// Missed, but no case matched its conditions.
    MissOnly,
    /// In the filter, but no case decided by it ran on either side.
    NotExercised,
    /// Not in the filter this host gets: Docker leaves it out (`includes`/`excludes`), runc
    /// drops it (the default's action) or ignores it (a name libseccomp doesn't know), or the
    /// name is no syscall of the ABI. Named with the reason, and counted apart from the figure.
    NotInFilter,
}

impl RuleState {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleState::Proven => "proven",
            RuleState::HitOnly => "hit only",
            RuleState::MissOnly => "miss only",
            RuleState::NotExercised => "not exercised",
            RuleState::NotInFilter => "not in the filter",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RuleCoverage {
    /// Index in `syscalls[]`.
    pub rule: usize,
    pub syscall: String,
    pub abi: String,
    /// The conditions as written (`arg0 <= 0x40`); empty for a rule without.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<String>,
    pub state: RuleState,
    /// The case that hit it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hit: Option<String>,
    /// The case that missed it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub miss: Option<String>,
    /// Why a side is missing (or, for a proven rule without conditions, why no miss is needed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// What coverage is computed from, for one file configuration.
pub struct Input<'a> {
    pub configuration: &'a str,
    pub profile_name: &'a str,
    pub profile: &'a Profile,
    pub resolved: &'a Resolved,
    pub oracle: &'a Oracle<'a>,
    /// The configuration's cells.
    pub cells: &'a [&'a Cell],
    /// Cases the profile called for that no poison makes harmless.
    pub not_generated: &'a [NotGenerated],
    /// Why the configuration's container never ran its cases, if it didn't.
    pub start_error: Option<&'a str>,
}

/// An observation of the filter's answer (not a start failure, a timeout or a missing call).
fn observed_answer(c: &Cell) -> bool {
    matches!(
        c.observed.outcome,
        Outcome::Allowed | Outcome::Errno | Outcome::Killed | Outcome::Trapped
    )
}

/// The coverage of one file configuration.
// Over 80 lines: its phases are still to be split into named steps (issue #20).
#[allow(clippy::too_many_lines)]
pub fn of(input: &Input) -> Coverage {
    let mut rules = Vec::new();
    let covered = input.resolved.covered_abis();
    for (i, rule) in input.profile.rules.iter().enumerate() {
        let skipped = input.resolved.skipped.iter().find(|s| s.rule == i);
        for name in &rule.names {
            let abis: Vec<_> = covered
                .iter()
                .copied()
                .filter(|a| names::number(*a, name).is_some())
                .collect();
            let conditions: Vec<String> = rule.args.iter().map(|c| c.to_string()).collect();
            if abis.is_empty() {
                rules.push(RuleCoverage {
                    rule: i,
                    syscall: name.clone(),
                    abi: covered[0].name().to_string(),
                    conditions,
                    state: RuleState::NotInFilter,
                    hit: None,
                    miss: None,
                    reason: Some(format!(
                        "{name} is no syscall of the filter's ABIs ({}): libseccomp ignores it there",
                        covered.iter().map(|a| a.name()).collect::<Vec<_>>().join(", ")
                    )),
                });
                continue;
            }
            for abi in abis {
                let mut rc = RuleCoverage {
                    rule: i,
                    syscall: name.clone(),
                    abi: abi.name().to_string(),
                    conditions: conditions.clone(),
                    state: RuleState::NotExercised,
                    hit: None,
                    miss: None,
                    reason: None,
                };
                let call = input
                    .resolved
                    .calls
                    .iter()
                    .find(|c| c.rule == i && &c.name == name);
                let nr = names::number(abi, name).expect("filtered above");
                let not_in_filter = if let Some(s) = skipped {
                    Some(format!("Docker leaves the rule out here: {}", s.reason))
                } else if call.is_some_and(|c| c.unknown) {
                    Some(format!("{name} is unknown to the runtime's libseccomp (measured): runc ignores the rule"))
                } else if call.is_some_and(|c| c.dropped) {
                    Some("runc drops it: its action equals the default action".to_string())
                } else {
                    None
                };
                if let Some(why) = not_in_filter {
                    rc.state = RuleState::NotInFilter;
                    rc.reason = Some(why);
                    rules.push(rc);
                    continue;
                }
                let unenforced = input
                    .cells
                    .iter()
                    .find(|c| c.verdict == Verdict::NotEnforced);
                rc.reason = match (unenforced, input.start_error) {
                    (Some(c), _) => Some(format!(
                        "not enforced: the runtime ran the cases without the profile's filter, so no answer came from this rule{}",
                        c.observed
                            .note
                            .as_deref()
                            .or(c.expected.note.as_deref())
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    )),
                    (None, Some(e)) => Some(format!("no case ran: {e}")),
                    (None, None) => input.oracle.shadowed_by(abi, nr, i).map(|n| {
                        format!("shadowed by syscalls[{n}], which has no conditions: libseccomp keeps the first unconditional rule of a syscall and discards every other")
                    }),
                };
                if rc.reason.is_none() {
                    if let Some(call) = call {
                        exercise(&mut rc, input, call.action, abi);
                    }
                }
                rules.push(rc);
            }
        }
    }
    let figures = covered
        .iter()
        .map(|abi| {
            let all: Vec<&RuleCoverage> = rules.iter().filter(|r| r.abi == abi.name()).collect();
            let of_abi: Vec<&RuleCoverage> = all
                .iter()
                .copied()
                .filter(|r| r.state != RuleState::NotInFilter)
                .collect();
            let proven = |r: &&&RuleCoverage| r.state == RuleState::Proven;
            let args: Vec<&&RuleCoverage> =
                of_abi.iter().filter(|r| !r.conditions.is_empty()).collect();
            Figure {
                abi: abi.name().to_string(),
                proven: of_abi.iter().filter(proven).count(),
                rules: of_abi.len(),
                not_in_filter: all.len() - of_abi.len(),
                argument_proven: args.iter().filter(|r| r.state == RuleState::Proven).count(),
                argument_rules: args.len(),
            }
        })
        .collect();
    Coverage {
        configuration: input.configuration.to_string(),
        profile: input.profile_name.to_string(),
        figures,
        rules,
    }
}

/// Finds the hit and the miss among the configuration's passing cells.
// Over 80 lines: its phases are still to be split into named steps (issue #20).
#[allow(clippy::too_many_lines)]
fn exercise(
    rc: &mut RuleCoverage,
    input: &Input,
    action: crate::profile::model::EffectiveAction,
    abi: seccomp_catalog::Abi,
) {
    let me = RuleRef::Index(rc.rule);
    let answer = action_outcome(action);
    let rule = &input.profile.rules[rc.rule];
    let unconditional = condition_chains(&rule.args, abi).iter().any(Vec::is_empty);
    let mut same_answer: Option<&str> = None;
    let mut any_cell = false;
    let mut absent: Option<&str> = None;
    let mut elsewhere: Option<&Cell> = None;
    for cell in input
        .cells
        .iter()
        .filter(|c| c.syscall == rc.syscall && c.abi == rc.abi)
    {
        any_cell = true;
        if cell.observed.outcome == Outcome::Absent && absent.is_none() {
            absent = Some(&cell.case);
        }
        if cell.verdict != Verdict::Pass || !observed_answer(cell) {
            continue;
        }
        if cell.expected.rule != Some(me) && elsewhere.is_none() {
            elsewhere = Some(cell);
        }
        let got = (cell.observed.outcome, cell.observed.errno);
        if cell.expected.rule == Some(me) {
            // An errno must carry the rule's sentinel in the tagged run; other answers
            // (allowed, killed, trapped) carry no sentinel, and the pass says the oracle's
            // rule gave them.
            let attributed = match cell.observed.outcome {
                Outcome::Errno => cell.observed.rule == Some(me),
                _ => cell.observed.rule.is_none() || cell.observed.rule == Some(me),
            };
            if attributed && rc.hit.is_none() {
                rc.hit = Some(cell.case.clone());
            }
        } else if got != answer {
            if rc.miss.is_none() {
                rc.miss = Some(cell.case.clone());
            }
        } else if same_answer.is_none() {
            same_answer = Some(&cell.case);
        }
    }
    let not_generated = input
        .not_generated
        .iter()
        .find(|n| n.rule == rc.rule && n.abi.name() == rc.abi && n.syscall == rc.syscall)
        .map(|n| format!("{}: {}", n.id, n.reason));
    let no_hit = || {
        not_generated.clone().unwrap_or_else(|| {
            if let Some(id) = absent.filter(|_| elsewhere.is_none()) {
                format!(
                    "the kernel lacks {} (ENOSYS unconfined, {id}): the filter's answer can't be told from the kernel's",
                    rc.syscall
                )
            } else if let Some(cell) = elsewhere {
                let by = cell
                    .expected
                    .rule
                    .map(|r| r.to_string())
                    .unwrap_or_else(|| "no rule".to_string());
                let why = cell
                    .expected
                    .note
                    .as_deref()
                    .map(|n| format!(": {n}"))
                    .unwrap_or_default();
                format!(
                    "no case matched its conditions ({} is decided by {by}{why})",
                    cell.case
                )
            } else if any_cell {
                "no case matched its conditions".to_string()
            } else {
                format!("no case on {} calls {}", rc.abi, rc.syscall)
            }
        })
    };
    let no_miss = || {
        match same_answer {
        Some(id) => format!(
            "outside its conditions the call gets the same answer ({id}), so a miss can't be told from a hit"
        ),
        None => not_generated
            .clone()
            .unwrap_or_else(|| "no case fell outside its conditions".to_string()),
    }
    };
    (rc.state, rc.reason) = match (&rc.hit, &rc.miss, unconditional) {
        (Some(_), _, true) => (
            RuleState::Proven,
            Some("no conditions: every call of the syscall is inside the rule".to_string()),
        ),
        (Some(_), Some(_), false) => (RuleState::Proven, None),
        (Some(_), None, false) => (RuleState::HitOnly, Some(no_miss())),
        (None, Some(_), _) => (RuleState::MissOnly, Some(no_hit())),
        (None, None, _) => (RuleState::NotExercised, Some(no_hit())),
    };
}

/// The configurations whose figure on the native ABI (the first: the one the container's own
/// calls use) is below `min` percent. The compat ABIs' figures are reported, not gated: the
/// catalog calls few syscalls through them.
pub fn below(coverage: &[Coverage], min: f64) -> Vec<(&Coverage, &Figure)> {
    coverage
        .iter()
        .filter_map(|c| c.figures.first().map(|f| (c, f)))
        .filter(|(_, f)| f.percent() + 1e-9 < min)
        .collect()
}

/// `x86_64 12/16 (75%), argument rules 3/4`: one configuration's figures on one line.
pub fn summary_line(c: &Coverage) -> String {
    c.figures
        .iter()
        .map(|f| {
            format!(
                "{} {}/{} ({:.0}%), argument rules {}/{}{}",
                f.abi,
                f.proven,
                f.rules,
                f.percent(),
                f.argument_proven,
                f.argument_rules,
                if f.not_in_filter > 0 {
                    format!(", {} not in the filter", f.not_in_filter)
                } else {
                    String::new()
                }
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The rules a report lists one by one: on the native ABI, every rule with argument
/// conditions and every rule of the filter that is not proven (the compat ABIs are in the
/// JSON).
pub fn listed(c: &Coverage) -> impl Iterator<Item = &RuleCoverage> {
    let native = c.figures.first().map(|f| f.abi.clone()).unwrap_or_default();
    c.rules.iter().filter(move |r| {
        r.abi == native
            && (!r.conditions.is_empty()
                || !matches!(r.state, RuleState::Proven | RuleState::NotInFilter))
    })
}

/// One listed rule on one line: `syscalls[3] read (arg0 <= 0x40, arg2 <= 0x2000): proven by
/// read[...] and read[...]`.
pub fn describe(r: &RuleCoverage) -> String {
    let conds = if r.conditions.is_empty() {
        String::new()
    } else {
        format!(" ({})", r.conditions.join(", "))
    };
    let mut s = format!(
        "syscalls[{}] {}{}: {}",
        r.rule,
        r.syscall,
        conds,
        r.state.as_str()
    );
    match (&r.hit, &r.miss) {
        (Some(h), Some(m)) => s.push_str(&format!(", hit by {h}, missed by {m}")),
        (Some(h), None) => s.push_str(&format!(", hit by {h}")),
        (None, Some(m)) => s.push_str(&format!(", missed by {m}")),
        (None, None) => {}
    }
    if let Some(why) = &r.reason {
        s.push_str(&format!(" ({why})"));
    }
    s
}

#[cfg(test)]
mod tests;
