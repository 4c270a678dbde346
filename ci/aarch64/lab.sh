#!/usr/bin/env bash
# The aarch64 engine lab: a Docker engine on an emulated arm64 machine (qemu-system-aarch64,
# TCG) on an x86_64 host, reached over TCP, so the harness can be run against aarch64 with the
# cross-built probe (ci/aarch64/build-probe.sh):
#
#   seccomp-harness run --docker-host "$(ci/aarch64/lab.sh up)" --probe "$(ci/aarch64/build-probe.sh)"
#
#   ci/aarch64/lab.sh up       boot the machine (building its disk and kernel first if needed)
#                              and wait for the engine; the only line on stdout is its DOCKER_HOST
#                              (tcp://127.0.0.1:PORT); progress goes to stderr
#   ci/aarch64/lab.sh build    build its root file system, kernel and disk, without booting (CI
#                              runs this in the background while other parts run; `up` then
#                              only boots)
#   ci/aarch64/lab.sh down     stop the machine (by its PID) and check that nothing is left
#   ci/aarch64/lab.sh status   up/down, DOCKER_HOST, PID, the engine's versions
#   ci/aarch64/lab.sh host-packages   the host's Debian packages it needs (.ci/run installs them)
#
# All four are idempotent: `up` on a running machine prints its DOCKER_HOST again.
#
# The machine: `-M virt -cpu cortex-a57 -smp 2`, user networking with the engine's port
# forwarded to 127.0.0.1:PORT. Its kernel is Debian sid's arm64 kernel with an initramfs made
# by initramfs-tools (virtio_blk and ext4 are modules there). Its disk is an ext4 image
# (mkfs.ext4 -d) of a sid arm64 root file system with docker.io, containerd and runc, made by
# `debootstrap --foreign` whose second stage and apt run under qemu-user through a temporary
# binfmt_misc entry (binfmt_misc is put back as it was afterwards). The disk is attached with
# snapshot=on: every boot starts from the same pristine image and nothing a run writes is kept.
# Its init, the kernel lab's too (ci/guest/init.sh), starts containerd, waits for its socket (two
# minutes at most, else it stops the machine with the reason on the console), then, under tini,
# `dockerd -H tcp://0.0.0.0:2375 --tls=false` on it, with overlay2, no bridge and no iptables:
# the harness runs its containers with network none and builds its image FROM scratch, so no
# registry and no network are needed.
#
# The host's apt sources and its Docker engine are never touched. Missing host tools are
# installed from the host's own sources (qemu-system-arm); qemu-user-static is only downloaded
# and unpacked into the lab dir, not installed.
#
# Exit codes: 0 done; 1 the machine or the engine failed (the console's tail is printed); 2 bad
# usage; 3 a host tool is missing or not root; 75 Debian's archive can't be reached (a build
# needs it): CI can say so and go on.
#
# Environment:
#   SECCOMP_HARNESS_LAB_DIR      state and downloads, reused by later runs; this lab keeps its
#                                own under aarch64/ (default /var/cache/seccomp-harness/lab)
#   SECCOMP_HARNESS_LAB_MIRROR   the Debian mirror (default http://deb.debian.org/debian)
#   SECCOMP_HARNESS_LAB_AARCH64_PORT  the host port of the engine (default 23750)
#   SECCOMP_HARNESS_LAB_AARCH64_MEM   the machine's memory in MiB (default 2048)
#   SECCOMP_HARNESS_LAB_LOCK_WAIT  seconds a command waits for another lab command's lock
#                                (default 3600, ci/lock.sh)
set -euo pipefail

LAB=${SECCOMP_HARNESS_LAB_DIR:-/var/cache/seccomp-harness/lab}/aarch64
MIRROR=${SECCOMP_HARNESS_LAB_MIRROR:-http://deb.debian.org/debian}
PORT=${SECCOMP_HARNESS_LAB_AARCH64_PORT:-23750}
MEM=${SECCOMP_HARNESS_LAB_AARCH64_MEM:-2048}
SUITE=sid
# The host's own Debian packages this script runs: debootstrap, unshare/chroot (util-linux),
# dpkg-deb, mkfs.ext4 (e2fsprogs), qemu-system-aarch64 (qemu-system-arm).
HOST_PACKAGES="curl util-linux debootstrap dpkg e2fsprogs qemu-system-arm"
# Installed into the root file system by apt (no recommends). linux-image-arm64 brings
# initramfs-tools, which makes the initramfs.
PACKAGES="docker.io containerd runc tini iproute2 kmod linux-image-arm64"
# The modules the initramfs needs to mount the root (their dependencies come along).
INITRAMFS_MODULES="virtio_blk ext4"
NAME=seccomp-harness-lab-aarch64
BINFMT=/proc/sys/fs/binfmt_misc
# The temporary binfmt_misc entry is named after the lab dir: two lab dirs (two CI clones, a
# developer's beside CI's) building at once must not remove one another's entry.
BINFMT_NAME=$NAME-$(printf '%s' "$LAB" | sha256sum | cut -c1-8)
BOOT_TIMEOUT=${SECCOMP_HARNESS_LAB_AARCH64_BOOT_TIMEOUT:-300}

ROOTFS=$LAB/rootfs
DISK=$LAB/disk.img
KERNEL_DIR=$LAB/kernel
RUN=$LAB/run
PIDFILE=$RUN/qemu.pid
CONSOLE=$RUN/console.log

# The machine's name in /etc/hostname (its init is the shared ci/guest/init.sh).
GUEST_HOSTNAME=seccomp-harness-aarch64

# What ci/guest/vm-lab.sh, the host side this lab shares with the kernel lab, needs to know.
LAB_TAG=lab-aarch64
LAB_WHAT="the aarch64 lab"
ROOT_FOR="debootstrap, binfmt_misc, chroot"
MISSING_TOOL_HINT=
# The disk's recipe is the shared one alone: the kernel is outside the disk.
disk_recipe_extra() { :; }
# shellcheck source=ci/guest/vm-lab.sh
. "$(dirname "$0")/../guest/vm-lab.sh"

# --- host checks ---------------------------------------------------------------------------------

# qemu-system-aarch64 from the host's own sources (Debian: qemu-system-arm), if it is missing.
need_qemu_system() {
  command -v qemu-system-aarch64 >/dev/null && return 0
  command -v apt-get >/dev/null || die 3 "qemu-system-aarch64 is missing (install qemu-system-arm)"
  say "installing qemu-system-arm on the host (from its own apt sources)"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-arm \
    >"$LAB/host-apt.log" 2>&1 || {
    tail -n 20 "$LAB/host-apt.log" >&2
    die 3 "apt-get install qemu-system-arm failed (log: $LAB/host-apt.log)"
  }
}

# --- qemu-user and binfmt_misc -------------------------------------------------------------------

# qemu-aarch64-static from the host's qemu-user-static package, downloaded and unpacked into the
# lab dir (installing it could register binfmt entries for good). Prints the binary's path.
qemu_user() {
  local dir=$LAB/cache/qemu-user bin
  bin=$dir/root/usr/bin/qemu-aarch64-static
  if [ ! -x "$bin" ]; then
    rm -rf "$dir"
    mkdir -p "$dir"
    say "downloading qemu-user-static (host's apt sources, not installed)"
    (cd "$dir" && apt-get download -q qemu-user-static) >"$LAB/host-apt.log" 2>&1 || {
      tail -n 20 "$LAB/host-apt.log" >&2
      die "$EX_UNREACHABLE" "apt-get download qemu-user-static failed (log: $LAB/host-apt.log)"
    }
    dpkg-deb -x "$dir"/qemu-user-static_*.deb "$dir/root"
  fi
  echo "$bin"
}

# The magic and mask of qemu's own aarch64 binfmt entry, as its package ships them.
binfmt_rule() {
  local dir=$LAB/cache/qemu-user/root conf
  conf=$(find "$dir/usr/lib/binfmt.d" "$dir/usr/share/binfmts" -type f \
    \( -name qemu-aarch64.conf -o -name qemu-aarch64 \) 2>/dev/null | head -n 1)
  [ -n "$conf" ] || die 1 "no aarch64 binfmt rule in the qemu-user-static package"
  case $conf in
    *.conf) # :name:M:offset:magic:mask:interpreter:flags
      awk -F: '!/^#/ && NF >= 7 { print $5 ":" $6; exit }' "$conf" ;;
    *) # update-binfmts format
      awk '$1 == "magic" { m = $2 } $1 == "mask" { k = $2 } END { print m ":" k }' "$conf" ;;
  esac
}

BINFMT_MOUNTED_BY_US=
BINFMT_ENABLED_BY_US=

# Registers a temporary binfmt_misc entry for arm64 ELF files, run by the lab's qemu-user.
# binfmt_restore undoes exactly what was done here (the entry, the enabling, the mount).
binfmt_register() {
  local qemu=$1 rule
  rule=$(binfmt_rule)
  trap binfmt_restore EXIT
  if [ ! -e "$BINFMT/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT"
    BINFMT_MOUNTED_BY_US=1
  fi
  if [ "$(cat "$BINFMT/status")" = disabled ]; then
    echo 1 >"$BINFMT/status"
    BINFMT_ENABLED_BY_US=1
  fi
  if [ -e "$BINFMT/$BINFMT_NAME" ]; then echo -1 >"$BINFMT/$BINFMT_NAME"; fi
  # F: the interpreter is opened now, so it needn't be inside the chroot; P: argv[0] is kept.
  echo ":$BINFMT_NAME:M::$rule:$qemu:FP" >"$BINFMT/register"
}

# Another lab dir's build may have mounted binfmt_misc and unmounted it meanwhile (the entries
# stay registered): it is mounted again to remove the entry. It is unmounted, and disabled, only
# when no other entry is left, so as not to pull it from under a build beside this one.
binfmt_restore() {
  local mounted_now=
  if [ ! -e "$BINFMT/register" ]; then
    mount -t binfmt_misc binfmt_misc "$BINFMT"
    mounted_now=1
  fi
  if [ -e "$BINFMT/$BINFMT_NAME" ]; then echo -1 >"$BINFMT/$BINFMT_NAME"; fi
  local others
  others=$(find "$BINFMT" -mindepth 1 -maxdepth 1 ! -name register ! -name status | head -n 1)
  if [ -n "$BINFMT_ENABLED_BY_US" ] && [ -z "$others" ]; then echo 0 >"$BINFMT/status"; fi
  BINFMT_ENABLED_BY_US=
  if { [ -n "$BINFMT_MOUNTED_BY_US" ] || [ -n "$mounted_now" ]; } && [ -z "$others" ]; then
    umount "$BINFMT"
  fi
  BINFMT_MOUNTED_BY_US=
}

# --- the root file system, the kernel and the disk -----------------------------------------------

ensure_rootfs() {
  rootfs_current && return 0
  need_archive "$SUITE"
  need_host_tools debootstrap unshare chroot dpkg-deb apt-get
  local qemu tmp=$ROOTFS.tmp started=$SECONDS log=$LAB/rootfs.log
  qemu=$(qemu_user)
  rootfs_start "$tmp" "$log"
  say "root file system: debootstrap --foreign --arch=arm64 $SUITE"
  nice -n 10 debootstrap --foreign --arch=arm64 --variant=minbase \
    --cache-dir="$LAB/cache/debootstrap" "$SUITE" "$tmp" "$MIRROR" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die 1 "debootstrap --foreign failed (log: $log)"; }
  binfmt_register "$qemu"
  say "root file system: second stage under qemu-user (a few minutes)"
  # debootstrap mounts what its second stage needs itself.
  nice -n 10 unshare -m --propagation private -- chroot "$tmp" /debootstrap/debootstrap --second-stage \
    >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die 1 "debootstrap --second-stage failed (log: $log)"; }
  rootfs_configure "$tmp" "$SUITE"
  say "root file system: apt-get install $PACKAGES (under qemu-user)"
  rootfs_install "$tmp" "$log"
  binfmt_restore
  trap - EXIT
  rootfs_finish "$tmp" "$started"
}

# The kernel and its initramfs, taken from the root file system's /boot.
ensure_kernel() {
  local vmlinuz initrd
  vmlinuz=$(find "$ROOTFS/boot" -maxdepth 1 -name 'vmlinuz-*' | sort -V | tail -n 1)
  initrd=$(find "$ROOTFS/boot" -maxdepth 1 -name 'initrd.img-*' | sort -V | tail -n 1)
  if [ -z "$vmlinuz" ] || [ -z "$initrd" ]; then
    die 1 "no vmlinuz-* and initrd.img-* in $ROOTFS/boot (see $LAB/rootfs.log)"
  fi
  mkdir -p "$KERNEL_DIR"
  if ! cmp -s "$vmlinuz" "$KERNEL_DIR/vmlinuz" || ! cmp -s "$initrd" "$KERNEL_DIR/initrd.img"; then
    cp "$vmlinuz" "$KERNEL_DIR/vmlinuz"
    cp "$initrd" "$KERNEL_DIR/initrd.img"
    basename "$vmlinuz" | sed 's/^vmlinuz-//' >"$KERNEL_DIR/version"
  fi
}

# --- the machine ---------------------------------------------------------------------------------

running_pid() { qemu_pid "$PIDFILE" "$NAME"; }

docker_host() { echo "tcp://127.0.0.1:$PORT"; }

start_machine() {
  need_qemu_system
  if port_taken "$PORT"; then
    die 1 "port $PORT on 127.0.0.1 is taken by something else (set SECCOMP_HARNESS_LAB_AARCH64_PORT)"
  fi
  rm -rf "$RUN"
  mkdir -p "$RUN"
  machine_args "$PORT" "$CONSOLE" "$PIDFILE"
  say "booting qemu-system-aarch64 (-M virt -cpu cortex-a57 -smp 2, TCG)"
  # Not niced (as the kernel lab's): under TCG every container start is guest CPU, and at nice 10
  # beside the x86_64 lab's build the machine's containerd missed dockerd's start deadline.
  qemu-system-aarch64 -name "$NAME" \
    -M virt -cpu cortex-a57 -smp 2 -m "$MEM" -accel tcg \
    -kernel "$KERNEL_DIR/vmlinuz" -initrd "$KERNEL_DIR/initrd.img" \
    -append "console=ttyAMA0 root=/dev/vda rootfstype=ext4 rw init=/sbin/$NAME-init panic=1" \
    "${MACHINE_ARGS[@]}" >"$RUN/qemu.log" 2>&1 9>&- ||
    { cat "$RUN/qemu.log" >&2; die 1 "qemu-system-aarch64 failed to start"; }
}

wait_engine() { wait_engine_on "$PORT" "$CONSOLE" "$PIDFILE" "$NAME" "" "ci/aarch64/lab.sh down"; }

cmd_up() {
  need_root
  lock
  local started=$SECONDS
  local pid
  if pid=$(running_pid); then
    say "already up (qemu PID $pid)"
    wait_engine
    docker_host
    return 0
  fi
  ensure_rootfs
  ensure_kernel
  ensure_disk
  start_machine
  wait_engine
  say "up in $((SECONDS - started)) s: DOCKER_HOST=$(docker_host)"
  docker_host
}

cmd_build() {
  need_root
  lock
  local started=$SECONDS
  ensure_rootfs
  ensure_kernel
  ensure_disk
  say "built in $((SECONDS - started)) s (root file system, kernel, disk)"
}

cmd_down() {
  need_root
  lock
  local pid
  if pid=$(running_pid); then
    say "stopping qemu (PID $pid)"
    stop_qemu "$pid"
    if port_taken "$PORT"; then die 1 "port $PORT still answers after the machine stopped"; fi
  fi
  rm -rf "$RUN"
  say "down"
}

cmd_status() {
  local pid
  if pid=$(running_pid); then
    if engine_answers "$PORT"; then
      echo "up: DOCKER_HOST=$(docker_host) (qemu PID $pid)"
      engine_versions "$PORT" ""
    else
      echo "booting: DOCKER_HOST=$(docker_host) (qemu PID $pid; the engine does not answer yet)"
    fi
  else
    echo "down"
  fi
}

case ${1:-} in
  up) cmd_up ;;
  build) cmd_build ;;
  down) cmd_down ;;
  status) cmd_status ;;
  host-packages) echo "$HOST_PACKAGES" ;;
  -h | --help) usage 0 ;;
  *) usage ;;
esac
