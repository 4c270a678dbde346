//! Userspace that tries a newer syscall first and falls back to an older way only on some
//! errors: the dataset in `harness/data/fallbacks/fallbacks.json` (see its README).
//!
//! A libc or a language runtime built for a newer kernel calls the new syscall and takes
//! "not supported" from the answer: glibc 2.34's `clone3` falls back to `clone` on ENOSYS and
//! on nothing else, so a profile that answers EPERM breaks `pthread_create` there, while Rust
//! std's `copy_file_range` takes EPERM as "not supported" too and copes. Each entry is one
//! (userspace, version, syscall) with the errors it treats as "not supported" and the file and
//! line of that decision in the project's source at a tag (or a commit where no tag was read).
//! The readiness summary ([`crate::readiness`]) looks its EPERM denials up here.
//!
//! The data is compiled in (`include_str!`), like [`crate::upstream`]'s profiles.

use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../../data/fallbacks/fallbacks.json");

/// The errno names the dataset may use, with their Linux numbers (asm-generic/errno-base.h
/// and errno.h; the same on every arch the catalog covers for these).
pub const ERRNOS: &[(&str, i32)] = &[
    ("EPERM", 1),
    ("EIO", 5),
    ("EBADF", 9),
    ("EXDEV", 18),
    ("EINVAL", 22),
    ("ENOSYS", 38),
    ("EOPNOTSUPP", 95),
];

/// The errno's name, where the dataset knows it.
pub(crate) fn errno_name(errno: i32) -> Option<&'static str> {
    ERRNOS.iter().find(|(_, n)| *n == errno).map(|(s, _)| *s)
}

#[derive(Debug, Clone, Deserialize)]
pub struct Data {
    /// Each userspace's repository, where it was read and its licence.
    pub projects: BTreeMap<String, Project>,
    pub fallbacks: Vec<Fallback>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Project {
    pub repository: String,
    pub read_from: String,
    pub license: String,
}

/// One (userspace, version, syscall).
#[derive(Debug, Clone, Deserialize)]
pub struct Fallback {
    /// A key of [`Data::projects`]: `glibc`, `util-linux`, `Go`, `Rust std`.
    pub userspace: String,
    /// The first release that calls the syscall this way.
    pub since: String,
    pub syscall: String,
    /// The functions or programs that make the call.
    pub callers: Vec<String>,
    /// What it does instead when the call is "not supported".
    pub fallback: String,
    /// The syscall whose plain catalog case stands for the fallback, where one does: `mount`
    /// for libmount. Absent where the case would not: glibc's `clone` fallback passes thread
    /// flags, the catalog's `clone` case every namespace flag (which Docker's default denies).
    #[serde(default)]
    pub fallback_call: Option<String>,
    pub not_supported: NotSupported,
    pub source: Source,
}

/// The answers the userspace takes for "not supported".
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotSupported {
    /// Every failure: it falls back whatever the error.
    AnyError,
    /// Only these errnos (by name, from [`ERRNOS`]).
    Errnos(Vec<String>),
}

impl NotSupported {
    /// Whether an answer of `errno` makes it fall back.
    pub fn covers(&self, errno: i32) -> bool {
        match self {
            NotSupported::AnyError => true,
            NotSupported::Errnos(names) => {
                errno_name(errno).is_some_and(|n| names.iter().any(|m| m == n))
            }
        }
    }

    /// `ENOSYS`, `ENOSYS or EPERM`, `any error`.
    pub fn describe(&self) -> String {
        match self {
            NotSupported::AnyError => "any error".into(),
            NotSupported::Errnos(names) => names.join(" or "),
        }
    }
}

/// Where the decision is: a file and line at a tag (and its commit), or at a commit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Source {
    #[serde(default)]
    pub tag: Option<String>,
    #[serde(default)]
    pub commit: Option<String>,
    pub path: String,
    pub line: u32,
}

impl Source {
    /// `glibc-2.34:sysdeps/unix/sysv/linux/clone-internal.c:55`, or with the commit's first
    /// 12 hex digits where no tag was read.
    pub(crate) fn cite(&self) -> String {
        let at = match (&self.tag, &self.commit) {
            (Some(t), _) => t.clone(),
            (None, Some(c)) => c.chars().take(12).collect(),
            (None, None) => "?".into(),
        };
        format!("{at}:{}:{}", self.path, self.line)
    }
}

/// `glibc ≥ 2.34 pthread_create, posix_spawn`: who makes a call, from which release, in one
/// wording for the dataset and the readiness summary built from it.
pub(crate) fn who(userspace: &str, since: &str, callers: &[String]) -> String {
    format!("{userspace} ≥ {since} {}", callers.join(", "))
}

impl Fallback {
    /// `glibc ≥ 2.34 pthread_create, posix_spawn`.
    pub(crate) fn who(&self) -> String {
        who(&self.userspace, &self.since, &self.callers)
    }

    /// `glibc-2.34:sysdeps/…/clone-internal.c:55`, prefixed with the userspace where the tag
    /// does not say it (`util-linux v2.39:…`).
    pub(crate) fn cite(&self) -> String {
        let cite = self.source.cite();
        if cite.starts_with(&self.userspace) {
            cite
        } else {
            format!("{} {cite}", self.userspace)
        }
    }
}

/// The dataset, parsed once.
pub fn data() -> &'static Data {
    static DATA_PARSED: OnceLock<Data> = OnceLock::new();
    DATA_PARSED.get_or_init(|| {
        serde_json::from_str(DATA).expect("the compiled-in fallbacks dataset parses (tested)")
    })
}

/// The entries for one syscall, in the dataset's order.
pub(crate) fn for_syscall(name: &str) -> impl Iterator<Item = &'static Fallback> + '_ {
    data().fallbacks.iter().filter(move |f| f.syscall == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dataset_is_well_formed() {
        let d = data();
        assert!(d.fallbacks.len() >= 10);
        let mut seen = std::collections::BTreeSet::new();
        for f in &d.fallbacks {
            let key = (f.userspace.as_str(), f.since.as_str(), f.syscall.as_str());
            assert!(seen.insert(key), "{key:?} twice");
            let p = d
                .projects
                .get(&f.userspace)
                .unwrap_or_else(|| panic!("{}: no project entry", f.userspace));
            assert!(!p.license.is_empty() && p.repository.starts_with("https://"));
            assert!(
                f.source.tag.is_some() || f.source.commit.is_some(),
                "{key:?}"
            );
            if let Some(c) = &f.source.commit {
                assert!(
                    c.len() == 40 && c.chars().all(|c| c.is_ascii_hexdigit()),
                    "{c}"
                );
            }
            assert!(f.source.line > 0 && !f.source.path.is_empty());
            assert!(!f.callers.is_empty() && !f.fallback.is_empty());
            if let Some(c) = &f.fallback_call {
                assert!(
                    <syscalls::x86_64::Sysno as std::str::FromStr>::from_str(c).is_ok(),
                    "{c}"
                );
            }
            if let NotSupported::Errnos(names) = &f.not_supported {
                assert!(!names.is_empty());
                for n in names {
                    assert!(ERRNOS.iter().any(|(e, _)| e == n), "{key:?}: {n}");
                }
            }
            // A real syscall name, known on x86_64 (the tables the core already carries).
            assert!(
                <syscalls::x86_64::Sysno as std::str::FromStr>::from_str(&f.syscall).is_ok(),
                "{}",
                f.syscall
            );
        }
    }

    #[test]
    fn eperm_breaks_what_falls_back_only_on_enosys() {
        let glibc = for_syscall("clone3")
            .find(|f| f.userspace == "glibc")
            .unwrap();
        assert!(glibc.not_supported.covers(38));
        assert!(!glibc.not_supported.covers(1));
        assert_eq!(glibc.who(), "glibc ≥ 2.34 pthread_create, posix_spawn");
        assert_eq!(
            glibc.cite(),
            "glibc-2.34:sysdeps/unix/sysv/linux/clone-internal.c:55"
        );
        let rust = for_syscall("clone3")
            .find(|f| f.userspace == "Rust std")
            .unwrap();
        assert!(rust.not_supported.covers(1));
        assert_eq!(rust.not_supported.describe(), "ENOSYS or EPERM");
        let closefrom = for_syscall("close_range").next().unwrap();
        assert!(closefrom.not_supported.covers(1) && closefrom.not_supported.covers(4095));
        assert!(for_syscall("reboot").next().is_none());
        let lm = for_syscall("fsopen").next().unwrap();
        assert_eq!(lm.cite(), "util-linux v2.39:libmount/src/hook_mount.c:642");
    }
}
