//! What the engine says about itself: versions, platform, runtimes, security options, cgroups.
//!
//! These facts label every result (the builtin profile changes with the engine version, the
//! runtime decides what a profile may block before the probe runs) and gate the run: a daemon
//! without seccomp would make every cell meaningless, so that is its own error.

use super::connect::Engine;
use bollard::errors::Error as BollardError;
use seccomp_catalog::record::HostRecord;
use seccomp_catalog::Arch;
use seccomp_harness_core::engine_kind::EngineKind;
use seccomp_harness_core::matrix::{HostFacts, SeccompFacts};
use seccomp_harness_core::runtime;
use std::collections::BTreeMap;

/// The engine's view of itself, from `/info` and `/version`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EngineFacts {
    /// `docker`, or `podman` when `/version` lists a "Podman Engine" component (Podman's
    /// Docker-compatible API).
    pub engine: String,
    pub engine_version: String,
    /// The API version the harness speaks with this engine (after negotiation).
    pub api_version: String,
    /// The newest API version the engine offers.
    pub max_api_version: String,
    /// `linux`.
    pub os: String,
    /// The kernel's machine name (`x86_64`, `aarch64`): `/info` Architecture, normalized
    /// (Podman reports Go's `amd64` and `arm64`).
    pub arch: String,
    pub kernel: String,
    /// The host's distribution, e.g. `Debian GNU/Linux 12 (bookworm)`.
    pub operating_system: String,
    /// Names of the configured runtimes, sorted.
    pub runtimes: Vec<String>,
    pub default_runtime: String,
    /// The default runtime's version where the engine tells it (`/version` components, else
    /// the runtime's features in `/info`, else `/info`'s commit where it is the default
    /// runtime's: [`runtime::info_commit_is_version_of`]).
    pub runtime_version: Option<String>,
    /// Each registered runtime's version, where the engine tells it: Docker 25+ lists the
    /// OCI features of each runtime in `/info` (the annotations of
    /// [`runtime::FEATURES_VERSION_ANNOTATIONS`]); Podman names its OCI runtime in `/version`.
    pub runtime_versions: BTreeMap<String, String>,
    /// Each registered runtime's command as `/info` lists it (`path`, `runtimeArgs`): a runtime
    /// that reports no version or features can still be known by its program, and its
    /// arguments say whether it applies OCI seccomp profiles
    /// ([`runtime::Runtime::known_by_program`]).
    pub runtime_commands: BTreeMap<String, RuntimeCommand>,
    /// The default runtime's libseccomp, where the engine tells it (the runtime's features:
    /// `io.github.seccomp.libseccomp.version`).
    pub libseccomp_version: Option<String>,
    pub security_options: Vec<SecurityOption>,
    /// `1` or `2`, where the engine reports it.
    pub cgroup_version: Option<String>,
}

/// A registered runtime's program and the arguments the engine passes it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeCommand {
    pub path: String,
    pub args: Vec<String>,
}

/// One entry of `/info` SecurityOptions, e.g. `name=seccomp,profile=default`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SecurityOption {
    pub name: String,
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum FactsError {
    #[error("cannot read the engine's facts from {host} (`{endpoint}`): {}", super::connect::explain(.source))]
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
    /// The kind of engine, where the harness knows it (a CRI node names its runtime freely).
    pub fn kind(&self) -> Option<EngineKind> {
        EngineKind::parse(&self.engine)
    }

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
            libseccomp_version: self.libseccomp_version.clone(),
            runtimes: self.runtime_versions.clone(),
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
                not_enforced: Default::default(),
                errno_rewritten: Vec::new(),
            },
        }
    }
}

/// Go's arch names (Podman's `/info`, every engine's `/version`) as the kernel spells them,
/// which is how the probe, the catalog and the image check compare them.
pub(crate) fn normalize_arch(arch: &str) -> String {
    Arch::parse(arch)
        .map(|a| a.uname().to_string())
        .unwrap_or_else(|| arch.to_string())
}

/// Podman when `/version` lists Podman's own component, else Docker.
fn engine_kind(components: &[(String, String)]) -> EngineKind {
    if components.iter().any(|(n, _)| n == "Podman Engine") {
        EngineKind::Podman
    } else {
        EngineKind::Docker
    }
}

/// The version of the `/version` component for runtime `name`: Docker names the component
/// `name` with a bare version; Podman names it `OCI Runtime (<name>)` with the runtime's
/// `--version` text (`<name> version 1.28\ncommit: …`).
fn component_version(components: &[(String, String)], name: &str) -> Option<String> {
    let podman = format!("OCI Runtime ({name})");
    components
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name) || *n == podman)
        .map(|(_, v)| version_token(v))
        .filter(|v| !v.is_empty())
}

/// `1.28` from a runtime's `--version` text (`<name> version 1.28\ncommit: …`), or `1.3.6+ds1`.
fn version_token(text: &str) -> String {
    let line = text.lines().next().unwrap_or_default();
    line.split_whitespace()
        .find(|w| w.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(line)
        .to_string()
}

/// What a runtime's OCI features document (runtime-spec `features.md`) says about versions.
#[derive(Debug, Default, PartialEq, Eq)]
struct RuntimeFeatures {
    version: Option<String>,
    libseccomp: Option<String>,
}

impl RuntimeFeatures {
    fn parse(json: &str) -> Option<RuntimeFeatures> {
        let v: serde_json::Value = serde_json::from_str(json).ok()?;
        let a = v.get("annotations")?;
        let get = |k: &str| a.get(k).and_then(|x| x.as_str()).map(str::to_string);
        Some(RuntimeFeatures {
            version: runtime::FEATURES_VERSION_ANNOTATIONS
                .iter()
                .find_map(|k| get(k)),
            libseccomp: get("io.github.seccomp.libseccomp.version"),
        })
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
        // Both at once: a loaded engine takes tens of milliseconds for each, and a one-profile
        // run waits for them before its first container.
        let (info, version) = tokio::join!(self.docker().info(), self.docker().version());
        let info = info.map_err(query("/info"))?;
        let version = version.map_err(query("/version"))?;
        Ok(EngineFacts::from_replies(
            &info,
            &version,
            self.api_version(),
        ))
    }
}

impl EngineFacts {
    /// The facts in the engine's `/info` and `/version` replies, with the API version the
    /// harness negotiated. Apart from the query, so that which reply each fact comes from is
    /// tested on recorded replies.
    fn from_replies(
        info: &bollard::models::SystemInfo,
        version: &bollard::models::SystemVersion,
        api_version: &str,
    ) -> EngineFacts {
        let components: Vec<(String, String)> = version
            .components
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|c| (c.name.clone(), c.version.clone()))
            .collect();
        let engine = engine_kind(&components);
        let runtimes = RuntimeFacts::read(info, &components);
        EngineFacts {
            engine: engine.name().to_string(),
            engine_version: info
                .server_version
                .clone()
                .or(version.version.clone())
                .unwrap_or_default(),
            api_version: api_version.to_string(),
            max_api_version: version.api_version.clone().unwrap_or_default(),
            os: info
                .os_type
                .clone()
                .or(version.os.clone())
                .unwrap_or_default(),
            arch: normalize_arch(&info.architecture.clone().unwrap_or_default()),
            kernel: info
                .kernel_version
                .clone()
                .or(version.kernel_version.clone())
                .unwrap_or_default(),
            operating_system: info.operating_system.clone().unwrap_or_default(),
            libseccomp_version: runtimes.default_libseccomp,
            runtimes: runtimes.names,
            default_runtime: runtimes.default,
            runtime_version: runtimes.default_version,
            runtime_versions: runtimes.versions,
            runtime_commands: runtimes.commands,
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
        }
    }
}

/// The runtimes' part of [`EngineFacts`]: the registered ones and the default one's details.
struct RuntimeFacts {
    /// Sorted.
    names: Vec<String>,
    default: String,
    default_version: Option<String>,
    default_libseccomp: Option<String>,
    /// Each runtime's version where known, the default's included.
    versions: BTreeMap<String, String>,
    commands: BTreeMap<String, RuntimeCommand>,
}

impl RuntimeFacts {
    fn read(info: &bollard::models::SystemInfo, components: &[(String, String)]) -> RuntimeFacts {
        let mut names: Vec<String> = info
            .runtimes
            .as_ref()
            .map(|r| r.keys().cloned().collect())
            .unwrap_or_default();
        names.sort();
        let default = info.default_runtime.clone().unwrap_or_default();
        let RegisteredRuntimes {
            mut versions,
            libseccomp,
            commands,
        } = RegisteredRuntimes::read(info, components, &names);
        let default_version = default_runtime_version(info, components, &default, &versions);
        if let Some(v) = &default_version {
            versions.entry(default.clone()).or_insert_with(|| v.clone());
        }
        RuntimeFacts {
            default_libseccomp: libseccomp.get(&default).cloned(),
            names,
            default,
            default_version,
            versions,
            commands,
        }
    }
}

/// What `/info` and `/version` say about each registered runtime.
struct RegisteredRuntimes {
    versions: BTreeMap<String, String>,
    libseccomp: BTreeMap<String, String>,
    commands: BTreeMap<String, RuntimeCommand>,
}

impl RegisteredRuntimes {
    /// Per runtime: its command; its versions from its OCI features (Docker 25+), else from a
    /// `/version` component named after it ([`component_version`]).
    fn read(
        info: &bollard::models::SystemInfo,
        components: &[(String, String)],
        runtimes: &[String],
    ) -> RegisteredRuntimes {
        let mut out = RegisteredRuntimes {
            versions: BTreeMap::new(),
            libseccomp: BTreeMap::new(),
            commands: BTreeMap::new(),
        };
        for (name, rt) in info.runtimes.iter().flatten() {
            out.commands.insert(
                name.clone(),
                RuntimeCommand {
                    path: rt.path.clone().unwrap_or_default(),
                    args: rt.runtime_args.clone().unwrap_or_default(),
                },
            );
            let features = rt
                .status
                .as_ref()
                .and_then(|s| s.get("org.opencontainers.runtime-spec.features"));
            if let Some(f) = features.and_then(|f| RuntimeFeatures::parse(f)) {
                if let Some(v) = f.version {
                    out.versions.insert(name.clone(), v);
                }
                if let Some(v) = f.libseccomp {
                    out.libseccomp.insert(name.clone(), v);
                }
            }
        }
        for name in runtimes {
            if out.versions.contains_key(name) {
                continue;
            }
            if let Some(v) = component_version(components, name) {
                out.versions.insert(name.clone(), v);
            }
        }
        out
    }
}

/// The default runtime's version: its `/version` component, else what [`RegisteredRuntimes`]
/// found, else `/info`'s commit (an ID such as `v1.1.12-0-g51d5e94` or a distribution's
/// version string).
fn default_runtime_version(
    info: &bollard::models::SystemInfo,
    components: &[(String, String)],
    default_runtime: &str,
    versions: &BTreeMap<String, String>,
) -> Option<String> {
    component_version(components, default_runtime)
        .or_else(|| versions.get(default_runtime).cloned())
        .or_else(|| {
            runtime::info_commit_is_version_of(default_runtime)
                .then(|| info.runc_commit.as_ref().and_then(|c| c.id.clone()))
                .flatten()
        })
        .filter(|v| !v.is_empty())
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
    fn podman_is_told_from_docker_and_its_names_are_normalized() {
        // The components as Podman 5.8.6 and Docker 28.5.2 on the lab listed them.
        let other = runtime::testing::NO_STUB_NAME;
        let podman = vec![
            ("Podman Engine".to_string(), "5.8.6".to_string()),
            (
                format!("OCI Runtime ({other})"),
                format!("{other} version 1.28\ncommit: 54f16ff\nspec: 1.0.0"),
            ),
        ];
        assert_eq!(engine_kind(&podman), EngineKind::Podman);
        assert_eq!(component_version(&podman, other).as_deref(), Some("1.28"));
        let docker = vec![
            ("Engine".to_string(), "28.5.2+dfsg4".to_string()),
            (other.to_string(), "1.28".to_string()),
        ];
        assert_eq!(engine_kind(&docker), EngineKind::Docker);
        assert_eq!(component_version(&docker, other).as_deref(), Some("1.28"));
        assert_eq!(component_version(&docker, runtime::DEFAULT_NAME), None);
        assert_eq!(normalize_arch("amd64"), "x86_64");
        assert_eq!(normalize_arch("arm64"), "aarch64");
        assert_eq!(normalize_arch("x86_64"), "x86_64");
        assert_eq!(normalize_arch("riscv64"), "riscv64");
        // Each runtime's features document carries its version under its own annotation.
        for annotation in runtime::FEATURES_VERSION_ANNOTATIONS {
            let doc = serde_json::json!({"annotations": {
                "io.github.seccomp.libseccomp.version": "2.6.1",
                *annotation: "1.3.6+ds1",
            }});
            let f = RuntimeFeatures::parse(&doc.to_string()).unwrap();
            assert_eq!(f.version.as_deref(), Some("1.3.6+ds1"), "{annotation}");
            assert_eq!(f.libseccomp.as_deref(), Some("2.6.1"));
        }
        assert_eq!(RuntimeFeatures::parse("not json"), None);
    }

    #[test]
    fn host_facts_prefer_the_probe_view() {
        let facts = EngineFacts {
            engine: "docker".into(),
            engine_version: "20.10.24".into(),
            api_version: "1.41".into(),
            arch: "x86_64".into(),
            kernel: "6.18.44-fc".into(),
            default_runtime: runtime::DEFAULT_NAME.into(),
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

    /// A Docker 25+ `/info` names each runtime's version in its OCI features; `/version`
    /// decides the engine kind and the API range. The runtimes are labels (`rt-a`, `rt-b`);
    /// the annotation is one a runtime's features document really carries.
    #[test]
    fn facts_come_from_the_info_and_version_replies() {
        let features = serde_json::json!({"annotations": {
            runtime::FEATURES_VERSION_ANNOTATIONS[0]: "1.3.6",
            "io.github.seccomp.libseccomp.version": "2.6.0",
        }});
        let info: bollard::models::SystemInfo = serde_json::from_value(serde_json::json!({
            "ServerVersion": "28.5.2",
            "Architecture": "x86_64",
            "KernelVersion": "6.18.44",
            "DefaultRuntime": "rt-a",
            "Runtimes": {
                "rt-a": {
                    "path": "rt-a",
                    "status": {
                        "org.opencontainers.runtime-spec.features": features.to_string()
                    }
                },
                "rt-b": { "path": "/usr/bin/rt-b", "runtimeArgs": ["--debug"] }
            },
            "SecurityOptions": ["name=seccomp,profile=builtin"]
        }))
        .unwrap();
        let version: bollard::models::SystemVersion = serde_json::from_value(serde_json::json!({
            "Version": "28.5.2",
            "ApiVersion": "1.51",
            "Components": [
                { "Name": "Engine", "Version": "28.5.2" },
                { "Name": "rt-b", "Version": "1.28" }
            ]
        }))
        .unwrap();
        let f = EngineFacts::from_replies(&info, &version, "1.41");
        assert_eq!(
            (f.engine.as_str(), f.engine_version.as_str()),
            ("docker", "28.5.2")
        );
        assert_eq!(
            (f.api_version.as_str(), f.max_api_version.as_str()),
            ("1.41", "1.51")
        );
        assert_eq!(f.runtimes, ["rt-a", "rt-b"]);
        assert_eq!(f.runtime_version.as_deref(), Some("1.3.6"));
        assert_eq!(f.libseccomp_version.as_deref(), Some("2.6.0"));
        assert_eq!(
            f.runtime_versions.get("rt-b").map(String::as_str),
            Some("1.28")
        );
        assert_eq!(f.runtime_commands["rt-b"].args, ["--debug"]);
        assert_eq!(f.require_seccomp("h").unwrap(), "builtin");
        assert_eq!(f.cgroup_version, None);
    }
}
