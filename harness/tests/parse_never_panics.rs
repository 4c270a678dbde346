//! The parser and validator must turn any input into a profile or an error, never a panic.

use proptest::prelude::*;
use seccomp_catalog::Arch;
use seccomp_harness_core::profile::{self, CapSet, Host, KernelVersion};
use serde_json::Value;

#[path = "common/profile_json.rs"]
mod profile_json;

use profile_json::json_value;

fn exercise(text: &str) {
    let host = Host::new(
        Arch::X86_64,
        CapSet::docker_default(),
        KernelVersion::new(6, 1),
    );
    if let Ok(p) = profile::parse_str(text, "fuzz.json") {
        let _ = profile::errno_out_of_range(&p);
        let _ = profile::lint(&p, &host);
        let r = profile::resolve(&p, &host);
        let o = seccomp_harness_core::oracle::Oracle::new(&r);
        for c in seccomp_catalog::Catalog::for_arch(Arch::X86_64)
            .cases()
            .iter()
            .take(40)
        {
            let _ = o.predict_filter(c);
        }
        let _ = profile::tag(text, "fuzz.json");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        exercise(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_json(v in json_value()) {
        exercise(&v.to_string());
    }

    #[test]
    fn arbitrary_rules(
        default in prop_oneof![Just("SCMP_ACT_ERRNO"), Just("SCMP_ACT_ALLOW"), Just("SCMP_ACT_KILL"), Just("SCMP_ACT_TRACE")],
        rules in prop::collection::vec((0usize..6, 0u64..8, any::<u64>(), any::<u64>(), 0u64..70000), 0..8),
    ) {
        let ops = ["SCMP_CMP_EQ", "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_GT", "SCMP_CMP_GE", "SCMP_CMP_MASKED_EQ"];
        let actions = ["SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRACE"];
        let rules: Vec<Value> = rules.iter().map(|(a, idx, v, v2, e)| serde_json::json!({
            "names": ["personality", "socket", "getpid"],
            "action": actions[*a],
            "errnoRet": e,
            "args": [{"index": idx, "value": v, "valueTwo": v2, "op": ops[(*v % 7) as usize]}],
        })).collect();
        let doc = serde_json::json!({
            "defaultAction": default,
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
            "syscalls": rules,
        });
        exercise(&doc.to_string());
    }
}
