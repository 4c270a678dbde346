//! Lints: what a profile says that Docker, the runtime or libseccomp will quietly not do, as
//! warnings; and [`errno_out_of_range`], the one error Docker lets through (the runtime then
//! refuses the filter). What Docker itself refuses is a parse error ([`super::parse_str`]).

use super::caps::is_known_cap;
use super::model::{Action, Arches, EffectiveAction, Profile, Rule, MAX_ERRNO_RET};
use super::names;
use super::parse::Invalid;
use super::resolve::{resolve, Host};
use crate::oracle::{Blocker, Oracle, Start};
use crate::runtime::prose;
use seccomp_catalog::Catalog;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// Where in the profile: `syscalls[3]`, `architectures`.
    pub path: String,
    pub message: String,
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn warn(path: impl Into<String>, message: impl Into<String>) -> Warning {
    Warning {
        path: path.into(),
        message: message.into(),
    }
}

/// Every ERRNO action whose errno libseccomp refuses, by its path in the profile
/// (`defaultErrnoRet`, `syscalls[3].errnoRet`). Docker passes such a profile on and the runtime
/// fails to load it, so `check` calls it an error; `run` predicts the start failure instead.
pub fn errno_out_of_range(profile: &Profile) -> Vec<Invalid> {
    let mut out = Vec::new();
    let mut check = |path: String, value: Option<u32>| {
        if let Some(value) = value.filter(|v| *v > MAX_ERRNO_RET) {
            out.push(Invalid::ErrnoOutOfRange { path, value });
        }
    };
    if profile.default_action == Some(Action::Errno) {
        check("defaultErrnoRet".into(), profile.default_errno_ret);
    }
    for (i, rule) in profile.rules.iter().enumerate() {
        if rule.action == Action::Errno {
            check(format!("syscalls[{i}].errnoRet"), rule.errno_ret);
        }
    }
    out
}

/// Compat arches each native arch can run; missing from the filter, their calls are killed.
const COMPAT: &[(&str, &[&str])] = &[
    ("SCMP_ARCH_X86_64", &["SCMP_ARCH_X86", "SCMP_ARCH_X32"]),
    ("SCMP_ARCH_AARCH64", &["SCMP_ARCH_ARM"]),
];

/// Lints that hold on any host, plus those that depend on `host` (rules it can never enable,
/// rules libseccomp refuses to merge).
pub fn lint(profile: &Profile, host: &Host) -> Vec<Warning> {
    let mut out = Vec::new();
    if profile.disables_seccomp() {
        out.push(warn(
            "defaultAction",
            "no defaultAction and no rules: docker runs the container without a seccomp filter",
        ));
        return out;
    }
    lint_arches(profile, host, &mut out);
    let default = profile.default_effective_action();
    for (i, rule) in profile.rules.iter().enumerate() {
        lint_rule(i, rule, default, host, &mut out);
    }
    let resolved = resolve(profile, host);
    let oracle = Oracle::new(&resolved);
    for c in oracle.conflicts() {
        out.push(warn(
            format!("syscalls[{}]", c.second),
            prose::conflict_lint(c.first, &c.syscall, c.abi),
        ));
    }
    let start = oracle.start(&Catalog::for_arch(host.arch));
    if let (Some(why), false) = (start.note(), start_is_conflict(&start, &oracle)) {
        out.push(warn("profile", why));
    }
    lint_fallbacks(profile, &oracle, host, &mut out);
    out
}

/// What one rule can't do as written, on any host or on this one (its kernel).
fn lint_rule(
    i: usize,
    rule: &Rule,
    default: Option<EffectiveAction>,
    host: &Host,
    out: &mut Vec<Warning>,
) {
    let path = format!("syscalls[{i}]");
    for name in &rule.names {
        if !names::known_anywhere(name) {
            out.push(warn(&path, prose::unknown_name_lint(name)));
        }
    }
    if Some(rule.effective_action()) == default {
        out.push(warn(
            &path,
            prose::default_action_rule_lint(rule.effective_action()),
        ));
    }
    if rule.errno_ret.is_some() && !rule.action.takes_errno_ret() {
        out.push(warn(
            &path,
            format!("errnoRet is ignored with {}", rule.action),
        ));
    }
    for c in rule.includes.caps.iter().chain(&rule.excludes.caps) {
        if !is_known_cap(c) {
            out.push(warn(
                &path,
                format!("{c:?} is not a capability name docker matches (expected e.g. \"CAP_SYS_ADMIN\"), so it never matches"),
            ));
        }
    }
    if rule.includes.caps.iter().any(|c| !is_known_cap(c)) {
        out.push(warn(
            &path,
            "includes.caps can never all be present: the rule is never enabled",
        ));
    }
    if let Some(k) = rule.includes.min_kernel {
        if !host.kernel.at_least(k) {
            out.push(warn(
                &path,
                format!("includes.minKernel {k} is above this host's kernel {}: the rule is never enabled here", host.kernel),
            ));
        }
    }
    if let Some(k) = rule.excludes.min_kernel {
        if host.kernel.at_least(k) {
            out.push(warn(
                &path,
                format!(
                    "excludes.minKernel {k}: this host's kernel {} always excludes the rule",
                    host.kernel
                ),
            ));
        }
    }
    if rule.action == Action::Notify {
        out.push(warn(
            &path,
            "SCMP_ACT_NOTIFY needs a listener, which docker does not attach",
        ));
    }
}

/// The calls some listed userspace tries first and falls back from only on ENOSYS
/// ([`crate::fallbacks`]) that this profile answers with EPERM on this host (the oracle's
/// answer, the runtime's ENOSYS stub included): a newer image's libc breaks there. The warning
/// sits on the rule that answers (or `defaultAction`), names who breaks with the source of that
/// decision, and carries the rule that fixes it. Where the userspace's fallback call is denied
/// too, ENOSYS would not help, so that is no warning.
fn lint_fallbacks(profile: &Profile, oracle: &Oracle, host: &Host, out: &mut Vec<Warning>) {
    use crate::outcome::{Outcome, RuleOther, RuleRef};
    const EPERM: i32 = 1;
    let catalog = Catalog::for_arch(host.arch);
    let denied = |id: &str| {
        catalog.get(id).is_some_and(|c| {
            !matches!(
                oracle.predict_filter(c).outcome,
                Outcome::Allowed | Outcome::Absent
            )
        })
    };
    let mut seen: Vec<&str> = Vec::new();
    for f in &crate::fallbacks::data().fallbacks {
        if seen.contains(&f.syscall.as_str()) {
            continue;
        }
        seen.push(&f.syscall);
        let Some(case) = catalog.get(&f.syscall) else {
            continue;
        };
        let p = oracle.predict_filter(case);
        if p.outcome != Outcome::Errno || p.errno != Some(EPERM) {
            continue;
        }
        let breaks: Vec<String> = crate::fallbacks::for_syscall(&f.syscall)
            .filter(|b| {
                !b.not_supported.covers(EPERM) && !b.fallback_call.as_deref().is_some_and(denied)
            })
            .map(|b| format!("{} ({})", b.who(), b.cite()))
            .collect();
        if breaks.is_empty() {
            continue;
        }
        let path = match p.rule {
            Some(RuleRef::Index(i)) => format!("syscalls[{i}]"),
            Some(RuleRef::Other(RuleOther::Default)) | None => "defaultAction".into(),
            Some(other) => other.to_string(),
        };
        let fix = crate::readiness::fix_rule(vec![f.syscall.clone()], Some(profile));
        out.push(warn(
            path,
            format!(
                "{} answers EPERM, not ENOSYS, so {} fails with EPERM where it falls back only on ENOSYS; to fix, add to syscalls: {}",
                f.syscall,
                breaks.join(" and "),
                fix.json()
            ),
        ));
    }
}

/// A conflict is already warned about on its rule.
fn start_is_conflict(start: &Start, oracle: &Oracle) -> bool {
    matches!(start, Start::Refused(Blocker::Filter(_))) && !oracle.conflicts().is_empty()
}

fn lint_arches(profile: &Profile, host: &Host, out: &mut Vec<Warning>) {
    let native = host.arch.native_abi().scmp_arch();
    let listed: Vec<String> = match &profile.arches {
        Arches::Unspecified => {
            out.push(warn(
                "architectures",
                format!("neither architectures nor archMap: the filter covers {native} only, and calls through compat ABIs are killed"),
            ));
            return;
        }
        Arches::List(l) => l.clone(),
        Arches::Map(m) => match m.iter().find(|e| e.architecture == native) {
            Some(e) => std::iter::once(e.architecture.clone())
                .chain(e.sub_architectures.iter().cloned())
                .collect(),
            None => {
                out.push(warn(
                    "archMap",
                    format!("no entry for {native}: on this host the filter covers {native} only, and calls through compat ABIs are killed"),
                ));
                return;
            }
        },
    };
    let field = match profile.arches {
        Arches::Map(_) => "archMap",
        _ => "architectures",
    };
    for (arch, compats) in COMPAT {
        if !listed.iter().any(|a| a == arch) {
            continue;
        }
        for c in *compats {
            if !listed.iter().any(|a| a == c) {
                out.push(warn(
                    field,
                    format!("{arch} without {c}: calls through that ABI get the bad-arch action and are killed"),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{parse_str, CapSet, KernelVersion};
    use seccomp_catalog::Arch;

    fn lints(text: &str) -> Vec<String> {
        let p = parse_str(text, "p").unwrap();
        let host = Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(4, 4),
        );
        lint(&p, &host).iter().map(|w| w.to_string()).collect()
    }

    fn lints_on(text: &str, kernel: KernelVersion) -> Vec<String> {
        let p = parse_str(text, "p").unwrap();
        let host = Host::new(Arch::X86_64, CapSet::docker_default(), kernel);
        lint(&p, &host).iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn eperm_on_a_call_userspace_falls_back_from_only_on_enosys_is_a_warning_with_its_fix() {
        let archs = r#""architectures":["SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32"]"#;
        let k = KernelVersion::new(6, 6);
        // An allow-list naming neither clone3 nor fsopen: the default answers EPERM. glibc
        // breaks on clone3; libmount's fallback, mount, is denied too, so fsopen is no warning.
        let w = lints_on(
            &format!(
                r#"{{"defaultAction":"SCMP_ACT_ERRNO",{archs},"syscalls":[
                  {{"names":["read","write","faccessat2","close_range"],"action":"SCMP_ACT_ALLOW"}}]}}"#
            ),
            k,
        );
        let fallback: Vec<_> = w.iter().filter(|x| x.contains("not ENOSYS")).collect();
        assert_eq!(fallback.len(), 1, "{w:?}");
        assert_eq!(
            fallback[0],
            "defaultAction: clone3 answers EPERM, not ENOSYS, so glibc ≥ 2.34 pthread_create, posix_spawn (glibc-2.34:sysdeps/unix/sysv/linux/clone-internal.c:55) fails with EPERM where it falls back only on ENOSYS; to fix, add to syscalls: {\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}"
        );
        // A rule answering EPERM gets it on its own line; with CAP_SYS_ADMIN allowing clone3
        // elsewhere, the fix excludes that capability.
        let w = lints_on(
            &format!(
                r#"{{"defaultAction":"SCMP_ACT_ALLOW",{archs},"syscalls":[
                  {{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":1}},
                  {{"names":["clone3"],"action":"SCMP_ACT_ALLOW","includes":{{"caps":["CAP_SYS_ADMIN"]}}}}]}}"#
            ),
            k,
        );
        let hit = w.iter().find(|x| x.contains("not ENOSYS")).unwrap();
        assert!(hit.starts_with("syscalls[0]: clone3"), "{hit}");
        assert!(
            hit.ends_with(r#""errnoRet":38,"excludes":{"caps":["CAP_SYS_ADMIN"]}}"#),
            "{hit}"
        );
        // ENOSYS, and EPERM on a call whose listed userspace copes (Rust std's statx), are fine.
        let w = lints_on(
            &format!(
                r#"{{"defaultAction":"SCMP_ACT_ALLOW",{archs},"syscalls":[
                  {{"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38}},
                  {{"names":["statx"],"action":"SCMP_ACT_ERRNO","errnoRet":1}}]}}"#
            ),
            k,
        );
        assert!(!w.iter().any(|x| x.contains("not ENOSYS")), "{w:?}");
    }

    #[test]
    fn finds_the_quiet_failures() {
        let w = lints(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[
              {"names":["getpid","mkdri"],"action":"SCMP_ACT_ALLOW"},
              {"names":["reboot"],"action":"SCMP_ACT_ERRNO","errnoRet":1},
              {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8","caps":["SYS_PTRACE"]}},
              {"names":["read"],"action":"SCMP_ACT_ALLOW","errnoRet":5}]}"#,
        );
        let has = |s: &str| w.iter().any(|x| x.contains(s));
        assert!(has("syscalls[0]: unknown syscall name \"mkdri\""), "{w:?}");
        assert!(
            has("syscalls[1]: action SCMP_ACT_ERRNO(1) equals the default"),
            "{w:?}"
        );
        assert!(has("SCMP_ARCH_X86_64 without SCMP_ARCH_X86"), "{w:?}");
        assert!(has("SCMP_ARCH_X86_64 without SCMP_ARCH_X32"), "{w:?}");
        assert!(has("syscalls[2]: includes.minKernel 4.8 is above"), "{w:?}");
        assert!(has("\"SYS_PTRACE\" is not a capability name"), "{w:?}");
        assert!(has("syscalls[3]: errnoRet is ignored"), "{w:?}");
    }

    #[test]
    fn real_default_profile_is_quiet() {
        let text = include_str!("../../../tests/fixtures/docker-default-v25.0.0.json");
        let p = parse_str(text, "p").unwrap();
        let host = Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(6, 1),
        );
        let w = lint(&p, &host);
        assert!(w.is_empty(), "{w:?}");
    }

    #[test]
    fn errno_out_of_range_names_the_path() {
        let p = crate::profile::parse_str(
            r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":4095,"syscalls":[
                {"names":["a"],"action":"SCMP_ACT_ERRNO","errnoRet":4094},
                {"names":["b"],"action":"SCMP_ACT_ERRNO","errnoRet":70000},
                {"names":["c"],"action":"SCMP_ACT_TRACE","errnoRet":70000}]}"#,
            "p",
        )
        .unwrap();
        let found: Vec<String> = errno_out_of_range(&p)
            .iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(found[0].starts_with("defaultErrnoRet 4095 is out of range"));
        assert!(found[1].starts_with("syscalls[1].errnoRet 70000 is out of range"));
    }
}
