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
//! Exit codes: the probe's own are `seccomp_catalog::record::ProbeExit` (every selected case
//! has a `case` record, the output could not be written, bad usage, or the rest of the cases
//! need a fresh process). Any other end means a case ended the probe. The records, the `fork`
//! and `in_process` modes and the harness's restart protocol are described once, in
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
use seccomp_catalog::record::{ProbeArgs, ProbeExit, Record, RunMode};
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
    machinery::exit(code.code())
}

/// The probe's whole run; returns how it ends (see the module doc).
fn run() -> ProbeExit {
    let cli = match parse_cli() {
        Ok(cli) => cli,
        Err(msg) => return usage(&msg),
    };
    if cli.noop {
        return ProbeExit::Done;
    }
    if cli.pause {
        sleep_until_killed();
    }
    machinery::set_avoid(cli.avoid);
    let catalog = Catalog::native();
    let generated = match resolve_generated(&catalog, &cli.ids) {
        Ok(generated) => generated,
        Err(code) => return code,
    };
    let cases = select_cases(&catalog, &cli.ids, &generated);
    if cli.list {
        return list(&cases);
    }
    if machinery::role_allowed(Role::SignalHandlers) {
        signals::install();
    }
    let mut prepared = prepare_all(&cases);
    let slot = if cli.in_process { None } else { Slot::new() };
    let (mode, actions) = choose_mode(slot.as_ref(), cli.host_facts, &mut prepared);
    if cli.host_facts && emit_record(&Record::Host(host::gather(mode, actions as u32))).is_err() {
        return ProbeExit::OutputFailed;
    }
    if emit_record(&Record::Ready { mode }).is_err() {
        return ProbeExit::OutputFailed;
    }
    run_cases(&mut prepared, mode, slot.as_ref())
}

/// Says what was wrong with the command line (nothing, for `--help`) and the usage; returns how
/// the probe ends.
fn usage(msg: &str) -> ProbeExit {
    if !msg.is_empty() {
        say(msg);
    }
    say(USAGE);
    if msg.is_empty() {
        ProbeExit::Done
    } else {
        ProbeExit::Usage
    }
}

/// `--pause`: ppoll with no fds and no timeout sleeps until a signal (both arches have it;
/// x86_64's pause does not exist on aarch64). The runtime ends a sandbox with SIGKILL.
fn sleep_until_killed() -> ! {
    loop {
        let _ = raw::sys(libc::SYS_ppoll, [0; 6]);
    }
}

/// The cases generated from a profile's conditions, rebuilt from their ids; `Err` with bad
/// usage for an id that is neither in the catalog nor generated.
fn resolve_generated(
    catalog: &Catalog,
    ids: &[String],
) -> Result<Vec<seccomp_catalog::Case>, ProbeExit> {
    let mut generated = Vec::new();
    for id in ids.iter().filter(|id| catalog.get(id).is_none()) {
        match catalog.resolve(id) {
            Some(c) => generated.push(c),
            None => {
                say(&format!("unknown case id {id:?}"));
                return Err(ProbeExit::Usage);
            }
        }
    }
    Ok(generated)
}

/// The cases to run, in order: the catalog's, or those `ids` name. The list holds references,
/// as before generated cases existed: a large allocation makes malloc call mmap, which a
/// profile may not allow the probe before its first case.
fn select_cases<'a>(
    catalog: &'a Catalog,
    ids: &[String],
    generated: &'a [seccomp_catalog::Case],
) -> Vec<&'a seccomp_catalog::Case> {
    if ids.is_empty() {
        return catalog.cases().iter().collect();
    }
    ids.iter()
        .filter_map(|id| {
            catalog
                .get(id)
                .or_else(|| generated.iter().find(|c| &c.id == id))
        })
        .collect()
}

/// `--list`: the ids of `cases`, one per line; returns how the probe ends.
fn list(cases: &[&seccomp_catalog::Case]) -> ProbeExit {
    let mut out = String::new();
    for c in cases {
        out.push_str(&c.id);
        out.push('\n');
    }
    if emit(out.as_bytes()).is_ok() {
        ProbeExit::Done
    } else {
        ProbeExit::OutputFailed
    }
}

/// Resolves every case's arguments, 32-bit words placed in one arena sized for all of them.
fn prepare_all(cases: &[&seccomp_catalog::Case]) -> Vec<Prepared> {
    let low_words = cases
        .iter()
        .flat_map(|c| c.args.iter())
        .map(|a| match a {
            Arg::Words32(w) => w.len(),
            Arg::Value(_) => 0,
        })
        .sum();
    let mut arena = LowArena::new(low_words);
    cases
        .iter()
        .map(|c| runner::prepare(c, &mut arena))
        .collect()
}

/// Fork mode where a slot exists and a test child shows forking works, else in-process (the
/// cases then reordered for it); and seccomp's action mask where `host_facts` asks for it, 0
/// where the query could not be made.
fn choose_mode(slot: Option<&Slot>, host_facts: bool, prepared: &mut [Prepared]) -> (RunMode, i64) {
    let mut actions = 0;
    match slot {
        Some(slot) if runner::fork_works(slot).is_ok() => {
            // Pinning is tried in a child first: a filter that kills getcpu or
            // sched_setaffinity must not kill the probe for an optimisation.
            if machinery::role_allowed(Role::Pinning)
                && runner::in_child(slot, || pin_to_current_cpu() as i64) == Some(1)
            {
                pin_to_current_cpu();
            }
            if host_facts {
                actions = runner::in_child(slot, || host::actions_mask() as i64).unwrap_or(0);
            }
            (RunMode::Fork, actions)
        }
        _ => {
            detach_terminal();
            prepared.sort_by_key(runner::in_process_rank);
            if host_facts {
                actions = host::actions_mask() as i64;
            }
            (RunMode::InProcess, actions)
        }
    }
}

/// Runs `prepared` from the first case, in `mode`, writing each record; returns how the probe
/// ends. Forking that breaks midway switches the rest to in-process.
fn run_cases(prepared: &mut [Prepared], mut mode: RunMode, slot: Option<&Slot>) -> ProbeExit {
    let mut i = 0;
    while i < prepared.len() {
        if let (RunMode::Fork, Some(slot)) = (mode, slot) {
            let Ok(end) = run_forked_step(&prepared[i..], slot) else {
                return ProbeExit::OutputFailed;
            };
            i += end.ran;
            if let Some(e) = end.failed {
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
        let Ok(changed) = run_in_process_step(prepared, i) else {
            return ProbeExit::OutputFailed;
        };
        i += 1;
        if changed && i < prepared.len() {
            // The next case would run in the changed process: end here, so the harness runs
            // the rest in a fresh one.
            return ProbeExit::FreshProcess;
        }
    }
    ProbeExit::Done
}

/// Runs the first of `rest` in fork mode, with the cases after it that can share its worker
/// (in catalog order all the same); `Err` when a record could not be written.
fn run_forked_step(rest: &[Prepared], slot: &Slot) -> Result<runner::BatchEnd, ()> {
    let batch = rest
        .iter()
        .take(runner::BATCH)
        .take_while(|p| runner::batchable(p))
        .count();
    if batch > 1 {
        let emit = &mut |rec| emit_record(&Record::Case(rec));
        return runner::run_batch(&rest[..batch], slot, emit);
    }
    match runner::run_forked(&rest[0], slot) {
        Ok(rec) => {
            emit_record(&Record::Case(rec))?;
            Ok(runner::BatchEnd {
                ran: 1,
                failed: None,
            })
        }
        Err(e) => Ok(runner::BatchEnd {
            ran: 0,
            failed: Some(e),
        }),
    }
}

/// Runs case `i` of `prepared` in the probe's own process, between its `begin` and its `case`
/// record. `Ok(true)` when the call changed the process for the cases after it; `Err` when a
/// record could not be written.
fn run_in_process_step(prepared: &[Prepared], i: usize) -> Result<bool, ()> {
    if i > 0 && prepared[i - 1].spawning {
        runner::reap_in_process();
    }
    let p = &prepared[i];
    emit_record(&Record::Begin { id: p.id.clone() })?;
    let rec = runner::run_in_process(p);
    // A call that succeeded changed the process (a new namespace, another personality);
    // one that was denied or trapped changed nothing.
    let changed = runner::changes_the_process(p) && rec.errno.is_none() && rec.sigsys.is_none();
    emit_record(&Record::Case(rec))?;
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn named_cases_keep_the_command_lines_order_generated_ones_included() {
        let catalog = Catalog::native();
        let wanted = ids(&["getppid", "read[arg0==0,arg2==0x2000]", "getpid"]);
        let generated = resolve_generated(&catalog, &wanted).unwrap();
        assert_eq!(generated.len(), 1);
        let cases = select_cases(&catalog, &wanted, &generated);
        let got: Vec<&str> = cases.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(got, wanted);
    }

    #[test]
    fn no_id_selects_the_whole_catalog_and_an_unknown_one_is_bad_usage() {
        let catalog = Catalog::native();
        assert_eq!(select_cases(&catalog, &[], &[]).len(), catalog.len());
        assert_eq!(
            resolve_generated(&catalog, &ids(&["no_such_call"])).err(),
            Some(ProbeExit::Usage)
        );
    }
}
