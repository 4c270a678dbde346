//! The probe's signal handlers and what they leave behind.
//!
//! - SIGSYS (SA_SIGINFO) records the seccomp trap details: this is how SCMP_ACT_TRAP is told
//!   from a kill, which no handler can catch.
//! - SIGUSR1 and SIGALRM do nothing, but are installed without SA_RESTART, so a call sleeping
//!   when they arrive returns EINTR: that is how a `may_block` case (or an in-process case past
//!   its deadline) is woken up.
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
    fn sigsys_view_matches_the_kernel_offsets() {
        assert_eq!(std::mem::offset_of!(SiginfoSigsys, call_addr), 16);
        assert_eq!(std::mem::offset_of!(SiginfoSigsys, syscall), 24);
        assert_eq!(std::mem::offset_of!(SiginfoSigsys, arch), 28);
    }
}
