# shellcheck shell=bash
# The host side of the two labs that boot a qemu machine from a Debian disk (ci/aarch64/lab.sh,
# ci/kernels/lab.sh), sourced by each: messages, host checks, the chroot into the root file
# system, the disk and its recipe, the machine's devices, its PID, its engine's port. What
# differs (the architecture, the suite, how the root file system and the kernel are made, one
# machine or one per kernel) stays in each lab; what both do the same way lives here once, so a
# fix to one lab's disk or shutdown is the other's too.
#
# The lab sets, before sourcing this file:
#   LAB_TAG            the prefix of its messages (lab-aarch64, lab-kernels)
#   LAB_WHAT           how the unreachable-archive message names the lab
#   ROOT_FOR           why it must run as root, for the not-root message
#   MISSING_TOOL_HINT  what follows the missing-tool message (may be empty)
#   LAB MIRROR NAME PACKAGES INITRAMFS_MODULES ROOTFS DISK GUEST_HOSTNAME
#   BOOT_TIMEOUT       seconds the engine may take to answer after qemu starts
# and defines disk_recipe_extra: what besides the shared parts goes into its disk's recipe.

READY=.seccomp-harness-ready
EX_UNREACHABLE=75
# PID 1 of the machine: the labs' one guest init (its header says what it does), with the
# machine's name in /etc/hostname.
GUEST_INIT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/init.sh
# shellcheck source=ci/lock.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lock.sh"

say() { printf '%s: %s\n' "$LAB_TAG" "$*" >&2; }
die() { local code=$1; shift; printf '%s: %s\n' "$LAB_TAG" "$*" >&2; exit "$code"; }
usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit "${1:-2}"; }

# One lab command at a time per lab dir. The lock (fd 9) must not be handed to qemu, or the
# machine would hold it for as long as it runs: each start closes it (9>&-). The wait has a
# deadline (ci/lock.sh).
lock() {
  mkdir -p "$LAB"
  exec 9>"$LAB/.lab.lock"
  lock_fd 9 "$LAB/.lab.lock"
}

# --- host checks ---------------------------------------------------------------------------------

need_root() { [ "$(id -u)" = 0 ] || die 3 "must run as root ($ROOT_FOR)"; }

need_host_tools() {
  local tool missing=()
  for tool in curl flock setsid "$@"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ "${#missing[@]}" = 0 ] || die 3 "missing host tool(s): ${missing[*]}$MISSING_TOOL_HINT"
}

# A build needs the archive; where it can't be reached CI says so and goes on (exit 75).
need_archive() {
  local suite=$1
  curl -fsS --max-time 20 -o /dev/null "$MIRROR/dists/$suite/Release" 2>/dev/null ||
    die "$EX_UNREACHABLE" "Debian's archive can't be reached ($MIRROR/dists/$suite/Release): $LAB_WHAT can't be built; go on without it"
}

# --- the root file system ------------------------------------------------------------------------

# The root file system is rebuilt only when its package list changed.
rootfs_current() { [ -f "$ROOTFS/$READY" ] && [ "$(cat "$ROOTFS/$READY")" = "$PACKAGES" ]; }

# Clears a half-made root from an interrupted build and makes the caches and an empty log.
rootfs_start() {
  local tmp=$1 log=$2
  rm -rf --one-file-system "$tmp" "$ROOTFS"
  mkdir -p "$LAB/cache/debootstrap" "$LAB/cache/apt/partial"
  : >"$log"
}

# Readies a debootstrapped root for the lab's apt-get: SUITE's main as the only source.
rootfs_configure() {
  local tmp=$1 suite=$2
  # A frozen mirror's Release can be past its Valid-Until; no recommends keeps the root small.
  printf '%s\n' 'Acquire::Check-Valid-Until "false";' 'APT::Install-Recommends "false";' \
    >"$tmp/etc/apt/apt.conf.d/90seccomp-harness"
  echo "deb $MIRROR $suite main" >"$tmp/etc/apt/sources.list"
  rm -f "$tmp/etc/apt/sources.list.d/debian.sources"
  # Only the modules the root needs go into the initramfs (faster to make, smaller to boot).
  mkdir -p "$tmp/etc/initramfs-tools/conf.d"
  echo MODULES=list >"$tmp/etc/initramfs-tools/conf.d/seccomp-harness"
  # No service is started inside the chroot (docker.io's postinst would try).
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod 755 "$tmp/usr/sbin/policy-rc.d"
}

# Runs a command chrooted into a root file system, in a private mount namespace, so its /proc,
# /dev and cache mounts vanish with it.
in_rootfs() {
  local root=$1; shift
  # shellcheck disable=SC2016 # expanded by the inner shell
  nice -n 10 unshare -m --propagation private -- bash -euc '
    root=$1 cache=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/run"
    mount -t tmpfs tmpfs "$root/tmp"
    mkdir -p "$root/var/cache/apt/archives"
    mount --bind "$cache" "$root/var/cache/apt/archives"
    exec chroot "$root" "$@"
  ' "$LAB_TAG" "$root" "$LAB/cache/apt" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

# Installs the lab's packages into the root: initramfs-tools first, so that the module list is
# in place before a kernel package's postinst makes an initramfs.
rootfs_install() {
  local tmp=$1 log=$2
  # shellcheck disable=SC2016 # expanded by the inner shell
  in_rootfs "$tmp" sh -ec '
    apt-get update -q
    apt-get install -y -q initramfs-tools
    printf "%s\n" $1 >>/etc/initramfs-tools/modules
    apt-get install -y -q $2
    apt-get clean
  ' lab "$INITRAMFS_MODULES" "$PACKAGES" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die 1 "apt-get in the root file system failed (log: $log)"; }
}

# Marks the root as made from PACKAGES and puts it in place (the mark's mtime is in the recipe).
rootfs_finish() {
  local tmp=$1 started=$2
  rm -rf "${tmp:?}"/var/lib/apt/lists/* "$tmp/usr/sbin/policy-rc.d"
  echo "$PACKAGES" >"$tmp/$READY"
  mv "$tmp" "$ROOTFS"
  say "root file system ready in $((SECONDS - started)) s"
}

# --- the disk ------------------------------------------------------------------------------------

# The recipe of the disk: when it changes (packages, init, a rebuilt root file system, what the
# lab adds), the disk is made again.
disk_recipe() {
  { echo "$PACKAGES"; echo "$INITRAMFS_MODULES"; cat "$GUEST_INIT"; echo "$GUEST_HOSTNAME"
    stat -c %Y "$ROOTFS/$READY"
    disk_recipe_extra; } | sha256sum | cut -d' ' -f1
}

ensure_disk() {
  local recipe
  recipe=$(disk_recipe)
  if [ -f "$DISK" ] && [ "$(cat "$DISK.recipe" 2>/dev/null)" = "$recipe" ]; then
    return 0
  fi
  need_host_tools mkfs.ext4 du
  local size_mb started=$SECONDS
  install -m 755 "$GUEST_INIT" "$ROOTFS/sbin/$NAME-init"
  echo "$GUEST_HOSTNAME" >"$ROOTFS/etc/hostname"
  # The root plus room for the engine's data (writes go to qemu's snapshot, not to this file).
  size_mb=$(( $(du -sm --one-file-system "$ROOTFS" | cut -f1) + 3072 ))
  say "disk: mkfs.ext4 -d (${size_mb} MiB, sparse)"
  rm -f "$DISK" "$DISK.tmp" "$DISK.recipe"
  truncate -s "${size_mb}M" "$DISK.tmp"
  nice -n 10 mkfs.ext4 -q -F -L "$NAME" -d "$ROOTFS" "$DISK.tmp" >"$LAB/mkfs.log" 2>&1 ||
    { cat "$LAB/mkfs.log" >&2; rm -f "$DISK.tmp"; die 1 "mkfs.ext4 -d failed"; }
  mv "$DISK.tmp" "$DISK"
  echo "$recipe" >"$DISK.recipe"
  say "disk ready in $((SECONDS - started)) s"
}

# --- the machine ---------------------------------------------------------------------------------

# qemu's arguments past the machine, CPU and kernel, the same for every lab machine: the disk
# with snapshot=on (every boot starts from the pristine image), the engine's port forwarded to
# 127.0.0.1:PORT, the console into a file, and no reboot (a dead engine stops the machine).
machine_args() {
  local port=$1 console=$2 pidfile=$3
  # shellcheck disable=SC2034 # read by the lab that sourced this file
  MACHINE_ARGS=(
    -drive "file=$DISK,if=virtio,format=raw,snapshot=on"
    -netdev "user,id=net0,hostfwd=tcp:127.0.0.1:$port-:2375"
    -device "virtio-net-pci,netdev=net0,romfile="
    -display none -monitor none -serial "file:$console" -no-reboot
    -daemonize -pidfile "$pidfile"
  )
}

# The PID of the machine's qemu, if it runs: checked against its command line (-name), not
# only the file, which a crashed machine leaves behind.
qemu_pid() {
  local pidfile=$1 qemu_name=$2 pid
  [ -f "$pidfile" ] || return 1
  pid=$(cat "$pidfile" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  # Not `tr | grep -q`: grep ending first would fail the pipe (pipefail) on a running machine.
  [[ $(tr '\0' ' ' <"/proc/$pid/cmdline") == *"-name $qemu_name "* ]] || return 1
  echo "$pid"
}

# Stops qemu: TERM, ten seconds, then KILL. qemu may end on its own between the caller's check
# and a signal, and a kill that finds no process must not end the script (set -e): each signal
# may fail, and whether the process is gone is checked at the end.
stop_qemu() {
  local pid=$1
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 20); do
    [ -e "/proc/$pid" ] || break
    sleep 0.5
  done
  if [ -e "/proc/$pid" ]; then kill -KILL "$pid" 2>/dev/null || true; sleep 0.5; fi
  if [ -e "/proc/$pid" ]; then die 1 "qemu (PID $pid) did not end"; fi
}

engine_answers() {
  curl -fsS --max-time 5 -o /dev/null "http://127.0.0.1:$1/_ping" 2>/dev/null
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Waits for the engine on PORT until BOOT_TIMEOUT; a machine that stops first, or the timeout,
# fails with the console's tail. WHO prefixes the messages; DOWN says how to stop the machine.
wait_engine_on() {
  local port=$1 console=$2 pidfile=$3 qemu_name=$4 who=$5 down=$6 started=$SECONDS
  until engine_answers "$port"; do
    if ! qemu_pid "$pidfile" "$qemu_name" >/dev/null; then
      tail -n 30 "$console" >&2 2>/dev/null || true
      die 1 "${who}the machine stopped before the engine answered (console: $console)"
    fi
    if [ $((SECONDS - started)) -ge "$BOOT_TIMEOUT" ]; then
      tail -n 30 "$console" >&2 2>/dev/null || true
      die 1 "${who}the engine did not answer within $BOOT_TIMEOUT s (console: $console); $down"
    fi
    sleep 1
  done
  say "${who}the engine answers (waited $((SECONDS - started)) s)"
}

# The engine's version, API, platform, kernel and components, each line after INDENT.
engine_versions() {
  local port=$1 indent=$2
  curl -fsS --max-time 10 "http://127.0.0.1:$port/version" |
    jq -r --arg i "$indent" '"\($i)engine \(.Version) (API \(.ApiVersion)), \(.Os)/\(.Arch), kernel \(.KernelVersion)",
           (.Components[] | "\($i)  \(.Name) \(.Version)")' 2>/dev/null || true
}
