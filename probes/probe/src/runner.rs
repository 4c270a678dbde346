//! Running one case: in a forked child with deadlines (fork mode), or in the probe's own process
//! when forking is impossible (in-process mode).
//!
//! In fork mode the child stores its result in a `MAP_SHARED` page rather than writing it to a
//! pipe: a store needs no syscall, so the result survives a profile that denies `write` (or
//! traps it) in the very case under test. The pipe is still there, but only as the child's
//! lifeline: the kernel closes its write end when the child dies, however it dies, and the
//! parent's `ppoll` on the read end doubles as the deadline timer.

use crate::raw::{self, errno_of, Ret};
use crate::signals;
use seccomp_catalog::record::{CaseRecord, RunMode, SigsysInfo};
use seccomp_catalog::{Abi, Arg, Case};
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::time::{Duration, Instant};

/// How long a `may_block` call may sleep before the probe wakes it, and how often the wake-up
/// is repeated (the first signal may land before the child enters the call). Short, because
/// the only such calls (`pause`) sleep until a signal anyway.
pub const SOFT: Duration = Duration::from_millis(5);
/// How long any case may take before its child is killed: a safety net, as no case is meant to
/// block. Generous because `sync` legitimately takes seconds on a host busy writing (measured
/// above 2 s here right after a build), and SIGKILL would not cut it short anyway: the child
/// dies only when the flush is done.
pub const HARD: Duration = Duration::from_secs(10);

/// A case ready to run: the argument registers resolved to plain values.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub id: String,
    pub abi: Abi,
    pub nr: u64,
    pub args: [u64; 6],
    pub may_block: bool,
    /// fork, vfork, clone, clone3: the new process must exit at once (see
    /// [`raw::native_spawning`]).
    pub spawning: bool,
    pub syscall: &'static str,
}

/// Memory below 4 GiB for [`Arg::Words32`] arguments, which an i386 call can only pass as
/// 32-bit pointers.
pub struct LowArena {
    base: *mut u32,
    words: usize,
    used: usize,
}

impl LowArena {
    pub fn new(words: usize) -> LowArena {
        let len = (words.max(1) * 4).next_multiple_of(4096);
        #[cfg(target_arch = "x86_64")]
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_32BIT;
        #[cfg(not(target_arch = "x86_64"))]
        let flags = libc::MAP_PRIVATE | libc::MAP_ANONYMOUS;
        // SAFETY: an anonymous mapping owned by this arena for the life of the process.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                flags,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            // The cases then pass NULL and get EFAULT: still a result, just a less telling one.
            return LowArena {
                base: std::ptr::null_mut(),
                words: 0,
                used: 0,
            };
        }
        LowArena {
            base: p.cast(),
            words: len / 4,
            used: 0,
        }
    }

    fn place(&mut self, words: &[u32]) -> u64 {
        if self.base.is_null() || self.used + words.len() > self.words {
            return 0;
        }
        // SAFETY: the range lies inside the mapping, checked above.
        unsafe {
            let dst = self.base.add(self.used);
            std::ptr::copy_nonoverlapping(words.as_ptr(), dst, words.len());
            self.used += words.len();
            dst as u64
        }
    }
}

pub fn prepare(case: &Case, arena: &mut LowArena) -> Prepared {
    let args = case.args.map(|a| match a {
        Arg::Value(v) => v,
        Arg::Words32(w) => arena.place(w),
    });
    Prepared {
        id: case.id.clone(),
        abi: case.abi,
        nr: case.nr,
        args,
        may_block: case.may_block,
        spawning: matches!(case.syscall, "fork" | "vfork" | "clone" | "clone3"),
        syscall: case.syscall,
    }
}

/// What the call did, as seen from inside the process that made it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    /// 1 once the call returned and the rest is filled in.
    done: u32,
    wakes: u32,
    ret: i64,
    trapped: u32,
    trap: SigsysRaw,
}

#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct SigsysRaw {
    code: i32,
    syscall: i32,
    errno: i32,
    arch: u32,
}

/// Makes the call in the current process.
fn call_here(p: &Prepared) -> Outcome {
    signals::clear_trap();
    signals::clear_wakes();
    let ret = invoke(p);
    let trap = signals::take_trap();
    Outcome {
        done: 1,
        wakes: signals::wakes(),
        ret,
        trapped: trap.is_some() as u32,
        trap: trap
            .map(|t| SigsysRaw {
                code: t.code,
                syscall: t.syscall,
                errno: t.errno,
                arch: t.arch,
            })
            .unwrap_or_default(),
    }
}

fn invoke(p: &Prepared) -> Ret {
    // SAFETY: the catalog chose these arguments to be harmless (see `Case::harmless`); process
    // creating calls go through the variant whose new process exits at once.
    unsafe {
        match p.abi {
            Abi::X86_64 | Abi::Aarch64 | Abi::X32 if p.spawning => {
                raw::native_spawning(p.nr, p.args)
            }
            Abi::X86_64 | Abi::Aarch64 | Abi::X32 => raw::native(p.nr, p.args),
            #[cfg(target_arch = "x86_64")]
            Abi::I386 => raw::int80(p.nr as u32, p.args.map(|a| a as u32)),
            #[cfg(not(target_arch = "x86_64"))]
            Abi::I386 => -(libc::ENOSYS as i64),
        }
    }
}

/// The errno of a call's return value. x86_64's `modify_ldt` is the one call whose kernel entry
/// returns an `int` cast to `unsigned int` (a historical ABI, see arch/x86/kernel/ldt.c), so its
/// -errno arrives in the low 32 bits only; an errno from a seccomp filter is a full -errno.
fn decode_errno(p: &Prepared, ret: Ret) -> Option<i32> {
    if p.syscall == "modify_ldt" && p.abi == Abi::X86_64 {
        return errno_of(ret).or_else(|| errno_of(ret as u32 as i32 as i64));
    }
    errno_of(ret)
}

fn record_from(p: &Prepared, mode: RunMode, o: &Outcome) -> CaseRecord {
    let mut rec = CaseRecord {
        id: p.id.clone(),
        mode,
        ..CaseRecord::default()
    };
    if o.done == 1 {
        rec.ret = Some(o.ret);
        // A trapped call did not return: its register holds the syscall number again.
        rec.errno = if o.trapped == 1 {
            None
        } else {
            decode_errno(p, o.ret)
        };
        rec.interrupted = o.wakes > 0;
    }
    if o.trapped == 1 {
        rec.sigsys = Some(SigsysInfo {
            code: o.trap.code,
            syscall: o.trap.syscall,
            errno: o.trap.errno,
            arch: o.trap.arch,
        });
    }
    rec
}

/// The probe's own machinery failed (a profile denied pipe2, clone, ppoll or wait4): the case
/// must run in-process instead.
#[derive(Debug, Clone, Copy)]
pub struct MachineryFailed {
    pub errno: i32,
}

/// The page a forked child reports into.
pub struct Slot(*mut Outcome);

impl Slot {
    pub fn new() -> Option<Slot> {
        // SAFETY: an anonymous shared mapping, kept for the life of the process.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        (p != libc::MAP_FAILED).then(|| Slot(p.cast()))
    }

    fn write(&self, o: Outcome) {
        // SAFETY: the page is mapped for the life of the process; volatile because another
        // process reads it.
        unsafe { std::ptr::write_volatile(self.0, o) }
    }

    fn read(&self) -> Outcome {
        // SAFETY: as above.
        unsafe { std::ptr::read_volatile(self.0) }
    }
}

/// Forks a child that runs `child` and reports into `slot`; waits with the deadlines.
fn fork_and_wait(
    slot: &Slot,
    may_block: bool,
    defer_reap: bool,
    child: impl FnOnce() -> Outcome,
) -> Result<(Outcome, i32, bool), MachineryFailed> {
    let fail = |errno| MachineryFailed { errno };
    // Before the fork, never after it: a wait for any child could reap this one.
    reap_orphans();
    slot.write(Outcome::default());
    let mut fds = [0i32; 2];
    raw::sys(
        libc::SYS_pipe2,
        [fds.as_mut_ptr() as u64, libc::O_CLOEXEC as u64, 0, 0, 0, 0],
    )
    .map_err(fail)?;
    let [rd, wr] = fds;
    let close = |fd: i32| {
        let _ = raw::sys(libc::SYS_close, [fd as u64, 0, 0, 0, 0, 0]);
    };
    // A plain fork as clone(SIGCHLD): the flags a profile sees from libc's fork too, without
    // glibc's atfork handlers.
    let pid = match raw::sys(libc::SYS_clone, [libc::SIGCHLD as u64, 0, 0, 0, 0, 0]) {
        Ok(pid) => pid as i32,
        Err(e) => {
            close(rd);
            close(wr);
            return Err(fail(e));
        }
    };
    if pid == 0 {
        close(rd);
        // A session of its own: no controlling terminal for vhangup to hang up, and no shared
        // process group for a stray signal.
        if NEW_SESSION.load(Relaxed) {
            let _ = raw::sys(libc::SYS_setsid, [0; 6]);
        }
        let o = child();
        slot.write(o);
        // Wakes the parent now rather than when the pipe closes at the end of exit, after the
        // child's memory is torn down. If a filter denies this write, the close still comes.
        let byte = 1u8;
        let _ = raw::sys(
            libc::SYS_write,
            [wr as u64, &byte as *const u8 as u64, 1, 0, 0, 0],
        );
        raw::exit_now(0);
    }
    close(wr);

    let start = Instant::now();
    let hard = start + HARD;
    let mut next_wake = start + SOFT;
    let mut timed_out = false;
    let mut failure = None;
    loop {
        let now = Instant::now();
        if now >= hard {
            let _ = raw::sys(
                libc::SYS_kill,
                [pid as u64, libc::SIGKILL as u64, 0, 0, 0, 0],
            );
            timed_out = true;
            break;
        }
        if may_block && now >= next_wake {
            let _ = raw::sys(
                libc::SYS_kill,
                [pid as u64, signals::WAKE as u64, 0, 0, 0, 0],
            );
            next_wake = now + SOFT;
        }
        let until = if may_block { next_wake.min(hard) } else { hard };
        let wait = until.saturating_duration_since(now);
        let ts = libc::timespec {
            tv_sec: wait.as_secs() as libc::time_t,
            tv_nsec: wait.subsec_nanos() as libc::c_long,
        };
        let mut pfd = libc::pollfd {
            fd: rd,
            events: libc::POLLIN,
            revents: 0,
        };
        match raw::sys(
            libc::SYS_ppoll,
            [
                &mut pfd as *mut _ as u64,
                1,
                &ts as *const _ as u64,
                0,
                8,
                0,
            ],
        ) {
            Ok(0) => continue,
            Ok(_) => break,
            Err(libc::EINTR) => continue,
            Err(e) => {
                let _ = raw::sys(
                    libc::SYS_kill,
                    [pid as u64, libc::SIGKILL as u64, 0, 0, 0, 0],
                );
                failure = Some(e);
                break;
            }
        }
    }
    close(rd);
    let o = slot.read();
    if defer_reap && o.done == 1 && failure.is_none() && !timed_out {
        // The call returned and the child is on its way out: how it exits says nothing more
        // about the case, so it is reaped later (see reap_orphans) while the next case runs.
        return Ok((o, 0, false));
    }
    let mut status = 0i32;
    loop {
        match raw::sys(
            libc::SYS_wait4,
            [
                pid as u64,
                &mut status as *mut i32 as u64,
                libc::__WALL as u64,
                0,
                0,
                0,
            ],
        ) {
            Ok(_) => break,
            Err(libc::EINTR) => continue,
            Err(e) => return Err(fail(e)),
        }
    }
    if let Some(e) = failure {
        return Err(fail(e));
    }
    Ok((slot.read(), status, timed_out))
}

/// Reaps finished children without waiting: those whose call returned (left to exit on their
/// own), and the processes `fork` cases create, which are reparented to the probe when it is
/// PID 1 in a container.
fn reap_orphans() {
    let mut status = 0i32;
    while let Ok(pid) = raw::sys(
        libc::SYS_wait4,
        [
            u64::MAX, // pid -1: any child
            &mut status as *mut i32 as u64,
            (libc::WNOHANG | libc::__WALL) as u64,
            0,
            0,
            0,
        ],
    ) {
        if pid == 0 {
            break;
        }
    }
}

/// Whether children call setsid before their case. Cleared when a filter kills setsid: a
/// child killed before its case must not be blamed on the case.
static NEW_SESSION: AtomicBool = AtomicBool::new(true);

/// Checks that the fork machinery works before committing to fork mode: a child that does what
/// every case's child does before its call (close, setsid), then reports, with no call of the
/// catalog. If setsid kills it, children skip setsid (inside a container there is no
/// controlling terminal to lose anyway).
pub fn fork_works(slot: &Slot) -> Result<(), MachineryFailed> {
    for session in [true, false] {
        NEW_SESSION.store(session, Relaxed);
        // Reaped at once, so that wait4 is checked too.
        let (o, _, _) = fork_and_wait(slot, false, false, || Outcome {
            done: 1,
            ..Outcome::default()
        })?;
        if o.done == 1 {
            return Ok(());
        }
    }
    // A child dies before doing anything: no case could be told from that.
    Err(MachineryFailed { errno: 0 })
}

pub fn run_forked(p: &Prepared, slot: &Slot) -> Result<CaseRecord, MachineryFailed> {
    let (o, status, timed_out) = fork_and_wait(slot, p.may_block, true, || call_here(p))?;
    let mut rec = record_from(p, RunMode::Fork, &o);
    rec.timed_out = timed_out;
    // How a child ended is reported only when its call never returned: once it has, the child
    // only exits, and a profile that kills exit_group would otherwise mark every case killed.
    if o.done != 1 {
        if libc::WIFSIGNALED(status) {
            rec.signal = Some(libc::WTERMSIG(status));
        } else if libc::WIFEXITED(status) {
            rec.exit_status = Some(libc::WEXITSTATUS(status));
        }
    }
    Ok(rec)
}

/// Runs the case in the probe itself; the caller has written the `begin` record.
///
/// Between that record and the case record the probe makes no call of its own, so a kill in
/// between is always the case's. The one exception is a `may_block` case: an interval timer
/// (setitimer) wakes it with SIGALRM, which has no SA_RESTART, so the call returns EINTR. No
/// other case gets a deadline here: the catalog chose their arguments so they do not block.
pub fn run_in_process(p: &Prepared) -> CaseRecord {
    let timer = |every: Duration| {
        let tv = libc::timeval {
            tv_sec: every.as_secs() as libc::time_t,
            tv_usec: every.subsec_micros() as libc::suseconds_t,
        };
        let it = libc::itimerval {
            it_interval: tv,
            it_value: tv,
        };
        let _ = raw::sys(
            libc::SYS_setitimer,
            [libc::ITIMER_REAL as u64, &it as *const _ as u64, 0, 0, 0, 0],
        );
    };
    if p.may_block {
        timer(SOFT);
    }
    let o = call_here(p);
    if p.may_block {
        timer(Duration::ZERO);
    }
    record_from(p, RunMode::InProcess, &o)
}

/// Reaps what an in-process `fork` case left behind. Called before the next `begin` record,
/// never between a `begin` and its case, so a filter that kills wait4 is not blamed on a case.
pub fn reap_in_process() {
    reap_orphans();
}

/// Runs `f` in a forked child and returns its value, or `None` when the child died or could not
/// be forked. The probe tries its optional calls (seccomp's action query, CPU pinning) this way
/// first: a filter that kills one of them then kills a child, not the probe.
pub fn in_child(slot: &Slot, f: impl FnOnce() -> i64) -> Option<i64> {
    let (o, _, _) = fork_and_wait(slot, false, true, || Outcome {
        done: 1,
        ret: f(),
        ..Outcome::default()
    })
    .ok()?;
    (o.done == 1).then_some(o.ret)
}

/// In-process order: calls that change the probe's own process (its namespaces, its
/// personality) run after all others so they cannot skew them, and calls that end the probe
/// run last of all. A stable sort, so the catalog order holds within each group.
pub fn in_process_rank(p: &Prepared) -> u8 {
    match p.syscall {
        "exit" | "exit_group" | "rt_sigreturn" | "uretprobe" | "uprobe" => 2,
        "unshare" | "setns" | "personality" => 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use seccomp_catalog::Catalog;

    fn prepared(id: &str) -> Prepared {
        let cat = Catalog::native();
        prepare(cat.get(id).unwrap(), &mut LowArena::new(0))
    }

    #[test]
    fn errno_is_the_kernel_range_only() {
        assert_eq!(errno_of(-14), Some(14));
        assert_eq!(errno_of(-4095), Some(4095));
        assert_eq!(errno_of(-4096), None);
        assert_eq!(errno_of(0), None);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn modify_ldt_errno_sits_in_the_low_32_bits() {
        let p = prepared("modify_ldt");
        assert_eq!(decode_errno(&p, 0xffff_ffda), Some(38));
        assert_eq!(decode_errno(&p, -38), Some(38));
        assert_eq!(decode_errno(&prepared("getpid"), 0xffff_ffda), None);
    }

    #[test]
    fn in_process_runs_process_changing_and_ending_calls_last() {
        let cat = Catalog::native();
        let mut arena = LowArena::new(0);
        let mut all: Vec<Prepared> = cat.cases().iter().map(|c| prepare(c, &mut arena)).collect();
        all.sort_by_key(in_process_rank);
        let pos = |id: &str| all.iter().position(|p| p.id == id).unwrap();
        assert!(pos("getpid") < pos("unshare(CLONE_NEWUSER)"));
        assert!(pos("unshare(CLONE_NEWUSER)") < pos("exit_group"));
        assert!(pos("personality(8)") < pos("exit"));
    }

    #[test]
    fn a_harmless_call_runs_in_this_process() {
        let rec = run_in_process(&prepared("getpid"));
        assert_eq!(rec.ret, Some(std::process::id() as i64));
        assert_eq!(
            (rec.errno, rec.signal, rec.interrupted),
            (None, None, false)
        );
        let rec = run_in_process(&prepared("mkdirat"));
        assert_eq!(rec.errno, Some(libc::EFAULT));
    }

    #[test]
    fn process_creating_calls_are_marked() {
        assert!(prepared("clone").spawning && prepared("clone3(NULL,0)").spawning);
        assert!(!prepared("getpid").spawning);
    }
}
