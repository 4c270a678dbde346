//! Resolution: the filter the Docker engine and the runtime actually build from a profile for one
//! host arch, capability set and kernel.
//!
//! Docker's part (moby `profiles/seccomp/seccomp_linux.go`, `setupSeccomp`): pick the `archMap`
//! entry of the daemon's arch, and keep or skip each rule by `excludes` then `includes`
//! (`arches` against the daemon's arch, `caps` against the bounding set, `minKernel` against
//! the host kernel). The runtime's part ([`crate::runtime::RuntimeModel`], with its sources): one
//! rule per name, and a rule whose action equals the default action is dropped.

use super::caps::CapSet;
use super::kernel::KernelVersion;
use super::model::{Action, Arches, ArgCond, EffectiveAction, Filter, Profile};
use crate::engine_kind::EngineKind;
use crate::runtime::Runtime;
use crate::version::Version;
use seccomp_catalog::{Abi, Arch};
use std::collections::BTreeSet;

/// What resolution depends on: the daemon's arch, the container's capabilities, the kernel,
/// and what the engine and the runtime's libseccomp do with a profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Host {
    pub arch: Arch,
    pub caps: CapSet,
    pub kernel: KernelVersion,
    /// The kernel release's third number (`6.12.117+deb13-amd64` → 117), where known: stable
    /// series take fixes that change what seccomp sees (the oracle's kernel layer says which),
    /// while `minKernel` compares major.minor only.
    pub kernel_sublevel: Option<u64>,
    /// Whether the engine passes `defaultErrnoRet` on to the runtime. Docker before 23.0
    /// does not: moby copies `DefaultErrnoRet` into the OCI config only since PR #42604
    /// (released in 23.0), so the runtime's default is then `SCMP_ACT_ERRNO` with EPERM. Measured
    /// with Docker 20.10.24: a default of ERRNO with `defaultErrnoRet` 4000 answered EPERM,
    /// while a rule's `errnoRet` 4000 came back intact. See [`engine_honours_default_errno_ret`].
    pub honours_default_errno_ret: bool,
    /// Names the runtime's libseccomp doesn't know (measured by a run's calibration
    /// container): the runtime ignores a rule name it can't resolve, and such a name doesn't
    /// count for the ENOSYS stub either ([`crate::runtime::RuntimeModel`]).
    pub unknown_names: BTreeSet<String>,
    /// The runtime that loads the filter: what it calls after loading it differs by runtime
    /// and version (see the oracle's `start` layer).
    pub runtime: Runtime,
}

impl Host {
    /// A host whose engine honours `defaultErrnoRet` and whose libseccomp knows every name.
    pub fn new(arch: Arch, caps: CapSet, kernel: KernelVersion) -> Self {
        Host {
            arch,
            caps,
            kernel,
            kernel_sublevel: None,
            honours_default_errno_ret: true,
            unknown_names: BTreeSet::new(),
            runtime: Runtime::default(),
        }
    }

    pub fn with_runtime(mut self, runtime: Runtime) -> Self {
        self.runtime = runtime;
        self
    }

    pub fn with_kernel_sublevel(mut self, sublevel: Option<u64>) -> Self {
        self.kernel_sublevel = sublevel;
        self
    }

    pub fn with_default_errno_ret(mut self, honoured: bool) -> Self {
        self.honours_default_errno_ret = honoured;
        self
    }

    pub fn with_unknown_names(mut self, names: BTreeSet<String>) -> Self {
        self.unknown_names = names;
        self
    }
}

/// Whether an engine (`docker`, with its version as `/version` reports it, e.g.
/// `20.10.24+dfsg1`) passes `defaultErrnoRet` to the runtime: Docker from 23.0 on (moby PR
/// #42604). An engine or version this can't read is assumed to honour it.
pub fn engine_honours_default_errno_ret(engine: &str, version: &str) -> bool {
    if EngineKind::parse(engine) != Some(EngineKind::Docker) {
        return true;
    }
    Version::parse(version).map_or(true, |v| v.major >= 23)
}

/// The daemon's arch as Docker compares it with `includes.arches` / `excludes.arches`:
/// libseccomp's short name for Go's GOARCH (moby `goToNative`).
pub(crate) fn docker_arch_name(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "amd64",
        Arch::Aarch64 => "arm64",
    }
}

/// The native `SCMP_ARCH_*` of a host arch (moby `nativeToSeccomp`).
pub(crate) fn native_scmp_arch(arch: Arch) -> &'static str {
    arch.native_abi().scmp_arch()
}

/// The ABI a `SCMP_ARCH_*` name filters, among those the catalog covers.
pub(crate) fn abi_of_scmp_arch(name: &str) -> Option<Abi> {
    [Abi::X86_64, Abi::I386, Abi::X32, Abi::Aarch64]
        .into_iter()
        .find(|a| a.scmp_arch() == name)
}

/// One syscall name of one kept rule, as the runtime holds it ([`crate::runtime::RuntimeModel`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Index of the rule in the profile's `syscalls[]`.
    pub rule: usize,
    pub name: String,
    pub action: EffectiveAction,
    /// The action as the profile names it: a runtime may accept `SCMP_ACT_KILL` and refuse
    /// `SCMP_ACT_KILL_THREAD`, the same effective action under another name (its refusals
    /// are the runtime module's).
    pub declared: Action,
    pub args: Vec<ArgCond>,
    /// The runtime skips the rule because its action equals the default action. It still
    /// counts for the ENOSYS stub's highest syscall, which the runtime computes over every
    /// rule ([`crate::runtime::RuntimeModel`]).
    pub dropped: bool,
    /// The runtime's libseccomp doesn't know the name ([`Host::unknown_names`]): the runtime
    /// ignores the rule for it, and it doesn't count for the ENOSYS stub.
    pub unknown: bool,
    /// The rule sets `errnoRet` on an action that takes none (ALLOW, KILL, …): one runtime
    /// ignores it, another refuses the whole profile
    /// ([`crate::runtime::RuntimeModel::refuses_stray_errno_ret`]).
    pub stray_errno_ret: bool,
}

/// A rule Docker left out for this host, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub rule: usize,
    pub reason: String,
}

/// The filter for one host, before libseccomp turns it into BPF.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub host: Host,
    /// No filter at all (Docker's "assume seccomp disabled": no defaultAction, no rules).
    pub disabled: bool,
    /// The profile's default action (ALLOW when disabled).
    pub default_action: Action,
    pub default_errno_ret: Option<u32>,
    pub default: EffectiveAction,
    /// The `architectures` the runtime receives. libseccomp's filter always holds the native
    /// arch too.
    pub architectures: Vec<String>,
    pub calls: Vec<Call>,
    pub skipped: Vec<Skipped>,
}

impl Resolved {
    /// The ABIs of the host that the filter covers; any other gets the bad-arch action.
    pub(crate) fn covered_abis(&self) -> Vec<Abi> {
        let native = self.host.arch.native_abi();
        let mut out = vec![native];
        for a in &self.architectures {
            if let Some(abi) = abi_of_scmp_arch(a) {
                if abi.arch() == self.host.arch && !out.contains(&abi) {
                    out.push(abi);
                }
            }
        }
        out
    }
}

/// Why Docker skips `rule` on this host, or `None` when it keeps it. Mirrors the order of
/// moby's checks: excludes (arches, caps, minKernel), then includes (arches, caps, minKernel).
pub(crate) fn skip_reason(excludes: &Filter, includes: &Filter, host: &Host) -> Option<String> {
    let arch = docker_arch_name(host.arch);
    if excludes.arches.iter().any(|a| a == arch) {
        return Some(format!("excludes.arches lists {arch}"));
    }
    if let Some(c) = excludes.caps.iter().find(|c| host.caps.contains(c)) {
        return Some(format!("excludes.caps: the container has {c}"));
    }
    if let Some(k) = excludes.min_kernel {
        if host.kernel.at_least(k) {
            return Some(format!(
                "excludes.minKernel {k}: the kernel is {}",
                host.kernel
            ));
        }
    }
    if !includes.arches.is_empty() && !includes.arches.iter().any(|a| a == arch) {
        return Some(format!("includes.arches lacks {arch}"));
    }
    if let Some(c) = includes.caps.iter().find(|c| !host.caps.contains(c)) {
        return Some(format!("includes.caps: the container lacks {c}"));
    }
    if let Some(k) = includes.min_kernel {
        if !host.kernel.at_least(k) {
            return Some(format!(
                "includes.minKernel {k}: the kernel is {}",
                host.kernel
            ));
        }
    }
    None
}

/// Resolves `profile` for `host` as Docker and the runtime do.
pub fn resolve(profile: &Profile, host: &Host) -> Resolved {
    let Some(default_action) = profile.default_action else {
        return Resolved {
            host: host.clone(),
            disabled: true,
            default_action: Action::Allow,
            default_errno_ret: None,
            default: EffectiveAction::Allow,
            architectures: Vec::new(),
            calls: Vec::new(),
            skipped: Vec::new(),
        };
    };
    // The errno the engine hands to the runtime: none at all where it drops `defaultErrnoRet`.
    let default_errno_ret = profile
        .default_errno_ret
        .filter(|_| host.honours_default_errno_ret);
    let default = default_action.effective(default_errno_ret);
    let architectures = match &profile.arches {
        Arches::Unspecified => Vec::new(),
        Arches::List(l) => l.clone(),
        // moby takes the first entry whose architecture is the daemon's own, with its
        // sub-architectures; no match leaves the list empty (native only).
        Arches::Map(m) => m
            .iter()
            .find(|e| e.architecture == native_scmp_arch(host.arch))
            .map(|e| {
                std::iter::once(e.architecture.clone())
                    .chain(e.sub_architectures.iter().cloned())
                    .collect()
            })
            .unwrap_or_default(),
    };
    let mut calls = Vec::new();
    let mut skipped = Vec::new();
    for (i, rule) in profile.rules.iter().enumerate() {
        if let Some(reason) = skip_reason(&rule.excludes, &rule.includes, host) {
            skipped.push(Skipped { rule: i, reason });
            continue;
        }
        let action = rule.effective_action();
        for name in &rule.names {
            calls.push(Call {
                rule: i,
                name: name.clone(),
                action,
                declared: rule.action,
                args: rule.args.clone(),
                dropped: action == default,
                unknown: host.unknown_names.contains(name),
                stray_errno_ret: rule.errno_ret.is_some() && !rule.action.takes_errno_ret(),
            });
        }
    }
    Resolved {
        host: host.clone(),
        disabled: false,
        default_action,
        default_errno_ret,
        default,
        architectures,
        calls,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::parse_str;

    fn host(caps: CapSet, kernel: (u64, u64)) -> Host {
        Host::new(Arch::X86_64, caps, KernelVersion::new(kernel.0, kernel.1))
    }

    const P: &str = r#"{
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "archMap": [
        {"architecture": "SCMP_ARCH_AARCH64", "subArchitectures": ["SCMP_ARCH_ARM"]},
        {"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN", "CAP_NET_ADMIN"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["sync"], "action": "SCMP_ACT_ERRNO"},
        {"names": ["s390_pci_mmio_read"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
        {"names": ["uname"], "action": "SCMP_ACT_ALLOW", "excludes": {"arches": ["amd64"]}}
      ]}"#;

    #[test]
    fn arch_map_picks_the_daemons_entry() {
        let p = parse_str(P, "p").unwrap();
        let r = resolve(&p, &host(CapSet::docker_default(), (6, 1)));
        assert_eq!(
            r.architectures,
            vec!["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
        );
        assert_eq!(r.covered_abis(), vec![Abi::X86_64, Abi::I386, Abi::X32]);
        let arm = resolve(
            &p,
            &Host::new(
                Arch::Aarch64,
                CapSet::docker_default(),
                KernelVersion::new(6, 1),
            ),
        );
        assert_eq!(
            arm.architectures,
            vec!["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
        );
        assert_eq!(arm.covered_abis(), vec![Abi::Aarch64]);
    }

    #[test]
    fn includes_and_excludes() {
        let p = parse_str(P, "p").unwrap();
        let names = |r: &Resolved| r.calls.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        let old = resolve(&p, &host(CapSet::docker_default(), (4, 4)));
        assert_eq!(names(&old), vec!["read", "write", "clone3", "sync"]);
        let new = resolve(&p, &host(CapSet::docker_default(), (4, 8)));
        assert!(names(&new).contains(&"ptrace".to_string()));
        // includes.caps needs every listed cap.
        let admin =
            CapSet::tweak(&CapSet::docker_default(), &["SYS_ADMIN"], &[] as &[&str]).unwrap();
        let r = resolve(&p, &host(admin.clone(), (6, 1)));
        assert!(!names(&r).contains(&"mount".to_string()));
        assert!(!names(&r).contains(&"clone3".to_string()));
        let both = CapSet::tweak(&admin, &["NET_ADMIN"], &[] as &[&str]).unwrap();
        assert!(names(&resolve(&p, &host(both, (6, 1)))).contains(&"mount".to_string()));
        assert!(old
            .skipped
            .iter()
            .any(|s| s.rule == 6 && s.reason.contains("amd64")));
    }

    #[test]
    fn rules_equal_to_the_default_are_dropped() {
        let p = parse_str(P, "p").unwrap();
        let r = resolve(&p, &host(CapSet::docker_default(), (6, 1)));
        let sync = r.calls.iter().find(|c| c.name == "sync").unwrap();
        assert!(
            sync.dropped,
            "ERRNO without errnoRet is EPERM, equal to the default"
        );
        let clone3 = r.calls.iter().find(|c| c.name == "clone3").unwrap();
        assert!(!clone3.dropped && clone3.action == EffectiveAction::Errno(38));
    }

    #[test]
    fn docker_before_23_drops_default_errno_ret() {
        let p = parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4000,"syscalls":[
                {"names":["sync"],"action":"SCMP_ACT_ERRNO"}]}"#,
            "p",
        )
        .unwrap();
        let old = host(CapSet::docker_default(), (6, 1)).with_default_errno_ret(false);
        let r = resolve(&p, &old);
        assert_eq!(r.default, EffectiveAction::Errno(1));
        assert_eq!(r.default_errno_ret, None);
        // The runtime then compares rules with EPERM: the EPERM rule is dropped.
        assert!(r.calls[0].dropped);
        let r = resolve(&p, &host(CapSet::docker_default(), (6, 1)));
        assert_eq!(r.default, EffectiveAction::Errno(4000));
        assert!(!r.calls[0].dropped);
        assert!(!engine_honours_default_errno_ret(
            "docker",
            "20.10.24+dfsg1"
        ));
        assert!(engine_honours_default_errno_ret("docker", "23.0.0"));
        assert!(engine_honours_default_errno_ret("docker", "v29.1.2"));
        assert!(engine_honours_default_errno_ret("podman", "4.3.1"));
    }

    #[test]
    fn unknown_names_are_marked() {
        let p = parse_str(P, "p").unwrap();
        let h = host(CapSet::docker_default(), (6, 1))
            .with_unknown_names(BTreeSet::from(["sync".to_string()]));
        let r = resolve(&p, &h);
        assert!(r.calls.iter().find(|c| c.name == "sync").unwrap().unknown);
        assert!(!r.calls.iter().find(|c| c.name == "read").unwrap().unknown);
    }

    #[test]
    fn no_default_and_no_rules_disables_seccomp() {
        let p = parse_str(r#"{"architectures": []}"#, "p").unwrap();
        assert!(resolve(&p, &host(CapSet::docker_default(), (6, 1))).disabled);
    }
}
