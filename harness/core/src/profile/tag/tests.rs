use super::*;
use crate::oracle::Oracle;
use crate::outcome::Outcome;
use crate::profile::{resolve, CapSet, Host, KernelVersion};
use seccomp_catalog::{Arch, Catalog};

const P: &str = r#"{
  "defaultAction": "SCMP_ACT_ERRNO",
  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
  "syscalls": [
    {"names": ["read", "getpid", "mkdir"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13},
    {"names": ["chdir"], "action": "SCMP_ACT_ERRNO"},
    {"names": ["open"], "action": "SCMP_ACT_TRACE", "errnoRet": 5}
  ]}"#;

#[test]
fn rules_get_sentinels_and_an_errno_default_traps() {
    let t = tag(P, "p.json").unwrap();
    assert!(t.default_traps);
    assert_eq!(t.profile.default_action, Some(Action::Trap));
    assert_eq!(t.profile.default_errno_ret, None);
    // chdir's rule equals the default (EPERM): it traps like the default, and the runtime
    // still drops it.
    assert_eq!(t.profile.rules[2].action, Action::Trap);
    assert_eq!(
        t.profile.rules[3].errno_ret,
        Some(5),
        "TRACE data is left alone"
    );
    // One ERRNO rule per syscall: every rule gets the first value.
    assert_eq!(t.profile.rules[1].errno_ret, Some(3000));
    let rmdir = Slot::direct(Abi::X86_64, 84);
    let s = &t.sentinels;
    assert_eq!(
        s.attribute_slot(rmdir, 3000),
        Attributed::Rule(RuleRef::Index(1))
    );
    assert_eq!(s.attribute_slot(rmdir, 4000), Attributed::None);
    assert_eq!(
        s.attribute_slot(Slot::direct(Abi::X86_64, 39), 3000),
        Attributed::None
    );
    // rmdir on i386 (40) is the same rule.
    assert_eq!(
        s.attribute_slot(Slot::direct(Abi::I386, 40), 3000),
        Attributed::Rule(RuleRef::Index(1))
    );
}

#[test]
fn which_rules_equal_the_default_depends_on_the_engine() {
    let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":13,"syscalls":[
        {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
        {"names":["rmdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
        {"names":["chdir"],"action":"SCMP_ACT_ERRNO"}]}"#;
    let parsed = parse_str(p, "p").unwrap();
    let new = tag_for(&parsed, true);
    assert_eq!(new.profile.rules[1].action, Action::Trap);
    assert_eq!(new.profile.rules[2].errno_ret, Some(3000));
    // Docker < 23 drops defaultErrnoRet 13: the default is EPERM, equal to chdir's rule.
    let old = tag_for(&parsed, false);
    assert_eq!(old.profile.rules[1].errno_ret, Some(3000));
    assert_eq!(old.profile.rules[2].action, Action::Trap);
}

#[test]
fn a_trap_rule_keeps_the_default_sentinel() {
    let p = r#"{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
        {"names":["getpid"],"action":"SCMP_ACT_TRAP"}]}"#;
    let t = tag(p, "p").unwrap();
    assert!(!t.default_traps);
    assert_eq!(t.profile.default_errno_ret, Some(4000));
    assert_eq!(
        t.sentinels
            .attribute_slot(Slot::direct(Abi::X86_64, 39), 4000),
        Attributed::Rule(RuleRef::DEFAULT)
    );
}

#[test]
fn the_oracle_predicts_the_tagged_profile_like_the_original() {
    let t = tag(P, "p.json").unwrap();
    let original = parse_str(P, "p").unwrap();
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 1),
    );
    let (ro, rt) = (resolve(&original, &host), resolve(&t.profile, &host));
    let (a, b) = (Oracle::new(&ro), Oracle::new(&rt));
    for c in Catalog::for_arch(Arch::X86_64).cases() {
        let (pa, pb) = (a.predict_filter(c), b.predict_filter(c));
        if pa.outcome == Outcome::Errno && pa.rule == Some(RuleRef::DEFAULT) {
            // The default's errno becomes a trap.
            assert_eq!(
                (pb.outcome, pb.rule),
                (Outcome::Trapped, pa.rule),
                "{}",
                c.id
            );
            continue;
        }
        assert_eq!((pa.outcome, pa.rule), (pb.outcome, pb.rule), "{}", c.id);
        if pb.outcome == Outcome::Errno && pb.errno != Some(38) {
            assert_eq!(
                t.sentinels.attribute(c, pb.errno.unwrap()),
                Attributed::Rule(pb.rule.unwrap()),
                "{}",
                c.id
            );
        }
    }
}

/// Over the corpus ([`crate::profile::corpus`]), with and without `defaultErrnoRet`: the JSON
/// the engine gets for the tagged copy, and for each runtime's copy, reads back as the model
/// the oracle predicts from.
#[test]
fn the_tagged_model_is_what_the_tagged_json_parses_to() {
    let runtimes = crate::runtime::testing::every_model();
    for (what, original) in crate::profile::corpus::profiles() {
        for honours in [true, false] {
            let t = tag_for(&original, honours);
            let mut copies = vec![t.clone()];
            copies.extend(
                runtimes
                    .iter()
                    .map(|rt| crate::runtime::tagged_for(&t, &original, rt, Arch::X86_64)),
            );
            for copy in copies {
                let reparsed = parse_str(&copy.json(), "p").unwrap();
                assert_eq!(reparsed, copy.profile, "{what}");
            }
        }
    }
}

/// Podman's errno names go where the tagging sets an errno or the action takes none, in the
/// model the engine gets: Podman would prefer them to the sentinels.
#[test]
fn podmans_errno_names_give_way_to_the_sentinels() {
    let p = parse_str(
        r#"{"defaultAction":"SCMP_ACT_ERRNO","defaultErrno":"ENOSYS","syscalls":[
        {"names":["getpid"],"action":"SCMP_ACT_ALLOW"},
        {"names":["rmdir"],"action":"SCMP_ACT_ERRNO","errnoRet":13,"errno":"EACCES"},
        {"names":["chdir"],"action":"SCMP_ACT_ERRNO","errno":"EPERM"}]}"#,
        "p",
    )
    .unwrap();
    let t = tag_for(&p, true);
    assert!(t.default_traps);
    assert_eq!(t.profile.default_errno_name, None);
    assert_eq!(t.profile.rules[1].errno_ret, Some(3000));
    assert!(t.profile.rules.iter().all(|r| r.errno_name.is_none()));
    assert!(!t.json().contains("\"errno\""), "{}", t.json());
    // A rule trapped for a runtime that sends no sentinel back keeps no errno name either.
    let trapping = t.trapping_errno_rules();
    assert!(trapping
        .profile
        .rules
        .iter()
        .all(|r| r.action != Action::Errno && r.errno_name.is_none()));
}

#[test]
fn oci_configs_are_tagged_in_place() {
    let oci = format!(r#"{{"ociVersion":"1.0.2","linux":{{"seccomp":{P}}}}}"#);
    let t = tag(&oci, "config.json").unwrap();
    assert!(t.json().contains("\"linux\""));
    assert_eq!(t.profile.rules[1].errno_ret, Some(3000));
}

/// A profile with `n` ERRNO rules on getpid that its case matches (`arg0 >= i`, and the
/// case passes all ones) and one on each of many other syscalls.
fn many_rules(on_getpid: usize) -> String {
    let mut rules = Vec::new();
    for i in 0..on_getpid {
        rules.push(format!(
            r#"{{"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":1,"args":[{{"index":0,"value":{i},"op":"SCMP_CMP_GE"}}]}}"#
        ));
    }
    for name in [
        "read", "write", "mkdir", "rmdir", "chdir", "getppid", "socket", "bind",
    ] {
        rules.push(format!(
            r#"{{"names":["{name}"],"action":"SCMP_ACT_ERRNO","errnoRet":13}}"#
        ));
    }
    format!(
        r#"{{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{}]}}"#,
        rules.join(",")
    )
}

/// The `errnoRet` of every rule of the tagged copy, in order: each is a sentinel.
fn errno_rets(t: &Tagged) -> Vec<u32> {
    t.profile
        .rules
        .iter()
        .map(|r| r.errno_ret.unwrap())
        .collect()
}

#[test]
fn sentinels_are_per_syscall_so_rules_on_different_calls_share_values() {
    let t = tag(&many_rules(3), "p").unwrap();
    let errnos = errno_rets(&t);
    assert_eq!(&errnos[..3], &[3000, 3001, 3002]);
    // One rule on each other syscall: all share the first value.
    assert!(errnos[3..].iter().all(|e| *e == 3000), "{errnos:?}");
    assert_eq!(t.sentinels.distinct_values(), 3);
    // socket and bind both reach i386's socketcall, but with different call numbers in
    // its first argument: they share the value there too.
    let socket = t
        .profile
        .rules
        .iter()
        .position(|r| r.names == ["socket"])
        .unwrap();
    assert_eq!(t.profile.rules[socket + 1].errno_ret, Some(3000));
    let bind_call = Slot {
        abi: Abi::I386,
        nr: 102,
        call: Some(2),
    };
    assert_eq!(
        t.sentinels.attribute_slot(bind_call, 3000),
        Attributed::Rule(RuleRef::Index(socket + 1))
    );
}

#[test]
fn more_errno_rules_on_one_syscall_than_sentinels_overflow_instead_of_refusing() {
    let t = tag(&many_rules(1005), "p").unwrap();
    assert_eq!(t.sentinels.overflowed(), 5);
    assert_eq!(t.profile.rules[999].errno_ret, Some(3999));
    assert_eq!(t.profile.rules[1000].errno_ret, Some(SHARED_SENTINEL));
    let getpid = Slot::direct(Abi::X86_64, 39);
    assert_eq!(t.sentinels.attribute_slot(getpid, 4001), Attributed::Shared);
    assert_eq!(
        t.sentinels.attribute_slot(getpid, 3999),
        Attributed::Rule(RuleRef::Index(999))
    );
    // The other syscalls still get their own first value.
    assert_eq!(t.profile.rules[1005].errno_ret, Some(3000));
}

#[test]
fn rules_no_case_can_match_share_one_value() {
    let p = r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[
        {"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":5,"args":[{"index":0,"value":1234567,"op":"SCMP_CMP_EQ"}]},
        {"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":22,"args":[{"index":0,"value":7654321,"op":"SCMP_CMP_EQ"}]},
        {"names":["getpid"],"action":"SCMP_ACT_ERRNO","errnoRet":13},
        {"names":["no_such_call"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}"#;
    let t = tag(p, "p").unwrap();
    let errnos = errno_rets(&t);
    assert_eq!(errnos, [4001, 4001, 3000, 4001]);
    assert_eq!((t.sentinels.unmatched(), t.sentinels.overflowed()), (3, 0));
    let getpid = Slot::direct(Abi::X86_64, 39);
    assert_eq!(t.sentinels.attribute_slot(getpid, 4001), Attributed::Shared);
    assert_eq!(
        t.sentinels.attribute_slot(getpid, 3000),
        Attributed::Rule(RuleRef::Index(2))
    );
}

/// A rule on i386's `socketcall` itself decides the calls through it, whose cases land on the
/// slot of their call number: the sentinel must be found there, and a rule on `socket` beside
/// it must get another value.
#[test]
fn a_rule_on_a_multiplexer_is_attributed_on_its_calls() {
    let p = r#"{"defaultAction":"SCMP_ACT_LOG","architectures":["SCMP_ARCH_X86"],"syscalls":[
        {"names":["socket"],"action":"SCMP_ACT_ERRNO","errnoRet":5},
        {"names":["unshare","socketcall"],"action":"SCMP_ACT_ERRNO"}]}"#;
    let t = tag(p, "p").unwrap();
    let (socket, socketcall) = (
        t.profile.rules[0].errno_ret.unwrap() as i32,
        t.profile.rules[1].errno_ret.unwrap() as i32,
    );
    assert_ne!(socket, socketcall);
    let case = Catalog::for_arch(Arch::X86_64)
        .cases()
        .iter()
        .find(|c| c.id == "i386:socketcall(SYS_SOCKET,AF_VSOCK)")
        .unwrap()
        .clone();
    let s = &t.sentinels;
    assert_eq!(
        s.attribute(&case, socketcall),
        Attributed::Rule(RuleRef::Index(1))
    );
    assert_eq!(
        s.attribute(&case, socket),
        Attributed::Rule(RuleRef::Index(0))
    );
}

/// The runtime falls back from faccessat2 to faccessat, getuid, getgid and getegid when its
/// ENOSYS stub answers faccessat2 ([`crate::runtime::FACCESSAT2_FALLBACK_CALLS`], with the
/// measurement): the tagged copy of an allow-list naming none must allow them, or its TRAP
/// default kills the runtime's init. A profile allowing faccessat2 gets no fallback, so nothing
/// is added.
#[test]
fn the_tagged_copy_allows_the_runtimes_faccessat2_fallback() {
    let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
      "syscalls":[{"names":["read","write","statx"],"action":"SCMP_ACT_ALLOW"}]}"#;
    let original = parse_str(text, "p").unwrap();
    let allowed = tagged_allowances(&original);
    for n in ["faccessat", "getuid", "getgid", "getegid"] {
        assert!(allowed.contains(&n), "{n} in {allowed:?}");
    }
    let with = text.replace(r#""statx"]"#, r#""statx","faccessat2"]"#);
    let allowed_with = tagged_allowances(&parse_str(&with, "p").unwrap());
    assert!(!allowed_with.contains(&"getegid"), "{allowed_with:?}");
    // Not above the profile's highest syscall (statx, 332): faccessat2 (439) stays the stub's.
    assert!(!allowed.contains(&"faccessat2"), "{allowed:?}");
    let t = tag(text, "p").unwrap();
    assert!(t
        .profile
        .rules
        .iter()
        .any(|r| r.action == Action::Allow && r.names.iter().any(|n| n == "getegid")));
}

/// SPO's base profile for the default runtime allows rt_sigreturn but no rt_sigaction: the probe under the
/// tagged copy could not install its SIGSYS handler, so each trap of the copy's default killed
/// it and the run restarted at the next case, until the restart limit (256 containers) left
/// the rest of the catalog unattributed (measured on Docker 20.10.24 and containerd 1.7.24 and
/// 2.1.9). The copy now allows the handler's calls, and the probe under it keeps its handler.
#[test]
fn the_tagged_copy_lets_the_probe_catch_its_traps() {
    let text = r#"{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
      "syscalls":[{"names":["read","write","rt_sigreturn","statx","openat2"],"action":"SCMP_ACT_ALLOW"}]}"#;
    let original = parse_str(text, "p").unwrap();
    let allowed = tagged_allowances(&original);
    assert!(allowed.contains(&"rt_sigaction"), "{allowed:?}");
    // Named by the profile already: left as it is.
    assert!(!allowed.contains(&"rt_sigreturn"), "{allowed:?}");
    let t = tag(text, "p").unwrap();
    assert!(t.default_traps);
    let cat = Catalog::for_arch(Arch::X86_64);
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 18),
    );
    let avoid = Oracle::new(&resolve(&t.profile, &host)).probe_avoid(&cat);
    assert!(
        crate::oracle::start::probe_has_handlers(&avoid, Arch::X86_64),
        "{avoid:?}"
    );
    // The original leaves the probe no handler (it answers EPERM, so nothing traps there).
    let avoid = Oracle::new(&resolve(&original, &host)).probe_avoid(&cat);
    assert!(!crate::oracle::start::probe_has_handlers(
        &avoid,
        Arch::X86_64
    ));
}

/// Only the stubs the filter holds keep a name out of the copy: SPO's base profile for the
/// default runtime lists x86_64 alone, so x32's own number for set_robust_list (530, above the profile's highest,
/// faccessat2 439) is no stub of it, and glibc's start-up call must be allowed, or the copy's
/// trapping default kills the probe before it installs its handler (every denial undecided).
/// With x32 listed, 530 is above x32's stub and the copy must leave it there.
#[test]
fn only_the_abis_the_filter_holds_keep_a_start_up_call_out_of_the_copy() {
    let names = r#"["read","write","rt_sigreturn","mmap","faccessat2"]"#;
    let only_x86_64 = format!(
        r#"{{"defaultAction":"SCMP_ACT_ERRNO","architectures":["SCMP_ARCH_X86_64"],
          "syscalls":[{{"names":{names},"action":"SCMP_ACT_ALLOW"}}]}}"#
    );
    let allowed = tagged_allowances(&parse_str(&only_x86_64, "p").unwrap());
    assert!(allowed.contains(&"set_robust_list"), "{allowed:?}");
    let with_x32 = only_x86_64.replace(
        r#""SCMP_ARCH_X86_64"]"#,
        r#""SCMP_ARCH_X86_64","SCMP_ARCH_X32"]"#,
    );
    let allowed = tagged_allowances(&parse_str(&with_x32, "p").unwrap());
    assert!(!allowed.contains(&"set_robust_list"), "{allowed:?}");
}

/// The tagger's decisions per rule, before anything is edited.
#[test]
fn the_tagger_keeps_traps_or_tags_each_rule() {
    let original = parse_str(P, "p.json").unwrap();
    let mut t = Tagger::new(&original, true);
    assert!(t.default_traps);
    let tags: Vec<RuleTag> = original
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| t.rule_tag(i, r))
        .collect();
    // ALLOW and TRACE are kept; rmdir's errno 13 gets a sentinel; chdir's plain ERRNO equals
    // the default, which traps.
    assert_eq!(
        tags,
        [
            RuleTag::Keep,
            RuleTag::Errno(3000),
            RuleTag::Trap,
            RuleTag::Keep
        ]
    );
    // An engine that drops defaultErrnoRet: the default is EPERM all the same, so chdir's rule
    // still equals it and traps with it.
    let mut t = Tagger::new(&original, false);
    assert_eq!(t.rule_tag(2, &original.rules[2]), RuleTag::Trap);
}
