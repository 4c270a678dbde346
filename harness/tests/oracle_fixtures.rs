//! The oracle against real profiles (Docker's default across releases, Podman's, moby's test
//! fixtures): the behaviours the releases are known for.

use seccomp_catalog::{Arch, Catalog};
use seccomp_harness_core::oracle::{Oracle, Prediction};
use seccomp_harness_core::outcome::{Outcome, RuleRef};
use seccomp_harness_core::profile::tag::Attributed;
use seccomp_harness_core::profile::{self, CapSet, Host, KernelVersion};
use std::path::PathBuf;

fn fixture(name: &str) -> profile::Profile {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    load(&path).unwrap()
}

/// The one profile of a fixture file.
fn load(path: &std::path::Path) -> Result<profile::Profile, profile::ProfileError> {
    Ok(profile::ProfileFile::read(path)?
        .profiles()?
        .remove(0)
        .profile)
}

fn predict_with(name: &str, caps: CapSet, kernel: (u64, u64), case: &str) -> Prediction {
    let p = fixture(name);
    let r = profile::resolve(
        &p,
        &Host::new(Arch::X86_64, caps, KernelVersion::new(kernel.0, kernel.1)),
    );
    let cat = Catalog::for_arch(Arch::X86_64);
    Oracle::new(&r).predict_filter(cat.get(case).unwrap())
}

fn predict(name: &str, case: &str) -> Prediction {
    predict_with(name, CapSet::docker_default(), (6, 1), case)
}

/// Asserts that the fixture `name` lets `case` through, with Docker's default capabilities on
/// kernel 6.1; a failure names both and shows the prediction.
#[track_caller]
fn assert_allowed(name: &str, case: &str) {
    let p = predict(name, case);
    assert_eq!(p.outcome, Outcome::Allowed, "{name}: {case}: {p:?}");
}

fn eperm(p: &Prediction) -> bool {
    p.outcome == Outcome::Errno && p.errno == Some(1)
}

const V20: &str = "docker-default-v20.10.24.json";
const V23: &str = "docker-default-v23.0.0.json";
const V25: &str = "docker-default-v25.0.0.json";
const V28: &str = "docker-default-v28.2.0.json";
const V29: &str = "docker-default-v29.7.2.json";
const PODMAN: &str = "podman-containers-common-2025-08.json";

#[test]
fn every_fixture_parses_resolves_and_predicts_every_case() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        // Only the profiles at the top; wild/ holds a corpus with its own expectations.
        if !path.is_file() {
            continue;
        }
        let p = load(&path).unwrap_or_else(|e| panic!("{e}"));
        for arch in Arch::ALL {
            for caps in [CapSet::docker_default(), CapSet::all(), CapSet::empty()] {
                let r = profile::resolve(&p, &Host::new(*arch, caps, KernelVersion::new(6, 1)));
                let o = Oracle::new(&r);
                for c in Catalog::for_arch(*arch).cases() {
                    let pred = o.predict_filter(c);
                    if pred.outcome == Outcome::Allowed || pred.outcome == Outcome::Errno {
                        assert!(pred.rule.is_some(), "{} {}", path.display(), c.id);
                    }
                }
            }
        }
        n += 1;
    }
    assert!(n >= 9);
}

#[test]
fn io_uring_setup_was_allowed_then_denied() {
    let old = predict(V20, "io_uring_setup");
    assert_eq!(
        (old.outcome, old.rule),
        (Outcome::Allowed, Some(RuleRef::Index(0)))
    );
    for v in [V25, V28, V29] {
        let new = predict(v, "io_uring_setup");
        assert!(eperm(&new), "{v}: {new:?}");
        assert_eq!(new.rule, Some(RuleRef::DEFAULT));
    }
}

#[test]
fn vsock_sockets_are_denied_from_v23() {
    assert_allowed(V20, "socket(AF_VSOCK)");
    for v in [V23, V25, V28, V29] {
        assert!(eperm(&predict(v, "socket(AF_VSOCK)")), "{v}");
        assert_allowed(v, "socket(AF_INET)");
        // The rule compares all 64 bits: garbage above bit 31 slips past `!= 40`.
        assert_allowed(v, "socket(AF_VSOCK|1<<32)");
    }
}

#[test]
fn vsock_rule_cannot_see_through_socketcall() {
    // On i386 the socket() rule becomes `socketcall(arg0 == SYS_SOCKET)`: the family is in
    // memory, so every socketcall(SYS_SOCKET, …) is allowed.
    let p = predict(V25, "i386:socketcall(SYS_SOCKET,AF_VSOCK)");
    assert_eq!(p.outcome, Outcome::Allowed);
    assert!(eperm(&predict(V25, "i386:socket(AF_VSOCK)")));
}

#[test]
fn clone3_needs_cap_sys_admin() {
    for v in [V20, V23, V25, V28, V29] {
        for case in ["clone3", "clone3(NULL,0)"] {
            let p = predict(v, case);
            assert_eq!(
                (p.outcome, p.errno),
                (Outcome::Errno, Some(38)),
                "{v} {case}"
            );
            assert!(matches!(p.rule, Some(RuleRef::Index(_))), "{v}: {p:?}");
        }
        let admin =
            CapSet::tweak(&CapSet::docker_default(), &["SYS_ADMIN"], &[] as &[&str]).unwrap();
        let p = predict_with(v, admin, (6, 1), "clone3");
        assert_eq!(p.outcome, Outcome::Allowed, "{v}");
    }
}

#[test]
fn personality_allows_only_listed_personas() {
    for v in [V20, V23, V25, V28, V29, PODMAN] {
        assert_allowed(v, "personality(0xffffffff)");
        assert_allowed(v, "personality(0)");
        assert_allowed(v, "personality(0x20008)");
    }
    for v in [V20, V23, V25, V28, V29] {
        assert!(eperm(&predict(v, "personality(ADDR_NO_RANDOMIZE)")), "{v}");
        assert!(eperm(&predict(v, "personality(1<<32)")), "{v}");
    }
}

#[test]
fn clone_namespace_flags_are_masked_without_sys_admin() {
    for v in [V20, V25, V29] {
        assert!(eperm(&predict(v, "clone(CLONE_NEWUSER)")), "{v}");
        assert!(eperm(&predict(v, "unshare(CLONE_NEWUSER)")), "{v}");
        let admin =
            CapSet::tweak(&CapSet::docker_default(), &["SYS_ADMIN"], &[] as &[&str]).unwrap();
        assert_eq!(
            predict_with(v, admin, (6, 1), "clone(CLONE_NEWUSER)").outcome,
            Outcome::Allowed
        );
    }
}

#[test]
fn podman_denies_with_enosys_by_default() {
    let p = predict(PODMAN, "io_uring_setup");
    assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(38)));
    let p = predict(PODMAN, "kexec_load");
    assert_eq!((p.outcome, p.errno), (Outcome::Errno, Some(1)));
    assert_allowed(PODMAN, "getpid");
}

#[test]
fn ptrace_needs_kernel_4_8() {
    for v in [V20, V23, V25, V29] {
        let new = predict_with(v, CapSet::docker_default(), (4, 8), "ptrace");
        assert_eq!(new.outcome, Outcome::Allowed, "{v}");
        let old = predict_with(v, CapSet::docker_default(), (4, 4), "ptrace");
        assert!(eperm(&old), "{v}: {old:?}");
        let traced =
            CapSet::tweak(&CapSet::docker_default(), &["SYS_PTRACE"], &[] as &[&str]).unwrap();
        assert_eq!(
            predict_with(v, traced, (4, 4), "ptrace").outcome,
            Outcome::Allowed,
            "{v}"
        );
    }
}

#[test]
fn compat_abis_are_covered_through_arch_map() {
    assert_allowed(V25, "i386:getpid");
    assert_allowed(V25, "x32:getpid");
    assert!(eperm(&predict(V25, "i386:keyctl")));
}

#[test]
fn out_of_range_errno_fails_the_start() {
    // moby's example fixture gives syslog errnoRet 12345: docker accepts the file, libseccomp
    // rejects the action.
    let p = fixture("moby-fixture-example.json");
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 1),
    );
    let r = profile::resolve(&p, &host);
    let start = Oracle::new(&r).start(&Catalog::for_arch(Arch::X86_64));
    assert!(matches!(
        start,
        seccomp_harness_core::oracle::Start::Refused(_)
    ));
    assert!(start.note().unwrap().contains("syscalls[3]"));
}

#[test]
fn conditional_include_fixture() {
    // Without CAP_SYSLOG the syslog rule is skipped. The profile lists no architectures, so
    // the host's default runtime (`Runtime::default()`) adds no ENOSYS stub
    // (`runtime::RuntimeModel::stub_covers_native`, measured on the pair of rules with and
    // without architectures that tests/fixtures/wild/README.md names): syslog gets the
    // default's EPERM.
    let p = predict("moby-fixture-conditional_include.json", "syslog");
    assert_eq!(
        (p.errno, p.rule),
        (Some(1), Some(RuleRef::DEFAULT)),
        "{p:?}"
    );
    assert!(eperm(&predict(
        "moby-fixture-conditional_include.json",
        "read"
    )));
    let all = predict_with(
        "moby-fixture-conditional_include.json",
        CapSet::all(),
        (6, 1),
        "syslog",
    );
    assert_eq!(all.outcome, Outcome::Allowed);
    assert_allowed("moby-fixture-conditional_include.json", "ptrace");
}

#[test]
fn tagging_keeps_every_real_profile_behaving_the_same() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let file = path.display().to_string();
        let original = profile::parse_str(&text, &file).unwrap();
        // Docker >= 23 passes defaultErrnoRet on; Docker 20.10 drops it (measured).
        for (caps, honours) in [
            (CapSet::docker_default(), true),
            (CapSet::all(), true),
            (CapSet::docker_default(), false),
        ] {
            let tagged = profile::tag_for(&original, honours);
            let host = Host::new(Arch::X86_64, caps, KernelVersion::new(6, 1))
                .with_default_errno_ret(honours);
            let (ro, rt) = (
                profile::resolve(&original, &host),
                profile::resolve(&tagged.profile, &host),
            );
            let (a, b) = (Oracle::new(&ro), Oracle::new(&rt));
            // A filter the runtime refuses is refused tagged too, and runs no case.
            assert_eq!(
                a.filter_refusal().is_some(),
                b.filter_refusal().is_some(),
                "{file}"
            );
            if a.filter_refusal().is_some() {
                continue;
            }
            for c in Catalog::for_arch(Arch::X86_64).cases() {
                if profile::tag::tagged_allowances(&original).contains(&c.syscall) {
                    // Allowed on purpose in the tagged copy (see tag.rs).
                    continue;
                }
                let (pa, pb) = (a.predict_filter(c), b.predict_filter(c));
                if tagged.default_traps
                    && pa.outcome == Outcome::Errno
                    && pa.rule == Some(RuleRef::DEFAULT)
                {
                    // The tagged profile traps its ERRNO default (the engine may drop
                    // defaultErrnoRet, so it can't carry a sentinel).
                    assert_eq!(
                        (pb.outcome, pb.rule),
                        (Outcome::Trapped, pa.rule),
                        "{file} {}",
                        c.id
                    );
                    continue;
                }
                assert_eq!(
                    (pa.outcome, pa.rule),
                    (pb.outcome, pb.rule),
                    "{file} {}",
                    c.id
                );
                if let (Outcome::Errno, Some(e)) = (pb.outcome, pb.errno) {
                    if pb.rule != Some(RuleRef::ENOSYS_STUB) && pa.errno != Some(0) {
                        assert_eq!(
                            tagged.sentinels.attribute(c, e),
                            Attributed::Rule(pb.rule.unwrap()),
                            "{file} {}",
                            c.id
                        );
                    }
                }
            }
        }
    }
}
