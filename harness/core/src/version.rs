//! One version type for every version the harness reads: the kernel's release, the engine's,
//! the runtime's and libseccomp's. Each arrives as a distribution's string (`1.3.6+ds1`,
//! `20.10.24+dfsg1`, `v1.1.5`, `6.12.117+deb13-amd64`, `1.1.12-0-g51d5e94`); one parser reads
//! the numbers they start with, so that two places can't read one string two ways.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

/// major.minor with an optional patch. A missing patch compares as 0 (`1.28` is `1.28.0`, as
/// runtime models and release ranges read it) but is kept, so that what was written is shown
/// and a kernel's missing sublevel stays missing.
#[derive(Debug, Clone, Copy)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a version: expected <major>.<minor>[.<patch>] such as 1.1.5 or v28.5.2+ds1")]
pub struct VersionError(pub String);

impl Version {
    pub const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch: Some(patch),
        }
    }

    /// The numbers a version string starts with: whatever comes before the first digit is
    /// skipped (`v1.1.5`, `rt-b version 1.28`), then major.minor and an optional patch,
    /// separated by dots; whatever follows them is ignored (`+ds1`, `-0-g51d5e94`, `-rc5`, a
    /// fourth number).
    pub fn parse(s: &str) -> Result<Version, VersionError> {
        let bad = || VersionError(s.to_string());
        let start = s.find(|c: char| c.is_ascii_digit()).ok_or_else(bad)?;
        let mut numbers = s[start..].split('.').map(|part| {
            let end = part
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(part.len());
            (part[..end].parse::<u64>().ok(), end == part.len())
        });
        let (major, whole) = numbers.next().ok_or_else(bad)?;
        let major = major.ok_or_else(bad)?;
        if !whole {
            return Err(bad());
        }
        let (minor, whole) = numbers.next().ok_or_else(bad)?;
        let minor = minor.ok_or_else(bad)?;
        let patch = if whole {
            numbers.next().and_then(|(p, _)| p)
        } else {
            None
        };
        Ok(Version {
            major,
            minor,
            patch,
        })
    }

    /// A release number: like [`Version::parse`], with the patch required (`28.5` is a
    /// release line, not a release).
    pub fn parse_release(s: &str) -> Result<Version, VersionError> {
        Version::parse(s)
            .ok()
            .filter(|v| v.patch.is_some())
            .ok_or_else(|| VersionError(s.to_string()))
    }

    /// (major, minor, patch), a missing patch read as 0: what comparisons use.
    pub(crate) fn triple(self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch.unwrap_or(0))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Version) -> bool {
        self.triple() == other.triple()
    }
}

impl Eq for Version {}

impl Hash for Version {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.triple().hash(state);
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.triple().cmp(&other.triple())
    }
}

impl FromStr for Version {
    type Err = VersionError;
    fn from_str(s: &str) -> Result<Version, VersionError> {
        Version::parse(s)
    }
}

/// As written: `1.28` stays `1.28`, `1.1.5` is `1.1.5`.
impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.patch {
            Some(p) => write!(f, "{}.{}.{p}", self.major, self.minor),
            None => write!(f, "{}.{}", self.major, self.minor),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_numbers_distributions_wrap() {
        let v = |s: &str| Version::parse(s).map(|v| (v.major, v.minor, v.patch));
        assert_eq!(v("1.3.6+ds1"), Ok((1, 3, Some(6))));
        assert_eq!(v("v1.1.5"), Ok((1, 1, Some(5))));
        assert_eq!(v("20.10.24+dfsg1"), Ok((20, 10, Some(24))));
        assert_eq!(v("28.5.2-1"), Ok((28, 5, Some(2))));
        assert_eq!(v("1.1.12-0-g51d5e94"), Ok((1, 1, Some(12))));
        assert_eq!(v("6.12.117+deb13-amd64"), Ok((6, 12, Some(117))));
        assert_eq!(v("6.1.0-50-amd64"), Ok((6, 1, Some(0))));
        assert_eq!(v("3.12-rc5"), Ok((3, 12, None)));
        assert_eq!(v("rt-b version 1.28"), Ok((1, 28, None)));
        assert_eq!(v(" 6.18.44-fc-v1252\n"), Ok((6, 18, Some(44))));
        assert_eq!(v("4.19.0.1"), Ok((4, 19, Some(0))));
        for bad in ["", "six", "23", "v23", "1.", "1.x", "1-2-3", "1+2.3"] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_missing_patch_compares_as_zero_and_is_shown_as_written() {
        let short: Version = "1.28".parse().unwrap();
        assert_eq!(short, Version::new(1, 28, 0));
        assert!(short < Version::new(1, 28, 1));
        assert!(Version::new(1, 1, 15) > Version::new(1, 1, 5));
        assert_eq!(short.to_string(), "1.28");
        assert_eq!(Version::parse("v1.1.5").unwrap().to_string(), "1.1.5");
    }

    #[test]
    fn a_release_has_a_patch() {
        assert_eq!(
            Version::parse_release("v26.1.5"),
            Ok(Version::new(26, 1, 5))
        );
        assert!(Version::parse_release("28.5").is_err());
    }
}
