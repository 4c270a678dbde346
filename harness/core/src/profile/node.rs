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
pub fn dropped_by_containerd(profile: &Profile) -> Dropped {
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
    fn an_architectures_list_survives() {
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ALLOW","architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86"],"syscalls":[]}"#,
            "p.json",
        )
        .unwrap();
        assert_eq!(as_containerd_reads(&p), p);
    }
}
