//! What the suite runs: builtin, unconfined and every shipped profile with Docker's default
//! capabilities, plus capability sets that must not re-enable what the hardening profiles deny.
//! The cases are the catalog's for the engine's arch (DOCKER_HOST may name an aarch64 engine
//! from an x86_64 machine).

use seccomp_catalog::{Arch, Catalog};
use seccomp_harness::engine::Engine;
use seccomp_harness::run::ProfileInput;
use seccomp_harness_core::configuration_id::ConfigurationId;
use seccomp_harness_core::plan::input::CapSpec;
use std::path::PathBuf;
use std::sync::OnceLock;

pub struct SuiteConfiguration {
    pub id: ConfigurationId,
    pub profile: ProfileInput,
    pub caps: CapSpec,
}

pub struct Suite {
    pub configurations: Vec<SuiteConfiguration>,
    pub case_ids: Vec<String>,
}

pub fn profiles_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../profiles")
}

/// Profiles that are also run with extra capabilities: with `CAP_SYS_ADMIN` Docker's default
/// opens mount, unshare, bpf and more; these two must keep them shut.
const WITH_SYS_ADMIN: &[&str] = &["docker-default-hardened", "deny-namespaces"];

pub fn suite() -> Suite {
    let mut files: Vec<PathBuf> = std::fs::read_dir(profiles_dir())
        .expect("the shipped profiles directory")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut configurations = vec![
        conf("builtin", ProfileInput::Builtin, CapSpec::docker_default()),
        conf(
            "unconfined",
            ProfileInput::Unconfined,
            CapSpec::docker_default(),
        ),
    ];
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        configurations.push(conf(
            &name,
            ProfileInput::File(f.clone()),
            CapSpec::docker_default(),
        ));
        if WITH_SYS_ADMIN.contains(&name.as_str()) {
            let caps = CapSpec::parse("+SYS_ADMIN").expect("a valid capability");
            configurations.push(conf(&name, ProfileInput::File(f), caps));
        }
    }
    let case_ids = Catalog::for_arch(engine_arch())
        .cases()
        .iter()
        .map(|c| c.id.clone())
        .collect();
    Suite {
        configurations,
        case_ids,
    }
}

/// A configuration of `name` with `caps`, named as the run names it.
fn conf(name: &str, profile: ProfileInput, caps: CapSpec) -> SuiteConfiguration {
    SuiteConfiguration {
        id: ConfigurationId {
            caps: caps.changes.clone(),
            ..ConfigurationId::of_profile(name)
        },
        profile,
        caps,
    }
}

/// The arch of the engine the suite runs against (`DOCKER_HOST`, else the local socket), asked
/// once. When no engine answers (or it names an arch the catalog lacks) the machine's own: the
/// trial names are still known for `--list` and filters, and the Docker trials then say why
/// they can't run.
pub fn engine_arch() -> Arch {
    static ARCH: OnceLock<Arch> = OnceLock::new();
    *ARCH.get_or_init(|| {
        let asked = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()
            .and_then(|rt| {
                rt.block_on(async {
                    let engine = Engine::connect(None).await.ok()?;
                    let facts = engine.facts().await.ok()?;
                    Arch::parse(&facts.arch)
                })
            });
        asked.unwrap_or_else(Arch::native)
    })
}
