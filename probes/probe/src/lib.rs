//! `seccomp-probe`: runs catalog cases with raw syscall instructions inside a container and
//! prints what each one did, as JSON lines.
//!
//! ```text
//! seccomp-probe [--in-process] [--host-facts] [--avoid NAME,...] [--list] [--noop] [--pause] [ID...]
//! ```
//!
//! - no ID: every case of the native arch's catalog, in catalog order; with IDs: those cases.
//! - `--list`: print the selected case ids, one per line, and run nothing.
//! - `--in-process`: never fork; run every case in the probe's own process.
//! - `--host-facts`: gather the kernel's facts (uname, /proc, seccomp's action query) into a
//!   `host` record. The harness asks for them in the unconfined baseline only.
//! - `--avoid`: calls the machinery must never make, because the profile kills, traps or
//!   denies them (see `seccomp_catalog::own_calls` and [`machinery`]).
//! - `--noop`: start and exit (the floor of the run benchmark).
//! - `--pause`: sleep until killed: the pod sandbox's process on a CRI node, so the same static
//!   binary serves as the FROM-scratch pause image (no image is ever pulled).
//!
//! Exit codes: 0 when every selected case has a `case` record; 1 when the probe could not write
//! its output; 2 for bad usage. Any other end means a case ended the probe. The records, the
//! `fork` and `in_process` modes and the harness's restart protocol are described once, in
//! `seccomp_catalog::record`.
//!
//! The probe has no std runtime init (`#![no_main]` in main.rs; the rest is this library, so
//! that its unit tests run under libtest's own main) and writes with raw calls only, from the
//! parent only: nothing is buffered, so a forked child cannot duplicate pending output and a
//! killed probe loses nothing it printed. What it calls before its first case is its
//! footprint, kept as data in `seccomp_catalog::own_calls` and guarded by tests.

mod host;
mod machinery;
mod raw;
mod runner;
mod signals;

use runner::{LowArena, Prepared, Slot};
use seccomp_catalog::own_calls::Role;
use seccomp_catalog::record::{ProbeArgs, Record, RunMode};
use seccomp_catalog::{Arg, Catalog};

const USAGE: &str = ProbeArgs::USAGE;

fn parse_cli() -> Result<ProbeArgs, String> {
    ProbeArgs::parse(std::env::args().skip(1))
}

/// Writes all of `bytes` to stdout with raw calls (see the module doc for why not stdio).
fn emit(bytes: &[u8]) -> Result<(), ()> {
    machinery::write_all(1, bytes)
}

fn emit_record(r: &Record) -> Result<(), ()> {
    let mut line = serde_json::to_vec(r).expect("records always serialize");
    line.push(b'\n');
    emit(&line)
}

/// A diagnostic on stderr; lost if no write call is left, which the harness reports anyway.
fn say(msg: &str) {
    let _ = machinery::write_all(2, format!("seccomp-probe: {msg}\n").as_bytes());
}

/// Drops the controlling terminal before running cases in-process, where `vhangup` would
/// otherwise hang up the terminal the probe was started from. In a container started without a
/// TTY there is none to begin with.
fn detach_terminal() {
    let detached = machinery::allowed("setsid") && raw::sys(libc::SYS_setsid, [0; 6]).is_ok();
    if !detached && machinery::allowed("ioctl") {
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

/// Runs the probe as the command line says and ends the process (see `main.rs`).
pub fn main_entry() -> ! {
    let code = run();
    machinery::exit(code)
}

fn run() -> i32 {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(msg) => {
            if !msg.is_empty() {
                say(&msg);
            }
            say(USAGE);
            return if msg.is_empty() { 0 } else { 2 };
        }
    };
    if cli.noop {
        return 0;
    }
    if cli.pause {
        // ppoll with no fds and no timeout sleeps until a signal (both arches have it; x86_64's
        // pause does not exist on aarch64). The runtime ends a sandbox with SIGKILL.
        loop {
            let _ = raw::sys(libc::SYS_ppoll, [0; 6]);
        }
    }
    machinery::set_avoid(cli.avoid);
    let catalog = Catalog::native();
    // Cases generated from a profile's conditions, rebuilt from their ids. The list below holds
    // references, as before they existed: a large allocation makes malloc call mmap, which a
    // profile may not allow the probe before its first case.
    let mut generated = Vec::new();
    for id in cli.ids.iter().filter(|id| catalog.get(id).is_none()) {
        match catalog.resolve(id) {
            Some(c) => generated.push(c),
            None => {
                say(&format!("unknown case id {id:?}"));
                return 2;
            }
        }
    }
    let cases: Vec<&seccomp_catalog::Case> = if cli.ids.is_empty() {
        catalog.cases().iter().collect()
    } else {
        cli.ids
            .iter()
            .filter_map(|id| {
                catalog
                    .get(id)
                    .or_else(|| generated.iter().find(|c| &c.id == id))
            })
            .collect()
    };
    if cli.list {
        let mut out = String::new();
        for c in &cases {
            out.push_str(&c.id);
            out.push('\n');
        }
        return if emit(out.as_bytes()).is_ok() { 0 } else { 1 };
    }

    if machinery::role_allowed(Role::SignalHandlers) {
        signals::install();
    }
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
    let mut actions = 0;
    match (mode, &slot) {
        (RunMode::Fork, Some(slot)) => {
            // Pinning is tried in a child first: a filter that kills getcpu or
            // sched_setaffinity must not kill the probe for an optimisation.
            if machinery::role_allowed(Role::Pinning)
                && runner::in_child(slot, || pin_to_current_cpu() as i64) == Some(1)
            {
                pin_to_current_cpu();
            }
            if cli.host_facts {
                actions = runner::in_child(slot, || host::actions_mask() as i64).unwrap_or(0);
            }
        }
        _ => {
            detach_terminal();
            prepared.sort_by_key(runner::in_process_rank);
            if cli.host_facts {
                actions = host::actions_mask() as i64;
            }
        }
    }
    if cli.host_facts && emit_record(&Record::Host(host::gather(mode, actions as u32))).is_err() {
        return 1;
    }
    if emit_record(&Record::Ready { mode }).is_err() {
        return 1;
    }

    let mut i = 0;
    while i < prepared.len() {
        let p = &prepared[i];
        if let (RunMode::Fork, Some(slot)) = (mode, &slot) {
            // Cases that can share a worker run in one, in catalog order all the same.
            let batch = prepared[i..]
                .iter()
                .take(runner::BATCH)
                .take_while(|p| runner::batchable(p))
                .count();
            let failed = if batch > 1 {
                let emit = &mut |rec| emit_record(&Record::Case(rec));
                let Ok(end) = runner::run_batch(&prepared[i..i + batch], slot, emit) else {
                    return 1;
                };
                i += end.ran;
                end.failed
            } else {
                match runner::run_forked(p, slot) {
                    Ok(rec) => {
                        if emit_record(&Record::Case(rec)).is_err() {
                            return 1;
                        }
                        i += 1;
                        None
                    }
                    Err(e) => Some(e),
                }
            };
            if let Some(e) = failed {
                say(&format!(
                    "forking failed (errno {}); running the rest in-process",
                    e.errno
                ));
                // Forking broke midway: this case and the rest run in-process, reordered the
                // same way as a run that started in-process.
                mode = RunMode::InProcess;
                detach_terminal();
                prepared[i..].sort_by_key(runner::in_process_rank);
            }
            continue;
        }
        if i > 0 && prepared[i - 1].spawning {
            runner::reap_in_process();
        }
        if emit_record(&Record::Begin { id: p.id.clone() }).is_err() {
            return 1;
        }
        let rec = runner::run_in_process(p);
        // A call that succeeded changed the process (a new namespace, another personality);
        // one that was denied or trapped changed nothing.
        let changed = runner::changes_the_process(p) && rec.errno.is_none() && rec.sigsys.is_none();
        if emit_record(&Record::Case(rec)).is_err() {
            return 1;
        }
        i += 1;
        if changed && i < prepared.len() {
            // The next case would run in the changed process: end here, so the harness runs
            // the rest in a fresh one.
            return EXIT_FRESH_PROCESS;
        }
    }
    0
}

/// See `seccomp_catalog::record`: the rest of the cases need a fresh process.
const EXIT_FRESH_PROCESS: i32 = 3;
