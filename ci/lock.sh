# shellcheck shell=bash
# The labs' locks with a deadline, sourced by the scripts that run one lab command at a time
# (ci/lab.sh, ci/guest/vm-lab.sh for the two qemu labs, ci/aarch64/build-probe.sh). A bare
# `flock FD` waits forever, so a command queued behind a hung one would hang CI with it; here the
# wait ends, and the message names the lock file and the process that holds it.
#
# The sourcing script defines say MESSAGE and die CODE MESSAGE.
#
# SECCOMP_HARNESS_LAB_LOCK_WAIT sets the deadline in seconds. The default, an hour, is above the
# longest lab build measured (the kernel lab's from nothing, 2,451 s, docs/src/ci.md), which
# another command may hold a lock for.

# Takes the exclusive lock on FD, already open on FILE, or dies once the deadline has passed.
lock_fd() {
  local fd=$1 file=$2 wait=${SECCOMP_HARNESS_LAB_LOCK_WAIT:-3600} rc=0
  flock -n "$fd" && return 0
  say "waiting up to $wait s for $file$(lock_holder "$file")"
  flock -w "$wait" "$fd" || rc=$?
  case $rc in
    0) ;;
    1) die 1 "another lab command holds $file$(lock_holder "$file"): gave up after $wait s (SECCOMP_HARNESS_LAB_LOCK_WAIT)" ;;
    *) die 1 "flock on $file failed (exit $rc)" ;;
  esac
}

# " (PID N: its command line)" for the process that /proc/locks names as FILE's holder, or
# nothing when it names none. The lines of waiters ("N: -> FLOCK ...") are not holders.
lock_holder() {
  local id pid
  id=$(stat -c '%Hd %Ld %i' "$1" 2>/dev/null | awk '{ printf "%02x:%02x:%s", $1, $2, $3 }') || return 0
  pid=$(awk -v id="$id" '$2 == "FLOCK" && $6 == id { print $5; exit }' /proc/locks 2>/dev/null) || return 0
  [ -n "$pid" ] || return 0
  if [ -r "/proc/$pid/cmdline" ]; then
    printf ' (PID %s: %s)' "$pid" "$(tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//')"
  else
    # flock's lock belongs to the open file: a child that inherited the descriptor keeps it.
    printf ' (PID %s, which has ended: a process it started still holds the lock)' "$pid"
  fi
}
