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
