//! Which cases a profile's argument conditions call for: for each chain of conditions a rule
//! becomes (the runtime's split, libseccomp's narrowing), one case that satisfies every
//! condition and, per condition, one that breaks only it, at the comparison's boundary; on a
//! 64-bit ABI also one with a high word the kernel ignores but the filter compares. The cases
//! themselves (the poisons that keep them harmless) come from `seccomp_catalog::generated`.
//!
//! Cases are made on every ABI the profile's filter holds ([`for_profile_on`]): the native one
//! and the compat ABIs it lists (`SCMP_ARCH_X86`, `SCMP_ARCH_X32`). libseccomp compares 32 bits
//! on both (`_db_rule_gen_32`): a rule's 64-bit value is cut to its low word there
//! (`oracle::condition_chains`), and the boundaries are taken within 32 bits. An i386 register
//! holds 32 bits, so i386 gets no high-word case; x32 passes 64-bit registers that its filter
//! compares on the low word only, so its high-word case lands inside the rule.

use crate::oracle::{arg_width_is_32, condition_chains};
use crate::profile::model::Arches;
use crate::profile::model::{ArgCond, Op, Profile};
use seccomp_catalog::generated::{self, Term};
use seccomp_catalog::{Abi, Arch, Case};
use std::collections::BTreeMap;

/// A case a rule asked for that can't be made harmless, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotGenerated {
    pub rule: usize,
    pub abi: Abi,
    pub syscall: String,
    pub id: String,
    pub reason: String,
}

/// The generated cases of one profile on one ABI.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Generated {
    /// By id, so each appears once however many rules ask for it.
    pub cases: BTreeMap<String, Case>,
    pub not_generated: Vec<NotGenerated>,
}

/// The value on each side of a condition's boundary: `(satisfies, breaks)`; `None` where no
/// value does (`arg < 0`, `arg > u64::MAX`, or above u32::MAX where the filter compares 32
/// bits: the low word of `u32::MAX + 1` is 0, which would land on the other side).
fn sides(c: &ArgCond, abi: Abi) -> (Option<Term>, Option<Term>) {
    let v = c.value;
    let max = if arg_width_is_32(abi) {
        u64::from(u32::MAX)
    } else {
        u64::MAX
    };
    let up = |v: u64| v.checked_add(1).filter(|n| *n <= max);
    let plain = |value: u64| Term {
        index: c.index,
        mask: None,
        value,
    };
    match c.op {
        Op::Eq => (Some(plain(v)), Some(plain(v.wrapping_add(1) & max))),
        Op::Ne => (Some(plain(v.wrapping_add(1) & max)), Some(plain(v))),
        Op::Lt => (v.checked_sub(1).map(plain), Some(plain(v))),
        Op::Le => (Some(plain(v)), up(v).map(plain)),
        Op::Gt => (up(v).map(plain), Some(plain(v))),
        Op::Ge => (Some(plain(v)), v.checked_sub(1).map(plain)),
        Op::MaskedEq => {
            // `value` is the mask (model.rs); the datum counts only inside it.
            let (mask, datum) = (c.value, c.value_two & c.value);
            let low_bit = mask & mask.wrapping_neg();
            let masked = |value| Term {
                index: c.index,
                mask: Some(mask),
                value,
            };
            (Some(masked(datum)), Some(masked(datum ^ low_bit)))
        }
    }
}

/// The terms of every case `chain` calls for on `abi`.
fn cases_for_chain(chain: &[ArgCond], abi: Abi) -> Vec<Vec<Term>> {
    let sat: Vec<Option<Term>> = chain.iter().map(|c| sides(c, abi).0).collect();
    let mut out = Vec::new();
    if sat.iter().all(Option::is_some) {
        let sat: Vec<Term> = sat.iter().flatten().copied().collect();
        out.push(sat.clone());
        for (i, c) in chain.iter().enumerate() {
            if let Some(b) = sides(c, abi).1 {
                let mut t = sat.clone();
                t[i] = b;
                out.push(t);
            }
            // The high word: the kernel reads most arguments as an int and ignores it, a
            // 64-bit filter compares it (libseccomp ≥ 2.5, `_db_rule_gen_64`).
            if abi.arg_bits() == 64 && sat[i].value >> 32 == 0 {
                let mut t = sat.clone();
                t[i].value |= 1 << 32;
                if let Some(m) = t[i].mask {
                    t[i].value &= m | (1 << 32);
                    if m & (1 << 32) == 0 {
                        // The mask ignores the high word: nothing to show.
                        continue;
                    }
                }
                out.push(t);
            }
        }
    } else {
        // Nothing satisfies the chain: each condition's breaking side still shows the miss.
        let broken: Vec<Term> = chain.iter().filter_map(|c| sides(c, abi).1).collect();
        if broken.len() == chain.len() {
            out.push(broken);
        }
    }
    out
}

/// The most cases one profile generates. The probe holds every case of its container in
/// memory before its first case, and past this many its allocations may make malloc call
/// `mmap`, which a strict profile need not allow it (measured: a 10,000-rule profile asked
/// for about 1,600 and its tagged run was killed before its first case). The rest are named
/// in the coverage, in rule order.
pub const MAX_CASES: usize = 256;

/// The cases `profile`'s argument conditions call for on `abi`, and the ones no poison makes
/// harmless. A rule Docker leaves out for the arch (`includes.arches`, `excludes.arches`) calls
/// for none; one it may leave out for capabilities or the kernel still does: the plan is made
/// before they are resolved, and it only costs a few cases.
#[cfg(test)] // The run asks for every ABI of the arch at once ([`for_profile_on`]).
pub(crate) fn for_profile(profile: &Profile, abi: Abi) -> Generated {
    let mut g = Generated::default();
    generate_into(&mut g, profile, abi);
    g
}

/// Adds `profile`'s cases on `abi` to `g`, within [`MAX_CASES`] for all of `g`.
fn generate_into(g: &mut Generated, profile: &Profile, abi: Abi) {
    let arch = crate::profile::resolve::docker_arch_name(abi.arch());
    for (i, rule) in profile.rules.iter().enumerate() {
        let other_arch = rule.excludes.arches.iter().any(|a| a == arch)
            || (!rule.includes.arches.is_empty()
                && !rule.includes.arches.iter().any(|a| a == arch));
        if rule.args.is_empty() || other_arch {
            continue;
        }
        for name in &rule.names {
            if crate::profile::names::number(abi, name).is_none() {
                continue;
            }
            for chain in condition_chains(&rule.args, abi) {
                if chain.is_empty() {
                    continue;
                }
                for terms in cases_for_chain(&chain, abi) {
                    match generated::build(abi, name, &terms) {
                        Ok(case)
                            if g.cases.len() >= MAX_CASES && !g.cases.contains_key(&case.id) =>
                        {
                            g.not_generated.push(NotGenerated {
                                rule: i,
                                abi,
                                syscall: name.clone(),
                                id: case.id,
                                reason: format!("the profile asks for more than {MAX_CASES} generated cases, the most one configuration runs (the probe holds them all in memory before its first case); earlier rules took them"),
                            });
                        }
                        Ok(case) => {
                            g.cases.insert(case.id.clone(), case);
                        }
                        Err(e) => g.not_generated.push(NotGenerated {
                            rule: i,
                            abi,
                            syscall: name.clone(),
                            id: generated::id(abi, name, &terms),
                            reason: e.0,
                        }),
                    }
                }
            }
        }
    }
}

/// The ABIs of `arch` whose syscalls `profile`'s filter holds: the native one, and each compat
/// ABI the profile lists (in `architectures`, or as a sub-architecture of the native arch's
/// `archMap` entry, as Docker resolves it). Without either list the filter holds the native
/// ABI only (the runtime adds no other arch).
pub(crate) fn abis_of(profile: &Profile, arch: Arch) -> Vec<Abi> {
    let native = arch.native_abi();
    let listed: Vec<&str> = match &profile.arches {
        Arches::Unspecified => Vec::new(),
        Arches::List(l) => l.iter().map(String::as_str).collect(),
        Arches::Map(entries) => entries
            .iter()
            .filter(|e| e.architecture == native.scmp_arch())
            .flat_map(|e| e.sub_architectures.iter().map(String::as_str))
            .collect(),
    };
    std::iter::once(native)
        .chain(
            arch.compat_abis()
                .iter()
                .copied()
                .filter(|a| listed.contains(&a.scmp_arch())),
        )
        .collect()
}

/// The cases `profile`'s argument conditions call for on every ABI of `arch` its filter holds
/// ([`abis_of`]), together under one limit of [`MAX_CASES`], the native ABI's first.
pub fn for_profile_on(profile: &Profile, arch: Arch) -> Generated {
    let mut g = Generated::default();
    for abi in abis_of(profile, arch) {
        generate_into(&mut g, profile, abi);
    }
    g
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_str;

    /// A profile that denies by default and allows what `rules`, its `syscalls` entries, allow.
    fn errno_default(rules: &str) -> Profile {
        let json = format!(r#"{{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{rules}]}}"#);
        parse_str(&json, "p.json").unwrap()
    }

    #[test]
    fn each_condition_is_tried_on_both_sides_of_its_boundary() {
        let p = errno_default(
            r#"{"names":["read"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":0,"value":64,"op":"SCMP_CMP_LE"},
                    {"index":2,"value":8192,"op":"SCMP_CMP_LE"}]},
                {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}"#,
        );
        let g = for_profile(&p, Abi::X86_64);
        let ids: Vec<&str> = g.cases.keys().map(String::as_str).collect();
        assert_eq!(
            ids,
            [
                "read[arg0==0x100000040,arg2==0x2000]",
                "read[arg0==0x40,arg2==0x100002000]",
                "read[arg0==0x40,arg2==0x2000]",
                "read[arg0==0x40,arg2==0x2001]",
                "read[arg0==0x41,arg2==0x2000]",
            ]
        );
        assert!(g
            .not_generated
            .iter()
            .all(|n| n.syscall == "personality" && n.reason.contains("persona")));
        assert_eq!(g.not_generated.len(), 3);
    }

    /// On the compat ABIs the filter compares 32 bits: a rule's value is cut to its low word
    /// (i386 truncation), the boundaries stay within 32 bits, i386 gets no high-word case (its
    /// registers hold 32 bits) and x32 does (its filter ignores the high word it passes).
    #[test]
    fn compat_abis_get_cases_on_the_low_word() {
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO",
                "architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"],
                "syscalls":[
                {"names":["close"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":0,"value":4294967360,"op":"SCMP_CMP_EQ"}]},
                {"names":["dup"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":0,"value":4294967295,"op":"SCMP_CMP_LE"}]},
                {"names":["mmap"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":1,"value":4096,"op":"SCMP_CMP_LE"}]}]}"#,
            "p.json",
        )
        .unwrap();
        assert_eq!(
            abis_of(&p, Arch::X86_64),
            [Abi::X86_64, Abi::I386, Abi::X32]
        );
        let g = for_profile_on(&p, Arch::X86_64);
        let ids = |prefix: &str| -> Vec<&str> {
            g.cases
                .keys()
                .map(String::as_str)
                .filter(|id| id.starts_with(prefix) && !id.starts_with("mmap"))
                .collect()
        };
        assert_eq!(
            ids("close"),
            ["close[arg0==0x100000040]", "close[arg0==0x100000041]"]
        );
        assert_eq!(
            ids("i386:close"),
            ["i386:close[arg0==0x40]", "i386:close[arg0==0x41]"]
        );
        assert_eq!(
            ids("x32:close"),
            [
                "x32:close[arg0==0x100000040]",
                "x32:close[arg0==0x40]",
                "x32:close[arg0==0x41]"
            ]
        );
        // LE u32::MAX has no breaking side in 32 bits.
        assert_eq!(ids("i386:dup"), ["i386:dup[arg0==0xffffffff]"]);
        let i386_mmap = g
            .not_generated
            .iter()
            .find(|n| n.abi == Abi::I386 && n.syscall == "mmap")
            .unwrap();
        assert!(i386_mmap.reason.contains("old_mmap"), "{i386_mmap:?}");
        assert!(g.cases.keys().any(|id| id.starts_with("mmap[")));
        assert!(!g.cases.keys().any(|id| id.starts_with("i386:mmap")));

        // Without the compat arches listed, only the native ABI.
        let native = errno_default(
            r#"{"names":["close"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":0,"value":64,"op":"SCMP_CMP_EQ"}]}"#,
        );
        assert_eq!(abis_of(&native, Arch::X86_64), [Abi::X86_64]);
        assert!(for_profile_on(&native, Arch::X86_64)
            .cases
            .keys()
            .all(|id| !id.contains(':')));
    }

    #[test]
    fn a_masked_condition_is_tried_inside_and_outside_its_mask() {
        let p = errno_default(
            r#"{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[
                    {"index":0,"value":1,"op":"SCMP_CMP_EQ"},
                    {"index":1,"value":15,"valueTwo":2,"op":"SCMP_CMP_MASKED_EQ"}]}"#,
        );
        let g = for_profile(&p, Abi::X86_64);
        assert!(g.cases.contains_key("socket[arg0==1,arg1&0xf==2]"));
        assert!(g.cases.contains_key("socket[arg0==1,arg1&0xf==3]"));
        assert!(g.cases.contains_key("socket[arg0==2,arg1&0xf==2]"));
        assert!(g.not_generated.is_empty());
    }
}
