//! The libseccomp layer: the filter that a runtime's rules compile to. Rules of one syscall
//! form a tree (src/db.c), compared on 64 or 32 bits per arch, and merged or refused the way
//! `db_rule_add` does.

use crate::profile::model::{ArgCond, EffectiveAction, Op};
use seccomp_catalog::Abi;

/// Two rules libseccomp refuses to merge: the same syscall, the same conditions, different
/// actions. `_db_tree_add` (src/db.c) answers -EEXIST and the runtime fails to start the
/// container (its message: [`crate::runtime::RuntimeModel`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    pub abi: Abi,
    pub syscall: String,
    pub first: usize,
    pub second: usize,
}

/// One libseccomp rule: a syscall of one ABI with its condition chain.
#[derive(Debug, Clone)]
pub(super) struct LRule {
    /// Conditions as the filter compares them (narrowed to 32 bits on 32-bit ABIs).
    pub(super) conds: Vec<ArgCond>,
    pub(super) action: EffectiveAction,
    pub(super) rule: usize,
}

#[derive(Debug, Clone)]
pub(super) enum SyscallRules {
    /// A rule without conditions: libseccomp keeps the first such rule and discards every
    /// conditional rule of the syscall, whichever came first (`db_rule_add`: "syscall exists
    /// without any chains" / "the new filter has no chains so we need to clear the existing
    /// chains").
    Unconditional(LRule),
    Conditional(Vec<LRule>),
}

/// libseccomp treats x86 and x32 as 32-bit arches (`.size = ARCH_SIZE_32` in arch-x86.c and
/// arch-x32.c): `_db_rule_gen_32` keeps only the low 32 bits of each datum and mask and
/// compares the low word of the argument.
pub(crate) fn arg_width_is_32(abi: Abi) -> bool {
    matches!(abi, Abi::I386 | Abi::X32)
}

/// Narrows a condition to what the filter compares on `abi`. `None` when libseccomp skips it
/// as a tautology (a MASKED_EQ whose mask is 0 on the compared words, `_db_arg_cmp_need_lo` /
/// `_db_arg_cmp_need_hi`).
pub(super) fn narrow(c: &ArgCond, abi: Abi) -> Option<ArgCond> {
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
pub(super) fn cond_matches(c: &ArgCond, arg: u64, abi: Abi) -> bool {
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
pub(super) type NodeKey = (u32, u32, i128);

/// The nodes a rule's conditions become on `abi`: libseccomp fills its chain by argument index
/// (`db_rule_add` stores condition `i` at `chain[arg]`), and on a 64-bit ABI each condition
/// is a high-word node followed by a low-word node (`_db_rule_gen_64`); 32-bit ABIs compare
/// one word (`_db_rule_gen_32`).
pub(super) fn chain_keys(rule: &LRule, abi: Abi) -> Vec<NodeKey> {
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
/// (src/gen_bpf.c) emits a level from its head, every node jumping to its next sibling when it
/// doesn't match. Equal nodes merge, and a chain that ends at a merged node keeps its action
/// there ("existing tree is shorter"), so a prefix goes first. Measured with libseccomp 2.5.4
/// and this host's runtime ([`crate::runtime::Runtime::default`]): under
/// `profiles/deny-namespaces.json` on amd64, `clone` with every argument all ones matches rules
/// 3 to 9 (one `arg0 & CLONE_NEW*` each), and the tagged run answered rule 9's sentinel
/// (`CLONE_NEWNET`, the greatest datum), not rule 3's; the same rules loaded with libseccomp
/// directly plus rules on arg1 answer the arg1 rule with the greatest datum
/// (`seccomp_export_pfc` lists arg1's nodes before arg0's).
pub(super) fn tree_order(a: &LRule, b: &LRule, abi: Abi) -> std::cmp::Ordering {
    let (ka, kb) = (chain_keys(a, abi), chain_keys(b, abi));
    for (x, y) in ka.iter().zip(&kb) {
        if x != y {
            // Greater first.
            return y.cmp(x);
        }
    }
    ka.len().cmp(&kb.len()).then(a.rule.cmp(&b.rule))
}

pub(super) fn same_conds(a: &[ArgCond], b: &[ArgCond]) -> bool {
    a.len() == b.len() && a.iter().all(|c| b.contains(c))
}
