//! gVisor (`runsc`): what it does with an OCI seccomp profile, measured on this machine with
//! Debian's runsc 0.0~20221219 (bookworm) and 0.0~20240729 (trixie, sid) under Docker 28.5.2
//! (`ci/lab.sh up sid-gvisor`), and read from gVisor's `runsc/specutils/seccomp/seccomp.go`
//! (the same in release-20221219.0 and release-20240729.0). Both versions behaved alike in every
//! point below, so one model covers them.
//!
//! - Without `--oci-seccomp` (or the annotation [`OCI_SECCOMP_ANNOTATION`]) runsc ignores the
//!   profile: every call behaves as unconfined, and only runsc's log says "Seccomp spec is being
//!   ignored". The harness detects it from its calibration container, whatever the reason
//!   (`not_enforced`).
//! - With it, gVisor compiles the profile into its own filter, which its Sentry applies before
//!   it dispatches a call ([`ERRNO_ANSWER`], [`refused_action`], [`runs_abi`]). gVisor's own
//!   ENOSYS set (the calls it doesn't implement) is measured by the unconfined baseline on
//!   runsc, like the kernel's.
//! - sid's runsc 0.0~20240729.0-7+b1 (a rebuild of the same release) ends a sandbox at random
//!   once the application forks: its Sentry panics ("running on goroutine … (task goroutine
//!   for kernel.Task … is 0)", in `Kernel.WaitExited`, runsc's `--debug-log`) and the
//!   container exits 2 with its output cut, with or without a profile and with or without
//!   `--oci-seccomp`. Measured on this machine: the probe's `getpid` alone, in fork mode,
//!   ended so in 1 to 5 of 12 containers a try; in-process, in none of 12; bookworm's runsc, in
//!   none. The harness reads such an end like any other container's: a fork-mode probe that
//!   dies is run in-process for the rest, and a case in flight when a container exits with a
//!   status other than 0 runs once more before it is blamed (the engine's ledger), since the
//!   crash does not repeat as a case's own exit does.

use super::{Runtime, RuntimeModel};
use crate::matrix::Expected;
use crate::outcome::Outcome;
use crate::profile::model::Action;
use crate::profile::resolve::Resolved;
use crate::version::Version;
use seccomp_catalog::record::CaseRecord;
use seccomp_catalog::{Abi, Case};

/// The runtime name the oracle's model uses for gVisor, whatever name the engine registered it
/// under (`runsc-oci` …): the program's file name starts with it.
pub const RUNSC: &str = "runsc";

pub(super) const MODELS: &[RuntimeModel] = &[
    // gVisor: the filter applies to the sandboxed application from its first instruction;
    // runsc's own start (the Sentry, the gofer, the loader's exec) is outside it, so there are
    // no start needs. Measured with runsc 0.0~20221219 and 0.0~20240729: the hostile profiles
    // runsc accepts (signals trapped, waits denied, exit denied, trap-everything) started and
    // their cells passed. No ENOSYS stub: a call newer than the profile gets the default
    // action.
    RuntimeModel {
        runtime: RUNSC,
        since: Version::new(0, 0, 0),
        enosys_stub: false,
        stub_covers_native: false,
        // runsc reads `defaultErrnoRet` and then answers EPERM whatever it says (the oracle's
        // gVisor rule): nothing for the tagging to work around.
        honours_default_errno_ret: true,
        kill_hangs_start: false,
        fatal: &[],
        tolerated: &[],
        after_start_fatal: &[],
        after_start_tolerated: &[],
        refuses_stray_errno_ret: false,
        sites: &[],
        fallback_needs: &[],
    },
];

/// The per-container annotation that turns OCI seccomp on (gVisor release-20220214.0 and
/// later): runsc honours `dev.gvisor.flag.*` annotations only when it runs with
/// `--allow-flag-override` (runsc `config.go`).
pub const OCI_SECCOMP_ANNOTATION: &str = "dev.gvisor.flag.oci-seccomp";

/// Whether the program a runtime name runs is gVisor's runsc (`/usr/bin/runsc`,
/// `/usr/local/sbin/runsc-bookworm`).
pub fn is_runsc_program(path: &str) -> bool {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.starts_with(RUNSC)
}

/// Whether the oracle's runtime is gVisor.
pub fn is_gvisor(runtime: &Runtime) -> bool {
    runtime.name == RUNSC
}

/// Whether runsc's arguments turn OCI seccomp on (`--oci-seccomp`, `--oci-seccomp=true`).
pub fn args_enable_oci_seccomp(args: &[String]) -> bool {
    args.iter().any(|a| {
        let a = a.trim_start_matches('-');
        a == "oci-seccomp" || a == "oci-seccomp=true" || a == "oci-seccomp=1"
    })
}

/// The errno every ERRNO action answers on gVisor: `convertAction` builds
/// `ReturnError.Code(EPERM)` and drops `errnoRet` and `defaultErrnoRet`. Measured: the
/// calibration container's rules (each with its own errno from 3000) and deny-namespaces'
/// `clone3` rule (`errnoRet` 38) all answered EPERM on both runsc versions.
pub const ERRNO_ANSWER: i32 = 1;

/// Why runsc refuses a profile's action, if it does. `convertAction` knows SCMP_ACT_KILL,
/// TRAP, ERRNO, TRACE and ALLOW only: LOG, KILL_PROCESS, KILL_THREAD (under that name) and
/// NOTIFY are an "invalid action", and the container fails to start. Measured with
/// `profiles/demo-log.json` and `demo-kill-process.json` on both versions.
pub fn refused_action(action: Action) -> bool {
    matches!(
        action,
        Action::Log | Action::KillProcess | Action::KillThread | Action::Notify
    )
}

/// The start failure a profile meets on runsc with OCI seccomp on: the first refused action,
/// the default's first (gVisor converts it first).
pub fn refusal(r: &Resolved) -> Option<String> {
    if refused_action(r.default_action) {
        return Some(format!(
            "runsc refuses the default action {} (gVisor knows SCMP_ACT_KILL, TRAP, ERRNO, TRACE and ALLOW only: \"building seccomp program: … invalid action\")",
            r.default_action.name()
        ));
    }
    r.calls.iter().find(|c| refused_action(c.declared)).map(|c| {
        format!(
            "runsc refuses syscalls[{}]'s {} (gVisor knows SCMP_ACT_KILL, TRAP, ERRNO, TRACE and ALLOW only: \"building seccomp program: … invalid action\")",
            c.rule,
            c.declared.name()
        )
    })
}

/// Whether gVisor runs calls of `abi` at all: only the native ABI. `convertRules` ignores
/// `architectures` ("we don't support [32-bit syscalls] in gVisor anyway"), and the probe's
/// i386 (`int 0x80`) and x32 calls answered ENOSYS on runsc even unconfined.
pub fn runs_abi(abi: Abi) -> bool {
    abi.id_prefix().is_none()
}

/// The note of a compat-ABI cell on gVisor, which the probe's call can't reach.
pub fn compat_note(abi: Abi) -> String {
    format!(
        "gVisor runs no {abi} syscall (it ignores the profile's architectures and implements the native ABI only), so no profile decides this case on runsc"
    )
}

/// The calls the host kernel passes to no seccomp filter (uretprobe, uprobe: see the oracle's
/// kernel layer). On gVisor's systrap platform (the default from release-20230417.0) the
/// application's code runs on the host and its calls reach the host kernel, which traps them
/// to the Sentry with a seccomp filter of its own, except these: the host kernel runs them
/// before any filter, so neither gVisor nor the profile sees them. Measured on kernel 6.18:
/// with sid's runsc 0.0~20240729 both returned under a default-ERRNO profile as unconfined;
/// with bookworm's 0.0~20221219 (ptrace platform) they answered gVisor's ENOSYS unconfined
/// and EPERM under the profile. Whether a runsc passes them is read from its unconfined
/// baseline: gVisor implements neither, so anything but ENOSYS there came from the host.
pub const HOST_KERNEL_EXCEPTIONS: &[&str] = &["uretprobe", "uprobe"];

/// The expectation of such a call on a runsc whose baseline shows the host kernel ran it.
pub fn host_exception_note(syscall: &str, baseline: &str) -> String {
    format!(
        "gVisor's systrap platform runs the application on the host, and the host kernel passes {syscall} to no seccomp filter, gVisor's included: the unconfined runsc baseline {baseline}, not gVisor's ENOSYS"
    )
}

/// What gVisor does whatever the profile says, where the run measured it: no compat call
/// runs (unconfined too), and on the systrap platform the host kernel runs uretprobe and
/// uprobe before any filter (the baseline shows it: gVisor itself answers ENOSYS).
pub(super) fn expectation(case: &Case, baseline: Option<&CaseRecord>) -> Option<Expected> {
    if !runs_abi(case.abi) {
        return Some(Expected {
            outcome: Outcome::NotRun,
            errno: None,
            rule: None,
            note: Some(compat_note(case.abi)),
        });
    }
    let baseline = baseline?;
    if HOST_KERNEL_EXCEPTIONS.contains(&case.syscall) && baseline.errno != Some(38) {
        return Some(Expected {
            outcome: Outcome::Allowed,
            errno: None,
            rule: None,
            note: Some(host_exception_note(
                case.syscall,
                &crate::classify::describe_record(baseline),
            )),
        });
    }
    None
}

/// The note of an ERRNO outcome on gVisor whose profile asked for another errno.
pub fn errno_note(asked: u16) -> String {
    format!("the rule asks for errno {asked}, but gVisor answers EPERM for every SCMP_ACT_ERRNO")
}

/// Why a runtime ignored the profile, as far as the engine's facts tell: runsc without
/// `--oci-seccomp` in the arguments the engine passes it.
pub fn unenforced_cause(program: &str, args: &[String]) -> Option<String> {
    if !is_runsc_program(program) || args_enable_oci_seccomp(args) {
        return None;
    }
    Some(format!(
        "{program} runs without --oci-seccomp (runtimeArgs: {}), so gVisor ignores the OCI seccomp profile (\"Seccomp spec is being ignored\"); register it with --oci-seccomp, or pass --gvisor-oci-seccomp-annotation to a runsc that runs with --allow-flag-override",
        if args.is_empty() {
            "none".to_string()
        } else {
            args.join(" ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::{parse_str, resolve, CapSet, Host, KernelVersion};
    use seccomp_catalog::Arch;

    fn resolved(json: &str) -> Resolved {
        let p = parse_str(json, "t.json").unwrap();
        let host = Host::new(
            Arch::X86_64,
            CapSet::docker_default(),
            KernelVersion::new(6, 18),
        )
        .with_runtime(Runtime::parse(RUNSC, None));
        resolve(&p, &host)
    }

    #[test]
    fn runsc_is_known_by_its_program_not_its_registered_name() {
        assert!(is_runsc_program("/usr/bin/runsc"));
        assert!(is_runsc_program("/usr/local/sbin/runsc-bookworm"));
        assert!(is_runsc_program("runsc"));
        assert!(!is_runsc_program("/usr/bin/runc"));
        assert!(!is_runsc_program("/usr/bin/crun"));
    }

    #[test]
    fn only_the_oci_seccomp_flag_enables_the_profile() {
        let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(args_enable_oci_seccomp(&args(&[
            "--network=none",
            "--oci-seccomp"
        ])));
        assert!(args_enable_oci_seccomp(&args(&["--oci-seccomp=true"])));
        assert!(!args_enable_oci_seccomp(&args(&["--network=none"])));
        assert!(!args_enable_oci_seccomp(&args(&["--oci-seccomp=false"])));
        let why = unenforced_cause("/usr/bin/runsc", &args(&["--network=none"])).unwrap();
        assert!(why.contains("without --oci-seccomp"), "{why}");
        assert!(why.contains("--network=none"), "{why}");
        assert_eq!(
            unenforced_cause("/usr/bin/runsc", &args(&["--oci-seccomp"])),
            None
        );
        assert_eq!(unenforced_cause("/usr/bin/runc", &[]), None);
    }

    #[test]
    fn log_kill_process_kill_thread_and_notify_are_refused_wherever_they_are() {
        for action in [
            "SCMP_ACT_LOG",
            "SCMP_ACT_KILL_PROCESS",
            "SCMP_ACT_KILL_THREAD",
        ] {
            let default = format!(r#"{{"defaultAction": "{action}"}}"#);
            let why = refusal(&resolved(&default)).unwrap();
            assert!(why.contains(action), "{why}");
            let rule = format!(
                r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{{"names": ["getpid"], "action": "SCMP_ACT_ERRNO"}}, {{"names": ["mkdir"], "action": "{action}"}}]}}"#
            );
            let why = refusal(&resolved(&rule)).unwrap();
            assert!(why.contains("syscalls[1]") && why.contains(action), "{why}");
        }
        for ok in [
            "SCMP_ACT_KILL",
            "SCMP_ACT_TRAP",
            "SCMP_ACT_ERRNO",
            "SCMP_ACT_TRACE",
        ] {
            let rule = format!(
                r#"{{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{{"names": ["mkdir"], "action": "{ok}"}}]}}"#
            );
            assert_eq!(refusal(&resolved(&rule)), None, "{ok}");
        }
    }

    fn predict(json: &str, case: &str) -> crate::oracle::Prediction {
        let r = resolved(json);
        let catalog = seccomp_catalog::Catalog::for_arch(Arch::X86_64);
        let case = catalog.get(case).unwrap();
        crate::oracle::Oracle::new(&r).predict_filter(case)
    }

    #[test]
    fn every_errno_is_eperm_but_trace_keeps_enosys() {
        use crate::outcome::Outcome;
        let p = predict(
            r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [
                {"names": ["mkdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 3000},
                {"names": ["getpid"], "action": "SCMP_ACT_ALLOW"},
                {"names": ["sysinfo"], "action": "SCMP_ACT_TRACE"}]}"#,
            "mkdir",
        );
        assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
        assert!(p.note.unwrap().contains("errno 3000"));
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38, "syscalls": [
                {"names": ["sysinfo"], "action": "SCMP_ACT_TRACE"}]}"#;
        let p = predict(json, "rmdir");
        assert_eq!(
            (p.outcome, p.errno),
            (Outcome::Errno, Some(1)),
            "the default too"
        );
        let p = predict(json, "sysinfo");
        assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(38)), "TRACE");
    }

    #[test]
    fn compat_calls_are_not_run_and_there_is_no_stub_or_uprobe_exception() {
        use crate::outcome::Outcome;
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "syscalls": [{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let p = predict(json, "i386:getpid");
        assert_eq!(p.outcome, Outcome::NotRun);
        assert!(p.note.unwrap().contains("i386"));
        // runc's stub would answer ENOSYS above getpid (39); gVisor's default answers.
        let p = predict(json, "mkdir");
        assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
        // The host kernel's exception is for the host's filters, not the Sentry's.
        let p = predict(json, "uretprobe");
        assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
    }

    #[test]
    fn masked_eq_compares_value_two_unmasked() {
        use crate::outcome::Outcome;
        // docker-default-hardened's socket rule: mask 48, valueTwo 0xff…f0. libseccomp masks
        // valueTwo to 48, so all-ones arguments match on runc; gVisor compares 0xff…f0.
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
            {"names": ["socket"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 48, "valueTwo": 18446744073709551600, "op": "SCMP_CMP_MASKED_EQ"}]}]}"#;
        let p = predict(json, "socket");
        assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
        let runc = {
            let p = parse_str(json, "t.json").unwrap();
            let host = Host::new(
                Arch::X86_64,
                CapSet::docker_default(),
                KernelVersion::new(6, 18),
            );
            let r = resolve(&p, &host);
            let catalog = seccomp_catalog::Catalog::for_arch(Arch::X86_64);
            crate::oracle::Oracle::new(&r).predict_filter(catalog.get("socket").unwrap())
        };
        assert_eq!(runc.outcome, Outcome::Allowed);
    }

    #[test]
    fn only_the_native_abi_runs() {
        assert!(runs_abi(Abi::X86_64));
        assert!(runs_abi(Abi::Aarch64));
        assert!(!runs_abi(Abi::I386));
        assert!(!runs_abi(Abi::X32));
    }
}
