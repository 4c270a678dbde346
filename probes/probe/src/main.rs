//! `seccomp-probe`: runs catalog cases with raw syscall instructions inside a container and
//! prints what each one did, as JSON lines (see `seccomp_catalog::record`).
//!
//! # Command line
//!
//! ```text
//! seccomp-probe [--in-process] [--list] [ID...]
//! ```
//!
//! - no ID: every case of the native arch's catalog, in catalog order; with IDs: those cases.
//! - `--list`: print the selected case ids, one per line, and run nothing.
//! - `--in-process`: never fork; run every case in the probe's own process (see below).
//!
//! Exit codes: 0 when every selected case has a `case` record; 1 when the probe could not write
//! its output; 2 for bad usage (an unknown flag or case id), with a message on stderr. Any other
//! end (a signal, or a status from an `exit` case run in-process) means a case ended the probe.
//!
//! # Output and the restart protocol
//!
//! The first line is a `host` record, then one `case` record per selected case. Its `mode`
//! says how the cases run:
//!
//! - `fork` (the normal mode): each case runs in a forked child, so nothing a case does can end
//!   the probe. The child starts a session of its own, makes the call, stores its result in a
//!   shared page and exits; the parent waits with deadlines, interrupting a `may_block` call
//!   with SIGUSR1 after [`runner::SOFT`] and killing any child after [`runner::HARD`].
//! - `in_process`: the probe could not fork (a profile denied `clone` with an errno, or
//!   `--in-process` was given). Before each case the probe writes a `begin` record with the
//!   case's id, then makes the call, then writes the case's record, and makes no other call in
//!   between (but setitimer for a `may_block` case, which SIGALRM wakes every
//!   [`runner::SOFT`]). A case that kills the probe (a KILL action, `exit`, `rt_sigreturn`)
//!   thus leaves a `begin` without its `case` record. There is no hard deadline in-process: the
//!   catalog's arguments do not block. Cases that change the probe's own process (`unshare`,
//!   `setns`, `personality`) run after the others, and cases that end it run last.
//!
//! The harness reruns the probe, in a fresh container, with the ids that have no `case` record
//! yet, until each has one or was named by a dangling `begin`:
//! - output ends after a `begin`: that case ended the probe; rerun with the remaining ids and
//!   `--in-process`.
//! - the probe died before its `host` record, or in fork mode (no dangling `begin`): the fork
//!   machinery itself was killed (a KILL on `clone`, `wait4`...); rerun with `--in-process`.
//! - the probe died in-process with no dangling `begin`: a filter kills a call the probe cannot
//!   do without (see below); the remaining cases cannot be run.
//!
//! If forking fails midway (the probe's own pipe2, ppoll or wait4 denied), the probe switches to
//! in-process for that case and the rest; each `case` record carries its own `mode`.
//!
//! # What the probe itself needs
//!
//! Besides what a static binary needs to start (execve, brk/mmap/mprotect/munmap, arch_prctl,
//! set_tid_address, rt_sigaction, rt_sigprocmask, sigaltstack, exit_group) the probe calls
//! openat/read/close (/proc/self/status, /proc/config.gz), uname, write (stdout) and, in fork
//! mode, pipe2, clone, setsid, ppoll, kill and wait4. An errno from one of the fork-mode calls
//! switches the probe to in-process; a kill is caught by the restart protocol above. Children
//! call setsid before their case only if a trial child survived it. Optional
//! calls that a strict profile may well kill (seccomp's action query, getcpu and
//! sched_setaffinity to pin the probe to one CPU) are tried in a forked child first. In
//! in-process mode `pause` is woken by setitimer's SIGALRM. If the probe dies in-process before
//! its `host` record, a filter kills something it cannot do without: the remaining cases cannot
//! be run.
//!
//! Records are written with raw `write` calls by the parent only: nothing is buffered, so a
//! forked child cannot duplicate pending output and a killed probe loses nothing it printed.

mod host;
mod raw;
mod runner;
mod signals;

use runner::{LowArena, Prepared, Slot};
use seccomp_catalog::record::{Record, RunMode};
use seccomp_catalog::{Arg, Catalog};
use std::process::ExitCode;

struct Cli {
    in_process: bool,
    /// Exit at once: the floor of the run benchmark (ci/bench.sh), a static binary that does
    /// nothing but start and exit in the same image.
    noop: bool,
    list: bool,
    ids: Vec<String>,
}

const USAGE: &str = "usage: seccomp-probe [--in-process] [--list] [--noop] [ID...]";

fn parse_cli() -> Result<Cli, String> {
    let mut cli = Cli {
        in_process: false,
        noop: false,
        list: false,
        ids: Vec::new(),
    };
    let mut only_ids = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--" if !only_ids => only_ids = true,
            "--in-process" if !only_ids => cli.in_process = true,
            "--list" if !only_ids => cli.list = true,
            "--noop" if !only_ids => cli.noop = true,
            "-h" | "--help" if !only_ids => return Err(String::new()),
            a if !only_ids && a.starts_with("--") => return Err(format!("unknown flag {a}")),
            _ => cli.ids.push(arg),
        }
    }
    Ok(cli)
}

/// Writes all of `bytes` to stdout with raw calls (see the module doc for why not stdio).
fn emit(bytes: &[u8]) -> Result<(), i32> {
    let mut rest = bytes;
    while !rest.is_empty() {
        match raw::sys(
            libc::SYS_write,
            [1, rest.as_ptr() as u64, rest.len() as u64, 0, 0, 0],
        ) {
            Ok(n) => rest = &rest[n as usize..],
            Err(libc::EINTR) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn emit_record(r: &Record) -> Result<(), i32> {
    let mut line = serde_json::to_vec(r).expect("records always serialize");
    line.push(b'\n');
    emit(&line)
}

/// Drops the controlling terminal before running cases in-process, where `vhangup` would
/// otherwise hang up the terminal the probe was started from. In a container started without a
/// TTY there is none to begin with.
fn detach_terminal() {
    if raw::sys(libc::SYS_setsid, [0; 6]).is_err() {
        for fd in 0..3u64 {
            // The type of TIOCNOTTY differs between libcs.
            #[allow(clippy::unnecessary_cast)]
            let _ = raw::sys(libc::SYS_ioctl, [fd, libc::TIOCNOTTY as u64, 0, 0, 0, 0]);
        }
    }
}

/// Keeps the parent and its forked children on one CPU. Each case is a fork, a call and an exit
/// that wakes the sleeping parent; waking it on another CPU cost milliseconds per case on a
/// 2-vCPU VM (a halted vCPU must be scheduled by the host), against microseconds on the same
/// CPU. Best effort: a profile may deny getcpu or sched_setaffinity, which only costs time.
fn pin_to_current_cpu() -> bool {
    let mut cpu: u32 = 0;
    let getcpu = [&mut cpu as *mut u32 as u64, 0, 0, 0, 0, 0];
    if raw::sys(libc::SYS_getcpu, getcpu).is_err() {
        return false;
    }
    let mut mask = [0u64; 16];
    let Some(word) = mask.get_mut(cpu as usize / 64) else {
        return false;
    };
    *word |= 1 << (cpu % 64);
    let len = std::mem::size_of_val(&mask) as u64;
    raw::sys(
        libc::SYS_sched_setaffinity,
        [0, len, mask.as_ptr() as u64, 0, 0, 0],
    )
    .is_ok()
}

fn main() -> ExitCode {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("seccomp-probe: {msg}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(if msg.is_empty() { 0 } else { 2 });
        }
    };
    if cli.noop {
        return ExitCode::SUCCESS;
    }
    let catalog = Catalog::native();
    let cases: Vec<_> = if cli.ids.is_empty() {
        catalog.cases().iter().collect()
    } else {
        let mut v = Vec::new();
        for id in &cli.ids {
            match catalog.get(id) {
                Some(c) => v.push(c),
                None => {
                    eprintln!("seccomp-probe: unknown case id {id:?}");
                    return ExitCode::from(2);
                }
            }
        }
        v
    };
    if cli.list {
        let mut out = String::new();
        for c in &cases {
            out.push_str(&c.id);
            out.push('\n');
        }
        return match emit(out.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(_) => ExitCode::from(1),
        };
    }

    signals::install();
    let low_words = cases
        .iter()
        .flat_map(|c| c.args.iter())
        .map(|a| match a {
            Arg::Words32(w) => w.len(),
            Arg::Value(_) => 0,
        })
        .sum();
    let mut arena = LowArena::new(low_words);
    let mut prepared: Vec<Prepared> = cases
        .iter()
        .map(|c| runner::prepare(c, &mut arena))
        .collect();

    let slot = if cli.in_process { None } else { Slot::new() };
    let mut mode = match &slot {
        Some(s) if runner::fork_works(s).is_ok() => RunMode::Fork,
        _ => RunMode::InProcess,
    };
    let actions = match (mode, &slot) {
        (RunMode::Fork, Some(slot)) => {
            // Pinning is tried in a child first: a filter that kills getcpu or
            // sched_setaffinity must not kill the probe for an optimisation.
            if runner::in_child(slot, || pin_to_current_cpu() as i64) == Some(1) {
                pin_to_current_cpu();
            }
            runner::in_child(slot, || host::actions_mask() as i64).unwrap_or(0) as u32
        }
        _ => {
            detach_terminal();
            prepared.sort_by_key(runner::in_process_rank);
            host::actions_mask()
        }
    };
    if emit_record(&Record::Host(host::gather(mode, actions))).is_err() {
        return ExitCode::from(1);
    }

    let mut i = 0;
    while i < prepared.len() {
        let p = &prepared[i];
        if let (RunMode::Fork, Some(slot)) = (mode, &slot) {
            match runner::run_forked(p, slot) {
                Ok(rec) => {
                    if emit_record(&Record::Case(rec)).is_err() {
                        return ExitCode::from(1);
                    }
                    i += 1;
                }
                Err(e) => {
                    eprintln!(
                        "seccomp-probe: forking failed (errno {}); running the rest in-process",
                        e.errno
                    );
                    // Forking broke midway: this case and the rest run in-process, reordered
                    // the same way as a run that started in-process.
                    mode = RunMode::InProcess;
                    detach_terminal();
                    prepared[i..].sort_by_key(runner::in_process_rank);
                }
            }
            continue;
        }
        if i > 0 && prepared[i - 1].spawning {
            runner::reap_in_process();
        }
        if emit_record(&Record::Begin { id: p.id.clone() }).is_err() {
            return ExitCode::from(1);
        }
        let rec = runner::run_in_process(p);
        if emit_record(&Record::Case(rec)).is_err() {
            return ExitCode::from(1);
        }
        i += 1;
    }
    ExitCode::SUCCESS
}
