#!/usr/bin/env python3
"""Derives profiles/docker-default-hardened.json from Docker's default profile.

Usage: derive-hardened.py DOCKER_DEFAULT.json > docker-default-hardened.json

The input is moby's profiles/seccomp/default.json (v29.7.2 for the shipped file; a copy sits in
the harness fixtures). Every change is listed in CHANGES and explained in profiles/README.md.
"""
import json
import sys

# Denied even where a capability include would allow them. A name absent from every ALLOW rule
# falls to defaultAction (ERRNO, EPERM). An explicit ERRNO(EPERM) rule would be useless: runc
# drops a rule whose action equals the default action.
DENIED = [
    "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "keyctl", "add_key", "request_key", "perf_event_open", "bpf", "ptrace",
    # Only reachable through the compat arches dropped below; removed so the intent is plain.
    "socketcall",
]

# Compat arches that have the socketcall multiplexer (i386, s390 31-bit, MIPS o32). libseccomp
# turns every socket-family ALLOW rule into a socketcall(call == SYS_x) ALLOW rule on these arches,
# without the argument conditions, so a socket(family) filter cannot hold there.
DROPPED_SUBARCHES = {"SCMP_ARCH_X86", "SCMP_ARCH_S390", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPSEL"}

FULL = 0xFFFFFFFFFFFFFFFF


def masked(value, low_bits):
    """socket(family) with family & ~(2^low_bits - 1) == value, compared on all 64 bits."""
    return {"index": 0, "value": value, "valueTwo": FULL & ~((1 << low_bits) - 1),
            "op": "SCMP_CMP_MASKED_EQ"}


# Families above AF_VSOCK (40): 41..63 as exact 64-bit matches. Docker's "family > 40" also
# matches 40 | 1 << 32, which the kernel reads as the int 40 (AF_VSOCK), and 38 | 1 << 32 (AF_ALG).
ABOVE_VSOCK = [masked(41, 0), masked(42, 1), masked(44, 2), masked(48, 4)]


def main():
    profile = json.load(open(sys.argv[1]))
    for entry in profile["archMap"]:
        subs = [s for s in entry.get("subArchitectures") or [] if s not in DROPPED_SUBARCHES]
        entry["subArchitectures"] = subs or None
    rules = []
    for rule in profile["syscalls"]:
        if rule["action"] == "SCMP_ACT_ALLOW":
            rule["names"] = [n for n in rule["names"] if n not in DENIED]
            if not rule["names"]:
                continue
            args = rule.get("args") or []
            if rule["names"] == ["socket"] and args and args[0]["op"] == "SCMP_CMP_GT":
                assert args == [{"index": 0, "value": 40, "op": "SCMP_CMP_GT"}], args
                for cond in ABOVE_VSOCK:
                    rules.append({"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [cond]})
                continue
        rules.append(rule)
    profile["syscalls"] = rules
    for rule in rules:
        if rule["action"] == "SCMP_ACT_ALLOW":
            assert not set(rule["names"]) & set(DENIED), rule
    json.dump(profile, sys.stdout, indent="\t")
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
