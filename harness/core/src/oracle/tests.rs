use super::*;
use crate::profile::parse::parsed;
use crate::profile::{resolve, CapSet, Host, KernelVersion, Profile};
use crate::runtime::Runtime;
use seccomp_catalog::{Arch, Catalog};

/// What a prediction says a call ends in: the outcome, its errno and the rule that decided.
type Answer = (Outcome, Option<i32>, Option<RuleRef>);

/// What an ERRNO default without `defaultErrnoRet` answers.
const EPERM_BY_DEFAULT: Answer = (Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));

/// What the runtime's ENOSYS stub answers above the highest syscall a profile names.
const ENOSYS_BY_STUB: Answer = (Outcome::Errno, Some(ENOSYS), Some(RuleRef::ENOSYS_STUB));

fn answer(got: Prediction) -> Answer {
    (got.outcome, got.errno, got.rule)
}

fn host() -> Host {
    Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 1),
    )
}

fn predict(profile: &str, case: &str) -> Prediction {
    predict_with(&parsed(profile), &host(), case)
}

/// The filter's answer to x86_64's `case` under `profile` on `host`.
fn predict_with(profile: &crate::profile::Profile, host: &Host, case: &str) -> Prediction {
    let cat = Catalog::for_arch(Arch::X86_64);
    let c = cat.get(case).unwrap_or_else(|| panic!("no case {case}"));
    Oracle::new(&resolve(profile, host)).predict_filter(c)
}

/// [`host`] on kernel `kernel`.
fn host_on(kernel: KernelVersion) -> Host {
    let mut h = host();
    h.kernel = kernel;
    h
}

/// [`host`] with runc `version`.
fn on_runc(version: &str) -> Host {
    host().with_runtime(Runtime::parse("runc", Some(version)))
}

/// How a container under `profile` starts on `host`.
fn start_with(profile: &Profile, host: &Host) -> Start {
    Oracle::new(&resolve(profile, host)).start(&Catalog::for_arch(Arch::X86_64))
}

/// Whether the runtime can't start the container for its own calls, with `why` in the note.
fn refused_by_runtime_calls(start: &Start, why: &str) -> bool {
    matches!(start, Start::Refused(Blocker::RuntimeCalls { .. }))
        && start.note().is_some_and(|n| n.contains(why))
}

fn profile(default: &str, arches: &str, rules: &str) -> String {
    format!(r#"{{"defaultAction":"{default}","architectures":[{arches}],"syscalls":[{rules}]}}"#)
}

const X86: &str = r#""SCMP_ARCH_X86_64","SCMP_ARCH_X86","SCMP_ARCH_X32""#;

/// `rules` on every x86 ABI, the rest denied with EPERM.
fn errno_default(rules: &str) -> String {
    profile("SCMP_ACT_ERRNO", X86, rules)
}

/// Allows getpid (39) and mkdir (83), denies the rest: the plainest allow-list.
fn getpid_and_mkdir() -> String {
    errno_default(r#"{"names":["getpid","mkdir"],"action":"SCMP_ACT_ALLOW"}"#)
}

/// Allows getpid and mseal, which is newer than [`host`]'s kernel, and denies the rest.
fn getpid_and_mseal() -> Profile {
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
    assert!(got.note.unwrap().contains("runc drops"));
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
    // Measured with runc 1.1.5 (see `stub_limits`): the default answers instead.
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

fn start_of(profile: &str) -> Start {
    let p = parsed(profile);
    start_with(&p, &host())
}

fn allow_all_but(default: &str, rules: &str) -> String {
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
    // Output: the probe falls back from writev; write is runc's own need too.
    assert_eq!(
        deny(r#""writev","vmsplice""#, "SCMP_ACT_ERRNO"),
        Start::Starts
    );
    let mute = deny(r#""write","writev","vmsplice""#, "SCMP_ACT_ERRNO");
    assert!(
        refused_by_runtime_calls(&mute, "write (errno 1)"),
        "{mute:?}"
    );
    // faccessat2 tolerates an errno (runc falls back) but not a trap.
    assert_eq!(deny(r#""faccessat2""#, "SCMP_ACT_ERRNO"), Start::Starts);
    assert!(matches!(
        deny(r#""faccessat2""#, "SCMP_ACT_TRAP"),
        Start::Refused(Blocker::RuntimeCalls { .. })
    ));
}

#[test]
fn runtime_needs_follow_the_runtime_and_its_version() {
    let start_on = |runtime: Runtime, rules: &str| {
        let p = parsed(&allow_all_but("SCMP_ACT_ALLOW", rules));
        start_with(&p, &host().with_runtime(runtime))
    };
    let runc = |v: &str| Runtime::parse("runc", Some(v));
    let triple = |v: &str| runc(v).version.map(crate::version::Version::triple);
    assert_eq!(triple("1.3.6+ds1"), Some((1, 3, 6)));
    assert_eq!(triple("v1.1.5"), Some((1, 1, 5)));
    assert_eq!(triple("1.28"), Some((1, 28, 0)));
    // statx: runc 1.3 can't start without it, runc 1.1 never calls it.
    let statx = r#"{"names":["statx"],"action":"SCMP_ACT_ERRNO"}"#;
    assert_eq!(start_on(runc("1.1.5"), statx), Start::Starts);
    let refused = start_on(runc("1.3.6"), statx);
    assert!(
        refused_by_runtime_calls(&refused, "runc 1.3"),
        "{refused:?}"
    );
    // tgkill: runc 1.3 survives an errno, not a trap.
    let trap = r#"{"names":["tgkill"],"action":"SCMP_ACT_TRAP"}"#;
    let errno = r#"{"names":["tgkill"],"action":"SCMP_ACT_ERRNO"}"#;
    assert_eq!(start_on(runc("1.1.5"), trap), Start::Starts);
    assert_eq!(start_on(runc("1.3.6"), errno), Start::Starts);
    assert!(matches!(start_on(runc("1.3.6"), trap), Start::Refused(_)));
    // An unreported version gets the newest model.
    assert!(matches!(
        start_on(Runtime::parse("runc", None), statx),
        Start::Refused(_)
    ));
}

/// From runc 1.2.8 and 1.3.3 (the pathrs-lite fix; measured on runc 1.3.6, the lab's
/// sid-runc), runc walks /proc by hand after loading the filter when `openat2` fails, and the
/// walk needs `readlinkat` and `fcntl`. Before, the oracle predicted a start for profiles
/// that deny both openat2 and readlinkat, and the recorded nginx and Tomcat copies of the
/// corpus failed to start on runc 1.3.6 ("get handle to /proc/thread-self/fd: readlinkat …:
/// operation not permitted") with every cell failing.
#[test]
fn runc_needs_readlinkat_and_fcntl_where_openat2_fails_from_1_3_3() {
    let start_on = |version: &str, denied: &str| {
        let rules = format!(r#"{{"names":[{denied}],"action":"SCMP_ACT_ERRNO"}}"#);
        let p = parsed(&allow_all_but("SCMP_ACT_ALLOW", &rules));
        start_with(&p, &on_runc(version))
    };
    for version in ["1.2.8", "1.3.3", "1.3.6", "1.4.0"] {
        for (denied, call) in [
            (r#""openat2","readlinkat""#, "readlinkat"),
            (r#""openat2","fcntl""#, "fcntl"),
        ] {
            let start = start_on(version, denied);
            let why = format!("{call} (errno 1; its fallback where openat2 fails)");
            assert!(
                refused_by_runtime_calls(&start, &why),
                "runc {version}, {denied}: {start:?}"
            );
        }
        // With openat2 allowed runc never takes the walk; openat2 alone is tolerated.
        for denied in [r#""readlinkat""#, r#""fcntl""#, r#""openat2""#] {
            assert_eq!(
                start_on(version, denied),
                Start::Starts,
                "runc {version}, {denied}"
            );
        }
    }
    // Before the fix, runc opened /proc/thread-self/fd by path: no walk.
    for version in ["1.1.5", "1.1.15", "1.2.7", "1.3.2"] {
        assert_eq!(
            start_on(version, r#""openat2","readlinkat","fcntl""#),
            Start::Starts,
            "runc {version}"
        );
    }
    // The ENOSYS stub fails openat2 too: an allow-list that names neither openat2 nor
    // readlinkat, above whose highest name openat2 lies.
    let list = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{"names":["fstatfs","openat","getdents64","getcwd","chdir","newfstatat","fstat","write","close","setuid","setgid","setgroups","capget","capset","prctl","getppid","execve","rt_sigreturn","statx","fcntl"],"action":"SCMP_ACT_ALLOW"}]}"#;
    let p = parsed(list);
    let start = start_with(&p, &on_runc("1.3.6"));
    let note = start.note().unwrap_or_default();
    assert!(
        note.contains("readlinkat (errno 1; its fallback where openat2 fails)")
            && !note.contains("fcntl"),
        "{start:?}"
    );
}

#[test]
fn crun_has_no_enosys_stub_and_its_own_start_needs() {
    let crun = Runtime::parse("crun", Some("1.28"));
    let cat = Catalog::for_arch(Arch::X86_64);
    // Above the highest named syscall: runc's stub answers ENOSYS, crun the default.
    let p = parsed(&getpid_and_mkdir());
    let r = resolve(&p, &host().with_runtime(crun.clone()));
    let got = Oracle::new(&r).predict_filter(cat.get("rmdir").unwrap());
    assert_eq!(answer(got), EPERM_BY_DEFAULT);
    let start_on = |runtime: &Runtime, rules: &str| {
        let p = parsed(&allow_all_but("SCMP_ACT_ALLOW", rules));
        start_with(&p, &host().with_runtime(runtime.clone()))
    };
    // setresuid: crun can't start without it; runc 1.1 never calls it.
    let deny = r#"{"names":["setresuid"],"action":"SCMP_ACT_ERRNO"}"#;
    assert_eq!(start_on(&Runtime::runc_1_1(), deny), Start::Starts);
    let refused = start_on(&crun, deny);
    assert!(refused.note().unwrap().contains("crun 1.28"), "{refused:?}");
    // A kill fails crun's start at once: refused, not held back as with runc.
    let kill = r#"{"names":["pselect6"],"action":"SCMP_ACT_KILL"}"#;
    assert!(matches!(start_on(&crun, kill), Start::Refused(_)));
    let kill = r#"{"names":["getppid"],"action":"SCMP_ACT_KILL"}"#;
    assert_eq!(start_on(&crun, kill), Start::Starts);
    // close survives an errno, not a trap.
    assert_eq!(
        start_on(&crun, r#"{"names":["close"],"action":"SCMP_ACT_ERRNO"}"#),
        Start::Starts
    );
    assert!(matches!(
        start_on(&crun, r#"{"names":["close"],"action":"SCMP_ACT_TRAP"}"#),
        Start::Refused(_)
    ));
    // The exec fifo read comes after the engine reported the start: the probe never runs.
    let late = start_on(&crun, r#"{"names":["read"],"action":"SCMP_ACT_ERRNO"}"#);
    assert!(
        matches!(
            late,
            Start::ProbeCannotRun(Blocker::RuntimeCallsAfterStart { .. })
        ),
        "{late:?}"
    );
    assert_eq!(
        start_on(
            &crun,
            r#"{"names":["close_range"],"action":"SCMP_ACT_ERRNO"}"#
        ),
        Start::Starts
    );
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

/// runc's stub by version: before 1.1.15 only the listed arches get one; from 1.1.15 (and
/// 1.2.0) the native arch always does. Each row measured on runc 1.1.5 (this host), 1.1.15
/// and 1.3.6 (the lab) with a default of ERRNO allowing every x86_64 call up to clone3.
#[test]
fn enosys_stub_covers_the_native_arch_from_runc_1_1_15() {
    let cat = Catalog::for_arch(Arch::X86_64);
    let on = |arches: Option<&str>, version: &str, case: &str| {
        let arches = arches
            .map(|a| format!(r#""architectures":[{a}],"#))
            .unwrap_or_default();
        let p = format!(
            r#"{{"defaultAction":"SCMP_ACT_ERRNO",{arches}"syscalls":[{{"names":["getpid","mkdir","clone3"],"action":"SCMP_ACT_ALLOW"}}]}}"#
        );
        let p = parsed(&p);
        let r = resolve(&p, &on_runc(version));
        let got = Oracle::new(&r).predict_filter(cat.get(case).unwrap());
        (got.outcome, got.errno, got.rule)
    };
    let eperm = (Outcome::Errno, Some(1), Some(RuleRef::DEFAULT));
    let enosys = (Outcome::Errno, Some(ENOSYS), Some(RuleRef::ENOSYS_STUB));
    for case in ["mseal", "process_madvise"] {
        // No architectures.
        assert_eq!(on(None, "1.1.5+ds1", case), eperm, "{case}");
        assert_eq!(on(None, "1.1.15+ds1", case), enosys, "{case}");
        assert_eq!(on(None, "1.3.6+ds1", case), enosys, "{case}");
        // Only the i386 compat arch listed: no native stub before 1.1.15.
        let x86 = Some(r#""SCMP_ARCH_X86""#);
        assert_eq!(on(x86, "1.1.5+ds1", case), eperm, "{case}");
        assert_eq!(on(x86, "1.1.14", case), eperm, "{case}");
        assert_eq!(on(x86, "1.1.15+ds1", case), enosys, "{case}");
        assert_eq!(on(x86, "1.3.6+ds1", case), enosys, "{case}");
        // All three listed: a stub on every version.
        assert_eq!(on(Some(X86), "1.1.5", case), enosys, "{case}");
    }
    // The listed compat arch keeps its own stub on 1.1.5: i386 mkdir (39) is below the
    // highest i386 number the profile names (clone3, 435), keyctl (288) too; both default.
    assert_eq!(
        on(Some(r#""SCMP_ARCH_X86""#), "1.1.5", "i386:keyctl"),
        eperm
    );
}

/// runc closes its log pipe after loading the filter and fails the start on an error
/// (measured on runc 1.1.5, 1.1.15 and 1.3.6); crun survives an errno on close.
#[test]
fn runc_needs_close_after_loading_the_filter() {
    let deny = allow_all_but(
        "SCMP_ACT_ALLOW",
        r#"{"names":["close"],"action":"SCMP_ACT_ERRNO"}"#,
    );
    let p = parsed(&deny);
    for v in ["1.1.5", "1.1.15", "1.3.6"] {
        let start = start_with(&p, &on_runc(v));
        assert!(
            matches!(&start, Start::Refused(Blocker::RuntimeCalls { calls, .. }) if calls.iter().any(|c| c.syscall == "close")),
            "runc {v}: {start:?}"
        );
    }
    let crun = host().with_runtime(Runtime::parse("crun", Some("1.28")));
    assert_eq!(start_with(&p, &crun), Start::Starts);
}

/// The probe's own calls are judged with the arguments it really passes (`real_args`), not the
/// catalog case's all-ones: a rule that kills `write` only when fd is 1 stops its records
/// (measured on runc 1.1.5, 1.1.15 and 1.3.6: every cell `not_run` while the oracle predicted
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

/// runc 1.1.5's write, close and fstat after loading the filter are judged with the arguments
/// it really passes (`write(3, _, 1)`, `close(3)`, `close(4)`, `fstat(0..=2)`, measured on this
/// host), not the catalog's all-ones: the recorded httpd allow-list bounds them by fd and size
/// and starts. Before, the oracle predicted "does not allow write (errno 1), close (errno 1),
/// fstat (errno 1)" and every cell of the start-able httpd copy failed.
#[test]
fn runc_1_1_5s_own_writes_and_closes_are_judged_with_its_real_arguments() {
    let start_on = |runtime: &str, rules: &str| {
        let p = parsed(&allow_all_but("SCMP_ACT_ERRNO", rules));
        start_with(&p, &on_runc(runtime))
    };
    let needs = r#"{"names":["fstatfs","openat","getdents64","getcwd","chdir","newfstatat","setuid","setgid","setgroups","capget","capset","prctl","getppid","execve","statx","exit_group","arch_prctl","set_tid_address","rt_sigaction","rt_sigprocmask","rt_sigreturn","sigaltstack","clone","wait4","kill","tgkill","getpid","gettid","exit","writev","mmap","munmap","rseq","set_robust_list","prlimit64","brk","read","getrandom","clock_gettime","poll","ppoll","pselect6","nanosleep","setsid","prctl","ioctl","dup2","dup3","pipe2","fcntl"],"action":"SCMP_ACT_ALLOW"}"#;
    let bounded = |write_fd: u64| {
        format!(
            r#"{needs},
            {{"names":["write"],"action":"SCMP_ACT_ALLOW","args":[{{"index":0,"op":"SCMP_CMP_LE","value":{write_fd}}},{{"index":2,"op":"SCMP_CMP_LE","value":256}}]}},
            {{"names":["close","fstat"],"action":"SCMP_ACT_ALLOW","args":[{{"index":0,"op":"SCMP_CMP_LE","value":64}}]}}"#
        )
    };
    let start = start_on("1.1.5", &bounded(8));
    assert!(
        !matches!(start, Start::Refused(Blocker::RuntimeCalls { .. })),
        "{start:?}"
    );
    // runc's write is on fd 3: a bound of 2 takes it.
    let refused = start_on("1.1.5", &bounded(2));
    assert!(
        refused_by_runtime_calls(&refused, "write (errno 1)"),
        "{refused:?}"
    );
    assert!(!refused.note().unwrap().contains("close"), "{refused:?}");
    // runc 1.1.15 makes the same calls (measured on the lab's trixie-runc).
    assert!(
        !matches!(
            start_on("1.1.15", &bounded(8)),
            Start::Refused(Blocker::RuntimeCalls { .. })
        ),
        "runc 1.1.15"
    );
    assert!(matches!(
        start_on("1.1.15", &bounded(2)),
        Start::Refused(Blocker::RuntimeCalls { .. })
    ));
    // runc 1.2 before 1.2.8 was not measured: its calls keep the catalog's arguments.
    assert!(matches!(
        start_on("1.2.7", &bounded(8)),
        Start::Refused(Blocker::RuntimeCalls { .. })
    ));
}

/// runc 1.3.6's own write, close and fstat after loading the filter, measured on the lab's
/// sid-runc (Docker 28.5.2): `write(5, _, 1)`, `close(4)`, `close(5)`, `fstat` on 0, 1, 2 and
/// 13, and when openat2 fails (its walk of /proc) `fstat` on 4, 5, 7, 11 and 12 too. Before,
/// runc 1.3's calls were judged with the catalog's all-ones arguments: any bound on their fd
/// was predicted to fail the start, and the start-able httpd copy (write `fd <= 8`, close and
/// fstat `fd <= 64`) was predicted not to start on runc 1.3.6.
#[test]
fn runc_1_3_6s_own_writes_closes_and_fstats_are_judged_with_its_real_arguments() {
    let start_on = |rules: &str| {
        let p = parsed(&allow_all_but("SCMP_ACT_ALLOW", rules));
        start_with(&p, &on_runc("1.3.6+ds1"))
    };
    let deny = |call: &str, op: &str, fd: u64, more: &str| {
        start_on(&format!(
            r#"{{"names":["{call}"],"action":"SCMP_ACT_ERRNO","args":[{{"index":0,"op":"{op}","value":{fd}}}]}}{more}"#
        ))
    };
    let refused = |s: &Start, call: &str| refused_by_runtime_calls(s, &format!("{call} (errno 1"));
    let openat2 = r#",{"names":["openat2"],"action":"SCMP_ACT_ERRNO"}"#;
    for (call, fatal) in [
        ("write", &[5][..]),
        ("close", &[4, 5]),
        ("fstat", &[0, 1, 2, 13]),
    ] {
        for fd in 0..=20 {
            let start = deny(call, "SCMP_CMP_EQ", fd, "");
            assert_eq!(
                refused(&start, call),
                fatal.contains(&fd),
                "{call}({fd}): {start:?}"
            );
        }
        assert_eq!(
            deny(call, "SCMP_CMP_GE", 21, ""),
            Start::Starts,
            "{call}(>= 21)"
        );
    }
    // The walk of /proc that a failing openat2 takes: five more fstat sites.
    for fd in 0..=20 {
        let start = deny("fstat", "SCMP_CMP_EQ", fd, openat2);
        let fatal = [0, 1, 2, 4, 5, 7, 11, 12, 13].contains(&fd);
        assert_eq!(
            refused(&start, "fstat"),
            fatal,
            "fstat({fd}) with openat2 denied: {start:?}"
        );
    }
    // The exec fifo's write is one byte: a rule on fd 5 with another count leaves it.
    let count0 = start_on(
        r#"{"names":["write"],"action":"SCMP_ACT_ERRNO","args":[{"index":0,"op":"SCMP_CMP_EQ","value":5},{"index":2,"op":"SCMP_CMP_EQ","value":0}]}"#,
    );
    assert_eq!(count0, Start::Starts);
}

/// runc's init is a Go program whose signal handlers can run between loading the filter and
/// `execve`; their return is `rt_sigreturn`. A profile that denies it failed 2 of 16 starts on
/// runc 1.1.5 (exit 139 before the probe ran), so a start proves nothing: it is predicted not
/// to start, with the call named. Before, the oracle predicted a start, and the recorded
/// httpd allow-list's start-able copy (which names the i386-only `sigreturn`) failed at random.
#[test]
fn a_profile_that_denies_rt_sigreturn_is_predicted_not_to_start_on_runc() {
    let p = parsed(
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["rt_sigreturn"],"action":"SCMP_ACT_ERRNO"}]}"#,
    );
    for version in ["1.1.5", "1.1.15", "1.3.6"] {
        let start = start_with(&p, &on_runc(version));
        assert!(
            refused_by_runtime_calls(&start, "rt_sigreturn (errno 1)"),
            "runc {version}: {start:?}"
        );
    }
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
