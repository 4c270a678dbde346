//! A profile as a containerd node reads it for a `Localhost` seccomp profile.
//!
//! containerd loads the file into the OCI runtime-spec's `LinuxSeccomp` (containerd
//! `contrib/seccomp`'s `LoadProfile` → `json.Unmarshal` into `specs.LinuxSeccomp`, 1.6 to 2.2), so
//! only the OCI fields survive: `defaultAction`, `defaultErrnoRet`, `architectures`, `flags`,
//! `listenerPath`, `listenerMetadata` and each rule's `names`, `action`, `errnoRet`, `args`.
//! Docker's own fields are dropped without a word: `archMap` (so the filter covers the native
//! ABI only), `includes`/`excludes` (so every conditional rule applies unconditionally) and
//! `comment` (the legacy single `name` too, which this model folds into `names` and does not
//! follow there). Measured on the lab's
//! containerd 1.7.24 and 2.1.9 (ContainerStatus verbose shows the applied object; issue 21).
//! CRI-O reads the Docker format and keeps them.

use super::model::{Arches, Filter, Profile};
use super::resolve::{resolve, skip_reason, Host};
use super::validate::Warning;

/// What a containerd node would drop from one profile, for `check` and notes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dropped {
    pub arch_map: bool,
    /// Indices of rules whose `includes` or `excludes` are dropped: they then apply whatever
    /// the capabilities, arch and kernel.
    pub conditional_rules: Vec<usize>,
}

impl Dropped {
    pub fn is_empty(&self) -> bool {
        !self.arch_map && self.conditional_rules.is_empty()
    }
}

/// The fields of `profile` a containerd node drops.
pub(crate) fn dropped_by_containerd(profile: &Profile) -> Dropped {
    Dropped {
        arch_map: matches!(profile.arches, Arches::Map(_)),
        conditional_rules: profile
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.includes.is_empty() || !r.excludes.is_empty())
            .map(|(i, _)| i)
            .collect(),
    }
}

/// `check`'s warnings for a profile that would run as a Localhost profile on a containerd node:
/// each Docker-only field whose loss changes what the filter does, with the rules that then
/// apply unconditionally. (`comment` is dropped too, which changes nothing.)
pub fn containerd_warnings(profile: &Profile) -> Vec<Warning> {
    let dropped = dropped_by_containerd(profile);
    let mut out = Vec::new();
    if dropped.arch_map {
        out.push(Warning {
            path: "archMap".to_string(),
            message: "a containerd node drops archMap (it reads Localhost profiles as an OCI \
                      seccomp object): the filter covers the native arch only, and other ABIs \
                      get the bad-arch kill"
                .to_string(),
        });
    }
    for &i in &dropped.conditional_rules {
        let rule = &profile.rules[i];
        let fields = match (rule.includes.is_empty(), rule.excludes.is_empty()) {
            (false, false) => "includes and excludes",
            (false, true) => "includes",
            _ => "excludes",
        };
        out.push(Warning {
            path: format!("syscalls[{i}]"),
            message: format!(
                "a containerd node drops {fields}: {} then applies to {} whatever the \
                 capabilities, arch and kernel",
                rule.action.name(),
                rule.names.join(", ")
            ),
        });
    }
    out
}

/// `profile` as containerd hands it to the runtime. Rule indices are kept, so cells still name
/// the rule of the file.
pub fn as_containerd_reads(profile: &Profile) -> Profile {
    let mut p = profile.clone();
    if matches!(p.arches, Arches::Map(_)) {
        p.arches = Arches::Unspecified;
    }
    for rule in &mut p.rules {
        rule.includes = Filter::default();
        rule.excludes = Filter::default();
        rule.comment = None;
    }
    p
}

/// The OCI seccomp object containerd builds itself for a container on `host`, from the
/// Docker-format profile that states its conditions (the RuntimeDefault data of
/// `upstream-defaults/containerd/`): `archMap` becomes the native arch's `architectures`, and
/// each rule is kept, without its `includes`/`excludes`, where Docker would keep it for the same
/// capabilities, arch and kernel (the rules containerd's Go code appends under the same
/// conditions). The result, sent as a Localhost profile, is what the node's RuntimeDefault
/// should be, so that the two can be compared cell by cell.
pub fn rendered_for_node(profile: &Profile, host: &Host) -> Profile {
    let mut out = profile.clone();
    if matches!(out.arches, Arches::Map(_)) {
        let architectures = resolve(profile, host).architectures;
        out.arches = if architectures.is_empty() {
            Arches::Unspecified
        } else {
            Arches::List(architectures)
        };
    }
    out.rules
        .retain(|rule| skip_reason(&rule.excludes, &rule.includes, host).is_none());
    for rule in &mut out.rules {
        rule.includes = Filter::default();
        rule.excludes = Filter::default();
        rule.comment = None;
    }
    out
}

/// How the seccomp object a node applied (`ContainerStatus` verbose,
/// `info.runtimeSpec.linux.seccomp`) differs from the one predicted for it: the default, the
/// architectures and the rules, each rule compared by its names, action, errno and arguments,
/// in any order (containerd appends its capability rules in the bounding set's order). Empty
/// when they are the same filter description. `comment`s, `includes` and `excludes` are not
/// compared: the predicted object has them resolved away.
pub fn applied_differences(predicted: &Profile, applied: &Profile) -> Vec<String> {
    let mut out = Vec::new();
    let default = |p: &Profile| {
        p.default_action.map(|a| match p.default_errno_ret {
            Some(e) => format!("{} (errno {e})", a.name()),
            None => a.name().to_string(),
        })
    };
    if default(predicted) != default(applied) {
        out.push(format!(
            "default {} where {} was predicted",
            default(applied).unwrap_or_else(|| "none".into()),
            default(predicted).unwrap_or_else(|| "none".into())
        ));
    }
    let arches = |p: &Profile| -> Vec<String> {
        let mut a = match &p.arches {
            Arches::Unspecified => Vec::new(),
            Arches::List(l) => l.clone(),
            Arches::Map(m) => m
                .iter()
                .flat_map(|e| std::iter::once(&e.architecture).chain(&e.sub_architectures))
                .cloned()
                .collect(),
        };
        a.sort();
        a
    };
    if arches(predicted) != arches(applied) {
        out.push(format!(
            "architectures [{}] where [{}] was predicted",
            arches(applied).join(", "),
            arches(predicted).join(", ")
        ));
    }
    let rules = |p: &Profile| -> Vec<String> {
        let mut r: Vec<String> = p
            .rules
            .iter()
            .map(|r| {
                let mut names = r.names.clone();
                names.sort();
                let mut text = format!("{} {}", r.action.name(), names.join(","));
                if let Some(e) = r.errno_ret {
                    text.push_str(&format!(" errno {e}"));
                }
                if !r.args.is_empty() {
                    text.push_str(&format!(" args {:?}", r.args));
                }
                text
            })
            .collect();
        r.sort();
        r
    };
    let (mut only_predicted, mut only_applied) = (rules(predicted), rules(applied));
    only_predicted.retain(|r| match only_applied.iter().position(|a| a == r) {
        Some(i) => {
            only_applied.remove(i);
            false
        }
        None => true,
    });
    for r in only_applied {
        out.push(format!("applied rule not predicted: {r}"));
    }
    for r in only_predicted {
        out.push(format!("predicted rule not applied: {r}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_str;

    #[test]
    fn docker_fields_are_dropped_and_rules_keep_their_index() {
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO",
            "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86"]}],
            "syscalls":[
              {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
              {"names":["unshare"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]},"comment":"x"},
              {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_PTRACE"]}}]}"#;
        let p = parse_str(text, "p.json").unwrap();
        let d = dropped_by_containerd(&p);
        assert!(d.arch_map);
        assert_eq!(d.conditional_rules, vec![1, 2]);
        let n = as_containerd_reads(&p);
        assert_eq!(n.arches, Arches::Unspecified);
        assert_eq!(n.rules.len(), 3);
        assert!(n
            .rules
            .iter()
            .all(|r| r.includes.is_empty() && r.excludes.is_empty()));
        assert_eq!(n.rules[1].names, vec!["unshare".to_string()]);
        assert!(dropped_by_containerd(&n).is_empty());
        let w = containerd_warnings(&p);
        assert_eq!(w.len(), 3);
        assert_eq!(w[0].path, "archMap");
        assert_eq!(w[1].path, "syscalls[1]");
        assert!(w[1].message.contains("drops includes"), "{}", w[1]);
        assert!(
            w[1].message
                .contains("SCMP_ACT_ALLOW then applies to unshare"),
            "{}",
            w[1]
        );
        assert!(w[2].message.contains("drops excludes"), "{}", w[2]);
    }

    #[test]
    fn a_conditional_profile_renders_as_containerd_builds_it_for_the_host() {
        use crate::profile::{CapSet, KernelVersion};
        use seccomp_catalog::Arch;
        let text = r#"{"defaultAction":"SCMP_ACT_ERRNO",
            "archMap":[{"architecture":"SCMP_ARCH_X86_64","subArchitectures":["SCMP_ARCH_X86","SCMP_ARCH_X32"]},
                       {"architecture":"SCMP_ARCH_AARCH64","subArchitectures":["SCMP_ARCH_ARM"]}],
            "syscalls":[
              {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
              {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}},
              {"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64"]}},
              {"names":["arm_fadvise64_64"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["arm","arm64"]}},
              {"names":["chroot"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_CHROOT"]}},
              {"names":["bpf"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
              {"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"excludes":{"caps":["CAP_SYS_ADMIN"]}}]}"#;
        let host = |caps: CapSet, kernel| Host::new(Arch::X86_64, caps, kernel);
        let names = |json: &str| -> Vec<String> {
            let p = parse_str(json, "r.json").unwrap();
            assert!(dropped_by_containerd(&p).is_empty(), "{json}");
            p.rules.iter().map(|r| r.names[0].clone()).collect()
        };
        let profile = parse_str(text, "d.json").unwrap();
        let rendered = rendered_for_node(
            &profile,
            &host(CapSet::docker_default(), KernelVersion::new(6, 12)),
        );
        let out = serde_json::to_string(&rendered.to_json()).unwrap();
        assert_eq!(
            names(&out),
            ["getpid", "ptrace", "arch_prctl", "chroot", "clone3"]
        );
        let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            doc["architectures"],
            serde_json::json!(["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"])
        );
        let admin = CapSet::tweak(
            &CapSet::docker_default(),
            &["CAP_SYS_ADMIN"],
            &[] as &[&str],
        )
        .unwrap();
        let old = rendered_for_node(&profile, &host(admin, KernelVersion::new(4, 4)));
        let old = serde_json::to_string(&old.to_json()).unwrap();
        assert_eq!(names(&old), ["getpid", "arch_prctl", "chroot", "bpf"]);
    }

    /// Docker's own default as a Localhost profile: native arch only, and the capability-gated
    /// rules allow their calls with the default capabilities (measured on containerd 1.7.24 and
    /// 2.1.9: docs/src/kubernetes.md).
    #[test]
    fn dockers_default_as_a_localhost_profile_covers_the_native_arch_with_every_gated_rule() {
        use crate::oracle::Oracle;
        use crate::outcome::Outcome;
        use crate::profile::{resolve, CapSet, Host, KernelVersion};
        use seccomp_catalog::{Arch, Catalog};
        let text = include_str!("../../../data/upstream-defaults/docker/v28.2.0.json");
        let docker = parse_str(text, "default.json").unwrap();
        let host = Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(6, 12),
        );
        let catalog = Catalog::for_arch(Arch::X86_64);
        let outcome = |p: &Profile, case: &str| {
            let resolved = resolve(p, &host);
            Oracle::new(&resolved)
                .predict_filter(catalog.get(case).unwrap())
                .outcome
        };
        let node = as_containerd_reads(&docker);
        for case in ["unshare", "mount", "bpf", "clone(CLONE_NEWUSER)"] {
            assert_eq!(outcome(&docker, case), Outcome::Errno, "{case}");
            assert_eq!(outcome(&node, case), Outcome::Allowed, "{case}");
        }
        assert_eq!(outcome(&docker, "i386:getpid"), Outcome::Allowed);
        assert_eq!(outcome(&node, "i386:getpid"), Outcome::Killed);
        assert!(resolve(&node, &host).architectures.is_empty());
        let warnings = containerd_warnings(&docker);
        assert_eq!(warnings[0].path, "archMap");
        assert!(warnings.len() > 10, "{}", warnings.len());
    }

    #[test]
    fn applied_objects_are_compared_as_filters_in_any_rule_order() {
        let predicted = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],
                "syscalls":[{"names":["read","getpid"],"action":"SCMP_ACT_ALLOW"},
                            {"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38}]}"#,
            "p.json",
        )
        .unwrap();
        let same = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86","SCMP_ARCH_X86_64"],
                "syscalls":[{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"args":[]},
                            {"names":["getpid","read"],"action":"SCMP_ACT_ALLOW"}]}"#,
            "a.json",
        )
        .unwrap();
        assert!(applied_differences(&predicted, &same).is_empty());
        let other = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,
                "syscalls":[{"names":["getpid","read"],"action":"SCMP_ACT_ALLOW"},
                            {"names":["io_uring_setup"],"action":"SCMP_ACT_ALLOW"}]}"#,
            "a.json",
        )
        .unwrap();
        let d = applied_differences(&predicted, &other);
        assert_eq!(d.len(), 4, "{d:?}");
        assert!(d[0].contains("SCMP_ACT_ERRNO (errno 38) where SCMP_ACT_ERRNO was predicted"));
        assert!(d[1].starts_with("architectures [] where [SCMP_ARCH_X86, SCMP_ARCH_X86_64]"));
        assert_eq!(
            d[2],
            "applied rule not predicted: SCMP_ACT_ALLOW io_uring_setup"
        );
        assert_eq!(
            d[3],
            "predicted rule not applied: SCMP_ACT_ERRNO clone3 errno 38"
        );
    }

    #[test]
    fn an_architectures_list_survives() {
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[]}"#,
            "p.json",
        )
        .unwrap();
        assert_eq!(as_containerd_reads(&p), p);
    }
}
