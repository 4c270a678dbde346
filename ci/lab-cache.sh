#!/usr/bin/env bash
# The labs' outputs as one archive a CI system keeps between runs: the x86_64 engine lab's root
# file systems and package caches, the aarch64 lab's root file system, disk, kernel and probe
# (with the probe's build root), and the kernel lab's root file system, kernels and disk. From
# nothing they take most of `.ci/run`'s time (the aarch64 root file system alone is about 20
# minutes of apt under qemu-user); restored, each lab comes up in seconds to a minute.
#
#   ci/lab-cache.sh restore FILE  unpack FILE into the lab dir when the lab dir holds no state yet
#                                 (exit 0 also when FILE is absent: nothing to restore)
#   ci/lab-cache.sh save FILE     write the lab dir's state to FILE (atomically), when FILE is
#                                 absent or some of that state is newer than FILE; every lab
#                                 must be down
#   ci/lab-cache.sh key           a key for the CI's cache: changes with the lab scripts, which
#                                 hold every recipe (packages, init, kernels)
#
# Restoring an older archive is safe: each lab script checks its own recipes (the disk's
# recipe, the root file system's package list, the probe's source) and rebuilds what is stale.
# What is never kept: running engines' state (engines/, run/), locks.
#
# Exit codes: 0 done; 1 the archive could not be read or written; 2 bad usage; 3 not root, or a
# lab is up (save).
#
# Environment: SECCOMP_HARNESS_LAB_DIR, as the lab scripts (default /var/cache/seccomp-harness/lab).
set -euo pipefail
cd "$(dirname "$0")/.."

LAB=${SECCOMP_HARNESS_LAB_DIR:-/var/cache/seccomp-harness/lab}
SCRIPTS=(ci/lab.sh ci/aarch64/lab.sh ci/aarch64/build-probe.sh ci/kernels/lab.sh ci/guest/init.sh
  ci/guest/vm-lab.sh ci/lab-cache.sh)
# What a running lab owns, and what is made again on every `up`.
EXCLUDES=(--exclude=./engines --exclude=./aarch64/run --exclude=./kernels/run --exclude='*.lock')

say() { printf 'lab-cache: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'lab-cache: %s\n' "$*" >&2; exit "$code"; }
usage() { sed -n '8,16p' "$0" >&2; exit "${1:-2}"; }

need_root() { [ "$(id -u)" = 0 ] || die 3 "needs root (the lab's files are root's)"; }

# A lab is up when one of its daemons or machines runs: its state would be half-written.
labs_up() {
  ci/lab.sh status 2>/dev/null | awk '$2 == "up" { up = 1 } END { exit !up }' && return 0
  ci/aarch64/lab.sh status 2>/dev/null | grep -qv '^down$' && return 0
  ci/kernels/lab.sh status 2>/dev/null | grep -qv ': down$' && return 0
  return 1
}

cmd_restore() {
  local file=$1 started=$SECONDS
  need_root
  if [ ! -f "$file" ]; then
    say "no archive at $file: nothing to restore, the labs build from Debian's archive"
    return 0
  fi
  if [ -d "$LAB" ] && [ -n "$(ls -A "$LAB" 2>/dev/null)" ]; then
    say "$LAB already holds lab state: not restored (the lab scripts reuse it)"
    return 0
  fi
  mkdir -p "$LAB"
  tar -C "$LAB" --zstd -xf "$file" || die 1 "cannot unpack $file into $LAB"
  say "restored $(du -sh "$LAB" | cut -f1) into $LAB from $file in $((SECONDS - started)) s"
}

cmd_save() {
  local file=$1 started=$SECONDS newer
  need_root
  [ -d "$LAB" ] || { say "no lab state at $LAB: nothing to save"; return 0; }
  if labs_up; then die 3 "a lab is up: bring every lab down before saving its state"; fi
  if [ -f "$file" ]; then
    newer=$(find "$LAB" \( -path "$LAB/engines" -o -path "$LAB/aarch64/run" -o -path "$LAB/kernels/run" \) \
      -prune -o -type f ! -name '*.lock' -newer "$file" -print -quit)
    if [ -z "$newer" ]; then
      say "$file is up to date (nothing in $LAB is newer)"
      return 0
    fi
  fi
  mkdir -p "$(dirname "$file")"
  tar -C "$LAB" --zstd --sparse "${EXCLUDES[@]}" -cf "$file.tmp" . ||
    { rm -f "$file.tmp"; die 1 "cannot write $file.tmp"; }
  mv "$file.tmp" "$file"
  say "saved $LAB to $file ($(du -h "$file" | cut -f1)) in $((SECONDS - started)) s"
}

cmd_key() {
  printf 'seccomp-harness-lab-%s-%s\n' "$(uname -m)" "$(cat "${SCRIPTS[@]}" | sha256sum | cut -c1-16)"
}

case ${1:-} in
  restore) [ $# = 2 ] || usage; cmd_restore "$2" ;;
  save) [ $# = 2 ] || usage; cmd_save "$2" ;;
  key) cmd_key ;;
  -h | --help) usage 0 ;;
  *) usage ;;
esac
