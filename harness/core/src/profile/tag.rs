//! Tagging: a copy of a profile whose every ERRNO carries a distinct sentinel errno, so that a
//! denial seen in a run names the rule (or the default) that produced it (DESIGN §3).
//!
//! Sentinels: rule `i` of `syscalls[]` gets `3000 + i` (values in this range came back intact
//! on a real host, and stay below MAX_ERRNO 4095).
//!
//! The default can't be tagged with `defaultErrnoRet`: Docker before 23.0 never passes it to
//! the runtime (see [`Host::honours_default_errno_ret`]). So an ERRNO default becomes
//! `SCMP_ACT_TRAP` in the tagged profile: a call that hits it comes back trapped (SIGSYS with
//! si_code SYS_SECCOMP), which no ERRNO rule can produce. Measured with runc 1.1.5: a tagged
//! Docker default profile and a strict allow-list with a TRAP default both start, default hits
//! trap with si_errno 0, and allowed calls behave as before.
//!
//! runc drops a rule whose action equals the default action, errno included (`matchCall`).
//! Distinct sentinels would un-drop such rules and change what the filter does (it could even
//! make libseccomp refuse two merged rules). So a rule whose action equals the (engine's)
//! default becomes TRAP too: it is still dropped, and its calls are attributed to the default,
//! which is what decides them in the as-is run too.
//!
//! A profile with an ERRNO default and a TRAP rule can't trap its default (the rule would be
//! dropped in the tagged run and change what it does); it keeps the old scheme, the default's
//! sentinel 4000 in `defaultErrnoRet`, which only an engine that honours `defaultErrnoRet`
//! returns.
//!
//! [`Host::honours_default_errno_ret`]: super::Host::honours_default_errno_ret

use super::model::{Action, Arches, EffectiveAction, Format, Profile};
use super::names;
use super::parse::{parse_str, ProfileError};
use crate::outcome::RuleRef;
use seccomp_catalog::own_calls;
use seccomp_catalog::Arch;
use serde_json::Value;
use std::collections::BTreeMap;

pub const RULE_SENTINEL_BASE: u32 = 3000;
pub const DEFAULT_SENTINEL: u32 = 4000;
/// Rules beyond this many can't get a sentinel below [`DEFAULT_SENTINEL`].
pub const MAX_TAGGED_RULES: usize = (DEFAULT_SENTINEL - RULE_SENTINEL_BASE) as usize;

#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error("{file}: {rules} rules are too many to tag; at most {MAX_TAGGED_RULES} get a sentinel errno")]
    TooManyRules { file: String, rules: usize },
}

/// A tagged profile: the JSON to hand to Docker, its parsed form for the oracle, and which
/// sentinel errno stands for which rule.
#[derive(Debug, Clone)]
pub struct Tagged {
    pub json: String,
    pub profile: Profile,
    pub sentinels: BTreeMap<i32, RuleRef>,
    /// The tagged profile's default is `SCMP_ACT_TRAP` in place of the original's ERRNO: a
    /// trap in the tagged run where the as-is run denied with an errno is the default's.
    pub default_traps: bool,
}

impl Tagged {
    /// The rule a sentinel errno stands for.
    pub fn attribute(&self, errno: i32) -> Option<RuleRef> {
        self.sentinels.get(&errno).copied()
    }
}

/// Calls a runtime makes after loading the filter that survive an errno but not a trap
/// (`oracle::start::RUNTIMES`: runc's Go code falls back from faccessat2 and openat2 on an
/// errno, and runc 1.3 signals its threads with tgkill), and the probe's clock: where the
/// kernel's clocksource has no vDSO support, clock_gettime is a real syscall (seen in the
/// kernel log under a SCMP_ACT_LOG default on this project's host).
pub const RUNTIME_FALLBACK_CALLS: &[&str] = &["faccessat2", "openat2", "tgkill", "clock_gettime"];

/// The calls the tagged copy allows where the original leaves them to its ERRNO default: the
/// runtime's fallback calls and the probe's footprint survive an errno, but the tagged
/// copy's TRAP default would kill `runc init` or the probe before its first case, and then no
/// case is attributed at all (measured with runc 1.1.5 on jessfraz's Chrome profile: the
/// tagged run died on faccessat2, then on rseq). A name is added only where it can't move
/// runc's ENOSYS stub: the profile lists no architectures (no stub), or on every arch the
/// profile already names a higher syscall.
pub fn tagged_allowances(original: &Profile) -> Vec<&'static str> {
    let named = |n: &str| {
        original
            .rules
            .iter()
            .any(|r| r.names.iter().any(|m| m == n))
    };
    let mut candidates: Vec<&'static str> = RUNTIME_FALLBACK_CALLS.to_vec();
    for arch in Arch::ALL {
        for f in own_calls::footprint(*arch) {
            if !candidates.contains(&f.syscall) {
                candidates.push(f.syscall);
            }
        }
    }
    let no_stub = matches!(original.arches, Arches::Unspecified);
    let below_stub = |name: &str| {
        Arch::ALL.iter().all(|arch| {
            let abi = arch.native_abi();
            let Some(nr) = names::number(abi, name) else {
                return true;
            };
            original
                .rules
                .iter()
                .flat_map(|r| &r.names)
                .filter_map(|n| names::number(abi, n))
                .any(|max| max > nr)
        })
    };
    candidates
        .into_iter()
        .filter(|n| !named(n) && (no_stub || below_stub(n)))
        .collect()
}

fn allow_runtime_fallbacks(seccomp: &mut Value, original: &Profile) {
    let names = tagged_allowances(original);
    if names.is_empty() {
        return;
    }
    if let Some(Value::Array(rules)) = seccomp.get_mut("syscalls") {
        rules.push(serde_json::json!({
            "names": names,
            "action": "SCMP_ACT_ALLOW",
            "comment": "seccomp-harness: the runtime and the probe survive an errno here, not the tagged run's trap",
        }));
    }
}

/// Tags the profile in `text` (`file` names it in errors) for an engine that honours
/// `defaultErrnoRet`.
pub fn tag(text: &str, file: &str) -> Result<Tagged, TagError> {
    tag_for(text, file, true)
}

/// Tags the profile in `text` for an engine that passes `defaultErrnoRet` on to the runtime
/// or not (which rules runc drops depends on it).
pub fn tag_for(
    text: &str,
    file: &str,
    honours_default_errno_ret: bool,
) -> Result<Tagged, TagError> {
    let original = parse_str(text, file)?;
    if original.rules.len() > MAX_TAGGED_RULES {
        return Err(TagError::TooManyRules {
            file: file.to_string(),
            rules: original.rules.len(),
        });
    }
    let mut doc: Value = serde_json::from_str(text).map_err(|e| ProfileError::Syntax {
        file: file.to_string(),
        line: e.line(),
        column: e.column(),
        message: e.to_string(),
    })?;
    let seccomp = match original.format {
        Format::Docker => &mut doc,
        Format::OciConfig => &mut doc["linux"]["seccomp"],
    };
    let mut sentinels = BTreeMap::new();
    let default = original.default_action.map(|a| {
        a.effective(
            original
                .default_errno_ret
                .filter(|_| honours_default_errno_ret),
        )
    });
    // An errno libseccomp refuses stays as it is, so the tagged run fails to start the same way.
    let refused =
        |e: Option<EffectiveAction>| matches!(e, Some(EffectiveAction::Errno(n)) if n >= 4095);
    let errno_default = original.default_action == Some(Action::Errno) && !refused(default);
    let has_trap_rule = original.rules.iter().any(|r| r.action == Action::Trap);
    let default_traps = errno_default && !has_trap_rule;
    if default_traps {
        seccomp["defaultAction"] = Value::from(Action::Trap.name());
        if let Some(obj) = seccomp.as_object_mut() {
            obj.remove("defaultErrnoRet");
        }
    } else if errno_default {
        seccomp["defaultErrnoRet"] = Value::from(DEFAULT_SENTINEL);
        sentinels.insert(DEFAULT_SENTINEL as i32, RuleRef::DEFAULT);
    }
    if let Some(Value::Array(rules)) = seccomp.get_mut("syscalls") {
        for (i, (raw, rule)) in rules.iter_mut().zip(&original.rules).enumerate() {
            if rule.action != Action::Errno || refused(Some(rule.effective_action())) {
                continue;
            }
            if Some(rule.effective_action()) == default {
                if default_traps {
                    raw["action"] = Value::from(Action::Trap.name());
                    if let Some(obj) = raw.as_object_mut() {
                        obj.remove("errnoRet");
                    }
                } else {
                    raw["errnoRet"] = Value::from(DEFAULT_SENTINEL);
                }
            } else {
                let s = RULE_SENTINEL_BASE + i as u32;
                sentinels.insert(s as i32, RuleRef::Index(i));
                raw["errnoRet"] = Value::from(s);
            }
        }
    }
    if default_traps {
        allow_runtime_fallbacks(seccomp, &original);
    }
    let json = serde_json::to_string_pretty(&doc).expect("a JSON value serializes");
    let profile = parse_str(&json, file)?;
    Ok(Tagged {
        json,
        profile,
        sentinels,
        default_traps,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::Oracle;
    use crate::outcome::Outcome;
    use crate::profile::{resolve, CapSet, Host, KernelVersion};
    use seccomp_catalog::{Arch, Catalog};

    const P: &str = r#"{
      "defaultAction": "SCMP_ACT_ERRNO",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "syscalls": [
        {"names": ["read", "getpid", "mkdir"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
        {"names": ["chdir"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["open"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}
      ]}"#;

    #[test]
    fn rules_get_sentinels_and_an_errno_default_traps() {
        let t = tag(P, "p.json").unwrap();
        assert!(t.default_traps);
        assert_eq!(t.profile.default_action, Some(Action::Trap));
        assert_eq!(t.profile.default_errno_ret, None);
        assert_eq!(t.profile.rules[1].errno_ret, Some(3001));
        // chdir's rule equals the default (EPERM): it traps like the default, and runc still
        // drops it.
        assert_eq!(t.profile.rules[2].action, Action::Trap);
        assert_eq!(
            t.profile.rules[3].errno_ret,
            Some(5),
            "TRACE data is left alone"
        );
        assert_eq!(t.attribute(3001), Some(RuleRef::Index(1)));
        assert_eq!(t.attribute(4000), None);
        assert_eq!(t.attribute(3002), None);
    }

    #[test]
    fn which_rules_equal_the_default_depends_on_the_engine() {
        let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[
            {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
            {"names":["rmdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
            {"names":["chdir"],"action":"SCMP_ACT_ERRNO"}]}"#;
        let new = tag_for(p, "p", true).unwrap();
        assert_eq!(new.profile.rules[1].action, Action::Trap);
        assert_eq!(new.profile.rules[2].errno_ret, Some(3002));
        // Docker < 23 drops defaultErrnoRet 13: the default is EPERM, equal to chdir's rule.
        let old = tag_for(p, "p", false).unwrap();
        assert_eq!(old.profile.rules[1].errno_ret, Some(3001));
        assert_eq!(old.profile.rules[2].action, Action::Trap);
    }

    #[test]
    fn a_trap_rule_keeps_the_default_sentinel() {
        let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
            {"names":["getpid"],"action":"SCMP_ACT_TRAP"}]}"#;
        let t = tag(p, "p").unwrap();
        assert!(!t.default_traps);
        assert_eq!(t.profile.default_errno_ret, Some(4000));
        assert_eq!(t.attribute(4000), Some(RuleRef::DEFAULT));
    }

    #[test]
    fn the_oracle_predicts_the_tagged_profile_like_the_original() {
        let t = tag(P, "p.json").unwrap();
        let original = parse_str(P, "p").unwrap();
        let host = Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(6, 1),
        );
        let (ro, rt) = (resolve(&original, &host), resolve(&t.profile, &host));
        let (a, b) = (Oracle::new(&ro), Oracle::new(&rt));
        for c in Catalog::for_arch(Arch::X86_64).cases() {
            let (pa, pb) = (a.predict_filter(c), b.predict_filter(c));
            if pa.outcome == Outcome::Errno && pa.rule == Some(RuleRef::DEFAULT) {
                // The default's errno becomes a trap.
                assert_eq!(
                    (pb.outcome, pb.rule),
                    (Outcome::Trapped, pa.rule),
                    "{}",
                    c.id
                );
                continue;
            }
            assert_eq!((pa.outcome, pa.rule), (pb.outcome, pb.rule), "{}", c.id);
            if pb.outcome == Outcome::Errno && pb.errno != Some(38) {
                assert_eq!(t.attribute(pb.errno.unwrap()), pb.rule, "{}", c.id);
            }
        }
    }

    #[test]
    fn oci_configs_are_tagged_in_place() {
        let oci = format!(r#"{{"ociVersion":"1.0.2","linux":{{"seccomp":{P}}}}}"#);
        let t = tag(&oci, "config.json").unwrap();
        assert!(t.json.contains("ociVersion"));
        assert_eq!(t.profile.rules[1].errno_ret, Some(3001));
    }
}
