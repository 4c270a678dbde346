//! The probe's signal handlers and what they leave behind.
//!
//! - SIGSYS (SA_SIGINFO) records the seccomp trap details: this is how SCMP_ACT_TRAP is told
//!   from a kill, which no handler can catch.
//! - SIGUSR1 and SIGALRM do nothing, but are installed without SA_RESTART, so a call sleeping
//!   when they arrive returns EINTR: that is how a `may_block` case (or an in-process case past
//!   its deadline) is woken up.
//!
//! - SIGCHLD (SA_SIGINFO | SA_NOCLDWAIT), only where no reap call is left
//!   ([`watch_children`]): the kernel reaps each child itself, and the handler keeps how it
//!   ended (its siginfo's `si_code` and `si_status`) for the parent to look up by pid.
//!
//! Handlers are installed once in the parent and inherited by every forked child. They write
//! only to atomics, which is async-signal-safe.

use seccomp_catalog::record::SigsysInfo;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, Ordering::SeqCst};

/// The signal the parent sends a forked child to interrupt a sleeping call.
pub const WAKE: libc::c_int = libc::SIGUSR1;

static TRAPPED: AtomicBool = AtomicBool::new(false);
static TRAP_CODE: AtomicI32 = AtomicI32::new(0);
static TRAP_SYSCALL: AtomicI32 = AtomicI32::new(0);
static TRAP_ERRNO: AtomicI32 = AtomicI32::new(0);
static TRAP_ARCH: AtomicU32 = AtomicU32::new(0);
static WAKES: AtomicU32 = AtomicU32::new(0);
static INSTALLED: AtomicBool = AtomicBool::new(false);

/// How many children's ends [`on_sigchld`] keeps. The parent looks one up right after its
/// child dies; more room only guards against bursts of orphans (`fork` cases' processes,
/// reparented to the probe when it is PID 1) overwriting it first.
const ENDS: usize = 64;
/// The pid of each kept end (0: free), then its wait status (as wait4 gives it).
static END_PIDS: [AtomicI32; ENDS] = [const { AtomicI32::new(0) }; ENDS];
static END_STATUS: [AtomicI32; ENDS] = [const { AtomicI32::new(0) }; ENDS];
static NEXT_END: AtomicU32 = AtomicU32::new(0);
static WATCHING: AtomicBool = AtomicBool::new(false);

/// Whether every handler is in place, so that SIGSYS, SIGUSR1 and SIGALRM return to the
/// interrupted code instead of ending the process.
pub fn installed() -> bool {
    INSTALLED.load(SeqCst)
}

/// The SIGSYS part of `siginfo_t` (the `_sigsys` union member), at the offsets of the generic
/// 64-bit layout shared by x86_64 and aarch64: `_call_addr` at 16, `_syscall` at 24, `_arch` at
/// 28. The libc crate does not expose these fields.
#[repr(C)]
struct SiginfoSigsys {
    signo: i32,
    errno: i32,
    code: i32,
    _pad: i32,
    call_addr: usize,
    syscall: i32,
    arch: u32,
}

extern "C" fn on_sigsys(_sig: libc::c_int, info: *mut libc::siginfo_t, ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SIGSYS; the layout is the generic one.
    let si = unsafe { &*(info as *const SiginfoSigsys) };
    // After a trap x86_64's return register holds the syscall number, but aarch64's x0 still
    // holds the first argument: a trapped clone3(NULL, 0) then looked like the new process
    // (x0 == 0) and exited (measured under an emulated arm64 Docker 28.5.2). The handler
    // gives x0 the syscall number, as on x86_64, so the interrupted code sees no result.
    #[cfg(target_arch = "aarch64")]
    // SAFETY: for an SA_SIGINFO handler the kernel passes the interrupted context.
    unsafe {
        let uc = &mut *(ctx as *mut libc::ucontext_t);
        uc.uc_mcontext.regs[0] = si.syscall as u64;
    }
    #[cfg(not(target_arch = "aarch64"))]
    let _ = ctx;
    TRAP_CODE.store(si.code, SeqCst);
    TRAP_SYSCALL.store(si.syscall, SeqCst);
    TRAP_ERRNO.store(si.errno, SeqCst);
    TRAP_ARCH.store(si.arch, SeqCst);
    TRAPPED.store(true, SeqCst);
}

extern "C" fn on_wake(_sig: libc::c_int) {
    WAKES.fetch_add(1, SeqCst);
}

extern "C" fn on_sigchld(_sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo for SIGCHLD, whose pid and status fields the
    // libc crate reads at the right offsets.
    let (pid, code, status) = unsafe { ((*info).si_pid(), (*info).si_code, (*info).si_status()) };
    let slot = NEXT_END.fetch_add(1, SeqCst) as usize % ENDS;
    // The status first: the reader trusts a slot once it sees the pid.
    END_STATUS[slot].store(wait_status(code, status), SeqCst);
    END_PIDS[slot].store(pid, SeqCst);
}

/// A wait status like wait4's from a child's siginfo (`si_code` CLD_*, `si_status`): the exit
/// status or the signal that ended it. Stops and continues are not asked for (SA_NOCLDSTOP).
pub fn wait_status(code: i32, status: i32) -> i32 {
    match code {
        libc::CLD_EXITED => (status & 0xff) << 8,
        libc::CLD_KILLED => status & 0x7f,
        libc::CLD_DUMPED => (status & 0x7f) | 0x80,
        _ => 0,
    }
}

/// Has the kernel reap the probe's children and [`child_ended`] tell how each ended: the way
/// to keep forking when a profile leaves no reap call. Once; false when rt_sigaction refused.
pub fn watch_children() -> bool {
    if WATCHING.load(SeqCst) {
        return true;
    }
    // SAFETY: a plain sigaction call with a handler that only touches atomics.
    let ok = unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigchld as *const () as usize;
        // No SA_RESTART: an interrupted wait returns and the parent looks again, as after
        // SIGUSR1; writes retry on EINTR.
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NOCLDWAIT | libc::SA_NOCLDSTOP;
        libc::sigemptyset(&mut sa.sa_mask);
        libc::sigaction(libc::SIGCHLD, &sa, std::ptr::null_mut()) == 0
    };
    WATCHING.store(ok, SeqCst);
    ok
}

/// Whether [`watch_children`] is in place.
pub fn watching_children() -> bool {
    WATCHING.load(SeqCst)
}

/// How child `pid` ended (a wait status), once its SIGCHLD has come; the end is then
/// forgotten. `None` while it has not come, or if it was lost: SIGCHLD is not queued, so two
/// children ending before the parent runs its handler leave one siginfo.
pub fn child_ended(pid: i32) -> Option<i32> {
    if pid <= 0 {
        return None;
    }
    for (pids, status) in END_PIDS.iter().zip(&END_STATUS) {
        if pids.load(SeqCst) != pid {
            continue;
        }
        let s = status.load(SeqCst);
        // The handler may have reused the slot between the two loads (after ENDS other ends).
        if pids.compare_exchange(pid, 0, SeqCst, SeqCst).is_ok() {
            return Some(s);
        }
    }
    None
}

/// Installs the handlers. Returns false when any of them was refused (a profile may deny
/// rt_sigaction): the probe still runs, but a TRAP then looks like a kill.
pub fn install() -> bool {
    let mut ok = true;
    // SAFETY: plain sigaction calls with handlers that only touch atomics.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigsys as *const () as usize;
        sa.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER;
        libc::sigemptyset(&mut sa.sa_mask);
        ok &= libc::sigaction(libc::SIGSYS, &sa, std::ptr::null_mut()) == 0;

        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_wake as *const () as usize;
        sa.sa_flags = 0;
        libc::sigemptyset(&mut sa.sa_mask);
        ok &= libc::sigaction(WAKE, &sa, std::ptr::null_mut()) == 0;
        ok &= libc::sigaction(libc::SIGALRM, &sa, std::ptr::null_mut()) == 0;
    }
    INSTALLED.store(ok, SeqCst);
    ok
}

pub fn clear_trap() {
    TRAPPED.store(false, SeqCst);
}

/// The details of the last trap since [`clear_trap`], if there was one.
pub fn take_trap() -> Option<SigsysInfo> {
    if !TRAPPED.swap(false, SeqCst) {
        return None;
    }
    Some(SigsysInfo {
        code: TRAP_CODE.load(SeqCst),
        syscall: TRAP_SYSCALL.load(SeqCst),
        errno: TRAP_ERRNO.load(SeqCst),
        arch: TRAP_ARCH.load(SeqCst),
    })
}

pub fn clear_wakes() {
    WAKES.store(0, SeqCst);
}

/// How many wake-up signals arrived since [`clear_wakes`].
pub fn wakes() -> u32 {
    WAKES.load(SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn child_ends_read_like_wait4_statuses() {
        let s = wait_status(libc::CLD_EXITED, 3);
        assert!(libc::WIFEXITED(s) && libc::WEXITSTATUS(s) == 3);
        let s = wait_status(libc::CLD_KILLED, 31);
        assert!(libc::WIFSIGNALED(s) && libc::WTERMSIG(s) == 31);
        let s = wait_status(libc::CLD_DUMPED, 11);
        assert!(libc::WIFSIGNALED(s) && libc::WTERMSIG(s) == 11 && libc::WCOREDUMP(s));
    }

    #[test]
    fn sigsys_view_matches_the_kernel_offsets() {
        assert_eq!(std::mem::offset_of!(SiginfoSigsys, call_addr), 16);
        assert_eq!(std::mem::offset_of!(SiginfoSigsys, syscall), 24);
        assert_eq!(std::mem::offset_of!(SiginfoSigsys, arch), 28);
    }
}
