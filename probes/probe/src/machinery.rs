//! The probe's own calls, each with its fallbacks (the roles and their order are data in
//! `seccomp_catalog::own_calls`).
//!
//! Two rules keep a strict profile from taking the probe down:
//! - a name on the `--avoid` list (the harness's oracle predicts it is not allowed: killed,
//!   trapped or denied) is never called;
//! - an errno (or a trap, which [`raw::sys`] reports as ENOSYS) from the option in use moves
//!   the role to its next option for the rest of the run.
//!
//! Every wait has a deadline: where no call can sleep, the probe spins on the monotonic clock,
//! which the vDSO serves without a syscall where the kernel's clocksource supports it (else
//! glibc makes a clock_gettime syscall).

use crate::{raw, signals};
use seccomp_catalog::own_calls::Role;
use seccomp_catalog::Arch;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

static AVOID: OnceLock<Vec<String>> = OnceLock::new();

/// Sets the names never to call. Once, before any other call of this module.
pub fn set_avoid(names: Vec<String>) {
    let _ = AVOID.set(names);
}

/// Whether the harness allowed `name` (it is not on the avoid list).
pub fn allowed(name: &str) -> bool {
    !AVOID.get().is_some_and(|a| a.iter().any(|n| n == name))
}

/// Whether every call of a role that needs all of its calls is allowed.
pub fn role_allowed(role: Role) -> bool {
    role.options(Arch::native()).iter().all(|n| allowed(n))
}

/// The index of the option a role currently uses; past the end when none is left.
struct Cursor(AtomicUsize);

impl Cursor {
    const fn new() -> Cursor {
        Cursor(AtomicUsize::new(0))
    }

    /// The options of `role` still worth trying, from the current one on.
    fn options(&self, role: Role) -> impl Iterator<Item = (usize, &'static str)> {
        let start = self.0.load(Relaxed);
        role.options(Arch::native())
            .iter()
            .copied()
            .enumerate()
            .skip(start)
            .filter(|(_, n)| allowed(n))
    }

    /// Option `i` failed with an errno: never use it again.
    fn failed(&self, i: usize) {
        self.0.fetch_max(i + 1, Relaxed);
    }
}

static SIGNAL: Cursor = Cursor::new();
static WAIT: Cursor = Cursor::new();
static REAP: Cursor = Cursor::new();
static WRITE: Cursor = Cursor::new();

fn nr(name: &str) -> libc::c_long {
    match name {
        "kill" => libc::SYS_kill,
        "tgkill" => libc::SYS_tgkill,
        "tkill" => libc::SYS_tkill,
        "ppoll" => libc::SYS_ppoll,
        #[cfg(target_arch = "x86_64")]
        "poll" => libc::SYS_poll,
        "pselect6" => libc::SYS_pselect6,
        "nanosleep" => libc::SYS_nanosleep,
        "wait4" => libc::SYS_wait4,
        "waitid" => libc::SYS_waitid,
        "write" => libc::SYS_write,
        "writev" => libc::SYS_writev,
        "vmsplice" => libc::SYS_vmsplice,
        "exit_group" => libc::SYS_exit_group,
        "exit" => libc::SYS_exit,
        other => unreachable!("{other} is no machinery call"),
    }
}

/// Sends `sig` to the process `pid` (a child, so its pid is also its only thread's id).
/// Returns false when no signal call is left.
pub fn signal(pid: i32, sig: i32) -> bool {
    for (i, name) in SIGNAL.options(Role::Signal) {
        let (pid, sig) = (pid as u64, sig as u64);
        let args = match name {
            "tgkill" => [pid, pid, sig, 0, 0, 0],
            _ => [pid, sig, 0, 0, 0, 0],
        };
        match raw::sys(nr(name), args) {
            Ok(_) => return true,
            // The child is gone already: the signal is moot, not the call broken.
            Err(libc::ESRCH) => return true,
            Err(_) => SIGNAL.failed(i),
        }
    }
    false
}

/// What a bounded wait ended with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waited {
    /// `fd` is readable (or hung up).
    Ready,
    /// The time ran out, or a signal cut the wait short.
    Elapsed,
}

/// Waits up to `timeout` for `fd` to become readable; with no `fd` (or no call that can watch
/// one) it only sleeps, and the caller re-reads the shared page.
pub fn wait_readable(fd: Option<i32>, timeout: Duration) -> Waited {
    let deadline = Instant::now() + timeout;
    for (i, name) in WAIT.options(Role::Wait) {
        let ts = libc::timespec {
            tv_sec: timeout.as_secs() as libc::time_t,
            tv_nsec: timeout.subsec_nanos() as libc::c_long,
        };
        let mut pfd = libc::pollfd {
            fd: fd.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        };
        // With no fd, each of them sleeps for the timeout (nfds 0).
        let nfds = u64::from(fd.is_some());
        let res = match name {
            "ppoll" => raw::sys(
                nr(name),
                [
                    &mut pfd as *mut _ as u64,
                    nfds,
                    &ts as *const _ as u64,
                    0,
                    8,
                    0,
                ],
            ),
            "poll" => raw::sys(
                nr(name),
                [
                    &mut pfd as *mut _ as u64,
                    nfds,
                    timeout.as_millis().max(1) as u64,
                    0,
                    0,
                    0,
                ],
            ),
            "pselect6" => {
                let fd = fd.unwrap_or(0);
                if fd as usize >= libc::FD_SETSIZE {
                    continue;
                }
                let mut set = [0u64; 16];
                set[fd as usize / 64] |= 1 << (fd % 64);
                let (n, sets) = if nfds == 1 {
                    (fd as u64 + 1, set.as_mut_ptr() as u64)
                } else {
                    (0, 0)
                };
                raw::sys(nr(name), [n, sets, 0, 0, &ts as *const _ as u64, 0])
            }
            "nanosleep" => {
                // Short naps: the caller re-reads the page between them.
                let nap = timeout.min(Duration::from_micros(200));
                let ts = libc::timespec {
                    tv_sec: 0,
                    tv_nsec: nap.subsec_nanos() as libc::c_long,
                };
                raw::sys(nr(name), [&ts as *const _ as u64, 0, 0, 0, 0, 0]).map(|_| 0)
            }
            _ => continue,
        };
        match res {
            Ok(0) => return Waited::Elapsed,
            Ok(_) if fd.is_some() && name != "nanosleep" => return Waited::Ready,
            Ok(_) => return Waited::Elapsed,
            Err(libc::EINTR) => return Waited::Elapsed,
            Err(_) => WAIT.failed(i),
        }
    }
    // Nothing can sleep: spin on the vDSO clock for a short while.
    let until = deadline.min(Instant::now() + Duration::from_micros(200));
    while Instant::now() < until {
        std::hint::spin_loop();
    }
    Waited::Elapsed
}

/// Whether a wait can watch the lifeline pipe (rather than only sleep).
pub fn can_watch_fd() -> bool {
    WAIT.options(Role::Wait).any(|(_, n)| n != "nanosleep")
}

/// Collects the exit status of `pid` (-1: any child). `Some(Some(status))` when a child was
/// reaped, `Some(None)` when none was ready (with `nohang`), `None` when no reap call works or
/// there is no such child.
///
/// Past the reap calls, where the probe watches SIGCHLD ([`can_reap`]): the status its
/// handler kept for `pid`, never waiting (`nohang` or not), and `None` for any child, which
/// the kernel reaps itself.
pub fn reap(pid: i32, nohang: bool) -> Option<Option<i32>> {
    let flags = libc::__WALL | if nohang { libc::WNOHANG } else { 0 };
    for (i, name) in REAP.options(Role::Reap) {
        let res = if name == "wait4" {
            let mut status = 0i32;
            raw::sys(
                nr(name),
                [
                    pid as i64 as u64,
                    &mut status as *mut i32 as u64,
                    flags as u64,
                    0,
                    0,
                    0,
                ],
            )
            .map(|got| (got != 0).then_some(status))
        } else {
            // waitid(P_PID or P_ALL, pid, info, WEXITED | flags): the status comes back in
            // siginfo's si_code (CLD_*) and si_status.
            // SAFETY: siginfo_t is plain data.
            let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
            let (idtype, id) = if pid < 0 {
                (libc::P_ALL, 0)
            } else {
                (libc::P_PID, pid as u64)
            };
            raw::sys(
                nr(name),
                [
                    idtype as u64,
                    id,
                    &mut info as *mut _ as u64,
                    (libc::WEXITED | flags) as u64,
                    0,
                    0,
                ],
            )
            .map(|_| {
                // SAFETY: filled by the kernel for a reaped child.
                let (got, code, status) =
                    unsafe { (info.si_pid(), info.si_code, info.si_status()) };
                (got != 0).then(|| signals::wait_status(code, status))
            })
        };
        match res {
            Ok(s) => return Some(s),
            Err(libc::EINTR) => return Some(None),
            Err(libc::ECHILD) => return None,
            Err(_) => REAP.failed(i),
        }
    }
    if signals::watching_children() && pid > 0 {
        return Some(signals::child_ended(pid));
    }
    None
}

/// Whether the probe can learn how its children end: a reap call is left, or else it
/// watches SIGCHLD ([`Role::ChildSignal`], installed here the first time no reap call is
/// left).
pub fn can_reap() -> bool {
    if REAP.options(Role::Reap).next().is_some() || signals::watching_children() {
        return true;
    }
    role_allowed(Role::ChildSignal) && signals::watch_children()
}

/// Whether the children's ends come from SIGCHLD rather than a reap call: each end is known
/// only if its signal was not lost (see [`signals::child_ended`]).
pub fn reaps_by_signal() -> bool {
    signals::watching_children() && REAP.options(Role::Reap).next().is_none()
}

/// Writes all of `bytes` to `fd` (a pipe). Err when no write call is left: the names tried.
pub fn write_all(fd: i32, bytes: &[u8]) -> Result<(), ()> {
    let mut rest = bytes;
    'outer: while !rest.is_empty() {
        for (i, name) in WRITE.options(Role::Write) {
            let iov = libc::iovec {
                iov_base: rest.as_ptr() as *mut libc::c_void,
                iov_len: rest.len(),
            };
            let args = match name {
                "write" => [fd as u64, rest.as_ptr() as u64, rest.len() as u64, 0, 0, 0],
                // vmsplice copies user pages into a pipe: a way out when write and writev
                // are denied (stdout is a pipe under every engine).
                _ => [fd as u64, &iov as *const _ as u64, 1, 0, 0, 0],
            };
            match raw::sys(nr(name), args) {
                Ok(n) => {
                    rest = &rest[n as usize..];
                    continue 'outer;
                }
                Err(libc::EINTR) | Err(libc::EAGAIN) => continue 'outer,
                Err(_) => WRITE.failed(i),
            }
        }
        return Err(());
    }
    Ok(())
}

/// Ends the process: exit_group, else exit. When a filter denies both, the process sleeps
/// until the harness, which has every record by then, ends the container.
pub fn exit(code: i32) -> ! {
    for name in Role::Exit.options(Arch::native()) {
        if allowed(name) {
            let _ = raw::sys(nr(name), [code as u64, 0, 0, 0, 0, 0]);
        }
    }
    loop {
        if allowed("nanosleep") {
            let ts = libc::timespec {
                tv_sec: 3600,
                tv_nsec: 0,
            };
            let _ = raw::sys(libc::SYS_nanosleep, [&ts as *const _ as u64, 0, 0, 0, 0, 0]);
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Ends a forked child at once, with raw calls only (no atexit, no stdio flush, which would
/// repeat the parent's buffers). A child that cannot exit faults: its parent has its result
/// from the shared page already.
pub fn exit_child(code: i32) -> ! {
    for name in Role::Exit.options(Arch::native()) {
        if allowed(name) {
            let _ = raw::sys(nr(name), [code as u64, 0, 0, 0, 0, 0]);
        }
    }
    std::process::abort()
}
