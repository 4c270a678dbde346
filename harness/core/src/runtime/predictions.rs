//! The oracle's predictions on each runtime: the facts of the models in this module as the
//! oracle applies them (start needs, their call sites and fallbacks, the ENOSYS stub by
//! version), each test with the measurement it pins.

use super::Runtime;
use crate::oracle::tests::*;
use crate::oracle::{Blocker, Oracle, Start};
use crate::outcome::{Outcome, RuleRef};
use crate::profile::parse::parsed;
use crate::profile::{resolve, Host};
use seccomp_catalog::{Arch, Catalog};

/// [`host`] with runc `version`.
fn on_runc(version: &str) -> Host {
    host().with_runtime(Runtime::parse("runc", Some(version)))
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
    let enosys = ENOSYS_BY_STUB;
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
