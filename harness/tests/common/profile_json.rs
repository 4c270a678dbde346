//! Generated profile JSON for the fuzz files (included by path, std, proptest and serde_json
//! only): the format's own keys and values, so that arbitrary input gets past the first checks
//! often and into the later stages of the pipeline.

use proptest::prelude::*;
use serde_json::Value;

/// Syscalls the generated rules name: plain ones, ones with argument cases in the catalog,
/// multiplexed ones (i386's socketcall), the default runtime's start needs, a name above its
/// ENOSYS stub and one no libseccomp knows.
pub const NAMES: &[&str] = &[
    "getpid",
    "mkdir",
    "rmdir",
    "chdir",
    "socket",
    "personality",
    "unshare",
    "clone",
    "clone3",
    "kill",
    "ptrace",
    "reboot",
    "socketcall",
    "fstatfs",
    "close_range",
    "landlock_restrict_self",
    "futex",
    "not_a_syscall",
];

pub const ACTIONS: &[&str] = &[
    "SCMP_ACT_ALLOW",
    "SCMP_ACT_ERRNO",
    "SCMP_ACT_TRAP",
    "SCMP_ACT_LOG",
    "SCMP_ACT_KILL",
    "SCMP_ACT_KILL_PROCESS",
    "SCMP_ACT_TRACE",
];

pub const OPS: &[&str] = &[
    "SCMP_CMP_EQ",
    "SCMP_CMP_NE",
    "SCMP_CMP_LT",
    "SCMP_CMP_LE",
    "SCMP_CMP_GT",
    "SCMP_CMP_GE",
    "SCMP_CMP_MASKED_EQ",
];

/// Arbitrary JSON made of the format's own keys and values, so that it gets past the first
/// checks often and into the later stages.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        prop_oneof![
            prop::sample::select(ACTIONS).prop_map(str::to_string),
            prop::sample::select(OPS).prop_map(str::to_string),
            prop::sample::select(NAMES).prop_map(str::to_string),
            Just("SCMP_ARCH_X86_64".to_string()),
            Just("4.8".to_string()),
            Just("CAP_SYS_ADMIN".to_string()),
            ".{0,8}",
        ]
        .prop_map(Value::from),
    ];
    let keys = prop_oneof![
        prop::sample::select(vec![
            "defaultAction",
            "defaultErrnoRet",
            "architectures",
            "archMap",
            "architecture",
            "subArchitectures",
            "syscalls",
            "names",
            "name",
            "action",
            "errnoRet",
            "args",
            "index",
            "value",
            "valueTwo",
            "op",
            "includes",
            "excludes",
            "caps",
            "arches",
            "minKernel",
            "flags",
            "listenerPath",
            "linux",
            "seccomp",
            "ociVersion",
            "errno",
            "defaultErrno",
        ])
        .prop_map(str::to_string),
        "[a-z]{1,6}",
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}
