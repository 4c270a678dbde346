//! Kernel versions as Docker compares them for `minKernel`: major.minor only (moby
//! `profiles/seccomp/kernel_linux.go`, `kernelGreaterEqualThan`), so "4.8.0-rc1" and
//! "4.8.17-gentoo" are both 4.8.

use crate::version::Version;
use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KernelVersion {
    pub major: u64,
    pub minor: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KernelVersionError {
    #[error("invalid kernel version {0:?}: expected \"<major>.<minor>\" such as \"4.8\"")]
    Invalid(String),
    #[error("invalid kernel version {0:?}: version cannot be 0.0")]
    Zero(String),
}

impl KernelVersion {
    pub const fn new(major: u64, minor: u64) -> Self {
        KernelVersion { major, minor }
    }

    /// Parses a profile's `minKernel` as moby's `KernelVersion.UnmarshalJSON` does: exactly
    /// two dot-separated numbers, each fitting in 8 bits, not both zero.
    pub(crate) fn parse_min_kernel(s: &str) -> Result<Self, KernelVersionError> {
        let bad = || KernelVersionError::Invalid(s.to_string());
        let (a, b) = s.split_once('.').ok_or_else(bad)?;
        if b.contains('.') {
            return Err(bad());
        }
        let major: u8 = a.parse().map_err(|_| bad())?;
        let minor: u8 = b.parse().map_err(|_| bad())?;
        if major == 0 && minor == 0 {
            return Err(KernelVersionError::Zero(s.to_string()));
        }
        Ok(KernelVersion::new(major.into(), minor.into()))
    }

    /// Parses a kernel release (`uname -r`) the way moby's `parseRelease` does: the leading
    /// "%d.%d"; anything after it is ignored ([`Version::parse`]). Also accepts a plain "X.Y"
    /// from the command line.
    pub fn parse_release(s: &str) -> Result<Self, KernelVersionError> {
        let v = Version::parse(s).map_err(|_| KernelVersionError::Invalid(s.to_string()))?;
        Ok(KernelVersion::new(v.major, v.minor))
    }

    /// A release's sublevel, the number after major.minor (`6.12.117+deb13-amd64` → 117);
    /// `None` where there is none (`6.12`, `3.12-rc5`). A lower bound only: Debian 12 and
    /// older name the package ABI there (`6.1.0-50-amd64` reads 0 on 6.1.176).
    pub fn sublevel_of(release: &str) -> Option<u64> {
        Version::parse(release).ok()?.patch
    }

    /// The running kernel's version, from `/proc/sys/kernel/osrelease` (what uname reports).
    pub fn host() -> Option<Self> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
        Self::parse_release(&release).ok()
    }

    /// `kernelGreaterEqualThan` in moby: compares major, then minor.
    pub fn at_least(self, min: KernelVersion) -> bool {
        self >= min
    }
}

/// A kernel release as the oracle reads it: major.minor (for `minKernel` and the syscall
/// table) and the sublevel, which only stable backports of kernel behaviour look at
/// (`oracle/kernel.rs` `EXCEPTION_BACKPORTS`, uretprobe from 6.12.14). What `explain
/// --kernel` takes, so that a user can ask about 6.12.13 and 6.12.14 apart, as `run` tells
/// them apart on a real engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KernelRelease {
    pub version: KernelVersion,
    pub sublevel: Option<u64>,
}

impl KernelRelease {
    /// `uname -r` (`6.12.117+deb13-amd64`) or a plain `X.Y` / `X.Y.Z` from the command line.
    pub fn parse(s: &str) -> Result<Self, KernelVersionError> {
        Ok(KernelRelease {
            version: KernelVersion::parse_release(s)?,
            sublevel: KernelVersion::sublevel_of(s),
        })
    }

    /// The running kernel's release, from `/proc/sys/kernel/osrelease`.
    pub fn host() -> Option<Self> {
        let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").ok()?;
        Self::parse(&release).ok()
    }
}

impl FromStr for KernelRelease {
    type Err = KernelVersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl fmt::Display for KernelRelease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.sublevel {
            Some(n) => write!(f, "{}.{n}", self.version),
            None => write!(f, "{}", self.version),
        }
    }
}

impl FromStr for KernelVersion {
    type Err = KernelVersionError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_release(s)
    }
}

impl fmt::Display for KernelVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn min_kernel_is_strict_like_moby() {
        assert_eq!(
            KernelVersion::parse_min_kernel("4.8").unwrap(),
            KernelVersion::new(4, 8)
        );
        for bad in ["4", "4.8.1", "a.b", "0.0", "256.1", "", "4.-1"] {
            assert!(KernelVersion::parse_min_kernel(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn release_ignores_patch_and_suffix() {
        assert_eq!(
            KernelVersion::parse_release("6.18.44-generic").unwrap(),
            KernelVersion::new(6, 18)
        );
        assert_eq!(
            KernelVersion::parse_release("3.12-rc5").unwrap(),
            KernelVersion::new(3, 12)
        );
        assert_eq!(
            KernelVersion::parse_release("4.4\n").unwrap(),
            KernelVersion::new(4, 4)
        );
        assert!(KernelVersion::parse_release("linux").is_err());
        assert_eq!(
            KernelVersion::sublevel_of("6.12.117+deb13-amd64"),
            Some(117)
        );
        assert_eq!(KernelVersion::sublevel_of("6.18.44-generic"), Some(44));
        assert_eq!(KernelVersion::sublevel_of("6.12"), None);
        assert_eq!(KernelVersion::sublevel_of("3.12-rc5"), None);
    }

    #[test]
    fn release_keeps_the_sublevel_for_backports() {
        let r = KernelRelease::parse("6.12.14").unwrap();
        assert_eq!(
            (r.version, r.sublevel),
            (KernelVersion::new(6, 12), Some(14))
        );
        assert_eq!(r.to_string(), "6.12.14");
        let r: KernelRelease = "6.12.117+deb13-amd64".parse().unwrap();
        assert_eq!(r.to_string(), "6.12.117");
        let r = KernelRelease::parse("6.1").unwrap();
        assert_eq!((r.version, r.sublevel), (KernelVersion::new(6, 1), None));
        assert_eq!(r.to_string(), "6.1");
        assert!(KernelRelease::parse("six").is_err());
    }

    #[test]
    fn compares_major_then_minor() {
        let v = KernelVersion::new(4, 10);
        assert!(v.at_least(KernelVersion::new(4, 8)));
        assert!(!KernelVersion::new(4, 4).at_least(KernelVersion::new(4, 8)));
        assert!(KernelVersion::new(5, 0).at_least(KernelVersion::new(4, 8)));
    }
}
