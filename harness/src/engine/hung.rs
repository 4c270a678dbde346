//! Freeing a runtime whose start hangs on its container's init.
//!
//! A kill on a call some runtime makes after loading the filter leaves its init half alive
//! ([`seccomp_harness_core::runtime::RuntimeModel::kill_hangs_start`]), and any runtime's start
//! hangs while its init does: the runtime's `create` waits for the init for good, the engine's
//! start never returns, and the engine can't remove the container either. Signals to `create`
//! change nothing; SIGKILL to the init ends the hang, after which the engine removes the
//! container at once (measured per runtime: [`seccomp_harness_core::runtime::hung`]).
//!
//! So when a start passes its deadline on an engine whose socket is on this machine, the
//! harness kills exactly that process: the init child ([`hung::is_init`]) of the runtime's
//! `create … <container id>` process ([`hung::create_of`]). An engine elsewhere (tcp, ssh) or
//! in another pid namespace shows no such process: then nothing is killed and the message says
//! how to free it.

use seccomp_harness_core::runtime::hung;
use std::path::Path;

/// Kills the init process that the runtime left hanging for container `id` (the full id).
/// Returns the pids killed; empty when none is visible from here.
pub(crate) fn free_hung_init(id: &str) -> Vec<i32> {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let pids: Vec<i32> = procs
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    let creators: Vec<(i32, &'static str)> = pids
        .iter()
        .filter_map(|&pid| Some((pid, hung::create_of(&cmdline(pid), id)?)))
        .collect();
    let mut killed = Vec::new();
    for &pid in &pids {
        let Some((comm, ppid)) = comm_and_parent(pid) else {
            continue;
        };
        let Some(&(_, runtime)) = creators.iter().find(|(c, _)| *c == ppid) else {
            continue;
        };
        if hung::is_init(runtime, &comm) {
            // SAFETY: kill(2) with a pid read from /proc and a constant signal.
            if unsafe { libc::kill(pid, libc::SIGKILL) } == 0 {
                killed.push(pid);
            }
        }
    }
    killed
}

fn cmdline(pid: i32) -> Vec<String> {
    std::fs::read(Path::new("/proc").join(pid.to_string()).join("cmdline"))
        .map(|b| {
            b.split(|&c| c == 0)
                .filter(|a| !a.is_empty())
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The process's name and its parent's pid, from /proc/PID/stat ("pid (comm) state ppid …";
/// the name may hold spaces and parentheses, so it ends at the last `)`).
fn comm_and_parent(pid: i32) -> Option<(String, i32)> {
    let stat =
        std::fs::read_to_string(Path::new("/proc").join(pid.to_string()).join("stat")).ok()?;
    parse_stat(&stat)
}

fn parse_stat(stat: &str) -> Option<(String, i32)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let mut rest = stat.get(close + 1..)?.split_whitespace();
    let _state = rest.next()?;
    let ppid = rest.next()?.parse().ok()?;
    Some((comm, ppid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_name_and_parent_from_stat() {
        let init = seccomp_harness_core::runtime::testing::DEFAULT_INIT_COMM;
        assert_eq!(
            parse_stat(&format!("2494 ({init}) Z 2348 2494 2494 0 -1 4228 0")),
            Some((init.to_string(), 2348))
        );
        assert_eq!(parse_stat("7 (a) b) S 1 7"), Some(("a) b".to_string(), 1)));
    }
}
