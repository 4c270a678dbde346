//! The embedded static probe, run for real under seccomp filters this test installs itself (no
//! Docker): each action of the kernel must come out of the probe as the record the harness
//! expects, and a filter that forbids forking must still give every case a result through the
//! in-process fallback and the restart protocol (see `seccomp_catalog::record`).
//!
//! Each filter targets only the syscall under test and allows everything else, so the probe can
//! still start (execve, mmap...). The filter is installed in the forked child just before it
//! execs the probe, with no_new_privs, as an OCI runtime does.

use seccomp_catalog::record::{CaseRecord, HostRecord, ProbeExit, Record, RunMode};
use seccomp_catalog::Catalog;
use seccompiler::{
    BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
    SeccompRule, TargetArch,
};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::OnceLock;

#[cfg(target_arch = "x86_64")]
const ARCH: TargetArch = TargetArch::x86_64;
#[cfg(target_arch = "aarch64")]
const ARCH: TargetArch = TargetArch::aarch64;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH_NATIVE: u32 = 0xc000_003e;
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH_NATIVE: u32 = 0xc000_00b7;

/// A case that exists on every arch, fails harmlessly (EFAULT from its unmapped path) and is
/// no call the probe makes for itself.
const TARGET: &str = "mkdirat";
const TARGET_NR: i64 = libc::SYS_mkdirat;
const SIGSYS: i32 = 31;

/// The embedded probe as an executable file. Written once and renamed into place, so that no
/// writable descriptor of it is open when the tests exec it (ETXTBSY).
fn probe() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("probe-under-filter");
        std::fs::create_dir_all(&dir).unwrap();
        let tmp = dir.join(format!("seccomp-probe.{}", std::process::id()));
        std::fs::write(&tmp, seccomp_harness::probe_binary::EMBEDDED).unwrap();
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = dir.join("seccomp-probe");
        std::fs::rename(&tmp, &path).unwrap();
        path
    })
}

struct Run {
    status: ExitStatus,
    records: Vec<Record>,
}

impl Run {
    fn host(&self) -> &HostRecord {
        match self.records.first() {
            Some(Record::Host(h)) => h,
            other => panic!("first record is not host: {other:?}"),
        }
    }

    fn mode(&self) -> RunMode {
        self.records
            .iter()
            .find_map(|r| match r {
                Record::Ready { mode } => Some(*mode),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no ready record: {:?}", self.records))
    }

    fn cases(&self) -> impl Iterator<Item = &CaseRecord> {
        self.records.iter().filter_map(|r| match r {
            Record::Case(c) => Some(c),
            _ => None,
        })
    }

    fn case(&self, id: &str) -> &CaseRecord {
        self.cases()
            .find(|c| c.id == id)
            .unwrap_or_else(|| panic!("no record for {id}: {:?}", self.records))
    }

    /// The case a `begin` named with no `case` record after it: the one that ended the probe.
    fn dangling_begin(&self) -> Option<&str> {
        match self.records.last()? {
            Record::Begin { id } => Some(id),
            _ => None,
        }
    }
}

fn filter(rules: Vec<(i64, Vec<SeccompRule>)>, action: SeccompAction) -> BpfProgram {
    SeccompFilter::new(
        rules.into_iter().collect(),
        SeccompAction::Allow,
        action,
        ARCH,
    )
    .unwrap()
    .try_into()
    .unwrap()
}

fn run_probe(bpf: Option<&BpfProgram>, args: &[&str]) -> Run {
    let mut cmd = Command::new(probe());
    cmd.args(args).stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(bpf) = bpf {
        let bpf = bpf.clone();
        // SAFETY: between fork and exec only prctl and seccomp run, on memory prepared before.
        unsafe {
            cmd.pre_exec(move || {
                let prog = libc::sock_fprog {
                    len: bpf.len() as u16,
                    filter: bpf.as_ptr() as *mut libc::sock_filter,
                };
                if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0
                    || libc::syscall(
                        libc::SYS_seccomp,
                        libc::SECCOMP_SET_MODE_FILTER,
                        0,
                        &prog as *const libc::sock_fprog,
                    ) != 0
                {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let out = cmd.output().expect("failed to run the probe");
    let records = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l}: {e}")))
        .collect();
    Run {
        status: out.status,
        records,
    }
}

fn only_target(action: SeccompAction) -> BpfProgram {
    filter(vec![(TARGET_NR, vec![])], action)
}

#[test]
fn embedded_probe_is_static() {
    let elf = seccomp_harness::probe_binary::EMBEDDED;
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "a 64-bit ELF");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    assert!(phnum > 0);
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let p_type = u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
        assert_ne!(p_type, 3, "PT_INTERP: the probe needs a dynamic loader");
    }
}

#[test]
fn every_native_case_reports_unconfined() {
    let run = run_probe(None, &[]);
    assert!(run.status.success(), "{:?}", run.status);
    assert_eq!(run.mode(), RunMode::Fork);
    let catalog = Catalog::native();
    let mut seen = BTreeMap::new();
    for c in run.cases() {
        *seen.entry(c.id.as_str()).or_insert(0) += 1;
        assert!(!c.timed_out, "{} timed out", c.id);
        assert_eq!(c.mode, RunMode::Fork);
    }
    for c in catalog.cases() {
        assert_eq!(seen.get(c.id.as_str()), Some(&1), "records for {}", c.id);
    }
    assert_eq!(seen.len(), catalog.len());
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));
    assert!(run.case("getpid").ret.unwrap() > 0);
    // aarch64 has no pause; its catalog has no sleeping call.
    #[cfg(target_arch = "x86_64")]
    {
        let pause = run.case("pause");
        assert!(pause.interrupted && pause.errno == Some(libc::EINTR));
    }
    assert_eq!(run.case("exit_group").exit_status, Some(0));
    assert!(run.case("kill").errno == Some(libc::ESRCH));
}

#[test]
fn cli_lists_ids_and_rejects_unknown_ones() {
    let out = Command::new(probe()).arg("--list").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().lines().count(),
        Catalog::native().len()
    );
    let usage = Some(ProbeExit::Usage.code());
    let out = Command::new(probe()).arg("no-such-case").output().unwrap();
    assert_eq!(out.status.code(), usage);
    let out = Command::new(probe()).arg("--frobnicate").output().unwrap();
    assert_eq!(out.status.code(), usage);
}

#[test]
fn allowed_calls_get_the_kernel_result() {
    let ids = [TARGET, "kill", "uname", "read", "getpid"];
    let bare = run_probe(None, &ids);
    // A filter that matches only a call no case here makes.
    let confined = run_probe(
        Some(&filter(
            vec![(libc::SYS_acct, vec![])],
            SeccompAction::Errno(1),
        )),
        &[&["--host-facts"], &ids[..]].concat(),
    );
    assert_eq!(confined.host().seccomp_mode, Some(2));
    assert_eq!(confined.host().no_new_privs, Some(true));
    assert!(confined.host().seccomp_filters.unwrap_or(0) >= 1);
    for id in ids {
        let (b, c) = (bare.case(id), confined.case(id));
        assert_eq!((b.errno, b.signal, b.sigsys), (c.errno, c.signal, c.sigsys));
    }
}

#[test]
fn errno_action_returns_its_errno() {
    let run = run_probe(Some(&only_target(SeccompAction::Errno(3999))), &[TARGET]);
    let c = run.case(TARGET);
    assert_eq!((c.errno, c.ret, c.signal), (Some(3999), Some(-3999), None));
}

/// rt_sigreturn runs on a frame the probe makes (zeroed on x86_64, refused for its alignment
/// on aarch64), never on what the child's stack holds: allowed, the child dies of SIGSEGV on
/// every kernel. Denied, the call returns and the probe carries on from its own stack, forked
/// and in-process, with the next case recorded as well.
#[test]
fn rt_sigreturn_faults_when_allowed_and_returns_to_the_probe_when_denied() {
    let bare = run_probe(None, &["rt_sigreturn", "getpid"]);
    assert_eq!(bare.case("rt_sigreturn").signal, Some(libc::SIGSEGV));
    let denied = filter(
        vec![(libc::SYS_rt_sigreturn, vec![])],
        SeccompAction::Errno(3998),
    );
    for mode in [&[][..], &["--in-process"][..]] {
        let run = run_probe(Some(&denied), &[mode, &["rt_sigreturn", "getpid"]].concat());
        assert!(run.status.success(), "{mode:?}: {:?}", run.status);
        let c = run.case("rt_sigreturn");
        assert_eq!((c.errno, c.signal), (Some(3998), None), "{mode:?}");
        assert!(run.case("getpid").ret.is_some_and(|r| r > 0), "{mode:?}");
    }
}

#[test]
fn kill_actions_end_the_child_with_sigsys() {
    for action in [SeccompAction::KillThread, SeccompAction::KillProcess] {
        let run = run_probe(Some(&only_target(action.clone())), &[TARGET, "getpid"]);
        assert!(run.status.success(), "{action:?}: {:?}", run.status);
        let c = run.case(TARGET);
        assert_eq!((c.signal, c.ret, c.sigsys), (Some(SIGSYS), None, None));
        assert!(
            run.case("getpid").ret.unwrap() > 0,
            "the next case still runs"
        );
        // In the middle of cases that share a worker: the cases before it keep their
        // records, and a new worker runs the rest, whether the probe reaps its children or
        // learns their ends from SIGCHLD (the machinery told to avoid the reap calls).
        for avoid in [&[][..], &["--avoid", "wait4,waitid"]] {
            let mut args = avoid.to_vec();
            args.extend(["getpid", TARGET, "getppid", "gettid"]);
            let run = run_probe(Some(&only_target(action.clone())), &args);
            assert!(
                run.status.success(),
                "{action:?} {avoid:?}: {:?}",
                run.status
            );
            assert_eq!(run.case(TARGET).signal, Some(SIGSYS), "{avoid:?}");
            let first = run.case("getpid").ret.unwrap();
            let second = run.case("gettid").ret.unwrap();
            assert!(first > 0 && second > 0 && first != second, "{avoid:?}");
            assert!(run.case("getppid").ret.unwrap() > 0, "{avoid:?}");
        }
    }
}

#[test]
fn trap_is_caught_with_the_syscall_and_arch() {
    let run = run_probe(Some(&only_target(SeccompAction::Trap)), &[TARGET]);
    let c = run.case(TARGET);
    let s = c.sigsys.expect("a SIGSYS for the handler");
    assert_eq!(s.code, 1, "SYS_SECCOMP");
    assert_eq!(s.syscall as i64, TARGET_NR);
    assert_eq!(s.arch, AUDIT_ARCH_NATIVE);
    assert_eq!(s.errno, 0, "SECCOMP_RET_DATA of a plain TRAP");
    assert_eq!((c.errno, c.signal), (None, None));
}

#[test]
fn trace_without_a_tracer_is_enosys() {
    let run = run_probe(Some(&only_target(SeccompAction::Trace(7))), &[TARGET]);
    assert_eq!(run.case(TARGET).errno, Some(libc::ENOSYS));
}

/// The filter of a profile that denies every way to fork: clone without CLONE_THREAD, fork and
/// vfork.
fn no_fork(action: SeccompAction) -> BpfProgram {
    let plain_clone = SeccompRule::new(vec![SeccompCondition::new(
        0,
        SeccompCmpArgLen::Qword,
        SeccompCmpOp::MaskedEq(libc::CLONE_THREAD as u64),
        0,
    )
    .unwrap()])
    .unwrap();
    #[allow(unused_mut)]
    let mut rules = vec![(libc::SYS_clone, vec![plain_clone])];
    #[cfg(target_arch = "x86_64")]
    rules.extend([(libc::SYS_fork, vec![]), (libc::SYS_vfork, vec![])]);
    filter(rules, action)
}

/// Reruns the probe as the harness does until every id has a record or ended a probe.
fn run_to_completion(bpf: &BpfProgram, ids: &[String]) -> (Vec<Run>, BTreeSet<String>) {
    let mut remaining: Vec<String> = ids.to_vec();
    let mut runs = Vec::new();
    let mut culprits = BTreeSet::new();
    let mut in_process = false;
    while !remaining.is_empty() {
        let mut args: Vec<&str> = remaining.iter().map(String::as_str).collect();
        if in_process {
            args.insert(0, "--in-process");
        }
        let run = run_probe(Some(bpf), &args);
        let done: BTreeSet<String> = run.cases().map(|c| c.id.clone()).collect();
        match run.dangling_begin() {
            Some(id) => {
                culprits.insert(id.to_string());
            }
            // The case before changed the probe's process; the rest need a fresh one.
            None if run.status.code() == Some(ProbeExit::FreshProcess.code()) => in_process = true,
            None if !run.status.success() => {
                assert!(
                    !in_process,
                    "died in-process without a begin: {:?}",
                    run.status
                );
                in_process = true;
            }
            None => {}
        }
        let before = remaining.len();
        remaining.retain(|id| !done.contains(id) && !culprits.contains(id));
        assert!(remaining.len() < before || in_process, "no progress");
        runs.push(run);
        assert!(runs.len() < 100, "too many restarts");
    }
    (runs, culprits)
}

#[test]
fn denied_fork_still_gives_every_case_a_result() {
    let catalog = Catalog::native();
    let ids: Vec<String> = catalog.cases().iter().map(|c| c.id.clone()).collect();
    let bpf = no_fork(SeccompAction::Errno(libc::EPERM as u32));
    let (runs, culprits) = run_to_completion(&bpf, &ids);
    eprintln!("{} runs; ended the probe: {culprits:?}", runs.len());
    assert_eq!(runs[0].mode(), RunMode::InProcess);
    let mut results = BTreeMap::new();
    for run in &runs {
        for c in run.cases() {
            assert_eq!(c.mode, RunMode::InProcess);
            results.insert(c.id.clone(), c.clone());
        }
    }
    for id in &ids {
        assert!(
            results.contains_key(id) || culprits.contains(id),
            "{id} has no result"
        );
    }
    // Only calls that end a process may end the probe; the filter (x86_64 only) also kills
    // i386 calls, as a profile without SCMP_ARCH_X86 does.
    for id in &culprits {
        let c = catalog.get(id).unwrap();
        assert!(
            matches!(
                c.syscall,
                "exit" | "exit_group" | "rt_sigreturn" | "uretprobe" | "uprobe"
            ) || id.starts_with("i386:"),
            "{id} ended the probe"
        );
    }
    assert_eq!(results[TARGET].errno, Some(libc::EFAULT));
    assert!(results.values().all(|c| !c.timed_out));
    #[cfg(target_arch = "x86_64")]
    {
        assert!(results["pause"].interrupted);
        assert_eq!(results["fork"].errno, Some(libc::EPERM));
        assert_eq!(results["vfork"].errno, Some(libc::EPERM));
    }
    // All ones includes CLONE_THREAD, so the filter lets this clone through to the kernel.
    assert_eq!(results["clone"].errno, Some(libc::EINVAL));
}

#[test]
fn killed_fork_is_recovered_in_process() {
    let bpf = no_fork(SeccompAction::KillProcess);
    let first = run_probe(Some(&bpf), &["getpid", TARGET]);
    assert_eq!(first.status.signal(), Some(SIGSYS));
    assert!(first.records.is_empty(), "{:?}", first.records);
    let second = run_probe(Some(&bpf), &["--in-process", "getpid", TARGET]);
    assert!(second.status.success());
    assert_eq!(second.mode(), RunMode::InProcess);
    assert!(second.case("getpid").ret.unwrap() > 0);
    assert_eq!(second.case(TARGET).errno, Some(libc::EFAULT));
    assert!(matches!(&second.records[1], Record::Begin { id } if id == "getpid"));
}

#[test]
fn filters_on_the_probes_own_calls_do_not_lose_cases() {
    // Optional calls are tried in a child: killing them costs the facts, not the run.
    let bpf = filter(
        vec![
            (libc::SYS_seccomp, vec![]),
            (libc::SYS_sched_setaffinity, vec![]),
        ],
        SeccompAction::KillProcess,
    );
    let run = run_probe(Some(&bpf), &["--host-facts", "getpid", TARGET]);
    assert!(run.status.success(), "{:?}", run.status);
    assert_eq!(run.mode(), RunMode::Fork);
    assert!(run.host().actions_avail_syscall.is_empty());
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));

    // Children skip setsid when it kills them, so only the setsid case itself is killed.
    let bpf = filter(vec![(libc::SYS_setsid, vec![])], SeccompAction::KillThread);
    let run = run_probe(Some(&bpf), &["getpid", "setsid", TARGET]);
    assert_eq!(run.mode(), RunMode::Fork);
    assert_eq!(run.case("setsid").signal, Some(SIGSYS));
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));
    assert!(run.case("getpid").signal.is_none());

    // An errno on every reap call: the probe keeps forking and learns how each child ended
    // from SIGCHLD's siginfo, the kernel reaping them (an allow-list server's profile).
    let waits = [(libc::SYS_wait4, vec![]), (libc::SYS_waitid, vec![])];
    let bpf = filter(waits.to_vec(), SeccompAction::Errno(1));
    let ids = ["getpid", "rt_sigreturn", "exit", TARGET];
    let run = run_probe(Some(&bpf), &ids);
    assert!(run.status.success(), "{:?}", run.status);
    assert_eq!(run.mode(), RunMode::Fork);
    assert!(run.cases().all(|c| c.mode == RunMode::Fork));
    assert_eq!(run.case("rt_sigreturn").signal, Some(libc::SIGSEGV));
    assert_eq!(run.case("exit").exit_status, Some(0));
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));
    // The same ends with the machinery told to avoid the reap calls, as the harness does.
    let run = run_probe(
        Some(&bpf),
        &["--avoid", "wait4,waitid", ids[1], ids[2], ids[3]],
    );
    assert_eq!(run.mode(), RunMode::Fork);
    assert_eq!(run.case("rt_sigreturn").signal, Some(libc::SIGSEGV));
    assert_eq!(run.case("exit").exit_status, Some(0));

    // With every wait on a fd denied too, the parent naps and reads the ends the SIGCHLD
    // handler kept (the hostile waits-denied profile).
    let mut rules = waits.to_vec();
    rules.extend([
        (libc::SYS_ppoll, vec![]),
        (libc::SYS_pselect6, vec![]),
        #[cfg(target_arch = "x86_64")]
        (libc::SYS_poll, vec![]),
    ]);
    let bpf = filter(rules, SeccompAction::Errno(1));
    let run = run_probe(Some(&bpf), &ids);
    assert!(run.status.success(), "{:?}", run.status);
    assert!(run.cases().all(|c| c.mode == RunMode::Fork));
    assert_eq!(run.case("rt_sigreturn").signal, Some(libc::SIGSEGV));
    assert_eq!(run.case("exit").exit_status, Some(0));
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));

    // With rt_sigaction denied too, nothing tells a child's end: in-process before the
    // first case.
    let mut rules = waits.to_vec();
    rules.push((libc::SYS_rt_sigaction, vec![]));
    let bpf = filter(rules, SeccompAction::Errno(1));
    let run = run_probe(Some(&bpf), &["getpid", TARGET]);
    assert!(run.status.success(), "{:?}", run.status);
    assert_eq!(run.mode(), RunMode::InProcess);
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));
}

/// A trapped mmap (the tagged run's TRAP default, where a profile allows mmap only under
/// conditions the probe's anonymous mappings miss) leaves the probe without its shared page,
/// so it runs the cases in-process. Before, libc's mmap wrapper passed on the SIGSYS
/// handler's result register (the syscall number, 9) as the mapping's address, and the probe
/// died of SIGSEGV before its first case.
#[test]
fn a_trapped_mmap_leaves_the_probe_running_in_process() {
    let bpf = filter(vec![(libc::SYS_mmap, vec![])], SeccompAction::Trap);
    let run = run_probe(Some(&bpf), &["getpid", TARGET]);
    assert!(run.status.success(), "{:?} {:?}", run.status, run.records);
    assert_eq!(run.mode(), RunMode::InProcess);
    assert!(run.case("getpid").ret.unwrap() > 0);
    assert_eq!(run.case(TARGET).errno, Some(libc::EFAULT));
}

/// The footprint is all the probe needs: under a KILL_PROCESS default that allows only the
/// footprint (`own_calls`), execve (the test's own exec), write, exit_group and one case's
/// syscall, with every other machinery call on `--avoid`, the probe reaches the case.
#[test]
fn the_footprint_plus_one_case_is_enough() {
    use seccomp_catalog::own_calls;
    let arch = seccomp_catalog::Arch::native();
    let cat = Catalog::native();
    let nr = |name: &str| cat.get(name).unwrap_or_else(|| panic!("{name}")).nr as i64;
    let mut avoid: Vec<&str> = own_calls::machinery_calls(arch)
        .into_iter()
        .filter(|n| !["write", "exit_group"].contains(n))
        .collect();
    avoid.push("ioctl");
    let avoid = avoid.join(",");
    for id in [
        "getpid",
        TARGET,
        "uname",
        "socket(AF_INET)",
        "personality(8)",
    ] {
        let case = cat.get(id).unwrap();
        let mut names: Vec<&str> = own_calls::footprint(arch)
            .iter()
            .map(|f| f.syscall)
            .collect();
        names.extend(["execve", "write", "exit_group", case.syscall]);
        let rules = names.iter().map(|n| (nr(n), vec![])).collect();
        let bpf: BpfProgram = SeccompFilter::new(
            rules,
            SeccompAction::KillProcess,
            SeccompAction::Allow,
            ARCH,
        )
        .unwrap()
        .try_into()
        .unwrap();
        let run = run_probe(Some(&bpf), &["--avoid", &avoid, id]);
        assert!(
            run.status.success(),
            "{id}: {:?} {:?}",
            run.status,
            run.records
        );
        assert_eq!(run.mode(), RunMode::InProcess);
        assert!(run.case(id).signal.is_none(), "{id}");
    }
}

/// Each footprint call's `OnErrno` is what the probe does: denied with EPERM alone, a tolerated
/// call still lets the probe reach its case and a fatal one does not.
#[test]
fn footprint_errno_tolerance_is_as_recorded() {
    use seccomp_catalog::own_calls::{self, OnErrno};
    let cat = Catalog::native();
    for call in own_calls::footprint(seccomp_catalog::Arch::native()) {
        let nr = cat.get(call.syscall).unwrap().nr as i64;
        let bpf = filter(vec![(nr, vec![])], SeccompAction::Errno(1));
        let run = run_probe(Some(&bpf), &[TARGET]);
        let reached = run.status.success()
            && run
                .records
                .iter()
                .any(|r| matches!(r, Record::Case(c) if c.id == TARGET));
        assert_eq!(
            reached,
            call.on_errno == OnErrno::Tolerated,
            "{}: status {:?}",
            call.syscall,
            run.status
        );
    }
}
