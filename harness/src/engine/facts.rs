//! What the engine says about itself: versions, platform, runtimes, security options, cgroups.
//!
//! These facts label every result (the builtin profile changes with the engine version, the
//! runtime decides what a profile may block before the probe runs) and gate the run: a daemon
//! without seccomp would make every cell meaningless, so that is its own error.

use super::connect::Engine;
use crate::matrix::{HostFacts, SeccompFacts};
use bollard::errors::Error as BollardError;
use seccomp_catalog::record::HostRecord;
use std::collections::BTreeMap;

/// The engine's view of itself, from `/info` and `/version`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EngineFacts {
    /// Always `docker` for now; a Podman front end would say `podman`.
    pub engine: String,
    pub engine_version: String,
    /// The API version the harness speaks with this engine (after negotiation).
    pub api_version: String,
    /// The newest API version the engine offers.
    pub max_api_version: String,
    /// `linux`.
    pub os: String,
    /// The kernel's machine name (`x86_64`, `aarch64`): `/info` Architecture.
    pub arch: String,
    pub kernel: String,
    /// The host's distribution, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub operating_system: String,
    /// Names of the configured runtimes, sorted.
    pub runtimes: Vec<String>,
    pub default_runtime: String,
    /// The default runtime's version where the engine tells it (`/version` components, else
    /// the runc commit of `/info`).
    pub runtime_version: Option<String>,
    pub security_options: Vec<SecurityOption>,
    /// `1` or `2`, where the engine reports it.
    pub cgroup_version: Option<String>,
}

/// One entry of `/info` SecurityOptions, e.g. `name=seccomp,profile=default`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityOption {
    pub name: String,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("cannot read the engine's facts from {host} (`{endpoint}`): {source}")]
    Query {
        host: String,
        endpoint: &'static str,
        #[source]
        source: BollardError,
    },
    #[error(
        "the docker daemon at {host} has no seccomp support (its security options: {options}); \
         use a daemon built with seccomp on a kernel with CONFIG_SECCOMP_FILTER"
    )]
    NoSeccomp { host: String, options: String },
}

impl SecurityOption {
    /// Parses `name=seccomp,profile=default`. Engines before API 1.24 listed bare names
    /// (`seccomp`), which parse as a name without options.
    pub fn parse(s: &str) -> SecurityOption {
        let mut opt = SecurityOption::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            match part.split_once('=') {
                Some(("name", v)) => opt.name = v.to_string(),
                Some((k, v)) => {
                    opt.options.insert(k.to_string(), v.to_string());
                }
                None if opt.name.is_empty() => opt.name = part.to_string(),
                None => {
                    opt.options.insert(part.to_string(), String::new());
                }
            }
        }
        opt
    }
}

impl std::fmt::Display for SecurityOption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "name={}", self.name)?;
        for (k, v) in &self.options {
            write!(f, ",{k}={v}")?;
        }
        Ok(())
    }
}

impl EngineFacts {
    /// The `seccomp` security option, if the engine has one.
    pub fn seccomp(&self) -> Option<&SecurityOption> {
        self.security_options.iter().find(|o| o.name == "seccomp")
    }

    /// The engine's seccomp profile setting (`default`, `builtin`, a path), or the
    /// [`FactsError::NoSeccomp`] the CLI turns into exit code 3.
    pub fn require_seccomp(&self, host: &str) -> Result<String, FactsError> {
        match self.seccomp() {
            Some(o) => Ok(o.options.get("profile").cloned().unwrap_or_default()),
            None => Err(FactsError::NoSeccomp {
                host: host.to_string(),
                options: if self.security_options.is_empty() {
                    "none".to_string()
                } else {
                    self.security_options
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            }),
        }
    }

    /// The matrix's `host` block: the engine's facts, completed by what the probe saw from
    /// inside a container (its kernel release, the seccomp actions the kernel accepts, the
    /// kernel config), where a probe record is at hand.
    pub fn host_facts(&self, probe: Option<&HostRecord>) -> HostFacts {
        let kernel = probe
            .map(|p| p.kernel_release.clone())
            .filter(|k| !k.is_empty())
            .unwrap_or_else(|| self.kernel.clone());
        let arch = probe
            .map(|p| p.machine.clone())
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| self.arch.clone());
        let actions_available = probe
            .map(|p| {
                if p.actions_avail_syscall.is_empty() {
                    p.actions_avail_proc.clone().unwrap_or_default()
                } else {
                    p.actions_avail_syscall.clone()
                }
            })
            .unwrap_or_default();
        HostFacts {
            kernel,
            arch,
            engine: self.engine.clone(),
            engine_version: self.engine_version.clone(),
            api_version: self.api_version.clone(),
            runtime: self.default_runtime.clone(),
            runtime_version: self.runtime_version.clone().unwrap_or_default(),
            seccomp: SeccompFacts {
                config_seccomp: probe.and_then(|p| p.config_seccomp),
                config_seccomp_filter: probe.and_then(|p| p.config_seccomp_filter),
                actions_available,
                engine_profile: self
                    .seccomp()
                    .and_then(|o| o.options.get("profile").cloned())
                    .unwrap_or_default(),
                // Measured by a run's calibration container, not by the engine.
                runtime_unknown_syscalls: None,
            },
        }
    }
}

impl Engine {
    /// Asks the engine about itself (`/info`, `/version`).
    pub async fn facts(&self) -> Result<EngineFacts, FactsError> {
        let query = |endpoint| {
            let host = self.host().to_string();
            move |source| FactsError::Query {
                host,
                endpoint,
                source,
            }
        };
        let info = self.docker().info().await.map_err(query("/info"))?;
        let version = self.docker().version().await.map_err(query("/version"))?;

        let mut runtimes: Vec<String> = info
            .runtimes
            .as_ref()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        runtimes.sort();
        let default_runtime = info.default_runtime.clone().unwrap_or_default();

        // `/version` lists components by name (`runc`, `crun`, ...) with their versions: the
        // most direct answer. The `/info` commit is the fallback (an ID such as `v1.1.12-0-g51d5e94`
        // or a distribution's version string).
        let runtime_version = version
            .components
            .as_ref()
            .and_then(|cs| {
                cs.iter()
                    .find(|c| c.name.eq_ignore_ascii_case(&default_runtime))
                    .map(|c| c.version.clone())
            })
            .or_else(|| {
                (default_runtime == "runc")
                    .then(|| info.runc_commit.as_ref().and_then(|c| c.id.clone()))
                    .flatten()
            })
            .filter(|v| !v.is_empty());

        Ok(EngineFacts {
            engine: "docker".to_string(),
            engine_version: info
                .server_version
                .clone()
                .or(version.version.clone())
                .unwrap_or_default(),
            api_version: self.api_version().to_string(),
            max_api_version: version.api_version.clone().unwrap_or_default(),
            os: info
                .os_type
                .clone()
                .or(version.os.clone())
                .unwrap_or_default(),
            arch: info.architecture.clone().unwrap_or_default(),
            kernel: info
                .kernel_version
                .clone()
                .or(version.kernel_version.clone())
                .unwrap_or_default(),
            operating_system: info.operating_system.clone().unwrap_or_default(),
            runtimes,
            default_runtime,
            runtime_version,
            security_options: info
                .security_options
                .as_deref()
                .unwrap_or_default()
                .iter()
                .map(|s| SecurityOption::parse(s))
                .collect(),
            cgroup_version: info
                .cgroup_version
                .as_ref()
                .map(|v| v.to_string())
                .filter(|v| !v.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn security_options_parse() {
        let o = SecurityOption::parse("name=seccomp,profile=default");
        assert_eq!(o.name, "seccomp");
        assert_eq!(
            o.options.get("profile").map(String::as_str),
            Some("default")
        );
        let o = SecurityOption::parse("name=cgroupns");
        assert_eq!(o.name, "cgroupns");
        assert!(o.options.is_empty());
        // API < 1.24: bare names.
        assert_eq!(SecurityOption::parse("seccomp").name, "seccomp");
        assert_eq!(
            SecurityOption::parse("name=seccomp,profile=builtin").to_string(),
            "name=seccomp,profile=builtin"
        );
    }

    #[test]
    fn a_daemon_without_seccomp_is_its_own_error() {
        let facts = EngineFacts {
            security_options: vec![SecurityOption::parse("name=apparmor")],
            ..Default::default()
        };
        let err = facts.require_seccomp("unix:///x.sock").unwrap_err();
        assert!(matches!(err, FactsError::NoSeccomp { .. }));
        assert!(err.to_string().contains("name=apparmor"), "{err}");

        let facts = EngineFacts {
            security_options: vec![SecurityOption::parse("name=seccomp,profile=default")],
            ..Default::default()
        };
        assert_eq!(facts.require_seccomp("h").unwrap(), "default");
    }

    #[test]
    fn host_facts_prefer_the_probe_view() {
        let facts = EngineFacts {
            engine: "docker".into(),
            engine_version: "20.10.24".into(),
            api_version: "1.41".into(),
            arch: "x86_64".into(),
            kernel: "6.18.44-fc".into(),
            default_runtime: "runc".into(),
            runtime_version: Some("1.1.5".into()),
            security_options: vec![SecurityOption::parse("name=seccomp,profile=default")],
            ..Default::default()
        };
        let probe = HostRecord {
            kernel_release: "6.18.44".into(),
            machine: "x86_64".into(),
            actions_avail_syscall: vec!["kill_process".into(), "allow".into()],
            config_seccomp: Some(true),
            ..Default::default()
        };
        let h = facts.host_facts(Some(&probe));
        assert_eq!(h.kernel, "6.18.44");
        assert_eq!(h.runtime_version, "1.1.5");
        assert_eq!(h.seccomp.engine_profile, "default");
        assert_eq!(h.seccomp.config_seccomp, Some(true));
        assert_eq!(h.seccomp.actions_available.len(), 2);
        let h = facts.host_facts(None);
        assert_eq!(h.kernel, "6.18.44-fc");
    }
}
