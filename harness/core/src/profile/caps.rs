//! The container's capability set, as Docker computes it: its default set, tweaked by
//! `--cap-add` / `--cap-drop` (moby `daemon/pkg/oci/caps`: `DefaultCapabilities`,
//! `NormalizeLegacyCapabilities`, `TweakCapabilities`). Rules' `includes.caps` and
//! `excludes.caps` are matched against this set (the bounding set, in moby `setupSeccomp`).

use std::collections::BTreeSet;
use std::fmt;

/// One change to Docker's default capability set, by Docker's short name (`SYS_ADMIN`,
/// `ALL`): `--cap-add` or `--cap-drop`. Written `+SYS_ADMIN` / `-NET_RAW`, as configuration ids
/// and the matrix's `caps` spell it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CapChange {
    Add(String),
    Drop(String),
}

impl CapChange {
    /// The capability's short name.
    pub fn name(&self) -> &str {
        match self {
            CapChange::Add(n) | CapChange::Drop(n) => n,
        }
    }

    /// A change exactly as [`Display`](fmt::Display) writes it (`+SYS_ADMIN`, `-ALL`): the
    /// upper-case short name of a capability the kernel defines, or `ALL`. Stricter than the
    /// command line's `--caps` (which takes any case and `CAP_`): configuration ids are parsed
    /// with it, so `deny-all` stays a profile name and is not `deny` without `ALL`.
    pub(crate) fn parse_written(text: &str) -> Option<CapChange> {
        let name = text.get(1..)?;
        let known = name == "ALL"
            || (!name.starts_with("CAP_")
                && ALL_CAPS
                    .iter()
                    .any(|c| c.strip_prefix("CAP_") == Some(name)));
        if !known {
            return None;
        }
        match text.as_bytes()[0] {
            b'+' => Some(CapChange::Add(name.to_string())),
            b'-' => Some(CapChange::Drop(name.to_string())),
            _ => None,
        }
    }
}

impl fmt::Display for CapChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CapChange::Add(n) => write!(f, "+{n}"),
            CapChange::Drop(n) => write!(f, "-{n}"),
        }
    }
}

/// Every capability the kernel defines (linux/capability.h, up to CAP_CHECKPOINT_RESTORE, 40).
/// moby derives "ALL" from what the host kernel knows; on a current kernel it is this list.
pub const ALL_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// Docker's default set for a non-privileged container (moby `caps.DefaultCapabilities`).
pub const DOCKER_DEFAULT_CAPS: &[&str] = &[
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapError {
    #[error("unknown capability {0:?}")]
    Unknown(String),
    #[error("invalid capability change {0:?}: expected `default`, `+NAME` or `-NAME`")]
    BadToken(String),
}

/// A set of capabilities by their kernel names (`CAP_SYS_ADMIN`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CapSet(BTreeSet<&'static str>);

/// A normalized `--cap-add` / `--cap-drop` operand: a capability, or `ALL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CapName {
    All,
    Cap(&'static str),
}

/// Normalizes a Docker capability name: case-insensitive, `CAP_` optional, `ALL` kept as is
/// (moby `NormalizeLegacyCapabilities`).
fn normalize(name: &str) -> Result<CapName, CapError> {
    let upper = name.trim().to_ascii_uppercase();
    if upper == "ALL" {
        return Ok(CapName::All);
    }
    let full = if upper.starts_with("CAP_") {
        upper
    } else {
        format!("CAP_{upper}")
    };
    ALL_CAPS
        .iter()
        .find(|c| **c == full)
        .map(|c| CapName::Cap(c))
        .ok_or_else(|| CapError::Unknown(name.to_string()))
}

impl CapSet {
    pub fn docker_default() -> Self {
        CapSet(DOCKER_DEFAULT_CAPS.iter().copied().collect())
    }

    pub fn all() -> Self {
        CapSet(ALL_CAPS.iter().copied().collect())
    }

    pub fn empty() -> Self {
        CapSet::default()
    }

    /// Whether the set holds `name`, given as `SYS_ADMIN` or `CAP_SYS_ADMIN` (any case). A
    /// profile naming a capability that doesn't exist never matches, as in moby, which
    /// compares strings.
    pub fn contains(&self, name: &str) -> bool {
        self.0.contains(name)
    }

    /// `docker run --cap-add … --cap-drop …` applied to `base`, as moby's `TweakCapabilities`
    /// does: `--cap-add ALL` gives every capability except the dropped ones; `--cap-drop ALL`
    /// gives exactly the added ones; otherwise drop first, then add.
    pub fn tweak<A: AsRef<str>, D: AsRef<str>>(
        base: &CapSet,
        adds: &[A],
        drops: &[D],
    ) -> Result<CapSet, CapError> {
        let adds = adds
            .iter()
            .map(|a| normalize(a.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        let drops = drops
            .iter()
            .map(|d| normalize(d.as_ref()))
            .collect::<Result<Vec<_>, _>>()?;
        if adds.is_empty() && drops.is_empty() {
            return Ok(base.clone());
        }
        let named = |list: &[CapName]| -> BTreeSet<&'static str> {
            list.iter()
                .filter_map(|c| match c {
                    CapName::Cap(c) => Some(*c),
                    CapName::All => None,
                })
                .collect()
        };
        let (add_set, drop_set) = (named(&adds), named(&drops));
        let set = if adds.contains(&CapName::All) {
            ALL_CAPS
                .iter()
                .copied()
                .filter(|c| !drop_set.contains(c))
                .collect()
        } else if drops.contains(&CapName::All) {
            add_set
        } else {
            base.0
                .iter()
                .copied()
                .filter(|c| !drop_set.contains(c))
                .chain(add_set)
                .collect()
        };
        Ok(CapSet(set))
    }

    /// Parses the run command's `--caps` form: comma-separated tokens, `default` (Docker's
    /// default set, implied), `+NAME` to add, `-NAME` to drop, e.g. `default,+SYS_ADMIN,-NET_RAW`.
    /// Returns the set and the changes, each written in the Docker form the matrix records
    /// (`+SYS_ADMIN`).
    pub fn parse_changes(spec: &str) -> Result<(CapSet, Vec<CapChange>), CapError> {
        let mut adds = Vec::new();
        let mut drops = Vec::new();
        let mut changes = Vec::new();
        for token in spec.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if token.eq_ignore_ascii_case("default") {
                continue;
            }
            let (sign, name) = token.split_at(1);
            if name.is_empty() {
                return Err(CapError::BadToken(token.to_string()));
            }
            let short = match normalize(name)? {
                CapName::All => "ALL".to_string(),
                CapName::Cap(c) => c.trim_start_matches("CAP_").to_string(),
            };
            let change = match sign {
                "+" => CapChange::Add(short),
                "-" => CapChange::Drop(short),
                _ => return Err(CapError::BadToken(token.to_string())),
            };
            match &change {
                CapChange::Add(name) => adds.push(name.clone()),
                CapChange::Drop(name) => drops.push(name.clone()),
            }
            changes.push(change);
        }
        let set = CapSet::tweak(&CapSet::docker_default(), &adds, &drops)?;
        Ok((set, changes))
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.0.iter().copied()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether `name` is a capability the kernel defines, in the `CAP_` form profiles must use.
pub(crate) fn is_known_cap(name: &str) -> bool {
    ALL_CAPS.contains(&name)
}

impl fmt::Display for CapSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v: Vec<_> = self.0.iter().copied().collect();
        f.write_str(&v.join(","))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_set_has_fourteen_caps_and_no_sys_admin() {
        let d = CapSet::docker_default();
        assert_eq!(d.len(), 14);
        assert!(d.contains("CAP_AUDIT_WRITE"));
        assert!(!d.contains("CAP_SYS_ADMIN"));
    }

    #[test]
    fn add_and_drop_accept_both_spellings() {
        let d = CapSet::docker_default();
        let s = CapSet::tweak(&d, &["sys_admin", "CAP_SYS_PTRACE"], &["NET_RAW"]).unwrap();
        assert!(s.contains("CAP_SYS_ADMIN") && s.contains("CAP_SYS_PTRACE"));
        assert!(!s.contains("CAP_NET_RAW"));
        assert_eq!(s.len(), 15);
    }

    #[test]
    fn all_follows_moby() {
        let d = CapSet::docker_default();
        let all_but = CapSet::tweak(&d, &["ALL"], &["SYS_ADMIN"]).unwrap();
        assert_eq!(all_but.len(), ALL_CAPS.len() - 1);
        let only = CapSet::tweak(&d, &["CHOWN"], &["ALL"]).unwrap();
        assert_eq!(only.iter().collect::<Vec<_>>(), vec!["CAP_CHOWN"]);
        assert!(CapSet::tweak(&d, &["NOPE"], &[] as &[&str]).is_err());
    }

    #[test]
    fn parses_run_tokens() {
        let (s, changes) = CapSet::parse_changes("default,+SYS_ADMIN,-cap_net_raw").unwrap();
        assert!(s.contains("CAP_SYS_ADMIN") && !s.contains("CAP_NET_RAW"));
        assert_eq!(
            changes,
            vec![
                CapChange::Add("SYS_ADMIN".into()),
                CapChange::Drop("NET_RAW".into())
            ]
        );
        let written: Vec<String> = changes.iter().map(ToString::to_string).collect();
        assert_eq!(written, ["+SYS_ADMIN", "-NET_RAW"]);
        let (d, none) = CapSet::parse_changes("default").unwrap();
        assert_eq!(d, CapSet::docker_default());
        assert!(none.is_empty());
        assert!(CapSet::parse_changes("SYS_ADMIN").is_err());
        assert!(CapSet::parse_changes("+").is_err());
        assert!(CapSet::parse_changes("+FOO").is_err());
    }

    #[test]
    fn written_changes_parse_back_and_nothing_else_does() {
        for c in [
            CapChange::Add("SYS_ADMIN".into()),
            CapChange::Drop("NET_RAW".into()),
            CapChange::Add("ALL".into()),
            CapChange::Drop("CHECKPOINT_RESTORE".into()),
        ] {
            assert_eq!(CapChange::parse_written(&c.to_string()), Some(c));
        }
        for not in [
            "",
            "+",
            "SYS_ADMIN",
            "+sys_admin",
            "-all",
            "+CAP_SYS_ADMIN",
            "+NOPE",
            "*SYS_ADMIN",
            "+SYS_ADMIN ",
        ] {
            assert_eq!(CapChange::parse_written(not), None, "{not:?}");
        }
    }
}
