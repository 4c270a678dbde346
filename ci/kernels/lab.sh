#!/usr/bin/env bash
# The kernel lab: a Docker engine on an emulated x86_64 machine running one of Debian's kernels,
# reached over TCP beside the host's own engine, so the same catalog can be run on several
# kernels from one host:
#
#   seccomp-harness run --docker-host host=unix:///var/run/docker.sock \
#       --docker-host "linux-6.1=$(ci/kernels/lab.sh up bookworm)"
#
#   ci/kernels/lab.sh up KERNEL      boot the machine with that kernel (building the shared disk
#                                    and fetching the kernel first if needed) and wait for the
#                                    engine; the only line on stdout is its DOCKER_HOST
#                                    (tcp://127.0.0.1:PORT); progress goes to stderr
#   ci/kernels/lab.sh build          build the shared disk (root file system, the kernels of
#                                    DISK_KERNELS, their initramfs) without booting: CI runs it in
#                                    the background while other parts run, so `up` only boots
#   ci/kernels/lab.sh down KERNEL|all  stop the machine (by its PID) and check nothing is left
#   ci/kernels/lab.sh status [KERNEL]  up/down, DOCKER_HOST, accelerator, kernel, engine versions
#   ci/kernels/lab.sh host KERNEL    the machine's DOCKER_HOST (up or not)
#   ci/kernels/lab.sh list           the kernel names with the version each would boot
#   ci/kernels/lab.sh host-packages  the Debian packages of the host tools this lab needs
#
# KERNEL is the Debian suite whose `linux-image-amd64` is booted: bookworm (6.1 LTS), trixie
# (6.12 LTS), sid (the newest Debian ships), bullseye (5.10 LTS). All kernels share one disk
# and one engine (trixie's Docker 26.1.5 / containerd 1.7 / runc 1.1.15), so the kernel is the
# only thing that differs between them.
#
# The machine: qemu-system-x86_64, 2 vCPUs, user networking with the engine's port forwarded
# to 127.0.0.1:PORT (one port per kernel). The accelerator is chosen per boot: KVM is tried
# first where /dev/kvm exists, and if the kernel has not written to the console within
# SECCOMP_HARNESS_LAB_KERNELS_KVM_DEADLINE seconds (nested KVM guests hang in the boot loader on
# this project's host) the machine is stopped and booted again under TCG. `status` and the `up`
# log say which one ran.
#
# The disk: an ext4 image (mkfs.ext4 -d) of a trixie amd64 root file system (debootstrap
# --variant=minbase, then docker.io, containerd, runc, tini, iproute2, kmod, initramfs-tools),
# with every lab kernel's modules unpacked into it. Each kernel's package is fetched from its
# suite's Packages index (linux-image-amd64's dependency), unpacked with dpkg-deb -x (never
# installed), and given an initramfs made in the root with initramfs-tools (only virtio and
# ext4 modules). The disk is attached with snapshot=on: every boot starts from the same pristine
# image and nothing a run writes is kept. Its init, the aarch64 lab's too (ci/guest/init.sh),
# starts containerd, waits for its socket (two minutes at most, else it stops the machine with
# the reason on the console), then, under tini, `dockerd -H tcp://0.0.0.0:2375 --tls=false`
# (overlay2, no bridge, no iptables).
#
# State, downloads and the disk live under SECCOMP_HARNESS_LAB_DIR/kernels, outside the clone,
# and are reused. `down` leaves no process, port or run directory behind. The host's apt
# sources and its Docker engine are never touched.
#
# Exit codes: 0 done; 1 the machine or the engine failed (the console's tail is printed); 2 bad
# usage; 3 a host tool is missing or not root; 75 Debian's archive can't be reached (a build
# needs it): CI can say so and go on.
#
# Environment:
#   SECCOMP_HARNESS_LAB_DIR      state and downloads (default /var/cache/seccomp-harness/lab);
#                                this lab keeps its own under kernels/
#   SECCOMP_HARNESS_LAB_MIRROR   the Debian mirror (default http://deb.debian.org/debian)
#   SECCOMP_HARNESS_LAB_KERNELS_ACCEL  auto (default: KVM, then TCG), kvm or tcg
#   SECCOMP_HARNESS_LAB_KERNELS_KVM_DEADLINE  seconds KVM gets to reach the kernel (default 20)
#   SECCOMP_HARNESS_LAB_KERNELS_MEM    the machine's memory in MiB (default 2048)
#   SECCOMP_HARNESS_LAB_KERNELS_BOOT_TIMEOUT  seconds until the engine must answer (default 300)
#   SECCOMP_HARNESS_LAB_LOCK_WAIT  seconds a command waits for another lab command's lock
#                                (default 3600, ci/lock.sh)
set -euo pipefail

LAB=${SECCOMP_HARNESS_LAB_DIR:-/var/cache/seccomp-harness/lab}/kernels
MIRROR=${SECCOMP_HARNESS_LAB_MIRROR:-http://deb.debian.org/debian}
ACCEL=${SECCOMP_HARNESS_LAB_KERNELS_ACCEL:-auto}
KVM_DEADLINE=${SECCOMP_HARNESS_LAB_KERNELS_KVM_DEADLINE:-20}
MEM=${SECCOMP_HARNESS_LAB_KERNELS_MEM:-2048}
BOOT_TIMEOUT=${SECCOMP_HARNESS_LAB_KERNELS_BOOT_TIMEOUT:-300}
KERNELS=(bookworm trixie sid bullseye)
# The kernels whose modules the shared disk always holds (fetched before it is made, so that
# booting one after another never remakes it); bullseye joins when it is first booted.
DISK_KERNELS=(bookworm trixie sid)
# The root file system's suite: its engine is the one every kernel runs.
ROOT_SUITE=trixie
PACKAGES="docker.io containerd runc tini iproute2 kmod initramfs-tools"
# What the initramfs needs to mount the root (builtin ones are skipped by initramfs-tools).
INITRAMFS_MODULES="virtio_pci virtio_blk ext4"
NAME=seccomp-harness-lab-kernel
# No CPU-vulnerability mitigations in the guest: under TCG page-table isolation and the
# speculation barriers cost every syscall and context switch dearly, and none of them changes
# what a syscall returns or what seccomp decides.
APPEND="mitigations=off"

ROOTFS=$LAB/rootfs
DISK=$LAB/disk.img

kernel_port() {
  case $1 in
    bookworm) echo 23761 ;;
    trixie) echo 23762 ;;
    sid) echo 23763 ;;
    bullseye) echo 23764 ;;
    *) die 2 "unknown kernel '$1' (one of: ${KERNELS[*]})" ;;
  esac
}

kernel_dir() { echo "$LAB/kernel/$1"; }
run_dir() { echo "$LAB/run/$1"; }
docker_host() { echo "tcp://127.0.0.1:$(kernel_port "$1")"; }

# --- host checks ---------------------------------------------------------------------------------

# The host tools, as Debian packages (what `host-packages` prints for CI to install).
HOST_PACKAGES="qemu-system-x86 debootstrap e2fsprogs curl xz-utils util-linux dpkg jq"

# The machine's name in /etc/hostname (its init is the shared ci/guest/init.sh).
GUEST_HOSTNAME=seccomp-harness-kernel

# What ci/guest/vm-lab.sh, the host side this lab shares with the aarch64 lab, needs to know.
LAB_TAG=lab-kernels
LAB_WHAT="the kernel lab"
ROOT_FOR="debootstrap, chroot"
MISSING_TOOL_HINT=" (apt-get install $HOST_PACKAGES; see: $0 host-packages)"
# Every kernel's module tree is in the root, so the disk is made again when one joins.
disk_recipe_extra() { ls "$ROOTFS/usr/lib/modules"; }
# shellcheck source=ci/guest/vm-lab.sh
. "$(dirname "$0")/../guest/vm-lab.sh"

# --- the root file system ------------------------------------------------------------------------

ensure_rootfs() {
  rootfs_current && return 0
  need_archive "$ROOT_SUITE"
  need_host_tools debootstrap unshare chroot
  local tmp=$ROOTFS.tmp started=$SECONDS log=$LAB/rootfs.log
  rootfs_start "$tmp" "$log"
  say "root file system: debootstrap --variant=minbase $ROOT_SUITE"
  nice -n 10 debootstrap --variant=minbase --cache-dir="$LAB/cache/debootstrap" \
    "$ROOT_SUITE" "$tmp" "$MIRROR" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die 1 "debootstrap failed (log: $log)"; }
  rootfs_configure "$tmp" "$ROOT_SUITE"
  say "root file system: apt-get install $PACKAGES"
  rootfs_install "$tmp" "$log"
  rootfs_finish "$tmp" "$started"
}

# --- the kernels ---------------------------------------------------------------------------------

# The suite's Packages index (amd64, main), downloaded once per day into the cache.
packages_index() {
  local suite=$1 file=$LAB/cache/index/$1-Packages
  mkdir -p "$LAB/cache/index"
  if [ ! -s "$file" ] || [ -n "$(find "$file" -mmin +1440)" ]; then
    need_archive "$suite"
    curl -fsS --max-time 300 "$MIRROR/dists/$suite/main/binary-amd64/Packages.xz" |
      xz -dc >"$file.part" ||
      die "$EX_UNREACHABLE" "the $suite Packages index can't be downloaded"
    mv "$file.part" "$file"
  fi
  echo "$file"
}

# A field of a package's stanza in an index (the highest version's, if several).
index_field() {
  local index=$1 package=$2 field=$3
  awk -v p="$package" -v f="$field" '
    /^Package: / { inpkg = ($2 == p) }
    inpkg && index($0, f ": ") == 1 { print substr($0, length(f) + 3) }
  ' "$index" | tail -n 1
}

# The real kernel package behind the suite's linux-image-amd64: its linux-image-X.Y dependency
# (sid's also depends on a linux-base-amd64 metapackage).
kernel_package() {
  local index=$1 dep
  dep=$(index_field "$index" linux-image-amd64 Depends | tr ',' '\n' | sed 's/^ *//' |
    awk '$1 ~ /^linux-image-[0-9]/ { print $1; exit }')
  [ -n "$dep" ] || die 1 "no linux-image-amd64 dependency in $index"
  echo "$dep"
}

# The kernel package's own parts: from Debian 14 (sid) linux-image-X is empty and depends on
# linux-binary-X (vmlinuz), linux-modules-X and linux-base-X (config); older ones have none.
kernel_parts() {
  local index=$1 pkg=$2 part
  echo "$pkg"
  for part in $(index_field "$index" "$pkg" Depends | tr ',' '\n' | sed 's/^ *//' |
    awk '$1 ~ /^linux-(binary|modules|base)-[0-9]/ { print $1 }'); do
    kernel_parts "$index" "$part"
  done
}

# Downloads one package of the suite into the cache; prints the .deb's path.
fetch_deb() {
  local suite=$1 index=$2 pkg=$3 file deb
  file=$(index_field "$index" "$pkg" Filename)
  [ -n "$file" ] || die 1 "$suite: no Filename for $pkg in its Packages index"
  deb=$LAB/cache/debs/$(basename "$file")
  mkdir -p "$LAB/cache/debs"
  if [ ! -s "$deb" ]; then
    say "$suite: downloading $pkg ($MIRROR/$file)"
    curl -fsS --max-time 900 -o "$deb.part" "$MIRROR/$file" ||
      die "$EX_UNREACHABLE" "$suite: $MIRROR/$file can't be downloaded"
    mv "$deb.part" "$deb"
  fi
  echo "$deb"
}

# Fetches and unpacks SUITE's kernel: vmlinuz and config into the kernel dir, its modules into
# the root file system. Prints nothing; the kernel dir's `release` names it.
ensure_kernel() {
  local suite=$1 dir index pkg part deb tmp release
  dir=$(kernel_dir "$suite")
  if [ -f "$dir/release" ] && [ -f "$dir/vmlinuz" ] && [ -f "$dir/initrd.img" ] &&
    [ -d "$ROOTFS/usr/lib/modules/$(cat "$dir/release")" ]; then
    return 0
  fi
  need_host_tools dpkg-deb xz
  index=$(packages_index "$suite")
  pkg=$(kernel_package "$index")
  tmp=$LAB/kernel/$suite.tmp
  rm -rf "$tmp" "$dir.new"
  mkdir -p "$tmp"
  for part in $(kernel_parts "$index" "$pkg" | sort -u); do
    deb=$(fetch_deb "$suite" "$index" "$part")
    dpkg-deb -x "$deb" "$tmp"
  done
  # The release is the package's module tree's name. vmlinuz and config sit in /boot
  # (-X-amd64 packages up to Debian 13) or beside the modules (Debian 14's linux-binary/-base).
  release=$(find "$tmp/lib/modules" "$tmp/usr/lib/modules" -mindepth 1 -maxdepth 1 -type d \
    -printf '%f\n' 2>/dev/null | head -n 1 || true)
  [ -n "$release" ] || die 1 "$suite: no module tree in $pkg and its parts"
  local mods vmlinuz config
  mods=$(find "$tmp/lib/modules/$release" "$tmp/usr/lib/modules/$release" -maxdepth 0 2>/dev/null | head -n 1 || true)
  vmlinuz=$(find "$tmp/boot/vmlinuz-$release" "$mods/vmlinuz" -maxdepth 0 2>/dev/null | head -n 1 || true)
  config=$(find "$tmp/boot/config-$release" "$mods/config" -maxdepth 0 2>/dev/null | head -n 1 || true)
  [ -n "$vmlinuz" ] || die 1 "$suite: no vmlinuz for $release in $pkg and its parts"
  [ -n "$config" ] || die 1 "$suite: no config for $release in $pkg and its parts"
  mkdir -p "$dir.new"
  cp "$vmlinuz" "$dir.new/vmlinuz"
  # Modules go under /usr/lib/modules (the root is merged-/usr; bookworm's and bullseye's
  # packages still ship them under /lib): copied, not extracted over the root's /lib link.
  rm -rf "$ROOTFS/usr/lib/modules/$release"
  mkdir -p "$ROOTFS/usr/lib/modules"
  cp -a "$mods" "$ROOTFS/usr/lib/modules/"
  rm -f "$ROOTFS/usr/lib/modules/$release/vmlinuz"
  # mkinitramfs reads the kernel's config (for its compression) from /boot.
  cp "$config" "$ROOTFS/boot/config-$release"
  say "$suite: initramfs for $release (initramfs-tools in the root)"
  # shellcheck disable=SC2016 # expanded by the inner shell
  in_rootfs "$ROOTFS" sh -ec 'depmod "$1" && mkinitramfs -o "/boot/initrd.img-$1" "$1"' \
    lab "$release" >"$LAB/initramfs-$suite.log" 2>&1 ||
    { tail -n 20 "$LAB/initramfs-$suite.log" >&2; die 1 "$suite: mkinitramfs failed"; }
  mv "$ROOTFS/boot/initrd.img-$release" "$dir.new/initrd.img"
  echo "$pkg" >"$dir.new/package"
  echo "$release" >"$dir.new/release"
  rm -rf "$dir" "$tmp"
  mv "$dir.new" "$dir"
  say "$suite: kernel $release ready ($pkg)"
}

# --- the machine ---------------------------------------------------------------------------------

# The PID of the kernel's qemu, if it runs.
running_pid() { qemu_pid "$(run_dir "$1")/qemu.pid" "$NAME-$1"; }

# Starts qemu for KERNEL under ACCEL (kvm or tcg), daemonized; its console goes to the run dir.
start_machine() {
  local suite=$1 accel=$2 run dir cpu port
  run=$(run_dir "$suite")
  dir=$(kernel_dir "$suite")
  port=$(kernel_port "$suite")
  rm -rf "$run"
  mkdir -p "$run"
  case $accel in
    kvm) cpu=host ;;
    tcg) cpu=max ;;
  esac
  echo "$accel" >"$run/accel"
  machine_args "$port" "$run/console.log" "$run/qemu.pid"
  say "$suite: booting qemu-system-x86_64 (-accel $accel -cpu $cpu -smp 2, linux $(cat "$dir/release"))"
  # Not niced (builds are): under TCG every container start is guest CPU, and at nice 10 on a
  # busy host the machine got a tenth of a core and a default run took over half an hour.
  qemu-system-x86_64 -name "$NAME-$suite" \
    -M q35 -cpu "$cpu" -smp 2 -m "$MEM" -accel "$accel" \
    -kernel "$dir/vmlinuz" -initrd "$dir/initrd.img" \
    -append "console=ttyS0 root=/dev/vda rootfstype=ext4 rw init=/sbin/$NAME-init panic=1 $APPEND" \
    "${MACHINE_ARGS[@]}" >"$run/qemu.log" 2>&1 9>&- || {
    tail -n 5 "$run/qemu.log" >&2
    say "$suite: qemu-system-x86_64 failed to start under $accel"
    return 1
  }
}

stop_machine() {
  local suite=$1 pid
  if pid=$(running_pid "$suite"); then stop_qemu "$pid"; fi
}

# KVM gets KVM_DEADLINE seconds to show the kernel's first console line ("Linux version").
kvm_boots() {
  local suite=$1 started=$SECONDS console
  console=$(run_dir "$suite")/console.log
  while [ $((SECONDS - started)) -lt "$KVM_DEADLINE" ]; do
    grep -q 'Linux version' "$console" 2>/dev/null && return 0
    running_pid "$suite" >/dev/null || return 1
    sleep 1
  done
  return 1
}

boot() {
  local suite=$1
  case $ACCEL in
    auto)
      if [ -w /dev/kvm ]; then
        if start_machine "$suite" kvm; then
          if kvm_boots "$suite"; then return 0; fi
          say "$suite: KVM showed no kernel output within $KVM_DEADLINE s: stopping it, falling back to TCG"
          stop_machine "$suite"
        else
          say "$suite: falling back to TCG"
        fi
      else
        say "$suite: no writable /dev/kvm: TCG"
      fi
      start_machine "$suite" tcg || die 1 "$suite: qemu-system-x86_64 failed to start"
      ;;
    kvm | tcg)
      start_machine "$suite" "$ACCEL" || die 1 "$suite: qemu-system-x86_64 failed to start"
      ;;
    *) die 2 "SECCOMP_HARNESS_LAB_KERNELS_ACCEL must be auto, kvm or tcg (not '$ACCEL')" ;;
  esac
}

wait_engine() {
  local suite=$1 run
  run=$(run_dir "$suite")
  wait_engine_on "$(kernel_port "$suite")" "$run/console.log" "$run/qemu.pid" "$NAME-$suite" \
    "$suite: " "$0 down $suite"
}

cmd_up() {
  local suite=$1 started=$SECONDS pid
  kernel_port "$suite" >/dev/null
  need_root
  need_host_tools qemu-system-x86_64
  lock
  if pid=$(running_pid "$suite"); then
    say "$suite: already up (qemu PID $pid, $(cat "$(run_dir "$suite")/accel"))"
    wait_engine "$suite"
    docker_host "$suite"
    return 0
  fi
  if port_taken "$(kernel_port "$suite")"; then
    die 1 "port $(kernel_port "$suite") on 127.0.0.1 is taken by something else"
  fi
  ensure_rootfs
  local k
  for k in "${DISK_KERNELS[@]}"; do ensure_kernel "$k"; done
  ensure_kernel "$suite"
  ensure_disk
  boot "$suite"
  wait_engine "$suite"
  say "$suite: up in $((SECONDS - started)) s under $(cat "$(run_dir "$suite")/accel"): DOCKER_HOST=$(docker_host "$suite")"
  docker_host "$suite"
}

cmd_build() {
  local started=$SECONDS k
  need_root
  lock
  ensure_rootfs
  for k in "${DISK_KERNELS[@]}"; do ensure_kernel "$k"; done
  ensure_disk
  say "built in $((SECONDS - started)) s (root file system, kernels ${DISK_KERNELS[*]}, disk)"
}

cmd_down() {
  local suite=$1
  kernel_port "$suite" >/dev/null
  need_root
  lock
  if running_pid "$suite" >/dev/null; then
    say "$suite: stopping qemu (PID $(running_pid "$suite"))"
    stop_machine "$suite"
    if port_taken "$(kernel_port "$suite")"; then die 1 "port $(kernel_port "$suite") still answers after the machine stopped"; fi
  fi
  rm -rf "$(run_dir "$suite")"
  rmdir "$LAB/run" 2>/dev/null || true
  say "$suite: down"
}

cmd_status() {
  local suite=$1 pid
  if pid=$(running_pid "$suite"); then
    if engine_answers "$(kernel_port "$suite")"; then
      echo "$suite: up: DOCKER_HOST=$(docker_host "$suite") (qemu PID $pid, $(cat "$(run_dir "$suite")/accel"))"
      engine_versions "$(kernel_port "$suite")" "  "
    else
      echo "$suite: booting: DOCKER_HOST=$(docker_host "$suite") (qemu PID $pid, $(cat "$(run_dir "$suite")/accel"); the engine does not answer yet)"
    fi
  else
    echo "$suite: down"
  fi
}

cmd_list() {
  local suite release
  for suite in "${KERNELS[@]}"; do
    release=$(cat "$(kernel_dir "$suite")/release" 2>/dev/null || echo "not fetched yet")
    echo "$suite $release"
  done
}

each() {
  local cmd=$1 target=${2:-all} suite
  if [ "$target" = all ]; then
    for suite in "${KERNELS[@]}"; do "$cmd" "$suite"; done
  else
    "$cmd" "$target"
  fi
}

case ${1:-} in
  up) [ $# = 2 ] || usage; cmd_up "$2" ;;
  build) [ $# = 1 ] || usage; cmd_build ;;
  down) [ $# = 2 ] || usage; each cmd_down "$2" ;;
  status) each cmd_status "${2:-all}" ;;
  host) [ $# = 2 ] || usage; docker_host "$2" ;;
  list) cmd_list ;;
  host-packages) echo "$HOST_PACKAGES" ;;
  -h | --help) usage 0 ;;
  *) usage ;;
esac
