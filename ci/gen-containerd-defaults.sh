#!/usr/bin/env bash
# Regenerates harness/data/upstream-defaults/containerd/: the RuntimeDefault seccomp profile of
# every final containerd release of the 1.6, 1.7, 2.0, 2.1 and 2.2 lines, as data. containerd
# builds that profile in Go (contrib/seccomp/seccomp_default.go, DefaultProfile) from the
# container's bounding capabilities, the build's GOARCH and the host kernel, so there is no JSON
# to copy: this script reads the Go source at each tag from a local git dir (no network) and
# writes the same decisions in Docker's profile format, where each condition has a field:
#   arches() per GOARCH          -> archMap (the native arch with the others of its list)
#   switch runtime.GOARCH        -> includes.arches (a case), excludes.arches (the default case)
#   case "CAP_X" in the caps loop -> includes.caps [CAP_X]
#   if !admin                    -> excludes.caps [the cap whose case sets admin]
#   kernelversion >= A.B         -> includes.minKernel "A.B"
# Anything else in the function stops the script (exit 1, naming the tag and the token), so a
# new construct upstream can't be dropped silently. Deterministic: a second run changes nothing.
#
# Usage: ci/gen-containerd-defaults.sh CONTAINERD_GIT_DIR
#   CONTAINERD_GIT_DIR  a clone of github.com/containerd/containerd (bare or not), with its tags
# CONTAINERD_DEFAULTS_DIR overrides the output directory.
# Exit codes: 0 done, 2 bad arguments, 1 the source is not what this script expects (it says what).
set -euo pipefail

if [ $# -ne 1 ]; then
  sed -n 's/^# \{0,1\}//; 16,19p' "$0" >&2
  exit 2
fi
if ! git -C "$1" rev-parse --git-dir >/dev/null 2>&1; then
  echo "gen-containerd-defaults: $1 is not a git directory" >&2
  exit 2
fi

out=${CONTAINERD_DEFAULTS_DIR:-"$(cd "$(dirname "$0")/.." && pwd)/harness/data/upstream-defaults/containerd"}
mkdir -p "$out"

exec python3 - "$out" "$1" <<'PY'
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path

OUT = Path(sys.argv[1])
GIT = sys.argv[2]
URL = "https://github.com/containerd/containerd"
PATH = "contrib/seccomp/seccomp_default.go"
LINES = ("1.6", "1.7", "2.0", "2.1", "2.2")

# Linux ABI constants the source names through golang.org/x/sys/unix (the same on every arch
# containerd builds the profile for).
UNIX = {
    "AF_ALG": 38,
    "AF_VSOCK": 40,
    "ENOSYS": 38,
    "CLONE_NEWNS": 0x00020000,
    "CLONE_NEWCGROUP": 0x02000000,
    "CLONE_NEWUTS": 0x04000000,
    "CLONE_NEWIPC": 0x08000000,
    "CLONE_NEWUSER": 0x10000000,
    "CLONE_NEWPID": 0x20000000,
    "CLONE_NEWNET": 0x40000000,
}
ACTIONS = {"ActAllow": "SCMP_ACT_ALLOW", "ActErrno": "SCMP_ACT_ERRNO"}
OPS = {
    "OpNotEqual": "SCMP_CMP_NE",
    "OpLessThan": "SCMP_CMP_LT",
    "OpLessEqual": "SCMP_CMP_LE",
    "OpEqualTo": "SCMP_CMP_EQ",
    "OpGreaterEqual": "SCMP_CMP_GE",
    "OpGreaterThan": "SCMP_CMP_GT",
    "OpMaskedEqual": "SCMP_CMP_MASKED_EQ",
}
# The native seccomp arch of each GOARCH arches() names (libseccomp-golang's naming).
NATIVE = {
    "amd64": "SCMP_ARCH_X86_64",
    "arm64": "SCMP_ARCH_AARCH64",
    "mips64": "SCMP_ARCH_MIPS64",
    "mips64n32": "SCMP_ARCH_MIPS64N32",
    "mipsel64": "SCMP_ARCH_MIPSEL64",
    "mipsel64n32": "SCMP_ARCH_MIPSEL64N32",
    "s390x": "SCMP_ARCH_S390X",
    "riscv64": "SCMP_ARCH_RISCV64",
    "loong64": "SCMP_ARCH_LOONGARCH64",
}


class Fail(Exception):
    pass


def git(*args):
    return subprocess.run(["git", "-C", GIT, *args], check=True, capture_output=True).stdout


TOKEN = re.compile(r'\s+|//[^\n]*|/\*.*?\*/|(?P<t>"[^"]*"|0x[0-9a-fA-F]+|\d+|[A-Za-z_][A-Za-z0-9_.]*|:=|==|!=|&&|\|\||[{}()\[\],:;=&|+!*])', re.S)


def tokens(src):
    out, pos = [], 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        if not m:
            raise Fail(f"unexpected character {src[pos]!r}")
        if m.group("t"):
            out.append(m.group("t"))
        pos = m.end()
    return out


class Parser:
    def __init__(self, toks, tag):
        self.t, self.i, self.tag = toks, 0, tag

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def next(self):
        tok = self.peek()
        if tok is None:
            raise Fail(f"{self.tag}: the source ends early")
        self.i += 1
        return tok

    def expect(self, *want):
        for w in want:
            got = self.next()
            if got != w:
                raise Fail(f"{self.tag}: expected {w!r}, found {got!r} (token {self.i})")

    def fail(self, what):
        raise Fail(f"{self.tag}: {what} at {' '.join(self.t[self.i:self.i + 8])!r}")

    def string(self):
        tok = self.next()
        if not (tok.startswith('"') and tok.endswith('"')):
            raise Fail(f"{self.tag}: expected a string, found {tok!r}")
        return tok[1:-1]

    # Expressions: integers, unix.X constants, the nosys variable, joined by | and +.
    def value(self, env):
        total = self.atom(env)
        while self.peek() in ("|", "+"):
            op, rhs = self.next(), None
            rhs = self.atom(env)
            total = total | rhs if op == "|" else total + rhs
        return total

    def atom(self, env):
        tok = self.next()
        if re.fullmatch(r"0x[0-9a-fA-F]+|\d+", tok):
            return int(tok, 0)
        if tok.startswith("unix.") and tok[5:] in UNIX:
            return UNIX[tok[5:]]
        if tok == "&" and self.peek() in env:
            return env[self.next()]
        self.i -= 1
        self.fail("unknown value")

    def string_list(self):
        self.expect("[", "]", "string", "{")
        names = []
        while self.peek() != "}":
            names.append(self.string())
            if self.peek() == ",":
                self.next()
        self.expect("}")
        return names

    def syscall(self, env):
        """One specs.LinuxSyscall literal body, from its '{'."""
        self.expect("{")
        rule = {}
        while self.peek() != "}":
            field = self.next()
            self.expect(":")
            if field == "Names":
                rule["names"] = self.string_list()
            elif field == "Action":
                act = self.next()
                if not act.startswith("specs.") or act[6:] not in ACTIONS:
                    raise Fail(f"{self.tag}: unknown action {act}")
                rule["action"] = ACTIONS[act[6:]]
            elif field == "ErrnoRet":
                rule["errnoRet"] = self.value(env)
            elif field == "Args":
                self.expect("[", "]", "specs.LinuxSeccompArg", "{")
                args = []
                while self.peek() != "}":
                    args.append(self.arg(env))
                    if self.peek() == ",":
                        self.next()
                self.expect("}")
                if args:
                    rule["args"] = args
            else:
                raise Fail(f"{self.tag}: unknown LinuxSyscall field {field}")
            if self.peek() == ",":
                self.next()
        self.expect("}")
        if "names" not in rule or "action" not in rule:
            raise Fail(f"{self.tag}: a rule without names or action")
        return rule

    def arg(self, env):
        self.expect("{")
        arg = {}
        while self.peek() != "}":
            field = self.next()
            self.expect(":")
            if field in ("Index", "Value", "ValueTwo"):
                arg[field] = self.value(env)
            elif field == "Op":
                op = self.next()
                if not op.startswith("specs.") or op[6:] not in OPS:
                    raise Fail(f"{self.tag}: unknown operator {op}")
                arg["Op"] = OPS[op[6:]]
            else:
                raise Fail(f"{self.tag}: unknown LinuxSeccompArg field {field}")
            if self.peek() == ",":
                self.next()
        self.expect("}")
        return {
            "index": arg["Index"],
            "value": arg["Value"],
            "valueTwo": arg.get("ValueTwo", 0),
            "op": arg["Op"],
        }


def with_condition(cond, key, field, values):
    """cond with one more condition; two of the same kind would need an AND Docker lacks."""
    new = {k: dict(v) for k, v in cond.items()}
    part = new.setdefault(key, {})
    if field in part:
        raise Fail(f"nested {key}.{field} conditions")
    part[field] = values
    return new


def statements(p, env, cond, rules, state, stops=("}",)):
    """Statements up to one of `stops` (the closing '}' of the current block)."""
    while p.peek() not in stops:
        tok = p.peek()
        if tok == "s.Syscalls":
            p.expect("s.Syscalls", "=", "append", "(", "s.Syscalls", ",", "specs.LinuxSyscall")
            rule = p.syscall(env)
            p.expect(")")
            for key in ("includes", "excludes"):
                if cond.get(key):
                    rule[key] = cond[key]
            rules.append(rule)
        elif tok == "admin":
            p.expect("admin")
            if p.peek() == ":=":
                p.expect(":=", "false")
            else:
                p.expect("=", "true")
                if state.get("cap_case") is None:
                    p.fail("admin set outside a capability case")
                if state.get("admin") not in (None, state["cap_case"]):
                    p.fail("admin set by two capabilities")
                state["admin"] = state["cap_case"]
        elif tok == "if" and p.peek(1) == "ok":
            p.expect("if", "ok", ",", "err", ":=", "kernelversion.GreaterEqualThan", "(",
                     "kernelversion.KernelVersion", "{", "Kernel", ":")
            major = p.value(env)
            p.expect(",", "Major", ":")
            minor = p.value(env)
            if p.peek() == ",":
                p.next()
            p.expect("}", ")", ";", "err", "==", "nil", "{", "if", "ok", "{")
            statements(p, env, with_condition(cond, "includes", "minKernel", f"{major}.{minor}"),
                       rules, state)
            p.expect("}", "}")
        elif tok == "if" and p.peek(1) == "!":
            p.expect("if", "!", "admin", "{")
            if state.get("admin") is None:
                p.fail("if !admin before any capability sets admin")
            statements(p, env, with_condition(cond, "excludes", "caps", [state["admin"]]),
                       rules, state)
            p.expect("}")
        elif tok == "switch" and p.peek(1) == "runtime.GOARCH":
            p.expect("switch", "runtime.GOARCH", "{")
            seen = []
            while p.peek() != "}":
                if p.peek() == "default":
                    p.expect("default", ":")
                    sub = with_condition(cond, "excludes", "arches", list(seen))
                    labels = None
                else:
                    p.expect("case")
                    labels = [p.string()]
                    while p.peek() == ",":
                        p.next()
                        labels.append(p.string())
                    p.expect(":")
                    seen.extend(labels)
                    sub = with_condition(cond, "includes", "arches", labels)
                case_body(p, env, sub, rules, state)
            p.expect("}")
        elif tok == "for":
            p.expect("for", "_", ",", "c", ":=", "range", "sp.Process.Capabilities.Bounding", "{",
                     "switch", "c", "{")
            while p.peek() != "}":
                p.expect("case")
                cap = p.string()
                if p.peek() == ",":
                    p.fail("a case with several capabilities (Docker's includes.caps is AND)")
                p.expect(":")
                state["cap_case"] = cap
                case_body(p, env, with_condition(cond, "includes", "caps", [cap]), rules, state)
                state["cap_case"] = None
            p.expect("}", "}")
        else:
            p.fail("unknown statement")


def case_body(p, env, cond, rules, state):
    """The statements of a case, up to the next case, default or the switch's '}'."""
    statements(p, env, cond, rules, state, stops=("}", "case", "default"))


def profile_of(src, tag):
    toks = tokens(src)
    p = Parser(toks, tag)
    # arches(): one case per GOARCH, each returning its list.
    try:
        p.i = toks.index("arches") + 1
    except ValueError:
        raise Fail(f"{tag}: no arches() function")
    p.expect("(", ")", "[", "]", "specs.Arch", "{", "switch", "runtime.GOARCH", "{")
    arch_map = []
    while p.peek() != "}":
        if p.peek() == "default":
            p.expect("default", ":", "return", "[", "]", "specs.Arch", "{", "}")
            continue
        p.expect("case")
        goarchs = [p.string()]
        while p.peek() == ",":
            p.next()
            goarchs.append(p.string())
        p.expect(":", "return", "[", "]", "specs.Arch", "{")
        arches = []
        while p.peek() != "}":
            a = p.next()
            if not a.startswith("specs.Arch"):
                p.fail("unknown arch")
            arches.append("SCMP_ARCH_" + a[len("specs.Arch"):].upper())
            if p.peek() == ",":
                p.next()
        p.expect("}")
        for goarch in goarchs:
            native = NATIVE.get(goarch)
            if native is None or native not in arches:
                raise Fail(f"{tag}: arches() case {goarch!r}: no known native arch in {arches}")
            arch_map.append({
                "architecture": native,
                "subArchitectures": [a for a in arches if a != native],
            })
    p.expect("}", "}")

    # DefaultProfile(sp).
    p.expect("func", "DefaultProfile", "(", "sp", "*", "specs.Spec", ")", "*",
             "specs.LinuxSeccomp", "{", "nosys", ":=", "uint", "(", "unix.ENOSYS", ")")
    env = {"nosys": UNIX["ENOSYS"]}
    p.expect("syscalls", ":=", "[", "]", "specs.LinuxSyscall", "{")
    rules = []
    while p.peek() != "}":
        rules.append(p.syscall(env))
        if p.peek() == ",":
            p.next()
    p.expect("}", "s", ":=", "&", "specs.LinuxSeccomp", "{", "DefaultAction", ":")
    act = p.next()
    if not act.startswith("specs.") or act[6:] not in ACTIONS:
        raise Fail(f"{tag}: unknown default action {act}")
    default_action = ACTIONS[act[6:]]
    p.expect(",", "Architectures", ":", "arches", "(", ")", ",", "Syscalls", ":", "syscalls",
             ",", "}")
    statements(p, env, {}, rules, {}, stops=("return",))
    p.expect("return", "s", "}")
    if p.i != len(toks):
        p.fail("trailing source after DefaultProfile")
    return {
        "defaultAction": default_action,
        "archMap": arch_map,
        "syscalls": rules,
    }


def releases():
    tags = git("tag", "--list", "v*").decode().split()
    found = []
    for tag in tags:
        m = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", tag)
        if m and f"{m[1]}.{m[2]}" in LINES:
            found.append(((int(m[1]), int(m[2]), int(m[3])), tag))
    found.sort()
    if {f"{k[0]}.{k[1]}" for k, _ in found} != set(LINES):
        raise Fail(f"the clone lacks tags of some of the lines {', '.join(LINES)}")
    return found


def main():
    entries, contents = [], {}
    for key, tag in releases():
        commit = git("rev-parse", f"{tag}^{{commit}}").decode().strip()
        licence = git("show", f"{commit}:LICENSE").decode()
        if "Apache License" not in licence or "Version 2.0" not in licence:
            raise Fail(f"{tag}: LICENSE is not the Apache License 2.0")
        blob = git("rev-parse", f"{commit}:{PATH}").decode().strip()
        src = git("show", f"{commit}:{PATH}").decode()
        profile = profile_of(src, tag)
        data = (json.dumps(profile, indent=2) + "\n").encode()
        digest = hashlib.sha256(data).hexdigest()
        if digest not in contents:
            contents[digest] = (f"v{key[0]}.{key[1]}.{key[2]}.json", data)
        entries.append({
            "version": f"{key[0]}.{key[1]}.{key[2]}",
            "tag": tag,
            "commit": commit,
            "path": PATH,
            "blob": blob,
            "file": "containerd/" + contents[digest][0],
            "sha256": digest,
        })
    index = {
        "schema": 1,
        "generator": "ci/gen-containerd-defaults.sh",
        "repository": URL,
        "license": "Apache-2.0",
        "releases": entries,
    }
    names = {name for name, _ in contents.values()}
    for path in sorted(OUT.glob("v*.json")):
        if path.name not in names:
            path.unlink()
    for name, data in contents.values():
        target = OUT / name
        if not target.exists() or target.read_bytes() != data:
            target.write_bytes(data)
    text = json.dumps(index, indent=2) + "\n"
    target = OUT / "index.json"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    print(f"containerd: {len(entries)} releases, {len(names)} distinct files", file=sys.stderr)


try:
    main()
except Fail as err:
    print(f"gen-containerd-defaults: {err}", file=sys.stderr)
    sys.exit(1)
PY
