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
use crate::profile::resolve::{Call, Resolved};
use crate::runtime::prose;
use generate::NotGenerated;
use seccomp_catalog::Abi;
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
    /// Not in the filter this host gets: Docker leaves it out (`includes`/`excludes`), the
    /// runtime drops it (the default's action) or ignores it (a name libseccomp doesn't know),
    /// or the name is no syscall of the ABI. Named with the reason, and counted apart from the
    /// figure.
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

/// The coverage of one file configuration: every name of every rule on each ABI it is a
/// syscall of, then the figures per ABI.
pub fn of(input: &Input) -> Coverage {
    let covered = input.resolved.covered_abis();
    let mut rules = Vec::new();
    for (i, rule) in input.profile.rules.iter().enumerate() {
        for name in &rule.names {
            rules.extend(name_coverage(input, &covered, i, name));
        }
    }
    Coverage {
        configuration: input.configuration.to_string(),
        profile: input.profile_name.to_string(),
        figures: covered.iter().map(|abi| figure(*abi, &rules)).collect(),
        rules,
    }
}

/// The coverage of name `name` of rule `i` on each ABI of `covered` it is a syscall of, or one
/// entry saying it is a syscall of none.
fn name_coverage(input: &Input, covered: &[Abi], i: usize, name: &str) -> Vec<RuleCoverage> {
    let conditions: Vec<String> = input.profile.rules[i]
        .args
        .iter()
        .map(|c| c.to_string())
        .collect();
    let entry = |abi: Abi, state: RuleState, reason: Option<String>| RuleCoverage {
        rule: i,
        syscall: name.to_string(),
        abi: abi.name().to_string(),
        conditions: conditions.clone(),
        state,
        hit: None,
        miss: None,
        reason,
    };
    let abis: Vec<(Abi, u64)> = covered
        .iter()
        .filter_map(|a| names::number(*a, name).map(|nr| (*a, nr)))
        .collect();
    if abis.is_empty() {
        let reason = format!(
            "{name} is no syscall of the filter's ABIs ({}): libseccomp ignores it there",
            covered
                .iter()
                .map(|a| a.name())
                .collect::<Vec<_>>()
                .join(", ")
        );
        return vec![entry(covered[0], RuleState::NotInFilter, Some(reason))];
    }
    let call = input
        .resolved
        .calls
        .iter()
        .find(|c| c.rule == i && c.name == name);
    if let Some(why) = not_in_filter(input, call, i, name) {
        return abis
            .iter()
            .map(|(abi, _)| entry(*abi, RuleState::NotInFilter, Some(why.clone())))
            .collect();
    }
    abis.into_iter()
        .map(|(abi, nr)| {
            let mut rc = entry(abi, RuleState::NotExercised, unprovable(input, abi, nr, i));
            if rc.reason.is_none() {
                if let Some(call) = call {
                    exercise(&mut rc, input, call.action, abi);
                }
            }
            rc
        })
        .collect()
}

/// Why rule `i`'s `name` (resolved as `call`) is not in the filter this host gets: Docker
/// leaves the rule out, or the runtime ignores or drops it.
fn not_in_filter(input: &Input, call: Option<&Call>, i: usize, name: &str) -> Option<String> {
    if let Some(s) = input.resolved.skipped.iter().find(|s| s.rule == i) {
        Some(format!("Docker leaves the rule out here: {}", s.reason))
    } else if call.is_some_and(|c| c.unknown) {
        Some(prose::rule_of_unknown_name(name))
    } else if call.is_some_and(|c| c.dropped) {
        Some(prose::rule_dropped_for_default())
    } else {
        None
    }
}

/// Why no cell can prove rule `i` on syscall `nr` of `abi`, whatever ran: the runtime did not
/// enforce the profile, no case ran, or an unconditional rule before it shadows it.
fn unprovable(input: &Input, abi: Abi, nr: u64, i: usize) -> Option<String> {
    let unenforced = input
        .cells
        .iter()
        .find(|c| c.verdict == Verdict::NotEnforced);
    match (unenforced, input.start_error) {
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
    }
}

/// The figure of `abi` over `rules`.
fn figure(abi: Abi, rules: &[RuleCoverage]) -> Figure {
    let all: Vec<&RuleCoverage> = rules.iter().filter(|r| r.abi == abi.name()).collect();
    let of_abi: Vec<&RuleCoverage> = all
        .iter()
        .copied()
        .filter(|r| r.state != RuleState::NotInFilter)
        .collect();
    let proven = |r: &&&RuleCoverage| r.state == RuleState::Proven;
    let args: Vec<&&RuleCoverage> = of_abi.iter().filter(|r| !r.conditions.is_empty()).collect();
    Figure {
        abi: abi.name().to_string(),
        proven: of_abi.iter().filter(proven).count(),
        rules: of_abi.len(),
        not_in_filter: all.len() - of_abi.len(),
        argument_proven: args.iter().filter(|r| r.state == RuleState::Proven).count(),
        argument_rules: args.len(),
    }
}

/// What the passing cells of one rule's syscall on one ABI show about it.
#[derive(Debug, Default)]
struct Seen<'c> {
    /// A passing cell that the rule decided, with its answer attributed to it.
    hit: Option<&'c str>,
    /// A passing cell outside the rule that got another answer.
    miss: Option<&'c str>,
    /// A passing cell outside the rule that got the rule's very answer.
    same_answer: Option<&'c str>,
    /// A passing cell another rule (or the default) decided.
    elsewhere: Option<&'c Cell>,
    /// A cell where the kernel lacks the call.
    absent: Option<&'c str>,
    any_cell: bool,
}

impl<'c> Seen<'c> {
    /// Walks the cells of `rc`'s syscall and ABI; `answer` is what the rule's action gives.
    fn scan(rc: &RuleCoverage, cells: &[&'c Cell], answer: (Outcome, Option<i32>)) -> Seen<'c> {
        let me = RuleRef::Index(rc.rule);
        let mut seen = Seen::default();
        for cell in cells
            .iter()
            .copied()
            .filter(|c| c.syscall == rc.syscall && c.abi == rc.abi)
        {
            seen.any_cell = true;
            if cell.observed.outcome == Outcome::Absent && seen.absent.is_none() {
                seen.absent = Some(&cell.case);
            }
            if cell.verdict != Verdict::Pass || !observed_answer(cell) {
                continue;
            }
            if cell.expected.rule != Some(me) && seen.elsewhere.is_none() {
                seen.elsewhere = Some(cell);
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
                if attributed && seen.hit.is_none() {
                    seen.hit = Some(&cell.case);
                }
            } else if got != answer {
                seen.miss = seen.miss.or(Some(&cell.case));
            } else {
                seen.same_answer = seen.same_answer.or(Some(&cell.case));
            }
        }
        seen
    }

    /// Why no cell hit the rule: the generator's reason, else what the cells show.
    fn no_hit(&self, rc: &RuleCoverage, not_generated: Option<&str>) -> String {
        if let Some(why) = not_generated {
            return why.to_string();
        }
        if let Some(id) = self.absent.filter(|_| self.elsewhere.is_none()) {
            format!(
                "the kernel lacks {} (ENOSYS unconfined, {id}): the filter's answer can't be told from the kernel's",
                rc.syscall
            )
        } else if let Some(cell) = self.elsewhere {
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
        } else if self.any_cell {
            "no case matched its conditions".to_string()
        } else {
            format!("no case on {} calls {}", rc.abi, rc.syscall)
        }
    }

    /// Why no cell missed the rule.
    fn no_miss(&self, not_generated: Option<&str>) -> String {
        match (self.same_answer, not_generated) {
            (Some(id), _) => format!(
                "outside its conditions the call gets the same answer ({id}), so a miss can't be told from a hit"
            ),
            (None, Some(why)) => why.to_string(),
            (None, None) => "no case fell outside its conditions".to_string(),
        }
    }
}

/// Finds the hit and the miss among the configuration's passing cells, and sets the rule's
/// state and reason from them.
fn exercise(
    rc: &mut RuleCoverage,
    input: &Input,
    action: crate::profile::model::EffectiveAction,
    abi: Abi,
) {
    let rule = &input.profile.rules[rc.rule];
    let unconditional = condition_chains(&rule.args, abi).iter().any(Vec::is_empty);
    let seen = Seen::scan(rc, input.cells, action_outcome(action));
    rc.hit = seen.hit.map(str::to_string);
    rc.miss = seen.miss.map(str::to_string);
    let not_generated = input
        .not_generated
        .iter()
        .find(|n| n.rule == rc.rule && n.abi.name() == rc.abi && n.syscall == rc.syscall)
        .map(|n| format!("{}: {}", n.id, n.reason));
    let not_generated = not_generated.as_deref();
    (rc.state, rc.reason) = match (seen.hit, seen.miss, unconditional) {
        (Some(_), _, true) => (
            RuleState::Proven,
            Some("no conditions: every call of the syscall is inside the rule".to_string()),
        ),
        (Some(_), Some(_), false) => (RuleState::Proven, None),
        (Some(_), None, false) => (RuleState::HitOnly, Some(seen.no_miss(not_generated))),
        (None, Some(_), _) => (RuleState::MissOnly, Some(seen.no_hit(rc, not_generated))),
        (None, None, _) => (
            RuleState::NotExercised,
            Some(seen.no_hit(rc, not_generated)),
        ),
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
pub(crate) fn summary_line(c: &Coverage) -> String {
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
