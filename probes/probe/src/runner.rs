//! Running one case: in a forked child with deadlines (fork mode), or in the probe's own process
//! when forking is impossible (in-process mode). In fork mode, consecutive cases that run to
//! their return and leave the process alone ([`batchable`]) share one child, a worker
//! ([`run_batch`]): one fork per batch instead of one per case.
//!
//! In fork mode the child stores its result in a `MAP_SHARED` page rather than writing it to a
//! pipe: a store needs no syscall, so the result survives a profile that denies `write` (or
//! traps it) in the very case under test. The pipe is still there, but only as the child's
//! lifeline: the kernel closes its write end when the child dies, however it dies, and the
//! parent's `ppoll` on the read end doubles as the deadline timer.

use crate::raw::{self, errno_of, Ret};
use crate::{machinery, signals};
use seccomp_catalog::own_calls;
use seccomp_catalog::record::{CaseRecord, RunMode, SigsysInfo};
use seccomp_catalog::{Abi, Arg, Case};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::Relaxed};
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
/// How long the parent waits for a dead child's SIGCHLD where it learns children's ends that
/// way ([`machinery::reaps_by_signal`]): the child already closed its lifeline, and the kernel
/// signals its end right after, so only a lost signal takes this long.
const SIGCHLD_WAIT: Duration = Duration::from_secs(2);

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
    /// Generated from a profile's argument conditions: its arguments were not vetted one by
    /// one like the catalog's, so it never shares a worker ([`batchable`]).
    pub generated: bool,
}

/// An anonymous read-write mapping of `len` bytes, kept for the life of the process; `None`
/// when the filter denies or traps mmap. A raw call rather than libc's `mmap`: under a TRAP
/// (the tagged run's default, where a profile allows mmap only under conditions) the SIGSYS
/// handler returns with the syscall number in the result register, which libc's wrapper
/// passed on as the address 9, and the first store there killed the probe with SIGSEGV before
/// its first case (measured with the recorded httpd allow-list's start-able copy).
fn map_anonymous(len: usize, flags: libc::c_int) -> Option<*mut libc::c_void> {
    let prot = (libc::PROT_READ | libc::PROT_WRITE) as u64;
    let args = [0, len as u64, prot, flags as u64, -1i64 as u64, 0];
    raw::sys(libc::SYS_mmap, args)
        .ok()
        .map(|p| p as *mut libc::c_void)
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
        let Some(p) = map_anonymous(len, flags) else {
            // The cases then pass NULL and get EFAULT: still a result, just a less telling one.
            return LowArena {
                base: std::ptr::null_mut(),
                words: 0,
                used: 0,
            };
        };
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
        generated: seccomp_catalog::generated::is_generated_id(&case.id),
    }
}

/// What the call did, as seen from inside the process that made it.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
struct Outcome {
    /// 1 once the child is about to make the call: a child that dies before was killed by the
    /// probe's own machinery, not by the case.
    entered: u32,
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
        entered: 1,
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
            #[cfg(target_arch = "aarch64")]
            Abi::Aarch64 if p.syscall == "rt_sigreturn" => raw::sigreturn_misaligned(p.nr, p.args),
            #[cfg(target_arch = "x86_64")]
            Abi::X86_64 if p.syscall == "rt_sigreturn" => raw::sigreturn_zeroed_frame(p.nr, p.args),
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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MachineryFailed {
    pub errno: i32,
}

/// The page a forked child reports into: one [`Outcome`] per case it runs, up to [`BATCH`].
pub struct Slot(*mut Outcome);

/// How many cases one worker runs at most ([`run_batch`]): as many outcomes as the shared page
/// holds (its one page is also what the oracle judges the probe's mmap with).
pub const BATCH: usize = 4096 / std::mem::size_of::<Outcome>();

impl Slot {
    pub fn new() -> Option<Slot> {
        map_anonymous(4096, libc::MAP_SHARED | libc::MAP_ANONYMOUS).map(|p| Slot(p.cast()))
    }

    fn write(&self, o: Outcome) {
        self.write_at(0, o)
    }

    fn read(&self) -> Outcome {
        self.read_at(0)
    }

    fn write_at(&self, k: usize, o: Outcome) {
        assert!(k < BATCH, "outcome {k} is past the shared page");
        // SAFETY: the page is mapped for the life of the process and holds BATCH outcomes;
        // volatile because another process reads it.
        unsafe { std::ptr::write_volatile(self.0.add(k), o) }
    }

    fn read_at(&self, k: usize) -> Outcome {
        assert!(k < BATCH, "outcome {k} is past the shared page");
        // SAFETY: as above.
        unsafe { std::ptr::read_volatile(self.0.add(k)) }
    }
}

/// How a forked child ended, as far as the parent could tell.
#[derive(Default)]
struct Ended {
    outcome: Outcome,
    /// The wait status, when the child was reaped.
    status: Option<i32>,
    timed_out: bool,
    /// Past its deadline with no way to kill it (no signal call left): left behind.
    abandoned: bool,
}

/// The wake-up arrives from the child's own interval timer rather than from the parent: set
/// when the parent has no signal call left, and the child may still arm a timer.
fn child_arms_timer(may_block: bool) -> bool {
    may_block && signals::installed() && machinery::allowed("setitimer")
}

fn set_timer(every: Duration) -> bool {
    let tv = libc::timeval {
        tv_sec: every.as_secs() as libc::time_t,
        tv_usec: every.subsec_micros() as libc::suseconds_t,
    };
    let it = libc::itimerval {
        it_interval: tv,
        it_value: tv,
    };
    raw::sys(
        libc::SYS_setitimer,
        [libc::ITIMER_REAL as u64, &it as *const _ as u64, 0, 0, 0, 0],
    )
    .is_ok()
}

/// Waits for `pid` to be reaped until `deadline`, without blocking past it.
fn reap_until(pid: i32, deadline: Instant) -> Option<i32> {
    loop {
        match machinery::reap(pid, true) {
            Some(Some(status)) => return Some(status),
            Some(None) if Instant::now() < deadline => {
                machinery::wait_readable(None, Duration::from_micros(100));
            }
            _ => return None,
        }
    }
}

fn close(fd: i32) {
    let _ = raw::sys(libc::SYS_close, [fd as u64, 0, 0, 0, 0, 0]);
}

/// A file descriptor of the probe's own, closed when dropped.
#[derive(Debug)]
struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        close(self.0);
    }
}

/// A child's lifeline: a pipe whose write end only the child keeps, so that the kernel closes
/// it when the child dies, however it dies, and a wait on the read end ends at once. Without
/// one the parent re-reads the page and asks for the child's status between naps. Each end
/// closes when dropped, the read end first.
#[derive(Debug)]
struct Lifeline {
    read: Fd,
    write: Fd,
}

impl Lifeline {
    /// A new lifeline, where the filter lets the probe make a pipe and watch it.
    fn open() -> Option<Lifeline> {
        if !(machinery::allowed("pipe2") && machinery::can_watch_fd()) {
            return None;
        }
        let mut fds = [0i32; 2];
        raw::sys(
            libc::SYS_pipe2,
            [fds.as_mut_ptr() as u64, libc::O_CLOEXEC as u64, 0, 0, 0, 0],
        )
        .ok()?;
        Some(Lifeline {
            read: Fd(fds[0]),
            write: Fd(fds[1]),
        })
    }

    /// The parent's end after the fork: the write end is closed now.
    fn into_read_end(self) -> Fd {
        let Lifeline { read, write } = self;
        drop(write);
        read
    }

    /// The child's end: the read end is closed now.
    fn into_write_end(self) -> Fd {
        let Lifeline { read, write } = self;
        drop(read);
        write
    }
}

/// Forks a child that runs `body` in a session of its own, then wakes the parent through its
/// lifeline and exits. Returns the child's pid and the read end of its lifeline, if it has one.
fn spawn(body: impl FnOnce()) -> Result<(i32, Option<Fd>), MachineryFailed> {
    let fail = |errno| MachineryFailed { errno };
    if !machinery::allowed("clone") {
        return Err(fail(0));
    }
    // Before the fork, never after it: a wait for any child could reap this one.
    reap_orphans();
    let lifeline = Lifeline::open();
    if !machinery::can_reap() {
        // Only the exit status tells how a child died (a kill's SIGSYS from any other end),
        // and without it nothing tells a dead child from a slow one where there is no
        // lifeline either: the cases run in-process, where the container's exit code tells.
        // The lifeline's pipe closes as it is dropped here.
        return Err(fail(0));
    }
    // A plain fork as clone(SIGCHLD): the flags a profile sees from libc's fork too, without
    // glibc's atfork handlers.
    let pid = raw::sys(libc::SYS_clone, own_calls::FORK_ARGS).map_err(fail)? as i32;
    if pid == 0 {
        let write = lifeline.map(Lifeline::into_write_end);
        // A session of its own: no controlling terminal for vhangup to hang up, and no shared
        // process group for a stray signal.
        if NEW_SESSION.load(Relaxed) {
            let _ = raw::sys(libc::SYS_setsid, [0; 6]);
        }
        body();
        // Wakes the parent now rather than when the pipe closes at the end of exit, after the
        // child's memory is torn down. If a filter denies this write, the close still comes.
        if let Some(wr) = &write {
            if machinery::allowed("write") {
                let byte = 1u8;
                let _ = raw::sys(
                    libc::SYS_write,
                    [wr.0 as u64, &byte as *const u8 as u64, 1, 0, 0, 0],
                );
            }
        }
        machinery::exit_child(0);
    }
    Ok((pid, lifeline.map(Lifeline::into_read_end)))
}

/// Forks a child that runs `child` and reports into `slot`; waits with the deadlines.
fn fork_and_wait(
    slot: &Slot,
    may_block: bool,
    defer_reap: bool,
    child: impl FnOnce() -> Outcome,
) -> Result<Ended, MachineryFailed> {
    slot.write(Outcome::default());
    let self_timer = child_arms_timer(may_block);
    let (pid, lifeline) = spawn(|| {
        if self_timer {
            set_timer(SOFT);
        }
        slot.write(Outcome {
            entered: 1,
            ..Outcome::default()
        });
        let mut o = child();
        o.entered = 1;
        slot.write(o);
    })?;
    let mut ended = wait_for_child(slot, pid, lifeline.as_ref(), may_block && !self_timer);
    drop(lifeline);
    ended.outcome = slot.read();
    settle(slot, pid, ended, defer_reap)
}

/// Waits until the child's call returned, the child died, or [`HARD`] passed, when it is
/// killed. Where `wakes`, the parent itself interrupts the call every [`SOFT`] meanwhile (a
/// `may_block` case whose child could not arm its own timer).
fn wait_for_child(slot: &Slot, pid: i32, lifeline: Option<&Fd>, wakes: bool) -> Ended {
    let start = Instant::now();
    let hard = start + HARD;
    let mut next_wake = start + SOFT;
    let mut ended = Ended::default();
    loop {
        if slot.read().done == 1 {
            break;
        }
        let now = Instant::now();
        if now >= hard {
            ended.timed_out = true;
            ended.abandoned = !machinery::signal(pid, libc::SIGKILL);
            break;
        }
        if wakes && now >= next_wake {
            machinery::signal(pid, signals::WAKE);
            next_wake = now + SOFT;
        }
        let until = if wakes { next_wake.min(hard) } else { hard };
        match watch(pid, lifeline, until.saturating_duration_since(now)) {
            Watch::Pending => {}
            Watch::LifelineReady => break,
            Watch::Reaped(status) => {
                ended.status = Some(status);
                break;
            }
        }
    }
    ended
}

/// What one look at a child, waiting at most a given time, saw.
enum Watch {
    /// Nothing yet: the time passed, or the wait was cut short.
    Pending,
    /// The lifeline is readable: the child wrote its last byte or died.
    LifelineReady,
    /// The child was reaped, with this wait status.
    Reaped(i32),
}

/// Waits up to `wait` for a sign of the child's end: its lifeline turning readable or, where it
/// has none the probe can watch, its status from a reap after a short nap.
fn watch(pid: i32, lifeline: Option<&Fd>, wait: Duration) -> Watch {
    match lifeline {
        Some(rd) if machinery::can_watch_fd() => match machinery::wait_readable(Some(rd.0), wait) {
            machinery::Waited::Ready => Watch::LifelineReady,
            _ => Watch::Pending,
        },
        _ => {
            machinery::wait_readable(None, wait.min(Duration::from_micros(200)));
            match machinery::reap(pid, true) {
                Some(Some(status)) => Watch::Reaped(status),
                _ => Watch::Pending,
            }
        }
    }
}

/// Decides, once the wait is over, whether the child is reaped now or later.
fn settle(
    slot: &Slot,
    pid: i32,
    mut ended: Ended,
    defer_reap: bool,
) -> Result<Ended, MachineryFailed> {
    let returned = ended.outcome.done == 1 && !ended.timed_out;
    let by_signal = machinery::reaps_by_signal();
    if ended.abandoned || ended.status.is_some() || (returned && (defer_reap || by_signal)) {
        // The call returned and the child is on its way out: how it exits says nothing more
        // about the case, so it is reaped later (see reap_orphans, or by the kernel where the
        // probe watches SIGCHLD) while the next case runs.
        if returned && ended.status.is_none() {
            left_to_exit(pid);
        }
        return Ok(ended);
    }
    ended.status = reap_ended(pid, !returned && !ended.timed_out)?;
    if ended.status.is_none() && !returned && machinery::can_reap() {
        ended.abandoned = true;
    }
    ended.outcome = slot.read();
    Ok(ended)
}

/// Reaps a child that is dead or dying (killed, or past its call), with a deadline all the
/// same, so that a child that cannot exit is left behind rather than waited for. `dead`: its
/// lifeline told it is gone and its call never returned.
///
/// `Err` when it is gone but its SIGCHLD was lost (merged with another child's) where the
/// kernel reaps: nothing tells how it died, so the probe runs this case and the rest
/// in-process, where the container's exit code tells.
fn reap_ended(pid: i32, dead: bool) -> Result<Option<i32>, MachineryFailed> {
    let by_signal = machinery::reaps_by_signal();
    let wait = if by_signal && dead {
        SIGCHLD_WAIT
    } else {
        HARD
    };
    let status = reap_until(pid, Instant::now() + wait);
    if status.is_none() && by_signal && dead {
        return Err(MachineryFailed { errno: 0 });
    }
    Ok(status)
}

/// Reaps finished children without waiting: those whose call returned (left to exit on their
/// own), and the processes `fork` cases create, which are reparented to the probe when it is
/// PID 1 in a container.
///
/// Where the kernel reaps them and SIGCHLD tells their ends ([`machinery::reaps_by_signal`]),
/// it waits instead for the end of the child left to exit on its own ([`left_to_exit`]):
/// SIGCHLD is not queued, so that child's signal, still pending when the next child dies at
/// once (a worker killed at its first case), would swallow the one that tells how.
fn reap_orphans() {
    let left = LEFT_TO_EXIT.swap(0, Relaxed);
    if machinery::reaps_by_signal() {
        if left > 0 {
            let _ = reap_until(left, Instant::now() + SIGCHLD_WAIT);
        }
        return;
    }
    while let Some(Some(_)) = machinery::reap(-1, true) {}
}

/// The child whose call returned and that was left to exit on its own, not yet seen ended.
static LEFT_TO_EXIT: AtomicI32 = AtomicI32::new(0);

/// Notes that `pid` was left to exit on its own (see [`reap_orphans`]).
fn left_to_exit(pid: i32) {
    LEFT_TO_EXIT.store(pid, Relaxed);
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
        if session && !machinery::allowed("setsid") {
            continue;
        }
        NEW_SESSION.store(session, Relaxed);
        // Reaped at once, so that the reap calls are checked too.
        let ended = fork_and_wait(slot, false, false, || Outcome {
            done: 1,
            ..Outcome::default()
        })?;
        if ended.outcome.done == 1 && !ended.abandoned {
            return Ok(());
        }
    }
    // A child dies before doing anything: no case could be told from that.
    Err(MachineryFailed { errno: 0 })
}

pub fn run_forked(p: &Prepared, slot: &Slot) -> Result<CaseRecord, MachineryFailed> {
    let ended = fork_and_wait(slot, p.may_block, true, || call_here(p))?;
    if ended.outcome.entered == 0 && !ended.timed_out {
        // The child died before its call: the machinery's own calls were hit, not the case.
        return Err(MachineryFailed { errno: 0 });
    }
    Ok(forked_record(p, &ended))
}

/// The record of a case run in a forked child, with how the child ended.
fn forked_record(p: &Prepared, ended: &Ended) -> CaseRecord {
    let mut rec = record_from(p, RunMode::Fork, &ended.outcome);
    rec.timed_out = ended.timed_out;
    rec.abandoned = ended.abandoned;
    add_end(&mut rec, &ended.outcome, ended.status);
    rec
}

/// How a child ended, reported only when its call never returned: once it has, the child only
/// exits, and a profile that kills exit_group would otherwise mark every case killed.
fn add_end(rec: &mut CaseRecord, o: &Outcome, status: Option<i32>) {
    if let (0, Some(status)) = (o.done, status) {
        if libc::WIFSIGNALED(status) {
            rec.signal = Some(libc::WTERMSIG(status));
        } else if libc::WIFEXITED(status) {
            rec.exit_status = Some(libc::WEXITSTATUS(status));
        }
    }
}

/// Whether a case may share a forked child (a worker, [`run_batch`]) with the cases before
/// it: one that runs to its return and leaves the process as it found it. Left out: a call
/// that may sleep (its wake-ups are timed per child), one that creates a process (its orphans
/// would be the worker's), one that changes or ends the process ([`in_process_rank`]), and a
/// generated case, whose arguments (a profile's condition values) were not vetted to leave
/// the process alone. The in-process mode runs the catalog's other cases one after another in
/// one process too.
pub fn batchable(p: &Prepared) -> bool {
    !p.may_block && !p.spawning && !p.generated && in_process_rank(p) == 0
}

/// How often the parent looks at a worker's progress while it runs: each look writes the
/// records of the cases done so far, so that a batch of slow cases (`sync` takes seconds on a
/// busy host) never leaves the harness's watchdog without a record.
const PROGRESS_LOOK: Duration = Duration::from_millis(500);

/// How a worker's batch ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchEnd {
    /// How many cases, from the first, have their record written.
    pub ran: usize,
    /// The machinery failed at case `ran`: it and the rest must run in-process.
    pub failed: Option<MachineryFailed>,
}

/// Runs `ps` (each [`batchable`], at most [`BATCH`] of them) one after another in one forked
/// child, a worker, and hands each case's record to `emit` in order; `Err` when `emit` fails.
///
/// A fork per case cost about 0.1 ms of CPU each (most of the probe's 0.1 s for the whole
/// catalog); a worker per batch costs one. A case that ends the worker (a kill, a trap with
/// no handler) gets its record from how the worker died, as a forked case does, and the
/// caller starts a new worker from the next case.
pub fn run_batch(
    ps: &[Prepared],
    slot: &Slot,
    emit: &mut dyn FnMut(CaseRecord) -> Result<(), ()>,
) -> Result<BatchEnd, ()> {
    let ps = &ps[..ps.len().min(BATCH)];
    for k in 0..ps.len() {
        slot.write_at(k, Outcome::default());
    }
    let (pid, lifeline) = match spawn(|| work_through(ps, slot)) {
        Ok(child) => child,
        Err(e) => {
            return Ok(BatchEnd {
                ran: 0,
                failed: Some(e),
            })
        }
    };
    let followed = follow_worker(ps, slot, pid, lifeline.as_ref(), emit);
    drop(lifeline);
    let (ran, ended) = followed?;
    if ran == ps.len() {
        // Every case returned: the worker only exits now, reaped later (reap_orphans, or by
        // the kernel where the probe watches SIGCHLD).
        if ended.status.is_none() {
            left_to_exit(pid);
        }
        return Ok(BatchEnd { ran, failed: None });
    }
    end_at(ps, ran, slot, pid, ended, emit)
}

/// The worker's body: each case in turn, its outcome stored in its own place on the page.
fn work_through(ps: &[Prepared], slot: &Slot) {
    for (k, p) in ps.iter().enumerate() {
        slot.write_at(
            k,
            Outcome {
                entered: 1,
                ..Outcome::default()
            },
        );
        let mut o = call_here(p);
        o.entered = 1;
        slot.write_at(k, o);
    }
}

/// Hands each case's record to `emit` as the worker finishes it, until every case is done, the
/// worker is gone, or it made no progress for [`HARD`], when it is killed. The deadline counts
/// from the last progress seen, so that it never cuts a case shorter than [`HARD`]. Returns
/// how many cases have their record, and how the worker ended as far as the wait saw.
fn follow_worker(
    ps: &[Prepared],
    slot: &Slot,
    pid: i32,
    lifeline: Option<&Fd>,
    emit: &mut dyn FnMut(CaseRecord) -> Result<(), ()>,
) -> Result<(usize, Ended), ()> {
    let mut ran = 0;
    let mut progress_at = Instant::now();
    let mut ended = Ended::default();
    let mut gone = false;
    loop {
        while ran < ps.len() && slot.read_at(ran).done == 1 {
            emit(record_from(&ps[ran], RunMode::Fork, &slot.read_at(ran)))?;
            ran += 1;
            progress_at = Instant::now();
        }
        if ran == ps.len() || gone {
            return Ok((ran, ended));
        }
        let now = Instant::now();
        let hard = progress_at + HARD;
        if now >= hard {
            ended.timed_out = true;
            ended.abandoned = !machinery::signal(pid, libc::SIGKILL);
            return Ok((ran, ended));
        }
        let wait = hard.saturating_duration_since(now).min(PROGRESS_LOOK);
        match watch(pid, lifeline, wait) {
            Watch::Pending => {}
            // The worker's last byte (every case done) or its death: the next turn writes
            // what is done before the loop ends.
            Watch::LifelineReady => gone = true,
            Watch::Reaped(status) => {
                ended.status = Some(status);
                gone = true;
            }
        }
    }
}

/// Ends a batch at case `ran`, the one whose call never returned in the worker: its record
/// from how the worker ended, or the machinery's failure when the worker died before it.
fn end_at(
    ps: &[Prepared],
    ran: usize,
    slot: &Slot,
    pid: i32,
    mut ended: Ended,
    emit: &mut dyn FnMut(CaseRecord) -> Result<(), ()>,
) -> Result<BatchEnd, ()> {
    let machinery_failed = |e| {
        Ok(BatchEnd {
            ran,
            failed: Some(e),
        })
    };
    if slot.read_at(ran).entered == 0 && !ended.timed_out {
        // Dead before case `ran` began: the machinery's own calls were hit, not a case.
        return machinery_failed(MachineryFailed { errno: 0 });
    }
    if ended.status.is_none() && !ended.abandoned {
        ended.status = match reap_ended(pid, !ended.timed_out) {
            Ok(status) => status,
            Err(e) => return machinery_failed(e),
        };
        ended.abandoned = ended.status.is_none() && machinery::can_reap();
    }
    ended.outcome = slot.read_at(ran);
    emit(forked_record(&ps[ran], &ended))?;
    Ok(BatchEnd {
        ran: ran + 1,
        failed: None,
    })
}

/// Runs the case in the probe itself; the caller has written the `begin` record.
///
/// Between that record and the case record the probe makes no call of its own, so a kill in
/// between is always the case's. The one exception is a `may_block` case: an interval timer
/// (setitimer) wakes it with SIGALRM, which has no SA_RESTART, so the call returns EINTR. No
/// other case gets a deadline here: the catalog chose their arguments so they do not block,
/// and the harness's watchdog ends a probe that gives no record in time.
pub fn run_in_process(p: &Prepared) -> CaseRecord {
    let timer = child_arms_timer(p.may_block) && set_timer(SOFT);
    let o = call_here(p);
    if timer {
        set_timer(Duration::ZERO);
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
    let ended = fork_and_wait(slot, false, true, || Outcome {
        done: 1,
        ret: f(),
        ..Outcome::default()
    })
    .ok()?;
    (ended.outcome.done == 1).then_some(ended.outcome.ret)
}

/// Whether an in-process run of `p` changes the probe's own process for the cases after it.
pub fn changes_the_process(p: &Prepared) -> bool {
    in_process_rank(p) == 1
}

/// In-process order ([`own_calls::in_process_rank`]), for a stable sort: the catalog order
/// holds within each group.
pub fn in_process_rank(p: &Prepared) -> u8 {
    own_calls::in_process_rank(p.syscall)
}

#[cfg(test)]
mod tests;
