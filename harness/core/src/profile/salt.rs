//! Salting: one harmless rule, unique per submission, appended to every profile the harness
//! hands to the engine, so that no runtime can answer a run with a filter it compiled for
//! another.
//!
//! Why: a runtime may cache compiled filters under a checksum of the profile that leaves out
//! a rule's `errnoRet` (measured, with the cache's key, at
//! [`crate::runtime::prose::SALT_COMMENT`]). The as-is run and the tagged run of a
//! default-ALLOW profile differ only in their rules' errnos, so whichever ran first decided
//! both; a salted copy of each gave each its own errnos back. The cache outlives a run, so the
//! salt must differ between runs too.
//!
//! The rule, and why it changes nothing. Preferably it is the *twin* of the profile's first
//! unconditional rule whose action is not the default's: the same first name, action,
//! `errnoRet` (and Podman's `errno` name), `includes` and `excludes`, plus a condition on the
//! first argument.
//! - libseccomp keeps the unconditional rule and ignores a conditional one with the same
//!   action on that syscall (`_db_tree_add`: a leaf already decides every call), so the
//!   filter is the same BPF; the oracle models this (`SyscallRules::Unconditional`);
//! - Docker keeps it exactly when it keeps that name already, so the runtime's ENOSYS stub
//!   sees no new name.
//!
//! A profile without such a rule gets a rule with the default's own action instead, which the
//! runtimes drop ([`crate::runtime::RuntimeModel`]). Either way, even kept on its own, the rule
//! would only match a first argument of [`SALT_PREFIX`] in its top 16 bits: no catalog case
//! passes one (a test checks every case of every arch), and on x86_64 and aarch64 no pointer,
//! fd, pid or flag word has such top bits.
//!
//! A profile with no rule gets no salt: nothing in it is left out of the cache's checksum.

use super::model::{ArgCond, Op, Profile, Rule};

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

/// `profile` with the salt rule appended; unchanged when it has no default action or no
/// rule. `honours_default_errno_ret`: whether the engine and runtime pass `defaultErrnoRet`
/// on, which decides the errno of the default the runtime compares rules with.
pub fn salted(profile: &Profile, salt: u64, honours_default_errno_ret: bool) -> Profile {
    let mut out = profile.clone();
    out.rules
        .extend(salt_rule(profile, salt, honours_default_errno_ret));
    out
}

/// The JSON the engine gets for `profile` salted: [`salted`], serialized.
pub fn salted_json(profile: &Profile, salt: u64, honours_default_errno_ret: bool) -> String {
    let salted = salted(profile, salt, honours_default_errno_ret);
    serde_json::to_string(&salted.to_json()).expect("a JSON value serializes")
}

/// The salt rule for `profile` (module doc): the twin of its first unconditional rule whose
/// action is not the default's, else a rule on its first rule's first name with the
/// default's own action and errno.
fn salt_rule(profile: &Profile, salt: u64, honours_default_errno_ret: bool) -> Option<Rule> {
    let default = profile.default_action?;
    let twin = profile
        .rules
        .iter()
        .find(|r| r.action != default && r.args.is_empty() && !multiplexed(&r.names[0]));
    let (template, action, errno_ret, errno_name) = match twin {
        Some(r) => (r, r.action, r.errno_ret, r.errno_name.clone()),
        None => {
            let errno = profile
                .default_errno_ret
                .filter(|_| honours_default_errno_ret);
            (profile.rules.first()?, default, errno, None)
        }
    };
    Some(Rule {
        names: vec![template.names[0].clone()],
        action,
        errno_ret,
        errno_name,
        args: vec![ArgCond {
            index: 0,
            value: salt_value(salt),
            value_two: 0,
            op: Op::Eq,
        }],
        includes: template.includes.clone(),
        excludes: template.excludes.clone(),
        comment: Some(crate::runtime::prose::SALT_COMMENT.to_string()),
    })
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
    use crate::profile::{parse_str, resolve, Action, CapSet, Host, KernelVersion};
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
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
            {"name":"mount","action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
            {"names":["getpid"],"action":"SCMP_ACT_ALLOW"}]}"#,
            "p.json",
        )
        .unwrap();
        let s = salted(&p, 5, true);
        let rule = &s.rules[2];
        assert_eq!(rule.names, ["mount"]);
        assert_eq!(rule.action, Action::Allow);
        assert_eq!(rule.includes.caps, ["CAP_SYS_ADMIN"]);
        assert_eq!(rule.args[0].value, salt_value(5));
        assert_eq!(s.rules[..2], p.rules[..]);
        // No unconditional rule with another action: the default's own action, with the
        // default's errno where the engine passes it on.
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
            {"names":["socket"],"action":"SCMP_ACT_ALLOW"},
            {"names":["getpid"],"action":"SCMP_ACT_ERRNO"}]}"#,
            "p.json",
        )
        .unwrap();
        let rule = salted(&p, 5, true).rules[2].clone();
        assert_eq!(
            (rule.names[0].as_str(), rule.action, rule.errno_ret),
            ("socket", Action::Errno, Some(38))
        );
        // An engine that drops defaultErrnoRet makes the default EPERM: so is the salt.
        assert_eq!(salted(&p, 5, false).rules[2].errno_ret, None);
        // Nothing to salt.
        let none = parse_str(r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[]}"#, "n").unwrap();
        assert_eq!(salted(&none, 5, true), none);
        // The JSON sent is the salted model.
        let sent = parse_str(&salted_json(&p, 5, true), "sent").unwrap();
        assert_eq!(sent, salted(&p, 5, true));
    }

    /// A twin on Podman answers with the errno its template names, as the template does.
    #[test]
    fn a_twin_keeps_podmans_errno_name() {
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
            {"names":["mkdir"],"action":"SCMP_ACT_ERRNO","errno":"EACCES"}]}"#,
            "p.json",
        )
        .unwrap();
        let rule = &salted(&p, 5, true).rules[1];
        assert_eq!(rule.errno_name.as_deref(), Some("EACCES"));
        assert_eq!(rule.errno_ret, None);
    }

    /// Whether the oracle predicts every case of `catalog` under `salted` as under `original`.
    fn assert_same_predictions(original: &Profile, salted: &Profile, host: &Host, what: &str) {
        let catalog = Catalog::for_arch(host.arch);
        let (a, b) = (resolve(original, host), resolve(salted, host));
        let (a, b) = (Oracle::new(&a), Oracle::new(&b));
        assert_eq!(a.start(&catalog), b.start(&catalog), "{what}");
        for case in catalog.cases() {
            let (pa, pb) = (a.predict_filter(case), b.predict_filter(case));
            assert_eq!(
                (pa.outcome, pa.errno, pa.rule),
                (pb.outcome, pb.errno, pb.rule),
                "{what} {}",
                case.id
            );
        }
    }

    /// The oracle sees no difference on any case, for every runtime at its newest model, with and without
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
            for text in &texts {
                let original = parse_str(text, "p.json").unwrap();
                for honours in [true, false] {
                    let salted = salted(&original, 9, honours);
                    assert_eq!(salted.rules.len(), original.rules.len() + 1);
                    for runtime in crate::runtime::testing::every_runtime() {
                        for caps in [CapSet::docker_default(), admin.clone()] {
                            let host = Host::new(*arch, caps, KernelVersion::new(6, 18))
                                .with_default_errno_ret(honours)
                                .with_runtime(runtime.clone());
                            assert_same_predictions(
                                &original,
                                &salted,
                                &host,
                                &runtime.to_string(),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Over the whole corpus (fixtures, the wild corpus, upstream's defaults): the salted
    /// model predicts like the original on the native arch, and what is sent reads back as
    /// the salted model.
    #[test]
    fn every_corpus_profile_salted_predicts_the_same_and_round_trips() {
        let corpus = crate::profile::corpus::profiles();
        for (what, original) in &corpus {
            for honours in [true, false] {
                let salted = salted(original, 9, honours);
                let sent = parse_str(&salted_json(original, 9, honours), what).unwrap();
                assert_eq!(sent, salted, "{what}");
                let host = Host::new(
                    Arch::X86_64,
                    CapSet::docker_default(),
                    KernelVersion::new(6, 12),
                )
                .with_default_errno_ret(honours);
                assert_same_predictions(original, &salted, &host, what);
            }
        }
    }
}
