//! The name of a configuration, a column of the matrix: `[engine/]profile[CAPS][@runtime]`,
//! such as `docker-default-hardened+SYS_ADMIN`, `deny-namespaces@rt-b` or
//! `lab-a/builtin-NET_RAW`. The plan writes it, the fleet prefixes and strips the engine,
//! `diff --runtimes` strips the runtime, the conformance suite names its trials by it; all
//! through [`ConfigurationId`], so the grammar lives here only.
//!
//! # The rule
//!
//! - `engine`: one or more engine names joined by `/` (`kube merge` of matrices that already
//!   name engines gives `node/engine`), each a name [`crate::fleet::valid_name`] takes.
//! - `profile`: not empty, no `/` or `@`, and not ending in what reads as a capability change
//!   (`+NAME` or `-NAME` for a capability the kernel defines, upper case, or `ALL`). `+` and `-`
//!   are fine otherwise (`deny-all`, `a+b`).
//! - `caps`: each change as [`CapChange`] writes it.
//! - `runtime`: not empty, no `/` or `@`.
//!
//! Parsing takes the runtime after the last `@`, the engine before the last `/`, then the
//! capability changes from the end. It is exact on the text: whatever it accepts, `Display`
//! writes back byte for byte, so a matrix's ids survive any reader. The other way, an id whose
//! parts follow the rule parses back into those parts; [`ConfigurationId::check`] says when
//! they don't, and the plan refuses such a name before anything runs (a profile file named
//! `p@x.json` would otherwise read back as profile `p` on runtime `x`).

use crate::profile::CapChange;
use std::fmt;
use std::str::FromStr;

/// One configuration's name, by its parts.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ConfigurationId {
    /// The engine of a run over several (`run --docker-host A --docker-host B`), `None` on one.
    pub engine: Option<String>,
    /// The profile's name in the run: `builtin`, `unconfined`, a file's stem, a resource's name.
    pub profile: String,
    /// The changes to Docker's default capability set, in order; empty for the default set.
    pub caps: Vec<CapChange>,
    /// The runtime of `run --runtime A,B`; `None` for the engine's default.
    pub runtime: Option<String>,
}

/// Why a text is not a configuration id, or why parts would not read back from one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("configuration id {0:?} names no profile: expected [engine/]profile[+CAP…][@runtime]")]
    NoProfile(String),
    #[error(
        "profile name {0:?} can't name a configuration: it holds '/' or '@' or ends in a \
         capability change such as -NET_RAW, which ids use as separators; rename the file \
         (or the resource)"
    )]
    Profile(String),
    #[error("engine name {0:?} can't name a configuration: use letters, digits, '.', '_' and '-'")]
    Engine(String),
    #[error("runtime name {0:?} can't name a configuration: it is empty or holds '/' or '@'")]
    Runtime(String),
}

impl ConfigurationId {
    /// A profile with Docker's default capabilities on the engine's default runtime.
    pub fn of_profile(profile: impl Into<String>) -> ConfigurationId {
        ConfigurationId {
            engine: None,
            profile: profile.into(),
            caps: Vec::new(),
            runtime: None,
        }
    }

    /// Whether the parts follow the rule (module doc), so that the id parses back into them.
    pub fn check(&self) -> Result<(), IdError> {
        if let Some(engine) = &self.engine {
            if !engine.split('/').all(crate::fleet::valid_name) {
                return Err(IdError::Engine(engine.clone()));
            }
        }
        if let Some(runtime) = &self.runtime {
            if runtime.is_empty() || runtime.contains(['/', '@']) {
                return Err(IdError::Runtime(runtime.clone()));
            }
        }
        let bare = split_caps(&self.profile).0;
        if self.profile.is_empty() || self.profile.contains(['/', '@']) || bare != self.profile {
            return Err(IdError::Profile(self.profile.clone()));
        }
        Ok(())
    }

    /// The same configuration as one engine of a fleet names it: `name/` before the engine
    /// the id may already have.
    pub(crate) fn on_engine(mut self, name: &str) -> ConfigurationId {
        self.engine = Some(match self.engine {
            Some(inner) => format!("{name}/{inner}"),
            None => name.to_string(),
        });
        self
    }

    /// The id as engine `name`'s own matrix has it, where the id is one of that engine's.
    pub(crate) fn off_engine(mut self, name: &str) -> Option<ConfigurationId> {
        let engine = self.engine.take()?;
        if engine == name {
            return Some(self);
        }
        let inner = engine.strip_prefix(name)?.strip_prefix('/')?;
        self.engine = Some(inner.to_string());
        Some(self)
    }
}

impl fmt::Display for ConfigurationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(engine) = &self.engine {
            write!(f, "{engine}/")?;
        }
        f.write_str(&self.profile)?;
        for change in &self.caps {
            write!(f, "{change}")?;
        }
        if let Some(runtime) = &self.runtime {
            write!(f, "@{runtime}")?;
        }
        Ok(())
    }
}

impl FromStr for ConfigurationId {
    type Err = IdError;

    fn from_str(id: &str) -> Result<ConfigurationId, IdError> {
        let (rest, runtime) = match id.rsplit_once('@') {
            Some((rest, rt)) if !rt.is_empty() && !rt.contains('/') => (rest, Some(rt)),
            _ => (id, None),
        };
        let (engine, rest) = match rest.rsplit_once('/') {
            Some((engine, rest)) if !engine.is_empty() => (Some(engine), rest),
            _ => (None, rest),
        };
        let (profile, caps) = split_caps(rest);
        if profile.is_empty() {
            return Err(IdError::NoProfile(id.to_string()));
        }
        Ok(ConfigurationId {
            engine: engine.map(str::to_string),
            profile: profile.to_string(),
            caps,
            runtime: runtime.map(str::to_string),
        })
    }
}

/// `name+SYS_ADMIN-NET_RAW` → (`name`, [+SYS_ADMIN, -NET_RAW]): the capability changes at the
/// end, taken from the right while what follows the last `+`/`-` is one.
fn split_caps(text: &str) -> (&str, Vec<CapChange>) {
    let mut rest = text;
    let mut caps = Vec::new();
    while let Some(at) = rest.rfind(['+', '-']) {
        match CapChange::parse_written(&rest[at..]) {
            Some(change) => {
                caps.push(change);
                rest = &rest[..at];
            }
            None => break,
        }
    }
    caps.reverse();
    (rest, caps)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(
        engine: Option<&str>,
        profile: &str,
        caps: &[&str],
        runtime: Option<&str>,
    ) -> ConfigurationId {
        ConfigurationId {
            engine: engine.map(str::to_string),
            profile: profile.to_string(),
            caps: caps
                .iter()
                .map(|c| CapChange::parse_written(c).unwrap())
                .collect(),
            runtime: runtime.map(str::to_string),
        }
    }

    #[test]
    fn every_form_the_harness_writes_reads_back_into_its_parts() {
        let cases = [
            ("builtin", id(None, "builtin", &[], None)),
            (
                "docker-default-hardened+SYS_ADMIN",
                id(None, "docker-default-hardened", &["+SYS_ADMIN"], None),
            ),
            (
                "deny-namespaces+SYS_ADMIN-NET_RAW@rt-b",
                id(
                    None,
                    "deny-namespaces",
                    &["+SYS_ADMIN", "-NET_RAW"],
                    Some("rt-b"),
                ),
            ),
            ("builtin-NET_RAW", id(None, "builtin", &["-NET_RAW"], None)),
            (
                "lab-a/builtin-upstream@rt-a",
                id(Some("lab-a"), "builtin-upstream", &[], Some("rt-a")),
            ),
            (
                "node-1/docker-28.5.2/unconfined+ALL",
                id(Some("node-1/docker-28.5.2"), "unconfined", &["+ALL"], None),
            ),
            // The qualified names of shared resource names, and runtimes with dots.
            (
                "v1beta1:profile-allow@io.containerd.rt-b.v1",
                id(
                    None,
                    "v1beta1:profile-allow",
                    &[],
                    Some("io.containerd.rt-b.v1"),
                ),
            ),
            // '+' and '-' that begin no capability change belong to the profile.
            ("deny-all", id(None, "deny-all", &[], None)),
            ("a+b-c", id(None, "a+b-c", &[], None)),
            (
                "x-sys_admin+SYS_ADMIN",
                id(None, "x-sys_admin", &["+SYS_ADMIN"], None),
            ),
        ];
        for (text, parts) in cases {
            assert_eq!(parts.check(), Ok(()), "{text}");
            assert_eq!(parts.to_string(), text);
            assert_eq!(text.parse::<ConfigurationId>(), Ok(parts), "{text}");
        }
    }

    #[test]
    fn parsing_is_exact_on_any_text_it_accepts() {
        // Ids from matrices written by hand or by other versions: read as far as the rule
        // goes, and written back unchanged.
        for text in [
            "p@",
            "a/b/c",
            "/p",
            "p@a/b",
            "p@@r",
            "p+SYS_ADMIN@",
            "é+SYS_ADMIN",
            "a b+NET_RAW",
            "p-ALL-ALL",
        ] {
            match text.parse::<ConfigurationId>() {
                Ok(parsed) => assert_eq!(parsed.to_string(), text),
                Err(e) => panic!("{text:?}: {e}"),
            }
        }
        for text in ["", "+SYS_ADMIN", "e/-NET_RAW@r", "@r", "e/", "p/"] {
            assert_eq!(
                text.parse::<ConfigurationId>(),
                Err(IdError::NoProfile(text.to_string())),
                "{text:?}"
            );
        }
    }

    #[test]
    fn names_that_would_not_read_back_are_refused() {
        for profile in ["p@x", "a/b", "p-NET_RAW", "p+ALL", ""] {
            assert_eq!(
                id(None, profile, &[], None).check(),
                Err(IdError::Profile(profile.to_string()))
            );
        }
        for runtime in ["", "a@b", "a/b"] {
            assert_eq!(
                id(None, "p", &[], Some(runtime)).check(),
                Err(IdError::Runtime(runtime.to_string()))
            );
        }
        for engine in ["", "a b", "a//b", "a+b"] {
            assert_eq!(
                id(Some(engine), "p", &[], None).check(),
                Err(IdError::Engine(engine.to_string()))
            );
        }
    }

    #[test]
    fn engines_are_put_on_and_taken_off_as_a_path() {
        let plain: ConfigurationId = "deny-namespaces+SYS_ADMIN".parse().unwrap();
        let on = plain.clone().on_engine("sid");
        assert_eq!(on.to_string(), "sid/deny-namespaces+SYS_ADMIN");
        let nested = on.clone().on_engine("node");
        assert_eq!(nested.to_string(), "node/sid/deny-namespaces+SYS_ADMIN");
        assert_eq!(nested.clone().off_engine("node"), Some(on.clone()));
        assert_eq!(on.clone().off_engine("sid"), Some(plain.clone()));
        assert_eq!(on.clone().off_engine("si"), None);
        assert_eq!(nested.off_engine("sid"), None);
        assert_eq!(plain.off_engine("sid"), None);
    }
}
