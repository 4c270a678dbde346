//! Salting: one harmless rule, unique per submission, appended to every profile the harness
//! hands to the engine, so that no runtime can answer a run with a filter it compiled for
//! another.
//!
//! Why: crun 1.28 caches compiled filters (`<state dir>/.cache/seccomp/<checksum>`) under a
//! blake3 checksum of the profile (`calculate_seccomp_checksum`) that covers the default
//! action and `defaultErrnoRet`, the architectures, flags, and each rule's action, names and
//! arguments, but not a rule's `errnoRet`. The as-is run and the tagged run of a
//! default-ALLOW profile differ only in their rules' errnos, so whichever ran first decided
//! both. Measured on Docker 28.5.2 with crun 1.28: three profiles denying getpgid with
//! `errnoRet` 71, 72 and 73 all answered 71 (runc 1.3.6 on the same engine: 71, 72, 73);
//! with a salted copy of each, 72 and 73 came back. The cache outlives a run, so the salt
//! must differ between runs too.
//!
//! The rule, and why it changes nothing. Preferably it is the *twin* of the profile's first
//! unconditional rule whose action is not the default's: the same first name, action,
//! `errnoRet`, `includes` and `excludes`, plus a condition on the first argument.
//! - libseccomp keeps the unconditional rule and ignores a conditional one with the same
//!   action on that syscall (`_db_tree_add`: a leaf already decides every call), so the
//!   filter is the same BPF; the oracle models this (`SyscallRules::Unconditional`);
//! - Docker keeps it exactly when it keeps that name already, so runc's ENOSYS stub sees no
//!   new name.
//!
//! A profile without such a rule gets a rule with the default's own action instead, which
//! runc's `matchCall` and crun's `libcrun_generate_seccomp` (`if (action == default_action)
//! continue;`) drop. Either way, even kept on its own, the rule would only match a first
//! argument of [`SALT_PREFIX`] in its top 16 bits: no catalog case passes one (a test checks
//! every case of every arch), and on x86_64 and aarch64 no pointer, fd, pid or flag word has
//! such top bits.
//!
//! A profile with no rule gets no salt: nothing in it is left out of crun's checksum.

use serde_json::Value;

/// The top 16 bits of every salt value.
pub const SALT_PREFIX: u64 = 0x5ecc;

/// The first-argument value of a salt: [`SALT_PREFIX`] above 48 bits of `salt`.
pub(crate) fn salt_value(salt: u64) -> u64 {
    (SALT_PREFIX << 48) | (salt & 0xffff_ffff_ffff)
}

/// Whether a first-argument value is one a salt rule compares with: the tests' check that no
/// catalog case passes one.
#[cfg(test)]
pub(crate) fn is_salt_value(value: u64) -> bool {
    value >> 48 == SALT_PREFIX
}

/// A salt unique to one submission: a run id (any text unique per run) and the job's index.
pub fn salt_for(run: &str, job: usize) -> u64 {
    // FNV-1a: stable across builds and platforms (std's hasher is not).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in run.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    (h << 16) ^ job as u64
}

/// The profile in `text` (Docker's JSON format, as the engine gets it) with the salt rule
/// appended to `syscalls`; `text` unchanged when it has no default action or no rule with a
/// name. `honours_default_errno_ret`: whether the engine and runtime pass `defaultErrnoRet`
/// on, which decides the errno of the default the runtime compares rules with.
pub fn salted(text: &str, salt: u64, honours_default_errno_ret: bool) -> String {
    let Ok(mut doc) = serde_json::from_str::<Value>(text) else {
        return text.to_string();
    };
    let Some(rule) = salt_rule(&doc, salt, honours_default_errno_ret) else {
        return text.to_string();
    };
    match doc.get_mut("syscalls") {
        Some(Value::Array(rules)) => rules.push(rule),
        _ => return text.to_string(),
    }
    serde_json::to_string(&doc).expect("a JSON value serializes")
}

fn salt_rule(doc: &Value, salt: u64, honours_default_errno_ret: bool) -> Option<Value> {
    let default = doc.get("defaultAction")?.as_str()?;
    let rules = doc.get("syscalls")?.as_array()?;
    let first_name = |r: &Value| -> Option<String> {
        r.get("names")
            .and_then(Value::as_array)
            .and_then(|n| n.first())
            .or_else(|| r.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let no_args = |r: &Value| match r.get("args") {
        None | Some(Value::Null) => true,
        Some(Value::Array(a)) => a.is_empty(),
        _ => false,
    };
    // Preferred: the twin of an unconditional rule whose action is not the default's.
    let twin = rules.iter().find_map(|r| {
        let action = r.get("action")?.as_str()?;
        let name = first_name(r)?;
        (action != default && no_args(r) && !multiplexed(&name)).then_some((r, name, action))
    });
    let (template, name, action, errno) = match twin {
        Some((r, name, action)) => (r, name, action, r.get("errnoRet").cloned()),
        None => {
            let r = rules.iter().find(|r| first_name(r).is_some())?;
            let errno = doc
                .get("defaultErrnoRet")
                .filter(|_| honours_default_errno_ret)
                .cloned();
            (r, first_name(r)?, default, errno)
        }
    };
    let mut rule = serde_json::json!({
        "names": [name],
        "action": action,
        "args": [{"index": 0, "value": salt_value(salt), "op": "SCMP_CMP_EQ"}],
        "comment": crate::runtime::prose::SALT_COMMENT,
    });
    for key in ["includes", "excludes"] {
        if let Some(v) = template.get(key) {
            rule[key] = v.clone();
        }
    }
    if let Some(e) = errno {
        rule["errnoRet"] = e;
    }
    Some(rule)
}

/// Names libseccomp rewrites into i386's socketcall/ipc multiplexers, where the salt's
/// argument would be replaced: never a twin.
fn multiplexed(name: &str) -> bool {
    super::names::multiplexed(seccomp_catalog::Abi::I386, name).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oracle::Oracle;
    use crate::profile::{parse_str, resolve, CapSet, Host, KernelVersion};
    use crate::runtime::Runtime;
    use seccomp_catalog::{Arch, Catalog};

    #[test]
    fn no_case_passes_a_salt_value() {
        for arch in Arch::ALL {
            for case in Catalog::for_arch(*arch).cases() {
                for arg in &case.args {
                    if let Some(v) = arg.filter_value() {
                        assert!(!is_salt_value(v), "{} passes {v:#x}", case.id);
                    }
                }
            }
        }
    }

    #[test]
    fn salts_differ_per_run_and_job() {
        assert_ne!(salt_for("run-a", 0), salt_for("run-b", 0));
        assert_ne!(salt_for("run-a", 0), salt_for("run-a", 1));
        assert!(is_salt_value(salt_value(salt_for("run-a", 7))));
    }

    #[test]
    fn the_salt_follows_the_default_and_the_first_rule() {
        let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
            {"name":"mount","action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
            {"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#;
        let s: Value = serde_json::from_str(&salted(p, 5, true)).unwrap();
        let rule = &s["syscalls"][2];
        assert_eq!(rule["names"][0], "mount");
        assert_eq!(rule["action"], "SCMP_ACT_ALLOW");
        assert_eq!(rule["includes"]["caps"][0], "CAP_SYS_ADMIN");
        assert_eq!(rule["args"][0]["value"], salt_value(5));
        // No unconditional rule with another action: the default's own action, with the
        // default's errno where the engine passes it on.
        let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
            {"names":["socket"],"action":"SCMP_ACT_ALLOW"},
            {"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#;
        let s: Value = serde_json::from_str(&salted(p, 5, true)).unwrap();
        let rule = &s["syscalls"][2];
        assert_eq!(
            (rule["names"][0].as_str(), rule["action"].as_str()),
            (Some("socket"), Some("SCMP_ACT_ERRNO"))
        );
        assert_eq!(rule["errnoRet"], 38);
        // An engine that drops defaultErrnoRet makes the default EPERM: so is the salt.
        let s: Value = serde_json::from_str(&salted(p, 5, false)).unwrap();
        assert!(s["syscalls"][2].get("errnoRet").is_none());
        // Nothing to salt.
        let none = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}"#;
        assert_eq!(salted(none, 5, true), none);
        assert_eq!(salted("{}", 5, true), "{}");
    }

    /// The oracle sees no difference on any case, for runc and crun, with and without
    /// `defaultErrnoRet`, under every shipped profile and demonstrator.
    #[test]
    fn a_salted_profile_predicts_like_the_original() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../profiles");
        let mut texts: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        texts.push(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":1,"architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":71}]}"#.into(),
        );
        assert!(texts.len() > 3);
        let admin =
            CapSet::tweak(&CapSet::docker_default(), &["SYS_ADMIN"], &[] as &[&str]).unwrap();
        for arch in Arch::ALL {
            let catalog = Catalog::for_arch(*arch);
            for text in &texts {
                let original = parse_str(text, "p.json").unwrap();
                for honours in [true, false] {
                    let salted = parse_str(&salted(text, 9, honours), "p.json").unwrap();
                    assert_eq!(salted.rules.len(), original.rules.len() + 1);
                    for runtime in ["runc", "crun"] {
                        for caps in [CapSet::docker_default(), admin.clone()] {
                            let host = Host::new(*arch, caps, KernelVersion::new(6, 18))
                                .with_default_errno_ret(honours)
                                .with_runtime(Runtime::parse(runtime, Some("1.28")));
                            let (a, b) = (resolve(&original, &host), resolve(&salted, &host));
                            let (a, b) = (Oracle::new(&a), Oracle::new(&b));
                            assert_eq!(a.start(&catalog), b.start(&catalog));
                            for case in catalog.cases() {
                                let (pa, pb) = (a.predict_filter(case), b.predict_filter(case));
                                assert_eq!(
                                    (pa.outcome, pa.errno, pa.rule),
                                    (pb.outcome, pb.errno, pb.rule),
                                    "{runtime} {}",
                                    case.id
                                );
                            }
                        }
                    }
                }
            }
        }
    }
}
