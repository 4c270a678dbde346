//! The oracle: what a resolved profile does to each catalog case, and which rule decides it.
//!
//! It models the layers a call meets, in order:
//! 1. No filter at all when the profile disables seccomp.
//! 2. runc's ENOSYS stub, prepended to the filter (runc `libcontainer/seccomp/patchbpf`).
//! 3. libseccomp's arch check: an ABI the filter does not cover gets the bad-arch action.
//! 4. libseccomp's per-syscall rules, built the way `db_rule_add` (src/db.c) merges them.
//! 5. The default action.
//!
//! Then the kernel turns the action into what the probe sees (kernel/seccomp.c
//! `__seccomp_filter`). Where the truth is not certain, the prediction carries a note.

use crate::matrix::Expected;
use crate::outcome::{Outcome, RuleRef};
use crate::profile::model::{Action, ArgCond, EffectiveAction, Op};
use crate::profile::names;
use crate::profile::resolve::Resolved;
use crate::profile::KernelVersion;
use seccomp_catalog::{Abi, Case};
use std::collections::{BTreeMap, HashMap};

const ENOSYS: i32 = 38;

/// `SCMP_ACT_ERRNO(ENOSYS)`, the value runc's `generatePatch` compares `defaultErrnoRet` with
/// (a bare errno never equals it, so runc skips the stub only for a `defaultErrnoRet` of
/// 0x50026, which the parser rejects: in effect the stub is always there).
const RET_ERRNO_ENOSYS: u32 = 0x0005_0026;

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
        let note = note.into();
        self.note = Some(match self.note.take() {
            Some(n) => format!("{n}; {note}"),
            None => note,
        });
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

/// Two rules libseccomp refuses to merge: the same syscall, the same conditions, different
/// actions. `_db_tree_add` (src/db.c) answers -EEXIST and runc fails to start the container
/// ("error adding seccomp rule for syscall …: file exists").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub abi: Abi,
    pub syscall: String,
    pub first: usize,
    pub second: usize,
}

/// One libseccomp rule: a syscall of one ABI with its condition chain.
#[derive(Debug, Clone)]
struct LRule {
    /// Conditions as the filter compares them (narrowed to 32 bits on 32-bit ABIs).
    conds: Vec<ArgCond>,
    action: EffectiveAction,
    rule: usize,
}

#[derive(Debug, Clone)]
enum SyscallRules {
    /// A rule without conditions: libseccomp keeps the first such rule and discards every
    /// conditional rule of the syscall, whichever came first (`db_rule_add`: "syscall exists
    /// without any chains" / "the new filter has no chains so we need to clear the existing
    /// chains").
    Unconditional(LRule),
    Conditional(Vec<LRule>),
}

/// Predictions for one resolved profile. Build once, then ask per case.
#[derive(Debug, Clone)]
pub struct Oracle<'a> {
    resolved: &'a Resolved,
    covered: Vec<Abi>,
    /// Highest syscall number per ABI that the ENOSYS stub compares with; `None` when runc
    /// adds no stub.
    stub: Option<BTreeMap<Abi, u64>>,
    rules: HashMap<(Abi, u64), SyscallRules>,
    conflicts: Vec<Conflict>,
    start_failure: Option<String>,
}

/// libseccomp treats x86 and x32 as 32-bit arches (`.size = ARCH_SIZE_32` in arch-x86.c and
/// arch-x32.c): `_db_rule_gen_32` keeps only the low 32 bits of each datum and mask and
/// compares the low word of the argument.
fn arg_width_is_32(abi: Abi) -> bool {
    matches!(abi, Abi::I386 | Abi::X32)
}

/// Narrows a condition to what the filter compares on `abi`. `None` when libseccomp skips it
/// as a tautology (a MASKED_EQ whose mask is 0 on the compared words, `_db_arg_cmp_need_lo` /
/// `_db_arg_cmp_need_hi`).
fn narrow(c: &ArgCond, abi: Abi) -> Option<ArgCond> {
    let mut c = *c;
    if arg_width_is_32(abi) {
        c.value &= 0xffff_ffff;
        c.value_two &= 0xffff_ffff;
    }
    if c.op == Op::MaskedEq && c.value == 0 {
        return None;
    }
    Some(c)
}

/// Whether `arg` satisfies `c`. On 64-bit arches libseccomp (≥ 2.5) compares all 64 bits,
/// high word first (the diagrams in `_db_rule_gen_64`); MASKED_EQ masks the datum too
/// (`_db_node_mask_fixup`: `datum &= mask`), so `(arg & mask) == (datum & mask)`.
fn cond_matches(c: &ArgCond, arg: u64, abi: Abi) -> bool {
    let arg = if arg_width_is_32(abi) {
        arg & 0xffff_ffff
    } else {
        arg
    };
    match c.op {
        Op::Eq => arg == c.value,
        Op::Ne => arg != c.value,
        Op::Lt => arg < c.value,
        Op::Le => arg <= c.value,
        Op::Gt => arg > c.value,
        Op::Ge => arg >= c.value,
        Op::MaskedEq => arg & c.value == c.value_two & c.value,
    }
}

/// One node of a rule's chain in libseccomp's tree, as `_db_chain_lt` (src/db.c) orders the
/// nodes of one level: argument priority (`arg << 1`, plus one for the high word), then
/// operator priority (EQ/NE/MASKED_EQ 3, LT/LE 2, GT/GE 1), then the datum (descending,
/// ascending for LT/LE).
type NodeKey = (u32, u32, i128);

/// The nodes a rule's conditions become on `abi`: libseccomp fills its chain by argument index
/// (`db_rule_add` stores condition `i` at `chain[arg]`), and on a 64-bit ABI each condition
/// is a high-word node followed by a low-word node (`_db_rule_gen_64`); 32-bit ABIs compare
/// one word (`_db_rule_gen_32`).
fn chain_keys(rule: &LRule, abi: Abi) -> Vec<NodeKey> {
    let mut conds = rule.conds.clone();
    conds.sort_by_key(|c| c.index);
    let op_prio = |op: Op| match op {
        Op::MaskedEq | Op::Eq | Op::Ne => 3,
        Op::Le | Op::Lt => 2,
        Op::Ge | Op::Gt => 1,
    };
    let mut out = Vec::new();
    for c in conds {
        // The datum is masked for MASKED_EQ (`_db_node_mask_fixup`).
        let (mask, datum) = match c.op {
            Op::MaskedEq => (c.value, c.value_two & c.value),
            _ => (u64::MAX, c.value),
        };
        let words: Vec<(u32, u64)> = if arg_width_is_32(abi) {
            vec![(0, datum & 0xffff_ffff)]
        } else {
            vec![(1, (datum & mask) >> 32), (0, datum & 0xffff_ffff)]
        };
        for (hi, d) in words {
            let d = i128::from(d);
            let d = if matches!(c.op, Op::Le | Op::Lt) {
                -d
            } else {
                d
            };
            out.push((u32::from(c.index) * 2 + hi, op_prio(c.op), d));
        }
    }
    out
}

/// Which of two matching rules of one syscall the BPF tests first. `_db_tree_add` (src/db.c)
/// walks a level past every node that is not less than the new one and inserts it before the
/// first smaller node, so each level is sorted from greatest to least, and `_gen_bpf_chain`
/// (src/gen_bpf.c) emits a level from its head, every node jumping to its next sibling when
/// it doesn't match. Equal nodes merge, and a chain that ends at a merged node keeps its action
/// there ("existing tree is shorter"), so a prefix goes first. Measured with libseccomp 2.5.4
/// and runc 1.1.5: under `profiles/deny-namespaces.json` on amd64, `clone` with every argument
/// all ones matches rules 3 to 9 (one `arg0 & CLONE_NEW*` each), and the tagged run answered
/// rule 9's sentinel (`CLONE_NEWNET`, the greatest datum), not rule 3's; the same rules loaded
/// with libseccomp directly plus rules on arg1 answer the arg1 rule with the greatest datum
/// (`seccomp_export_pfc` lists arg1's nodes before arg0's).
fn tree_order(a: &LRule, b: &LRule, abi: Abi) -> std::cmp::Ordering {
    let (ka, kb) = (chain_keys(a, abi), chain_keys(b, abi));
    for (x, y) in ka.iter().zip(&kb) {
        if x != y {
            // Greater first.
            return y.cmp(x);
        }
    }
    ka.len().cmp(&kb.len()).then(a.rule.cmp(&b.rule))
}

/// runc's `matchCall`: when any argument index carries more than one condition, every
/// condition becomes a rule of its own (OR), otherwise all conditions form one rule (AND).
fn split_like_runc(args: &[ArgCond]) -> Vec<Vec<ArgCond>> {
    if args.is_empty() {
        return vec![Vec::new()];
    }
    let mut counts = [0usize; 6];
    for a in args {
        counts[a.index as usize] += 1;
    }
    if counts.iter().any(|&n| n > 1) {
        args.iter().map(|a| vec![*a]).collect()
    } else {
        vec![args.to_vec()]
    }
}

fn same_conds(a: &[ArgCond], b: &[ArgCond]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(c))
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
            start_failure: None,
        };
        if resolved.disabled {
            return o;
        }
        o.start_failure = start_failure(resolved);
        o.stub = stub_limits(resolved, &covered);
        for abi in covered {
            o.build_abi(abi);
        }
        if o.start_failure.is_none() {
            if let Some(c) = o.conflicts.first() {
                // The whole rule add fails in the transaction, so runc cannot start at all.
                o.start_failure = Some(format!(
                    "syscalls[{}] and syscalls[{}] give {} on {} the same conditions and different actions: libseccomp refuses the second (-EEXIST, db.c _db_tree_add), so runc fails to load the filter",
                    c.first, c.second, c.syscall, c.abi
                ));
            }
        }
        o
    }

    pub fn resolved(&self) -> &Resolved {
        self.resolved
    }

    pub fn conflicts(&self) -> &[Conflict] {
        &self.conflicts
    }

    /// Why runc would refuse to start a container under this filter, if it would.
    pub fn start_failure(&self) -> Option<&str> {
        self.start_failure.as_deref()
    }

    /// Adds every kept rule to the per-syscall table of `abi`, in runc's order.
    fn build_abi(&mut self, abi: Abi) {
        for call in self
            .resolved
            .calls
            .iter()
            .filter(|c| !c.dropped && !c.unknown)
        {
            for conds in split_like_runc(&call.args) {
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

    /// The predicted outcome of `case`.
    pub fn predict(&self, case: &Case) -> Prediction {
        let r = self.resolved;
        if r.disabled {
            return Prediction::new(Outcome::Allowed, None, None)
                .with_note("the profile has no defaultAction and no rules: docker runs the container without a seccomp filter");
        }
        if let Some(why) = &self.start_failure {
            return Prediction::new(Outcome::StartFailed, None, None).with_note(why.clone());
        }
        if let Some(why) = seccomp_exception(case, r) {
            return Prediction::new(Outcome::Allowed, None, None).with_note(why);
        }
        if !self.covered.contains(&case.abi) {
            // libseccomp's default bad-arch action is SCMP_ACT_KILL (= KILL_THREAD,
            // `db_col_init`: `act_badarch = SCMP_ACT_KILL`); runc never changes it.
            return Prediction::new(Outcome::Killed, None, Some(RuleRef::BAD_ARCH)).with_note(
                format!(
                    "{} is not in the filter's architectures: libseccomp's bad-arch action kills the thread (SIGSYS)",
                    case.abi.scmp_arch()
                ),
            );
        }
        if let Some(limits) = &self.stub {
            if let Some(&max) = limits.get(&case.abi) {
                // The stub loads the 32-bit `nr` and jumps to ENOSYS when it is above the
                // highest number the profile names for that ABI (`generateEnosysStub`).
                if (case.nr & 0xffff_ffff) > max {
                    return Prediction::new(
                        Outcome::Errno,
                        Some(ENOSYS),
                        Some(RuleRef::ENOSYS_STUB),
                    )
                    .with_note(format!(
                        "syscall {} is above the highest number the profile names on {} ({max}): runc's stub answers ENOSYS",
                        case.nr, case.abi
                    ));
                }
            }
        }
        let mut p = match self.rules.get(&(case.abi, case.nr)) {
            None => self.default_prediction(),
            Some(SyscallRules::Unconditional(rule)) => {
                outcome_of(rule.action, RuleRef::Index(rule.rule))
            }
            Some(SyscallRules::Conditional(list)) => self.predict_conditional(case, list),
        };
        let dropped: Vec<usize> = r
            .calls
            .iter()
            .filter(|c| {
                c.dropped && !c.unknown && names::number(case.abi, &c.name) == Some(case.nr)
            })
            .map(|c| c.rule)
            .collect();
        if !dropped.is_empty() && p.rule == Some(RuleRef::DEFAULT) {
            p.add_note(format!(
                "syscalls[{}] has the default's action, so runc drops it",
                dropped
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("], syscalls[")
            ));
        }
        let unknown: Vec<String> = r
            .calls
            .iter()
            .filter(|c| c.unknown && names::number(case.abi, &c.name) == Some(case.nr))
            .map(|c| format!("syscalls[{}]", c.rule))
            .collect();
        if !unknown.is_empty() {
            p.add_note(format!(
                "{} names {}, which the runtime's libseccomp doesn't know (measured): runc ignores the name, and it doesn't raise the ENOSYS stub's limit",
                unknown.join(", "),
                case.syscall
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
        p
    }

    fn default_prediction(&self) -> Prediction {
        outcome_of(self.resolved.default, RuleRef::DEFAULT)
    }

    fn predict_conditional(&self, case: &Case, list: &[LRule]) -> Prediction {
        let mut unknown_args = Vec::new();
        let matching: Vec<&LRule> = list
            .iter()
            .filter(|rule| {
                rule.conds
                    .iter()
                    .all(|c| match case.args[c.index as usize].filter_value() {
                        Some(v) => cond_matches(c, v, case.abi),
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
            [only] => outcome_of(only.action, RuleRef::Index(only.rule)),
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
                let p = outcome_of(first.action, RuleRef::Index(first.rule));
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

/// Calls the kernel never hands to a seccomp filter: `__secure_computing` (kernel/seccomp.c,
/// `seccomp_uprobe_exception`) lets the native `uretprobe` (since Linux 6.14, "seccomp:
/// passthrough uretprobe systemcall without filtering") and `uprobe` (added with the syscall,
/// 6.16) through before any filter runs, so that a probed process under seccomp isn't killed
/// by being traced. Measured on 6.18 with Docker 20.10/runc 1.1.5: both behave as unconfined
/// under every profile, even those whose default denies them.
fn seccomp_exception(case: &Case, r: &Resolved) -> Option<String> {
    if case.abi != r.host.arch.native_abi() {
        return None;
    }
    let since = match case.syscall {
        "uretprobe" => KernelVersion::new(6, 14),
        "uprobe" => KernelVersion::new(6, 16),
        _ => return None,
    };
    r.host.kernel.at_least(since).then(|| {
        format!(
            "the kernel passes the native {} to no seccomp filter (kernel/seccomp.c seccomp_uprobe_exception, Linux {since} on)",
            case.syscall
        )
    })
}

/// Whether runc will refuse this filter before any case runs.
fn start_failure(r: &Resolved) -> Option<String> {
    // runc `InitSeccomp`: "SCMP_ACT_NOTIFY cannot be used as default action" and "… for the
    // write syscall".
    if r.default == EffectiveAction::Notify {
        return Some("runc refuses SCMP_ACT_NOTIFY as the default action".into());
    }
    // libseccomp accepts SCMP_ACT_ERRNO(n) only for n < MAX_ERRNO (`sys_chk_seccomp_action`);
    // runc passes int16(errnoRet), so the check sees the low 16 bits.
    if let EffectiveAction::Errno(n) = r.default {
        if n >= 4095 {
            return Some(format!(
                "libseccomp rejects the default action SCMP_ACT_ERRNO({n}): errno must be below 4095"
            ));
        }
    }
    if let Some(c) = r
        .calls
        .iter()
        .find(|c| !c.dropped && matches!(c.action, EffectiveAction::Errno(n) if n >= 4095))
    {
        return Some(format!(
            "libseccomp rejects syscalls[{}]'s {} (errno must be below 4095), so runc fails with a misleading \"two checks on same syscall argument\"",
            c.rule, c.action
        ));
    }
    if let Some(c) = r
        .calls
        .iter()
        .find(|c| c.action == EffectiveAction::Notify && c.name == "write")
    {
        return Some(format!(
            "runc refuses SCMP_ACT_NOTIFY for write (syscalls[{}])",
            c.rule
        ));
    }
    None
}

/// The stub's per-ABI limits, or `None` when runc adds no stub: a default of ALLOW, LOG or
/// TRACE (`isAllowAction`), or the never-met `defaultErrnoRet == SCMP_ACT_ERRNO(ENOSYS)` test
/// of `generatePatch`. Limits come from `findLastSyscalls`: every rule name of the resolved
/// config (runc computes it before dropping rules), resolved per arch, pseudo numbers (i386
/// socket and ipc calls: `abi_syscall_resolve_name_munge`) ignored; an ABI with no known name
/// gets no section.
fn stub_limits(r: &Resolved, covered: &[Abi]) -> Option<BTreeMap<Abi, u64>> {
    if matches!(
        r.default_action,
        Action::Allow | Action::Log | Action::Trace
    ) {
        return None;
    }
    if r.default_errno_ret == Some(RET_ERRNO_ENOSYS) {
        return None;
    }
    let mut out = BTreeMap::new();
    for &abi in covered {
        let max = r
            .calls
            .iter()
            .filter(|c| !c.unknown && names::multiplexed(abi, &c.name).is_none())
            .filter_map(|c| names::number(abi, &c.name))
            .max()
            .unwrap_or(0);
        if max != 0 {
            out.insert(abi, max);
        }
    }
    Some(out)
}

/// What the kernel does with a filter's action (kernel/seccomp.c `__seccomp_filter`).
fn outcome_of(action: EffectiveAction, rule: RuleRef) -> Prediction {
    let p = |o, e| Prediction::new(o, e, Some(rule));
    match action {
        EffectiveAction::Allow => p(Outcome::Allowed, None),
        EffectiveAction::Log => p(Outcome::Allowed, None).with_note("SCMP_ACT_LOG: allowed and audited"),
        // SECCOMP_RET_ERRNO: "Set low-order bits as an errno, capped at MAX_ERRNO".
        EffectiveAction::Errno(n) => {
            let pred = p(Outcome::Errno, Some(i32::from(n.min(4095))));
            if n == 0 {
                pred.with_note("errno 0: the call is skipped and returns 0")
            } else {
                pred
            }
        }
        EffectiveAction::KillThread => p(Outcome::Killed, None).with_note(
            "SCMP_ACT_KILL_THREAD: the calling thread dies of SIGSYS (a single-threaded probe exits 159)",
        ),
        EffectiveAction::KillProcess => {
            p(Outcome::Killed, None).with_note("SCMP_ACT_KILL_PROCESS: the whole process dies of SIGSYS")
        }
        // SECCOMP_RET_TRAP: si_errno carries SECCOMP_RET_DATA, which libseccomp's
        // SCMP_ACT_TRAP leaves 0 (measured: demo-trap's syslog trapped with si_errno 0).
        EffectiveAction::Trap => p(Outcome::Trapped, Some(0)),
        // SECCOMP_RET_TRACE: "ENOSYS these calls if there is no tracer attached".
        EffectiveAction::Trace(_) => p(Outcome::Errno, Some(ENOSYS))
            .with_note("SCMP_ACT_TRACE with no tracer attached: the kernel answers ENOSYS"),
        EffectiveAction::Notify => p(Outcome::Errno, Some(ENOSYS)).with_note(
            "SCMP_ACT_NOTIFY: docker attaches no listener; the kernel answers ENOSYS once the listener is gone (unverified)",
        ),
    }
}

/// Predicts every case of `cases`, in order.
pub fn predict_all<'c>(
    resolved: &Resolved,
    cases: impl IntoIterator<Item = &'c Case>,
) -> Vec<(&'c Case, Prediction)> {
    let o = Oracle::new(resolved);
    cases.into_iter().map(|c| (c, o.predict(c))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{parse_str, resolve, CapSet, Host, KernelVersion};
    use seccomp_catalog::{Arch, Catalog};

    fn host() -> Host {
        Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(6, 1),
        )
    }

    fn predict(profile: &str, case: &str) -> Prediction {
        let p = parse_str(profile, "t.json").unwrap();
        let r = resolve(&p, &host());
        let cat = Catalog::for_arch(Arch::X86_64);
        let c = cat.get(case).unwrap_or_else(|| panic!("no case {case}"));
        Oracle::new(&r).predict(c)
    }

    fn profile(default: &str, arches: &str, rules: &str) -> String {
        format!(
            r#"{{"defaultAction":"{default}","architectures":[{arches}],"syscalls":[{rules}]}}"#
        )
    }

    const X86: &str = r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32""#;

    #[test]
    fn default_and_plain_rules() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        let got = predict(&p, "getpid");
        assert_eq!(
            (got.outcome, got.rule),
            (Outcome::Allowed, Some(RuleRef::Index(0)))
        );
        let got = predict(&p, "read");
        assert_eq!(
            (got.outcome, got.errno, got.rule),
            (Outcome::Errno, Some(1), Some(RuleRef::DEFAULT))
        );
    }

    #[test]
    fn rule_equal_to_default_is_dropped() {
        // The "deny" rule never takes effect: the default decides.
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"},{"names":["rmdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1}"#,
        );
        let got = predict(&p, "rmdir");
        assert_eq!(got.rule, Some(RuleRef::DEFAULT));
        assert!(got.note.unwrap().contains("runc drops"));
        // With a different errno the rule stays and decides.
        let p = p.replace(r#""errnoRet":1"#, r#""errnoRet":13"#);
        let got = predict(&p, "rmdir");
        assert_eq!((got.errno, got.rule), (Some(13), Some(RuleRef::Index(1))));
    }

    #[test]
    fn same_index_conditions_are_ored_different_indices_anded() {
        let or = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}"#,
        );
        assert_eq!(predict(&or, "personality(0)").outcome, Outcome::Allowed);
        assert_eq!(predict(&or, "personality(8)").outcome, Outcome::Allowed);
        assert_eq!(predict(&or, "personality(0x20000)").outcome, Outcome::Errno);
        let and = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]}"#,
        );
        assert_eq!(predict(&and, "socket(AF_INET)").outcome, Outcome::Allowed);
        assert_eq!(predict(&and, "socket(AF_NETLINK)").outcome, Outcome::Errno);
        // Mixed: one index repeated turns every condition into its own rule, so the
        // arg1 condition alone lets AF_VSOCK (type 1) through.
        let mixed = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":0,"value":10,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]}"#,
        );
        assert_eq!(
            predict(&mixed, "socket(AF_VSOCK)").outcome,
            Outcome::Allowed
        );
    }

    #[test]
    fn every_operator_and_64_bit_compare() {
        let rule = |op: &str, v: u64, v2: u64| {
            profile(
                "SCMP_ACT_ERRNO",
                X86,
                &format!(
                    r#"{{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{{"index":0,"value":{v},"valueTwo":{v2},"op":"{op}"}}]}}"#
                ),
            )
        };
        let allowed = |op, v, v2, case| predict(&rule(op, v, v2), case).outcome == Outcome::Allowed;
        assert!(allowed("SCMP_CMP_EQ", 8, 0, "personality(8)"));
        assert!(!allowed("SCMP_CMP_NE", 8, 0, "personality(8)"));
        assert!(allowed("SCMP_CMP_LT", 9, 0, "personality(8)"));
        assert!(!allowed("SCMP_CMP_LT", 8, 0, "personality(8)"));
        assert!(allowed("SCMP_CMP_LE", 8, 0, "personality(8)"));
        assert!(allowed("SCMP_CMP_GT", 7, 0, "personality(8)"));
        assert!(allowed("SCMP_CMP_GE", 8, 0, "personality(8)"));
        assert!(!allowed("SCMP_CMP_GT", 8, 0, "personality(8)"));
        // MASKED_EQ: value is the mask, valueTwo the datum.
        assert!(allowed(
            "SCMP_CMP_MASKED_EQ",
            0xff,
            8,
            "personality(0x20008)"
        ));
        assert!(!allowed(
            "SCMP_CMP_MASKED_EQ",
            0xff,
            8,
            "personality(0x20000)"
        ));
        // All 64 bits count on x86_64: 1<<32 is neither 0 nor below 1.
        assert!(!allowed("SCMP_CMP_EQ", 0, 0, "personality(1<<32)"));
        assert!(allowed("SCMP_CMP_GT", 0xffff_ffff, 0, "personality(1<<32)"));
        // A zero mask is a tautology libseccomp leaves out: the rule becomes unconditional.
        assert!(allowed("SCMP_CMP_MASKED_EQ", 0, 5, "personality(8)"));
    }

    #[test]
    fn i386_compares_the_low_32_bits() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid"],"action":"SCMP_ACT_ALLOW"},{"names":["unshare"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4563402752,"op":"SCMP_CMP_EQ"}]}"#,
        );
        // 4563402752 = 1<<32 | CLONE_NEWUSER: only its low word is compared on i386.
        assert_eq!(
            predict(&p, "i386:unshare(CLONE_NEWUSER)").outcome,
            Outcome::Allowed
        );
        assert_eq!(
            predict(&p, "unshare(CLONE_NEWUSER)").outcome,
            Outcome::Errno
        );
    }

    #[test]
    fn enosys_stub_above_the_highest_named_syscall() {
        // x86_64: getpid is 39, mkdir 83; rmdir (84) is above the highest named.
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        let got = predict(&p, "rmdir");
        assert_eq!(
            (got.outcome, got.errno, got.rule),
            (Outcome::Errno, Some(38), Some(RuleRef::ENOSYS_STUB))
        );
        assert_eq!(predict(&p, "open").rule, Some(RuleRef::DEFAULT));
        // Dropped rules still raise the limit.
        let p2 = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"},{"names":["rmdir"],"action":"SCMP_ACT_ERRNO"}"#,
        );
        assert_eq!(predict(&p2, "rmdir").rule, Some(RuleRef::DEFAULT));
        // No stub for permissive defaults.
        for d in ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"] {
            let p = profile(d, X86, r#"{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}"#);
            assert_ne!(predict(&p, "rmdir").rule, Some(RuleRef::ENOSYS_STUB), "{d}");
        }
        // A kill default gets it.
        let p = profile(
            "SCMP_ACT_KILL",
            X86,
            r#"{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        assert_eq!(predict(&p, "rmdir").rule, Some(RuleRef::ENOSYS_STUB));
        assert_eq!(predict(&p, "read").outcome, Outcome::Killed);
    }

    #[test]
    fn missing_compat_arches_are_killed() {
        let p = profile("SCMP_ACT_ALLOW", r#""SCMP_ARCH_X86_64""#, "");
        for id in ["i386:getpid", "x32:getpid"] {
            let got = predict(&p, id);
            assert_eq!(
                (got.outcome, got.rule),
                (Outcome::Killed, Some(RuleRef::BAD_ARCH)),
                "{id}"
            );
        }
        assert_eq!(predict(&p, "getpid").outcome, Outcome::Allowed);
        let p = r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#;
        assert_eq!(predict(p, "i386:getpid").outcome, Outcome::Killed);
    }

    #[test]
    fn socket_rules_reach_i386_socketcall_without_their_arguments() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","statx"],"action":"SCMP_ACT_ALLOW"},{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]}"#,
        );
        assert_eq!(predict(&p, "i386:socket(AF_VSOCK)").outcome, Outcome::Errno);
        assert_eq!(
            predict(&p, "i386:socket(AF_INET)").outcome,
            Outcome::Allowed
        );
        // The family is in memory: socketcall(SYS_SOCKET, …) is allowed whatever it is.
        let got = predict(&p, "i386:socketcall(SYS_SOCKET,AF_VSOCK)");
        assert_eq!(
            (got.outcome, got.rule),
            (Outcome::Allowed, Some(RuleRef::Index(1)))
        );
        // libseccomp resolves i386 socket names to pseudo numbers, so they don't raise the
        // stub's limit: without statx (383), the direct socket call (359) is above it.
        let low = p.replace("statx", "openat");
        assert_eq!(
            predict(&low, "i386:socket(AF_INET)").rule,
            Some(RuleRef::ENOSYS_STUB)
        );
    }

    #[test]
    fn actions_map_to_outcomes() {
        let with = |action: &str| {
            profile(
                "SCMP_ACT_ALLOW",
                X86,
                &format!(r#"{{"names":["getpid"],"action":"{action}"}}"#),
            )
        };
        assert_eq!(
            predict(&with("SCMP_ACT_KILL"), "getpid").outcome,
            Outcome::Killed
        );
        assert!(predict(&with("SCMP_ACT_KILL_PROCESS"), "getpid")
            .note
            .unwrap()
            .contains("PROCESS"));
        assert_eq!(
            predict(&with("SCMP_ACT_TRAP"), "getpid").outcome,
            Outcome::Trapped
        );
        let t = predict(&with("SCMP_ACT_TRACE"), "getpid");
        assert_eq!((t.outcome, t.errno), (Outcome::Errno, Some(38)));
        assert_eq!(
            predict(&with("SCMP_ACT_LOG"), "getpid").outcome,
            Outcome::Allowed
        );
    }

    #[test]
    fn unconditional_rule_beats_conditional_ones() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["personality"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        let got = predict(&p, "personality(8)");
        assert_eq!(
            (got.outcome, got.rule),
            (Outcome::Allowed, Some(RuleRef::Index(1)))
        );
        // And the first unconditional rule wins over a later one.
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid"],"action":"SCMP_ACT_TRAP"},{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        assert_eq!(predict(&p, "getpid").outcome, Outcome::Trapped);
    }

    #[test]
    fn identical_conditions_with_different_actions_fail_the_start() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}"#,
        );
        assert_eq!(predict(&p, "getpid").outcome, Outcome::StartFailed);
    }

    #[test]
    fn sibling_rules_follow_libseccomps_tree_order() {
        // clone with every argument all ones matches all three; libseccomp tests the greatest
        // datum of the greatest argument index first (measured: deny-namespaces' rule 9).
        let p = profile(
            "SCMP_ACT_ALLOW",
            X86,
            r#"{"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":3,"args":[{"index":0,"value":131072,"valueTwo":131072,"op":"SCMP_CMP_MASKED_EQ"}]},
               {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":4,"args":[{"index":0,"value":1073741824,"valueTwo":1073741824,"op":"SCMP_CMP_MASKED_EQ"}]},
               {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":33554432,"valueTwo":33554432,"op":"SCMP_CMP_MASKED_EQ"}]}"#,
        );
        let got = predict(&p, "clone");
        assert_eq!((got.errno, got.rule), (Some(4), Some(RuleRef::Index(1))));
        // A higher argument index goes first (libseccomp 2.5.4's export_pfc lists a1 before a0).
        let p2 = p.replace(
            r#""errnoRet":5,"args":[{"index":0"#,
            r#""errnoRet":5,"args":[{"index":1"#,
        );
        assert_eq!(predict(&p2, "clone").rule, Some(RuleRef::Index(2)));
        // Even when every matching rule has the same action, the rule named is the first.
        let same = p
            .replace(r#""errnoRet":3"#, r#""errnoRet":4"#)
            .replace(r#""errnoRet":5"#, r#""errnoRet":4"#);
        assert_eq!(predict(&same, "clone").rule, Some(RuleRef::Index(1)));
    }

    #[test]
    fn trap_carries_errno_zero() {
        let p = profile(
            "SCMP_ACT_ALLOW",
            X86,
            r#"{"names":["syslog"],"action":"SCMP_ACT_TRAP"}"#,
        );
        let got = predict(&p, "syslog");
        assert_eq!((got.outcome, got.errno), (Outcome::Trapped, Some(0)));
    }

    #[test]
    fn unknown_names_are_ignored_and_do_not_raise_the_stub() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","mseal"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        let parsed = parse_str(&p, "t.json").unwrap();
        let cat = Catalog::for_arch(Arch::X86_64);
        let known = resolve(&parsed, &host());
        assert_eq!(
            Oracle::new(&known)
                .predict(cat.get("mseal").unwrap())
                .outcome,
            Outcome::Allowed
        );
        let h = host().with_unknown_names(["mseal".to_string()].into());
        let r = resolve(&parsed, &h);
        let o = Oracle::new(&r);
        // getpid (39) is now the highest known name: mseal and rmdir are above it.
        let got = o.predict(cat.get("mseal").unwrap());
        assert_eq!(got.rule, Some(RuleRef::ENOSYS_STUB));
        assert_eq!(
            o.predict(cat.get("rmdir").unwrap()).rule,
            Some(RuleRef::ENOSYS_STUB)
        );
    }

    #[test]
    fn uretprobe_and_uprobe_bypass_seccomp_on_new_kernels() {
        let p = profile(
            "SCMP_ACT_ERRNO",
            X86,
            r#"{"names":["getpid","mseal"],"action":"SCMP_ACT_ALLOW"}"#,
        );
        let parsed = parse_str(&p, "t.json").unwrap();
        let cat = Catalog::for_arch(Arch::X86_64);
        let at = |k: KernelVersion, id: &str| {
            let mut h = host();
            h.kernel = k;
            Oracle::new(&resolve(&parsed, &h)).predict(cat.get(id).unwrap())
        };
        let got = at(KernelVersion::new(6, 18), "uretprobe");
        assert_eq!((got.outcome, got.rule), (Outcome::Allowed, None));
        assert_eq!(
            at(KernelVersion::new(6, 18), "uprobe").outcome,
            Outcome::Allowed
        );
        // Before the exception the filter decides.
        assert_eq!(
            at(KernelVersion::new(6, 13), "uretprobe").rule,
            Some(RuleRef::DEFAULT)
        );
        assert_eq!(
            at(KernelVersion::new(6, 15), "uprobe").rule,
            Some(RuleRef::DEFAULT)
        );
    }

    #[test]
    fn notify_default_fails_the_start() {
        let p = profile("SCMP_ACT_NOTIFY", X86, "");
        assert_eq!(predict(&p, "getpid").outcome, Outcome::StartFailed);
    }
}
