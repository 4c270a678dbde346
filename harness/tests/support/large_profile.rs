//! Generated profiles of any size, shaped like the ones users record: an allow-list that lets
//! the runtime and the probe start, then argument-conditioned rules on every x86_64 syscall, a
//! default of ERRNO. Shared by the large-profile test and the benchmark (`#[path]`-included).
//!
//! The rules, dealt round-robin over the syscalls so that every size covers as many as it can:
//! - on a syscall the allow-list lets through, conditional ALLOW rules that no case matches
//!   (arg5 == 0x5ecc_0000 + k), the same action as the allow-list's, so no conflict;
//! - on a syscall left to the default, first a conditional ERRNO(EACCES) rule that the
//!   probe's cases *do* match (arg5 == the value every case of that syscall passes), so its
//!   cells are denied by a rule and must be attributed to it; then conditional ERRNO rules
//!   that nothing matches, with varied errnos, which compete for sentinels on that syscall.

use seccomp_catalog::{Abi, Arch, Arg, Catalog};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::Path;

const UNMATCHED_BASE: u64 = 0x5ecc_0000;
const EACCES: u64 = 13;
/// Errnos for the rules nothing matches: none equals the default's EPERM (the runtime would
/// drop the rule as equal to the default) and all are valid.
const UNMATCHED_ERRNOS: [u64; 4] = [5, 22, 95, 110];

/// The allow-list of the hostile suite's default-KILL profile: measured to let the host's
/// runtime and the probe start (harness/tests/fixtures/hostile).
fn allow_list(manifest_dir: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(
        manifest_dir.join("tests/fixtures/hostile/default-kill-allowlist.json"),
    )
    .expect("the hostile allow-list fixture");
    let doc: Value = serde_json::from_str(&text).expect("JSON");
    doc["syscalls"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["names"].as_array().unwrap().iter())
        .map(|n| n.as_str().unwrap().to_string())
        .collect()
}

/// Every call a modelled runtime needs after loading the filter (the default runtime's, oldest
/// and newest measured, and the one with no ENOSYS stub: runtime/), so the profile starts on
/// any engine of the lab.
fn runtime_needs() -> Vec<String> {
    use seccomp_harness_core::runtime::{testing::NO_STUB_NAME, Runtime, DEFAULT_NAME};
    let mut out = Vec::new();
    for (name, version) in [
        (DEFAULT_NAME, "1.1.5"),
        (DEFAULT_NAME, "1.3.6"),
        (NO_STUB_NAME, "1.28"),
    ] {
        let model =
            seccomp_harness_core::runtime::runtime_model(&Runtime::parse(name, Some(version)));
        for call in model
            .fatal
            .iter()
            .chain(model.tolerated)
            .chain(model.after_start_fatal)
        {
            out.push(call.to_string());
        }
    }
    out
}

/// A profile of exactly `rules` rules (plus the allow-list's one), as JSON text.
pub fn generate(manifest_dir: &Path, rules: usize) -> String {
    let mut allowed = allow_list(manifest_dir);
    for call in runtime_needs() {
        if !allowed.contains(&call) {
            allowed.push(call);
        }
    }
    let catalog = Catalog::for_arch(Arch::X86_64);
    // Each native syscall, with the arg5 every one of its x86_64 cases passes, if they agree.
    let mut arg5: BTreeMap<&str, Option<u64>> = BTreeMap::new();
    let mut order: Vec<&str> = Vec::new();
    for c in catalog.cases().iter().filter(|c| c.abi == Abi::X86_64) {
        let v = match c.args[5] {
            Arg::Value(v) => Some(v),
            Arg::Words32(_) => None,
        };
        match arg5.get(c.syscall) {
            None => {
                order.push(c.syscall);
                arg5.insert(c.syscall, v);
            }
            Some(prev) if *prev != v => {
                arg5.insert(c.syscall, None);
            }
            Some(_) => {}
        }
    }
    let cond = |value: u64| json!([{"index": 5, "value": value, "op": "SCMP_CMP_EQ"}]);
    let mut out: Vec<Value> = vec![json!({"names": allowed, "action": "SCMP_ACT_ALLOW"})];
    let mut round = 0u64;
    while out.len() <= rules {
        for name in &order {
            if out.len() > rules {
                break;
            }
            let unmatched = UNMATCHED_BASE + round;
            let rule = if allowed.iter().any(|a| a == name) {
                json!({"names": [name], "action": "SCMP_ACT_ALLOW", "args": cond(unmatched)})
            } else if round == 0 {
                match arg5[name] {
                    Some(v) => json!({"names": [name], "action": "SCMP_ACT_ERRNO",
                                      "errnoRet": EACCES, "args": cond(v)}),
                    None => continue,
                }
            } else {
                let errno = UNMATCHED_ERRNOS[round as usize % UNMATCHED_ERRNOS.len()];
                json!({"names": [name], "action": "SCMP_ACT_ERRNO", "errnoRet": errno,
                       "args": cond(unmatched)})
            };
            out.push(rule);
        }
        round += 1;
    }
    let doc = json!({
        "defaultAction": "SCMP_ACT_ERRNO",
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": out,
    });
    serde_json::to_string_pretty(&doc).unwrap()
}
