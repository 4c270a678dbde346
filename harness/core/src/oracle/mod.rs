//! The oracle: what a resolved profile does to each catalog case, and which rule decides it.
//!
//! It models the layers a call meets, in order:
//! 1. No filter at all when the profile disables seccomp.
//! 2. the runtime's ENOSYS stub, prepended to the filter
//!    ([`crate::runtime::RuntimeModel::enosys_stub`]).
//! 3. libseccomp's arch check: an ABI the filter does not cover gets the bad-arch action.
//! 4. libseccomp's per-syscall rules, built the way `db_rule_add` (src/db.c) merges them.
//! 5. The default action.
//!
//! Then the kernel turns the action into what the probe sees (kernel/seccomp.c
//! `__seccomp_filter`). Where the truth is not certain, the prediction carries a note.
//!
//! The layers live in their own modules, each with its cited facts: [`libseccomp`] (the rule
//! tree), [`crate::runtime`] (what the runtime does with the profile), [`kernel`] (actions and
//! exceptions). [`start`] answers whether the cases run at all.

mod kernel;
mod libseccomp;
pub mod start;

use crate::matrix::Expected;
use crate::outcome::{Outcome, RuleRef};
use crate::profile::model::{ArgCond, EffectiveAction, Op};
use crate::profile::names;
use crate::profile::resolve::Resolved;
use crate::profile::KernelVersion;
use crate::runtime::prose;
use crate::runtime::{split_conditions, stub_limits};
use kernel::{absent, outcome_of, seccomp_exception, ENOSYS};
pub use kernel::{first_kernel, first_kernels, FirstKernel};
pub(crate) use libseccomp::arg_width_is_32;
pub use libseccomp::Conflict;
use libseccomp::{cond_matches, narrow, same_conds, tree_order, LRule, SyscallRules};
use seccomp_catalog::{Abi, Arch, Case, Catalog};
pub use start::{Blocker, CallOutcome, Start};
use std::collections::{BTreeMap, HashMap};

/// Whether a rule with conditions `args` can match `case` on the case's ABI: for one of the
/// rules the runtime splits it into, every condition holds for the case's argument or compares one
/// the filter can't predict (a pointer). Tagging gives an own sentinel only to rules for which
/// some case answers yes: every other rule can't decide a cell, and sharing one value keeps the
/// tagged filter as small as the original (the kernel refuses a filter over 4,096 BPF
/// instructions, and distinct errnos defeat libseccomp's merging).
pub(crate) fn conditions_may_match(args: &[ArgCond], case: &Case) -> bool {
    split_conditions(args).iter().any(|conds| {
        conds.iter().filter_map(|c| narrow(c, case.abi)).all(|c| {
            match case.args[c.index as usize].filter_value() {
                Some(v) => cond_matches(&c, v, case.abi),
                None => true,
            }
        })
    })
}

/// The condition chains a rule with conditions `args` becomes on `abi`: one per rule the runtime
/// splits it into ([`split_conditions`]), each narrowed to what the filter compares there, with
/// libseccomp's tautologies dropped (an empty chain matches every call).
pub(crate) fn condition_chains(args: &[ArgCond], abi: Abi) -> Vec<Vec<ArgCond>> {
    split_conditions(args)
        .iter()
        .map(|conds| conds.iter().filter_map(|c| narrow(c, abi)).collect())
        .collect()
}

/// What an action does to a call, as the probe sees it: its outcome and errno.
pub(crate) fn action_outcome(
    action: crate::profile::model::EffectiveAction,
) -> (Outcome, Option<i32>) {
    let p = outcome_of(action, RuleRef::DEFAULT);
    (p.outcome, p.errno)
}

/// What the oracle expects of one case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prediction {
    pub outcome: Outcome,
    pub errno: Option<i32>,
    pub rule: Option<RuleRef>,
    pub note: Option<String>,
}

impl Prediction {
    fn new(outcome: Outcome, errno: Option<i32>, rule: Option<RuleRef>) -> Self {
        Prediction {
            outcome,
            errno,
            rule,
            note: None,
        }
    }

    fn with_note(mut self, note: impl Into<String>) -> Self {
        self.add_note(note);
        self
    }

    fn add_note(&mut self, note: impl Into<String>) {
        crate::matrix::append_note(&mut self.note, note);
    }

    /// The matrix's `expected` cell.
    pub fn to_expected(&self) -> Expected {
        Expected {
            outcome: self.outcome,
            errno: self.errno,
            rule: self.rule,
            note: self.note.clone(),
        }
    }
}

/// Predictions for one resolved profile. Build once, then ask per case.
#[derive(Debug, Clone)]
pub struct Oracle<'a> {
    resolved: &'a Resolved,
    covered: Vec<Abi>,
    /// Highest syscall number per ABI that the ENOSYS stub compares with; `None` when the runtime
    /// adds no stub.
    stub: Option<BTreeMap<Abi, u64>>,
    rules: HashMap<(Abi, u64), SyscallRules>,
    conflicts: Vec<Conflict>,
    /// Why libseccomp or the runtime refuses the whole filter, if it does.
    refusal: Option<String>,
}

impl<'a> Oracle<'a> {
    pub fn new(resolved: &'a Resolved) -> Self {
        let covered = resolved.covered_abis();
        let mut o = Oracle {
            resolved,
            covered: covered.clone(),
            stub: None,
            rules: HashMap::new(),
            conflicts: Vec::new(),
            refusal: None,
        };
        if resolved.disabled {
            return o;
        }
        o.refusal = crate::runtime::refusal(resolved);
        o.stub = stub_limits(resolved, &covered);
        for abi in covered {
            o.build_abi(abi);
        }
        if o.refusal.is_none() {
            if let Some(c) = o.conflicts.first() {
                // The whole rule add fails in the transaction, so the runtime cannot start at all.
                o.refusal = Some(prose::conflict_refusal(
                    c.first, c.second, &c.syscall, c.abi,
                ));
            }
        }
        o
    }

    /// The rule that decides syscall `nr` of `abi` in place of `rule` whatever the arguments:
    /// libseccomp keeps one unconditional rule per syscall, the first, and discards every
    /// conditional one (`db_rule_add`). `None` when `rule` can decide some call.
    pub(crate) fn shadowed_by(&self, abi: Abi, nr: u64, rule: usize) -> Option<usize> {
        match self.rules.get(&(abi, nr))? {
            SyscallRules::Unconditional(r) if r.rule != rule => Some(r.rule),
            _ => None,
        }
    }

    pub(crate) fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// Why libseccomp or the runtime refuses this filter outright, if it does ([`Oracle::start`]
    /// puts it with the other reasons a container can't run its cases).
    pub fn filter_refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// Adds every kept rule to the per-syscall table of `abi`, in the order the runtime adds
    /// them.
    fn build_abi(&mut self, abi: Abi) {
        for call in self
            .resolved
            .calls
            .iter()
            .filter(|c| !c.dropped && !c.unknown)
        {
            for conds in split_conditions(&call.args) {
                // The direct syscall, and on i386 the multiplexed socketcall/ipc form, whose
                // first argument libseccomp overwrites with `== call number` while the other
                // conditions stay (`abi_rule_add`, src/syscalls.c).
                let mut targets = Vec::new();
                if let Some((mux, callno)) = names::multiplexed(abi, &call.name) {
                    if let Some(nr) = names::number(abi, mux) {
                        let mut c: Vec<ArgCond> =
                            conds.iter().filter(|c| c.index != 0).copied().collect();
                        c.insert(
                            0,
                            ArgCond {
                                index: 0,
                                value: callno,
                                value_two: 0,
                                op: Op::Eq,
                            },
                        );
                        targets.push((nr, mux, c));
                    }
                }
                if let Some(nr) = names::number(abi, &call.name) {
                    targets.push((nr, call.name.as_str(), conds.clone()));
                }
                for (nr, syscall, conds) in targets {
                    let conds: Vec<ArgCond> = conds.iter().filter_map(|c| narrow(c, abi)).collect();
                    self.add(
                        abi,
                        nr,
                        syscall,
                        LRule {
                            conds,
                            action: call.action,
                            rule: call.rule,
                        },
                    );
                }
            }
        }
    }

    fn add(&mut self, abi: Abi, nr: u64, syscall: &str, new: LRule) {
        use std::collections::hash_map::Entry;
        match self.rules.entry((abi, nr)) {
            Entry::Vacant(v) => {
                v.insert(if new.conds.is_empty() {
                    SyscallRules::Unconditional(new)
                } else {
                    SyscallRules::Conditional(vec![new])
                });
            }
            Entry::Occupied(mut o) => match o.get_mut() {
                SyscallRules::Unconditional(_) => {}
                SyscallRules::Conditional(list) => {
                    if new.conds.is_empty() {
                        *o.get_mut() = SyscallRules::Unconditional(new);
                    } else if let Some(old) = list.iter().find(|r| same_conds(&r.conds, &new.conds))
                    {
                        if old.action != new.action {
                            self.conflicts.push(Conflict {
                                abi,
                                syscall: syscall.to_string(),
                                first: old.rule,
                                second: new.rule,
                            });
                        }
                    } else {
                        list.push(new);
                    }
                }
            },
        }
    }

    /// The predicted outcome of `case` for the probe, once it runs: the filter's answer
    /// ([`Oracle::predict_filter`]), where the probe's own limits under this filter (`avoid`,
    /// from [`Oracle::probe_avoid`]) change what it can see.
    pub fn predict(&self, case: &Case, avoid: &[&str], catalog: &Catalog) -> Prediction {
        let mut p = self.predict_filter(case);
        if p.outcome == Outcome::Trapped && !start::probe_has_handlers(avoid, catalog.arch()) {
            // SIGSYS's default action ends the process (signal(7)).
            p = Prediction::new(Outcome::Killed, None, p.rule).with_note(
                "SCMP_ACT_TRAP, but the profile does not allow the probe rt_sigaction and rt_sigreturn for its SIGSYS handler: SIGSYS's default action kills it",
            );
        } else if case.may_block
            && p.outcome == Outcome::Allowed
            && !start::probe_can_wake(avoid, catalog.arch())
        {
            p = Prediction::new(Outcome::Timeout, None, p.rule).with_note(
                "the call sleeps until a signal, and the profile leaves the probe no way to send one (kill, tgkill, tkill) or to arm its own timer (setitimer with handlers): the harness's watchdog ends it",
            );
        }
        p
    }

    /// What the filter does to `case`: the answer a program under the profile sees. A call
    /// the filter lets through reaches the kernel, which answers ENOSYS where it predates the
    /// syscall (the kernel layer's table of first releases).
    pub fn predict_filter(&self, case: &Case) -> Prediction {
        let p = self.filter_answer(case);
        if p.outcome != Outcome::Allowed {
            return p;
        }
        let host = &self.resolved.host;
        match absent(case, host.arch, host.kernel) {
            Some(why) => Prediction::new(Outcome::Absent, Some(ENOSYS), p.rule).with_note(why),
            None => p,
        }
    }

    /// The filter's answer: what decides before its rules ([`Oracle::before_rules`]), else
    /// the rules of the case's syscall or the default, with what the resolution left out of
    /// the filter noted ([`Oracle::note_left_out`]).
    fn filter_answer(&self, case: &Case) -> Prediction {
        if let Some(p) = self.before_rules(case) {
            return p;
        }
        let mut p = match self.rules.get(&(case.abi, case.nr)) {
            None => self.default_prediction(),
            Some(SyscallRules::Unconditional(rule)) => {
                self.outcome(rule.action, RuleRef::Index(rule.rule))
            }
            Some(SyscallRules::Conditional(list)) => self.predict_conditional(case, list),
        };
        self.note_left_out(case, &mut p);
        p
    }

    /// What answers `case` before the profile's rules are looked at: no filter at all, the
    /// kernel's seccomp exceptions, an ABI the runtime does not run, the bad-arch action, the
    /// ENOSYS stub.
    fn before_rules(&self, case: &Case) -> Option<Prediction> {
        let r = self.resolved;
        if r.disabled {
            return Some(Prediction::new(Outcome::Allowed, None, None)
                .with_note("the profile has no defaultAction and no rules: docker runs the container without a seccomp filter"));
        }
        let runtime = &r.host.runtime;
        if let Some(why) =
            seccomp_exception(case, r).filter(|_| runtime.host_kernel_exceptions_apply())
        {
            return Some(Prediction::new(Outcome::Allowed, None, None).with_note(why));
        }
        if let Some(why) = runtime.abi_not_run(case.abi) {
            return Some(Prediction::new(Outcome::NotRun, None, None).with_note(why));
        }
        if !self.covered.contains(&case.abi) {
            // libseccomp's default bad-arch action is SCMP_ACT_KILL (= KILL_THREAD,
            // `db_col_init`: `act_badarch = SCMP_ACT_KILL`); the runtime never changes it
            // (`runtime::RuntimeModel`).
            return Some(
                Prediction::new(Outcome::Killed, None, Some(RuleRef::BAD_ARCH)).with_note(
                    format!(
                        "{} is not in the filter's architectures: libseccomp's bad-arch action kills the thread (SIGSYS)",
                        case.abi.scmp_arch()
                    ),
                ),
            );
        }
        // The stub loads the 32-bit `nr` and jumps to ENOSYS when it is above the highest
        // number the profile names for that ABI (`generateEnosysStub`).
        let max = self.stub.as_ref()?.get(&case.abi)?;
        ((case.nr & 0xffff_ffff) > *max).then(|| {
            Prediction::new(Outcome::Errno, Some(ENOSYS), Some(RuleRef::ENOSYS_STUB))
                .with_note(prose::above_stub(case.nr, case.abi, *max))
        })
    }

    /// Notes on `p` the rules of `case`'s syscall that are not in the filter as written:
    /// dropped for the default's action (where the default decided), names the runtime's
    /// libseccomp does not know, and a conflict that makes libseccomp refuse the filter.
    fn note_left_out(&self, case: &Case, p: &mut Prediction) {
        let calls = || {
            self.resolved
                .calls
                .iter()
                .filter(|c| names::number(case.abi, &c.name) == Some(case.nr))
        };
        let dropped: Vec<String> = calls()
            .filter(|c| c.dropped && !c.unknown)
            .map(|c| c.rule.to_string())
            .collect();
        if !dropped.is_empty() && p.rule == Some(RuleRef::DEFAULT) {
            p.add_note(prose::dropped_for_default(&dropped.join("], syscalls[")));
        }
        let unknown: Vec<String> = calls()
            .filter(|c| c.unknown)
            .map(|c| format!("syscalls[{}]", c.rule))
            .collect();
        if !unknown.is_empty() {
            p.add_note(prose::unknown_name_ignored(
                &unknown.join(", "),
                case.syscall,
            ));
        }
        if let Some(c) = self
            .conflicts
            .iter()
            .find(|c| c.abi == case.abi && names::number(c.abi, &c.syscall) == Some(case.nr))
        {
            p.add_note(format!(
                "syscalls[{}] conflicts with syscalls[{}] here",
                c.second, c.first
            ));
        }
    }

    /// The outcomes of the rules of `case`'s syscall whose conditions on the arguments a
    /// filter can predict all hold (conditions on the others may hold too), in no order.
    fn rules_that_may_match<'s>(&'s self, case: &'s Case) -> impl Iterator<Item = Outcome> + 's {
        let list = match self.rules.get(&(case.abi, case.nr)) {
            Some(SyscallRules::Conditional(list)) => list.as_slice(),
            _ => &[],
        };
        list.iter()
            .filter(move |rule| {
                rule.conds
                    .iter()
                    .all(|c| match case.args[c.index as usize].filter_value() {
                        Some(v) => self.cond_holds(c, v, case.abi),
                        None => true,
                    })
            })
            .map(|rule| outcome_of(rule.action, RuleRef::Index(rule.rule)).outcome)
    }

    /// What `action` does to the probe: the kernel's answer ([`outcome_of`]), where the
    /// runtime answers its own errno for any SCMP_ACT_ERRNO
    /// ([`crate::runtime::Runtime::rewritten_errno`]; TRACE keeps its ENOSYS).
    fn outcome(&self, action: EffectiveAction, rule: RuleRef) -> Prediction {
        let mut p = outcome_of(action, rule);
        if let EffectiveAction::Errno(asked) = action {
            if let Some((answer, note)) = self.resolved.host.runtime.rewritten_errno(asked) {
                if p.errno != Some(answer) {
                    p.errno = Some(answer);
                    p.add_note(note);
                }
            }
        }
        p
    }

    /// Whether a condition holds for `arg`: libseccomp's compare, or that of a runtime whose
    /// MASKED_EQ compares `arg & value` with `valueTwo` as written, where libseccomp masks
    /// `valueTwo` first (`_db_node_mask_fixup`): measured, with the runtime's source, in
    /// [`crate::runtime::Runtime::masked_eq_as_written`].
    fn cond_holds(&self, c: &ArgCond, arg: u64, abi: Abi) -> bool {
        if c.op == Op::MaskedEq && self.resolved.host.runtime.masked_eq_as_written() {
            return arg & c.value == c.value_two;
        }
        cond_matches(c, arg, abi)
    }

    fn default_prediction(&self) -> Prediction {
        self.outcome(self.resolved.default, RuleRef::DEFAULT)
    }

    fn predict_conditional(&self, case: &Case, list: &[LRule]) -> Prediction {
        let mut unknown_args = Vec::new();
        let matching: Vec<&LRule> = list
            .iter()
            .filter(|rule| {
                rule.conds
                    .iter()
                    .all(|c| match case.args[c.index as usize].filter_value() {
                        Some(v) => self.cond_holds(c, v, case.abi),
                        None => {
                            if !unknown_args.contains(&c.index) {
                                unknown_args.push(c.index);
                            }
                            false
                        }
                    })
            })
            .collect();
        let mut p = match matching.as_slice() {
            [] => self.default_prediction(),
            [only] => self.outcome(only.action, RuleRef::Index(only.rule)),
            many => {
                let first = many
                    .iter()
                    .copied()
                    .reduce(|a, b| {
                        if tree_order(a, b, case.abi) == std::cmp::Ordering::Greater {
                            b
                        } else {
                            a
                        }
                    })
                    .expect("non-empty");
                let p = self.outcome(first.action, RuleRef::Index(first.rule));
                if many.iter().all(|r| r.action == first.action) {
                    p
                } else {
                    p.with_note(format!(
                        "rules {} all match with different actions; the first in libseccomp's tree order decides",
                        many.iter()
                            .map(|r| format!("syscalls[{}]", r.rule))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                }
            }
        };
        if !unknown_args.is_empty() {
            p.add_note(format!(
                "a rule tests argument {} which is a pointer no profile can predict; assumed not to match",
                unknown_args
                    .iter()
                    .map(|i| i.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        p
    }
}

/// What `case` does with no filter at all (`unconfined`, and a profile docker runs without
/// one): allowed, unless the kernel predates the syscall.
pub fn predict_unfiltered(case: &Case, arch: Arch, kernel: KernelVersion) -> Prediction {
    match absent(case, arch, kernel) {
        Some(why) => Prediction::new(Outcome::Absent, Some(ENOSYS), None).with_note(why),
        None => Prediction::new(Outcome::Allowed, None, None),
    }
}

#[cfg(test)]
pub(crate) mod tests;
