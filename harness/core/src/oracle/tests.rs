use super::*;
use crate::profile::parse::parsed;
use crate::profile::{resolve, CapSet, Host, KernelVersion, Profile};
use seccomp_catalog::{Arch, Catalog};

/// What a prediction says a call ends in: the outcome, its errno and the rule that decided.
pub(crate) type Answer = (Outcome, Option<i32>, Option<RuleRef>);

/// What an ERRNO default without `defaultErrnoRet` answers.
pub(crate) const EPERM_BY_DEFAULT: Answer = (Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));

/// What the runtime's ENOSYS stub answers above the highest syscall a profile names.
pub(crate) const ENOSYS_BY_STUB: Answer =
    (Outcome::Errno, Some(ENOSYS), Some(RuleRef::ENOSYS_STUB));

pub(crate) fn answer(got: Prediction) -> Answer {
    (got.outcome, got.errno, got.rule)
}

pub(crate) fn host() -> Host {
    Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 1),
    )
}

pub(crate) fn predict(profile: &str, case: &str) -> Prediction {
    predict_with(&parsed(profile), &host(), case)
}

/// The filter's answer to x86_64's `case` under `profile` on `host`.
pub(crate) fn predict_with(
    profile: &crate::profile::Profile,
    host: &Host,
    case: &str,
) -> Prediction {
    let cat = Catalog::for_arch(Arch::X86_64);
    let c = cat.get(case).unwrap_or_else(|| panic!("no case {case}"));
    Oracle::new(&resolve(profile, host)).predict_filter(c)
}

/// [`host`] on kernel `kernel`.
pub(crate) fn host_on(kernel: KernelVersion) -> Host {
    let mut h = host();
    h.kernel = kernel;
    h
}

/// How a container under `profile` starts on `host`.
pub(crate) fn start_with(profile: &Profile, host: &Host) -> Start {
    Oracle::new(&resolve(profile, host)).start(&Catalog::for_arch(Arch::X86_64))
}

/// Whether the runtime can't start the container for its own calls, with `why` in the note.
pub(crate) fn refused_by_runtime_calls(start: &Start, why: &str) -> bool {
    matches!(start, Start::Refused(Blocker::RuntimeCalls { .. }))
        && start.note().is_some_and(|n| n.contains(why))
}

pub(crate) fn profile(default: &str, arches: &str, rules: &str) -> String {
    format!(r#"{{"defaultAction":"{default}","architectures":[{arches}],"syscalls":[{rules}]}}"#)
}

pub(crate) const X86: &str = r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32""#;

/// `rules` on every x86 ABI, the rest denied with EPERM.
pub(crate) fn errno_default(rules: &str) -> String {
    profile("SCMP_ACT_ERRNO", X86, rules)
}

/// Allows getpid (39) and mkdir (83), denies the rest: the plainest allow-list.
pub(crate) fn getpid_and_mkdir() -> String {
    errno_default(r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"}"#)
}

/// Allows getpid and mseal, which is newer than [`host`]'s kernel, and denies the rest.
pub(crate) fn getpid_and_mseal() -> Profile {
    parsed(&errno_default(
        r#"{"names":["getpid","mseal"],"action":"SCMP_ACT_ALLOW"}"#,
    ))
}

#[test]
fn default_and_plain_rules() {
    let p = getpid_and_mkdir();
    let got = predict(&p, "getpid");
    assert_eq!(
        (got.outcome, got.rule),
        (Outcome::Allowed, Some(RuleRef::Index(0)))
    );
    assert_eq!(answer(predict(&p, "read")), EPERM_BY_DEFAULT);
}

#[test]
fn rule_equal_to_default_is_dropped() {
    // The "deny" rule never takes effect: the default decides.
    let p = errno_default(
        r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"},{"names":["rmdir"],"action":"SCMP_ACT_ERRNO","errnoRet":1}"#,
    );
    let got = predict(&p, "rmdir");
    assert_eq!(got.rule, Some(RuleRef::DEFAULT));
    assert!(got
        .note
        .unwrap()
        .contains(&crate::runtime::prose::dropped_for_default("1")));
    // With a different errno the rule stays and decides.
    let p = p.replace(r#""errnoRet":1"#, r#""errnoRet":13"#);
    let got = predict(&p, "rmdir");
    assert_eq!((got.errno, got.rule), (Some(13), Some(RuleRef::Index(1))));
}

#[test]
fn same_index_conditions_are_ored_different_indices_anded() {
    let or = errno_default(
        r#"{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"},{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}"#,
    );
    assert_eq!(predict(&or, "personality(0)").outcome, Outcome::Allowed);
    assert_eq!(predict(&or, "personality(8)").outcome, Outcome::Allowed);
    assert_eq!(predict(&or, "personality(0x20000)").outcome, Outcome::Errno);
    let and = errno_default(
        r#"{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]}"#,
    );
    assert_eq!(predict(&and, "socket(AF_INET)").outcome, Outcome::Allowed);
    assert_eq!(predict(&and, "socket(AF_NETLINK)").outcome, Outcome::Errno);
    // Mixed: one index repeated turns every condition into its own rule, so the
    // arg1 condition alone lets AF_VSOCK (type 1) through.
    let mixed = errno_default(
        r#"{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2,"op":"SCMP_CMP_EQ"},{"index":0,"value":10,"op":"SCMP_CMP_EQ"},{"index":1,"value":1,"op":"SCMP_CMP_EQ"}]}"#,
    );
    assert_eq!(
        predict(&mixed, "socket(AF_VSOCK)").outcome,
        Outcome::Allowed
    );
}

#[test]
fn every_operator_and_64_bit_compare() {
    let rule = |op: &str, v: u64, v2: u64| {
        errno_default(&format!(
            r#"{{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{{"index":0,"value":{v},"valueTwo":{v2},"op":"{op}"}}]}}"#
        ))
    };
    let allowed = |op, v, v2, case| predict(&rule(op, v, v2), case).outcome == Outcome::Allowed;
    assert!(allowed("SCMP_CMP_EQ", 8, 0, "personality(8)"));
    assert!(!allowed("SCMP_CMP_NE", 8, 0, "personality(8)"));
    assert!(allowed("SCMP_CMP_LT", 9, 0, "personality(8)"));
    assert!(!allowed("SCMP_CMP_LT", 8, 0, "personality(8)"));
    assert!(allowed("SCMP_CMP_LE", 8, 0, "personality(8)"));
    assert!(allowed("SCMP_CMP_GT", 7, 0, "personality(8)"));
    assert!(allowed("SCMP_CMP_GE", 8, 0, "personality(8)"));
    assert!(!allowed("SCMP_CMP_GT", 8, 0, "personality(8)"));
    // MASKED_EQ: value is the mask, valueTwo the datum.
    assert!(allowed(
        "SCMP_CMP_MASKED_EQ",
        0xff,
        8,
        "personality(0x20008)"
    ));
    assert!(!allowed(
        "SCMP_CMP_MASKED_EQ",
        0xff,
        8,
        "personality(0x20000)"
    ));
    // All 64 bits count on x86_64: 1<<32 is neither 0 nor below 1.
    assert!(!allowed("SCMP_CMP_EQ", 0, 0, "personality(1<<32)"));
    assert!(allowed("SCMP_CMP_GT", 0xffff_ffff, 0, "personality(1<<32)"));
    // A zero mask is a tautology libseccomp leaves out: the rule becomes unconditional.
    assert!(allowed("SCMP_CMP_MASKED_EQ", 0, 5, "personality(8)"));
}

#[test]
fn i386_compares_the_low_32_bits() {
    let p = errno_default(
        r#"{"names":["getpid"],"action":"SCMP_ACT_ALLOW"},{"names":["unshare"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":4563402752,"op":"SCMP_CMP_EQ"}]}"#,
    );
    // 4563402752 = 1<<32 | CLONE_NEWUSER: only its low word is compared on i386.
    assert_eq!(
        predict(&p, "i386:unshare(CLONE_NEWUSER)").outcome,
        Outcome::Allowed
    );
    assert_eq!(
        predict(&p, "unshare(CLONE_NEWUSER)").outcome,
        Outcome::Errno
    );
}

#[test]
fn no_architectures_means_no_enosys_stub() {
    // Measured with this host's runtime (`Runtime::default`, see `stub_limits`): the default
    // answers instead.
    let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"}]}"#;
    assert_eq!(answer(predict(p, "rmdir")), EPERM_BY_DEFAULT);
}

#[test]
fn enosys_stub_above_the_highest_named_syscall() {
    // x86_64: getpid is 39, mkdir 83; rmdir (84) is above the highest named.
    let p = getpid_and_mkdir();
    assert_eq!(answer(predict(&p, "rmdir")), ENOSYS_BY_STUB);
    assert_eq!(predict(&p, "open").rule, Some(RuleRef::DEFAULT));
    // Dropped rules still raise the limit.
    let p2 = errno_default(
        r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"},{"names":["rmdir"],"action":"SCMP_ACT_ERRNO"}"#,
    );
    assert_eq!(predict(&p2, "rmdir").rule, Some(RuleRef::DEFAULT));
    // No stub for permissive defaults.
    for d in ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"] {
        let p = profile(d, X86, r#"{"names":["getpid"],"action":"SCMP_ACT_ERRNO"}"#);
        assert_ne!(predict(&p, "rmdir").rule, Some(RuleRef::ENOSYS_STUB), "{d}");
    }
    // A kill default gets it.
    let p = profile(
        "SCMP_ACT_KILL",
        X86,
        r#"{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}"#,
    );
    assert_eq!(predict(&p, "rmdir").rule, Some(RuleRef::ENOSYS_STUB));
    assert_eq!(predict(&p, "read").outcome, Outcome::Killed);
}

#[test]
fn missing_compat_arches_are_killed() {
    let p = profile("SCMP_ACT_ALLOW", r#""SCMP_ARCH_X86_64""#, "");
    for id in ["i386:getpid", "x32:getpid"] {
        let got = predict(&p, id);
        assert_eq!(
            (got.outcome, got.rule),
            (Outcome::Killed, Some(RuleRef::BAD_ARCH)),
            "{id}"
        );
    }
    assert_eq!(predict(&p, "getpid").outcome, Outcome::Allowed);
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW"}"#;
    assert_eq!(predict(p, "i386:getpid").outcome, Outcome::Killed);
}

#[test]
fn socket_rules_reach_i386_socketcall_without_their_arguments() {
    let p = errno_default(
        r#"{"names":["getpid","statx"],"action":"SCMP_ACT_ALLOW"},{"names":["socket"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":40,"op":"SCMP_CMP_NE"}]}"#,
    );
    assert_eq!(predict(&p, "i386:socket(AF_VSOCK)").outcome, Outcome::Errno);
    assert_eq!(
        predict(&p, "i386:socket(AF_INET)").outcome,
        Outcome::Allowed
    );
    // The family is in memory: socketcall(SYS_SOCKET, …) is allowed whatever it is.
    let got = predict(&p, "i386:socketcall(SYS_SOCKET,AF_VSOCK)");
    assert_eq!(
        (got.outcome, got.rule),
        (Outcome::Allowed, Some(RuleRef::Index(1)))
    );
    // libseccomp resolves i386 socket names to pseudo numbers, so they don't raise the
    // stub's limit: without statx (383), the direct socket call (359) is above it.
    let low = p.replace("statx", "openat");
    assert_eq!(
        predict(&low, "i386:socket(AF_INET)").rule,
        Some(RuleRef::ENOSYS_STUB)
    );
}

#[test]
fn actions_map_to_outcomes() {
    let with = |action: &str| {
        profile(
            "SCMP_ACT_ALLOW",
            X86,
            &format!(r#"{{"names":["getpid"],"action":"{action}"}}"#),
        )
    };
    assert_eq!(
        predict(&with("SCMP_ACT_KILL"), "getpid").outcome,
        Outcome::Killed
    );
    assert!(predict(&with("SCMP_ACT_KILL_PROCESS"), "getpid")
        .note
        .unwrap()
        .contains("PROCESS"));
    assert_eq!(
        predict(&with("SCMP_ACT_TRAP"), "getpid").outcome,
        Outcome::Trapped
    );
    let t = predict(&with("SCMP_ACT_TRACE"), "getpid");
    assert_eq!((t.outcome, t.errno), (Outcome::Errno, Some(38)));
    assert_eq!(
        predict(&with("SCMP_ACT_LOG"), "getpid").outcome,
        Outcome::Allowed
    );
}

#[test]
fn unconditional_rule_beats_conditional_ones() {
    let p = errno_default(
        r#"{"names":["personality"],"action":"SCMP_ACT_KILL","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_ALLOW"}"#,
    );
    let got = predict(&p, "personality(8)");
    assert_eq!(
        (got.outcome, got.rule),
        (Outcome::Allowed, Some(RuleRef::Index(1)))
    );
    // And the first unconditional rule wins over a later one.
    let p = errno_default(
        r#"{"names":["getpid"],"action":"SCMP_ACT_TRAP"},{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}"#,
    );
    assert_eq!(predict(&p, "getpid").outcome, Outcome::Trapped);
}

#[test]
fn identical_conditions_with_different_actions_fail_the_start() {
    let p = errno_default(
        r#"{"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},{"names":["personality"],"action":"SCMP_ACT_TRAP","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]}"#,
    );
    assert!(matches!(start_of(&p), Start::Refused(Blocker::Filter(_))));
}

#[test]
fn sibling_rules_follow_libseccomps_tree_order() {
    // clone with every argument all ones matches all three; libseccomp tests the greatest
    // datum of the greatest argument index first (measured: deny-namespaces' rule 9).
    let p = profile(
        "SCMP_ACT_ALLOW",
        X86,
        r#"{"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":3,"args":[{"index":0,"value":131072,"valueTwo":131072,"op":"SCMP_CMP_MASKED_EQ"}]},
           {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":4,"args":[{"index":0,"value":1073741824,"valueTwo":1073741824,"op":"SCMP_CMP_MASKED_EQ"}]},
           {"names":["clone"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":33554432,"valueTwo":33554432,"op":"SCMP_CMP_MASKED_EQ"}]}"#,
    );
    let got = predict(&p, "clone");
    assert_eq!((got.errno, got.rule), (Some(4), Some(RuleRef::Index(1))));
    // A higher argument index goes first (libseccomp 2.5.4's export_pfc lists a1 before a0).
    let p2 = p.replace(
        r#""errnoRet":5,"args":[{"index":0"#,
        r#""errnoRet":5,"args":[{"index":1"#,
    );
    assert_eq!(predict(&p2, "clone").rule, Some(RuleRef::Index(2)));
    // Even when every matching rule has the same action, the rule named is the first.
    let same = p
        .replace(r#""errnoRet":3"#, r#""errnoRet":4"#)
        .replace(r#""errnoRet":5"#, r#""errnoRet":4"#);
    assert_eq!(predict(&same, "clone").rule, Some(RuleRef::Index(1)));
}

#[test]
fn trap_carries_errno_zero() {
    let p = profile(
        "SCMP_ACT_ALLOW",
        X86,
        r#"{"names":["syslog"],"action":"SCMP_ACT_TRAP"}"#,
    );
    let got = predict(&p, "syslog");
    assert_eq!((got.outcome, got.errno), (Outcome::Trapped, Some(0)));
}

#[test]
fn unknown_names_are_ignored_and_do_not_raise_the_stub() {
    let p = getpid_and_mseal();
    let cat = Catalog::for_arch(Arch::X86_64);
    let known = resolve(&p, &host());
    // The rule lets mseal through; host()'s 6.1 predates it, so the kernel answers ENOSYS.
    let got = Oracle::new(&known).predict_filter(cat.get("mseal").unwrap());
    assert_eq!(
        (got.outcome, got.rule),
        (Outcome::Absent, Some(RuleRef::Index(0)))
    );
    let h = host().with_unknown_names(["mseal".to_string()].into());
    let r = resolve(&p, &h);
    let o = Oracle::new(&r);
    // getpid (39) is now the highest known name: mseal and rmdir are above it.
    let got = o.predict_filter(cat.get("mseal").unwrap());
    assert_eq!(got.rule, Some(RuleRef::ENOSYS_STUB));
    assert_eq!(
        o.predict_filter(cat.get("rmdir").unwrap()).rule,
        Some(RuleRef::ENOSYS_STUB)
    );
}

#[test]
fn uretprobe_and_uprobe_bypass_seccomp_on_new_kernels() {
    let p = getpid_and_mseal();
    let at = |k: KernelVersion, id: &str| predict_with(&p, &host_on(k), id);
    let got = at(KernelVersion::new(6, 18), "uretprobe");
    assert_eq!((got.outcome, got.rule), (Outcome::Allowed, None));
    assert_eq!(
        at(KernelVersion::new(6, 18), "uprobe").outcome,
        Outcome::Allowed
    );
    // Before the exception the filter decides.
    assert_eq!(
        at(KernelVersion::new(6, 13), "uretprobe").rule,
        Some(RuleRef::DEFAULT)
    );
    assert_eq!(
        at(KernelVersion::new(6, 15), "uprobe").rule,
        Some(RuleRef::DEFAULT)
    );
}

#[test]
fn uretprobe_exception_follows_the_6_12_stable_backport() {
    let p = getpid_and_mseal();
    let at = |minor: u64, sublevel: Option<u64>, id: &str| {
        let h = host_on(KernelVersion::new(6, minor)).with_kernel_sublevel(sublevel);
        predict_with(&p, &h, id)
    };
    // 6.12.14 took it (measured on Debian's 6.12.117): past every filter.
    let got = at(12, Some(117), "uretprobe");
    assert_eq!((got.outcome, got.rule), (Outcome::Allowed, None));
    assert!(got.note.unwrap().contains("backported to 6.12.14"));
    assert_eq!(at(12, Some(14), "uretprobe").outcome, Outcome::Allowed);
    // Before it, or with the sublevel unknown, the filter decides.
    assert_eq!(at(12, Some(13), "uretprobe").rule, Some(RuleRef::DEFAULT));
    assert_eq!(at(12, None, "uretprobe").rule, Some(RuleRef::DEFAULT));
    // Another series with a high sublevel: mainline's rule (6.14).
    assert_eq!(at(13, Some(50), "uretprobe").rule, Some(RuleRef::DEFAULT));
    // 6.12 has no uprobe syscall: its backported exception changes nothing.
    assert_eq!(at(12, Some(117), "uprobe").rule, Some(RuleRef::DEFAULT));
}

#[test]
fn notify_default_fails_the_start() {
    let p = profile("SCMP_ACT_NOTIFY", X86, "");
    assert!(matches!(start_of(&p), Start::Refused(Blocker::Filter(_))));
}

pub(crate) fn start_of(profile: &str) -> Start {
    let p = parsed(profile);
    start_with(&p, &host())
}

pub(crate) fn allow_all_but(default: &str, rules: &str) -> String {
    format!(r#"{{"defaultAction":"{default}","syscalls":[{rules}]}}"#)
}

#[test]
fn one_start_prediction_for_runtime_calls_footprint_and_output() {
    let deny = |names: &str, action: &str| {
        start_of(&allow_all_but(
            "SCMP_ACT_ALLOW",
            &format!(r#"{{"names":[{names}],"action":"{action}"}}"#),
        ))
    };
    assert_eq!(deny(r#""getpid""#, "SCMP_ACT_ERRNO"), Start::Starts);
    // Denying a runtime call fails the start; killing one holds the container back.
    assert!(matches!(
        deny(r#""fstatfs""#, "SCMP_ACT_ERRNO"),
        Start::Refused(Blocker::RuntimeCalls { .. })
    ));
    assert!(matches!(
        deny(r#""getppid""#, "SCMP_ACT_KILL"),
        Start::HeldBack(Blocker::RuntimeCalls { .. })
    ));
    // The footprint: a kill is fatal, an errno only where the probe can't do without.
    assert!(matches!(
        deny(r#""set_robust_list""#, "SCMP_ACT_KILL_PROCESS"),
        Start::ProbeCannotRun(Blocker::Footprint { .. })
    ));
    assert_eq!(
        deny(r#""set_robust_list""#, "SCMP_ACT_ERRNO"),
        Start::Starts
    );
    assert!(matches!(
        deny(r#""arch_prctl""#, "SCMP_ACT_ERRNO"),
        Start::ProbeCannotRun(Blocker::Footprint { .. })
    ));
    // Output: the probe falls back from writev; write is the runtime's own need too.
    assert_eq!(
        deny(r#""writev","vmsplice""#, "SCMP_ACT_ERRNO"),
        Start::Starts
    );
    let mute = deny(r#""write","writev","vmsplice""#, "SCMP_ACT_ERRNO");
    assert!(
        refused_by_runtime_calls(&mute, "write (errno 1)"),
        "{mute:?}"
    );
    // faccessat2 tolerates an errno (the runtime falls back) but not a trap.
    assert_eq!(deny(r#""faccessat2""#, "SCMP_ACT_ERRNO"), Start::Starts);
    assert!(matches!(
        deny(r#""faccessat2""#, "SCMP_ACT_TRAP"),
        Start::Refused(Blocker::RuntimeCalls { .. })
    ));
}

#[test]
fn the_probe_avoids_what_is_not_allowed_and_predictions_follow() {
    let cat = Catalog::for_arch(Arch::X86_64);
    let p = parsed(&allow_all_but(
        "SCMP_ACT_ALLOW",
        r#"{"names":["kill","tgkill","tkill","rt_sigreturn"],"action":"SCMP_ACT_TRAP"},{"names":["getpid"],"action":"SCMP_ACT_TRAP"}"#,
    ));
    let r = resolve(&p, &host());
    let o = Oracle::new(&r);
    let avoid = o.probe_avoid(&cat);
    assert_eq!(avoid, ["rt_sigreturn", "kill", "tgkill", "tkill"]);
    // No handler: a trap kills; nothing can wake pause.
    let getpid = o.predict(cat.get("getpid").unwrap(), &avoid, &cat);
    assert_eq!(getpid.outcome, Outcome::Killed);
    let pause = o.predict(cat.get("pause").unwrap(), &avoid, &cat);
    assert_eq!(pause.outcome, Outcome::Timeout);
    assert_eq!(
        o.predict(cat.get("pause").unwrap(), &[], &cat).outcome,
        Outcome::Allowed
    );
}

/// The probe's own calls are judged with the arguments it really passes (`real_args`), not the
/// catalog case's all-ones: a rule that kills `write` only when fd is 1 stops its records
/// (measured on the default runtime's 1.1.5, 1.1.15 and 1.3.6: every cell `not_run` while the oracle predicted
/// a start), so the probe must write them with writev instead.
#[test]
fn the_footprint_and_machinery_are_judged_with_the_probes_own_arguments() {
    let cat = Catalog::for_arch(Arch::X86_64);
    let on_fd1 = |names: &str, action: &str| {
        format!(
            r#"{{"names":[{names}],"action":"{action}","args":[{{"index":0,"value":1,"op":"SCMP_CMP_EQ"}}]}}"#
        )
    };
    let p = allow_all_but(
        "SCMP_ACT_ALLOW",
        &on_fd1(r#""write""#, "SCMP_ACT_KILL_PROCESS"),
    );
    let p = parsed(&p);
    let r = resolve(&p, &host());
    let o = Oracle::new(&r);
    assert_eq!(o.start(&cat), Start::Starts);
    let avoid = o.probe_avoid(&cat);
    assert!(avoid.contains(&"write"), "{avoid:?}");
    assert!(!avoid.contains(&"writev"), "{avoid:?}");
    // With writev and vmsplice gone too, no record can be written.
    let p = allow_all_but(
        "SCMP_ACT_ALLOW",
        &on_fd1(r#""write","writev","vmsplice""#, "SCMP_ACT_ERRNO"),
    );
    assert!(
        matches!(
            start_of(&p),
            Start::ProbeCannotRun(Blocker::Footprint { .. })
        ),
        "{:?}",
        start_of(&p)
    );
    // glibc's RELRO mprotect passes PROT_READ: killed there, the probe never starts.
    let p = allow_all_but(
        "SCMP_ACT_ALLOW",
        r#"{"names":["mprotect"],"action":"SCMP_ACT_KILL_PROCESS","args":[{"index":2,"value":1,"op":"SCMP_CMP_EQ"}]}"#,
    );
    assert!(
        matches!(start_of(&p), Start::ProbeCannotRun(Blocker::Footprint { ref calls }) if calls[0].syscall == "mprotect"),
        "{:?}",
        start_of(&p)
    );
    // A rule on an fd the probe never writes to leaves it alone.
    let p = allow_all_but(
        "SCMP_ACT_ALLOW",
        r#"{"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"value":7,"op":"SCMP_CMP_EQ"}]}"#,
    );
    let p = parsed(&p);
    let r = resolve(&p, &host());
    let avoid = Oracle::new(&r).probe_avoid(&cat);
    // The lifeline's fd is the kernel's choice: it may be 7, so write is avoided, writev not.
    assert!(
        avoid.contains(&"write") && !avoid.contains(&"writev"),
        "{avoid:?}"
    );
}

#[test]
fn the_probe_fork_is_judged_with_its_own_flags_not_the_case() {
    // Docker's default profile: clone only without namespace flags (MASKED_EQ on argument 0,
    // mask 0x7E020000 as in moby's default.json). The catalog's `clone` case has all-ones
    // flags and is denied; the probe's clone(SIGCHLD) is allowed, so the probe keeps forking.
    let cat = Catalog::for_arch(Arch::X86_64);
    let docker_like = errno_default(
        r#"{"names":["clone"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":2114060288,"op":"SCMP_CMP_MASKED_EQ"}]}"#,
    );
    let p = parsed(&docker_like);
    let r = resolve(&p, &host());
    let o = Oracle::new(&r);
    assert_eq!(
        o.predict_filter(cat.get("clone").unwrap()).outcome,
        Outcome::Errno
    );
    assert!(!o.probe_avoid(&cat).contains(&"clone"));
    // A rule that the probe's own flags fail (bit 4 must be clear; SIGCHLD is 17) is avoided.
    let hostile = docker_like.replace(
        r#""value":2114060288,"op":"SCMP_CMP_MASKED_EQ""#,
        r#""value":16,"op":"SCMP_CMP_MASKED_EQ""#,
    );
    let p = parsed(&hostile);
    let r = resolve(&p, &host());
    assert!(Oracle::new(&r).probe_avoid(&cat).contains(&"clone"));
}

#[test]
fn the_first_kernels_table_names_real_syscalls_once_per_arch() {
    let rows = first_kernels();
    assert!(rows.len() > 40, "{} rows", rows.len());
    for arch in Arch::ALL {
        let cat = Catalog::for_arch(*arch);
        let mut seen = std::collections::BTreeSet::new();
        for row in rows.iter().filter(|r| r.arch.is_none_or(|a| a == *arch)) {
            assert!(seen.insert(row.syscall), "{} twice for {arch}", row.syscall);
            // Every row is about a syscall of the catalog, or the arch doesn't have it at all.
            let in_catalog = cat.cases().iter().any(|c| c.syscall == row.syscall);
            assert!(
                in_catalog || row.arch.is_none(),
                "{} for {arch} is no syscall of the catalog",
                row.syscall
            );
            assert!(row.since >= KernelVersion::new(5, 1), "{row:?}");
        }
    }
    let mseal = first_kernel("mseal", Arch::X86_64).unwrap();
    assert_eq!(mseal.since, KernelVersion::new(6, 10));
    assert_eq!(
        first_kernel("map_shadow_stack", Arch::Aarch64)
            .unwrap()
            .since,
        KernelVersion::new(6, 13)
    );
    assert!(first_kernel("uprobe", Arch::Aarch64).is_none());
    assert!(first_kernel("getpid", Arch::X86_64).is_none());
}

#[test]
fn a_syscall_newer_than_the_kernel_is_absent_where_the_filter_lets_it_through() {
    let p = profile(
        "SCMP_ACT_ALLOW",
        X86,
        r#"{"names":["listmount"],"action":"SCMP_ACT_ERRNO","errnoRet":72}"#,
    );
    let p = parsed(&p);
    let at = |k: KernelVersion, id: &str| predict_with(&p, &host_on(k), id);
    // Allowed by the default: ENOSYS below the first kernel, allowed from it on.
    let got = at(KernelVersion::new(6, 1), "statmount");
    assert_eq!((got.outcome, got.errno), (Outcome::Absent, Some(38)));
    assert!(got.note.unwrap().contains("Linux 6.8 on"));
    for ((major, minor), case, outcome) in [
        ((6, 7), "statmount", Outcome::Absent),
        ((6, 8), "statmount", Outcome::Allowed),
        // Old syscalls are on every kernel.
        ((5, 10), "getpid", Outcome::Allowed),
        // uprobe: absent before 6.16, past every filter from 6.16.
        ((6, 12), "uprobe", Outcome::Absent),
        // memfd_secret answers from 6.5, when secretmem became on by default.
        ((6, 1), "memfd_secret", Outcome::Absent),
        ((6, 12), "memfd_secret", Outcome::Allowed),
    ] {
        let got = at(KernelVersion::new(major, minor), case).outcome;
        assert_eq!(got, outcome, "{case} on {major}.{minor}");
    }
    // A denial comes from the filter, before the kernel looks the number up.
    let got = at(KernelVersion::new(6, 1), "listmount");
    assert_eq!((got.outcome, got.errno), (Outcome::Errno, Some(72)));
}

#[test]
fn unfiltered_cells_follow_the_kernel() {
    let cat = Catalog::for_arch(Arch::X86_64);
    let at = |k: (u64, u64), id: &str| {
        predict_unfiltered(
            cat.get(id).unwrap(),
            Arch::X86_64,
            KernelVersion::new(k.0, k.1),
        )
        .outcome
    };
    assert_eq!(at((6, 1), "mseal"), Outcome::Absent);
    assert_eq!(at((6, 12), "mseal"), Outcome::Allowed);
    assert_eq!(at((6, 12), "file_getattr"), Outcome::Absent);
    assert_eq!(at((6, 17), "file_getattr"), Outcome::Allowed);
    assert_eq!(at((5, 10), "read"), Outcome::Allowed);
    // A compat ABI's case is not judged by the native table.
    let i386 = cat.cases().iter().find(|c| c.abi == Abi::I386).unwrap();
    assert_eq!(
        predict_unfiltered(i386, Arch::X86_64, KernelVersion::new(5, 10)).outcome,
        Outcome::Allowed
    );
}

/// What answers before the rules: nothing for a plain case, the stub above the highest name,
/// the bad-arch action for an ABI the filter lacks.
#[test]
fn before_the_rules_come_the_stub_and_the_bad_arch_action() {
    let p = parsed(&profile(
        "SCMP_ACT_ERRNO",
        r#""SCMP_ARCH_X86_64""#,
        r#"{"names":["getpid"],"action":"SCMP_ACT_ALLOW"}"#,
    ));
    let r = resolve(&p, &host());
    let o = Oracle::new(&r);
    let cat = Catalog::for_arch(Arch::X86_64);
    assert!(o.before_rules(cat.get("getpid").unwrap()).is_none());
    assert!(o.before_rules(cat.get("read").unwrap()).is_none());
    let stub = o.before_rules(cat.get("mkdir").unwrap()).unwrap();
    assert_eq!(stub.rule, Some(RuleRef::ENOSYS_STUB));
    let bad = o.before_rules(cat.get("i386:getpid").unwrap()).unwrap();
    assert_eq!(bad.rule, Some(RuleRef::BAD_ARCH));
}
