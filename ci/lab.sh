#!/usr/bin/env bash
# The engine lab: container engines from Debian's archive, stood up BESIDE the host's own engine,
# each on its own unix socket, so the harness can be run against several Docker/runc/crun/Podman
# versions on one machine. The host's engine and the host's apt sources are never touched.
#
#   ci/lab.sh up NAME|all     start an engine (building its root file system first if needed);
#                             the last line on stdout is its DOCKER_HOST, progress goes to stderr
#   ci/lab.sh down NAME|all   remove the engine's containers, end its processes, check that no
#                             process, mount or cgroup of it is left
#   ci/lab.sh status          each engine: up/down, socket, versions
#   ci/lab.sh host NAME       the engine's DOCKER_HOST (whether it is up or not); for a containerd
#                             engine its CRI endpoint for `run --cri`
#                             (unix://…/containerd.sock?runtime-version=<runc's>)
#   ci/lab.sh list            the engine names
#   ci/lab.sh ctr NAME ARGS…  containerd's own ctr (the engine's release) against a containerd
#                             engine, e.g. `ci/lab.sh ctr sid-containerd -n k8s.io images ls`
#   ci/lab.sh host-packages   the host's Debian packages this script needs (.ci/run installs them)
#
# Engines (NAME): trixie-runc (Docker 26.1 / containerd 1.7 / runc 1.1), sid-runc (Docker 28.5 /
# containerd 2.1 / runc 1.3), sid-crun (the sid engine with crun as its default runtime, runc
# still registered), podman (Podman 5.8's Docker-compatible API, `podman system service`),
# sid-gvisor (the sid Docker engine with gVisor's runsc registered beside runc: `runsc` as a default
# install runs it, `runsc-oci` with --oci-seccomp, and bookworm's older runsc as `runsc-bookworm`
# and `runsc-bookworm-oci`, and sid's as `runsc-flag-override` with --allow-flag-override, so that
# the per-container annotation dev.gvisor.flag.oci-seccomp can turn OCI seccomp on; every runsc
# runtime gets --network=none, without which runsc refuses to
# start in the host's network namespace: "cannot run with network enabled in root network
# namespace"). sid-gvisor has a root file system of its own (sid's packages plus runsc, and
# bookworm's runsc binary beside it), so it comes up and down without touching the other engines.
# trixie-containerd (containerd 1.7 / runc 1.1 with its CRI plugin, no Docker) and sid-containerd
# (containerd 2.1 / runc 1.3 with its CRI plugin, no Docker): a Kubernetes node's runtime without
# the kubelet, for `seccomp-harness run --cri`. Docker's own containerd disables CRI and is never
# touched: these are separate daemons with their own root, state dir and socket.
#
# How an engine runs: debootstrap --variant=minbase builds one root file system per suite
# (trixie, sid), apt installs the engine packages into it. Each engine runs in its own mount
# namespace (unshare -m), pivot_root'ed into that root with a fresh /proc, /sys, /dev and /run,
# its own data dir and its own socket dir, which is a plain host directory bound in, so the host
# reaches the socket without any mount on the host side. Not a plain chroot: under chroot the
# kernel refuses unshare(CLONE_NEWUSER) with EPERM even unconfined, which would skew every
# baseline of the harness. Storage is vfs, there is no bridge and no iptables or ip_forward
# change, the cgroup driver is cgroupfs with a cgroup parent of the engine's own.
#
# Exit codes: 0 done; 1 the engine failed (its log is printed); 2 bad usage; 3 a host tool is
# missing or not root; 75 Debian's archive can't be reached (a build needs it): CI can say so and
# go on with the host's engine.
#
# Environment:
#   SECCOMP_HARNESS_LAB_DIR     state and downloads, reused by later runs
#                               (default /var/cache/seccomp-harness/lab)
#   SECCOMP_HARNESS_LAB_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
#   SECCOMP_HARNESS_LAB_REFRESH=1  run apt-get update even when package lists are cached
#   SECCOMP_HARNESS_LAB_LOCK_WAIT  seconds a command waits for another one's lock on the same
#                               engine or root file system (default 3600, ci/lock.sh)
set -euo pipefail

LAB=${SECCOMP_HARNESS_LAB_DIR:-/var/cache/seccomp-harness/lab}
MIRROR=${SECCOMP_HARNESS_LAB_MIRROR:-http://deb.debian.org/debian}
EX_UNREACHABLE=75
# The host's own Debian packages this script runs (unshare, pivot_root, mount: util-linux;
# zstd compresses the root file system tarballs when it is there).
HOST_PACKAGES="util-linux curl debootstrap zstd"
ENGINES=(trixie-runc sid-runc sid-crun podman sid-gvisor trixie-containerd sid-containerd)
READY=.seccomp-harness-lab-ready
# The cgroup under which each engine's daemon and containers are kept (per hierarchy).
CGROUP_TOP=seccomp-harness-lab
SELF=$(readlink -f "$0")

say() { printf 'lab: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'lab: %s\n' "$*" >&2; exit "$code"; }
# The engines' and root file systems' locks, with a deadline.
# shellcheck source=ci/lock.sh
. "$(dirname "$SELF")/lock.sh"

# --- the engines ---------------------------------------------------------------------------------

# The root file system an engine runs in (named after its Debian suite, or its own).
engine_suite() {
  case $1 in
    trixie-runc | trixie-containerd) echo trixie ;;
    sid-runc | sid-crun | podman | sid-containerd) echo sid ;;
    sid-gvisor) echo sid-gvisor ;;
    *) die 2 "unknown engine '$1' (one of: ${ENGINES[*]}, all)" ;;
  esac
}

# The Debian suite a root file system is built from; its downloads (base tarball, .debs, package
# lists) are shared with that suite's root, its snapshot and logs are its own.
root_suite() {
  case $1 in
    sid-gvisor) echo sid ;;
    *) echo "$1" ;;
  esac
}

# The packages each root file system gets (apt, no recommends).
suite_packages() {
  case $1 in
    trixie) echo "docker.io containerd runc tini mount" ;;
    sid) echo "docker.io containerd runc tini crun podman conmon mount" ;;
    sid-gvisor) echo "docker.io containerd runc tini mount runsc +bookworm:runsc" ;;
  esac
}

# Where the older runsc from bookworm is kept inside the sid-gvisor root (a static Go binary).
RUNSC_BOOKWORM=/usr/local/sbin/runsc-bookworm

engine_dir() { echo "$LAB/engines/$1"; }
# The containerd engines: a CRI endpoint, not a Docker API.
engine_is_cri() { case $1 in *-containerd) return 0 ;; *) return 1 ;; esac }
engine_socket() {
  case $1 in
    podman) echo "$(engine_dir "$1")/sock/podman.sock" ;;
    *-containerd) echo "$(engine_dir "$1")/sock/containerd.sock" ;;
    *) echo "$(engine_dir "$1")/sock/docker.sock" ;;
  esac
}
# A containerd engine's endpoint carries its runc version, which the CRI does not tell
# (`seccomp-harness run --cri` reads it from the query).
engine_host() {
  if engine_is_cri "$1"; then
    echo "unix://$(engine_socket "$1")?runtime-version=$(pkg_version "$(engine_suite "$1")" runc)"
  else
    echo "unix://$(engine_socket "$1")"
  fi
}

# crun 1.28 refuses a hybrid cgroup layout ("cgroups in hybrid mode not supported"): the engines
# whose runtime is crun see no cgroup2 mount at /sys/fs/cgroup/unified in their namespace.
engine_hides_unified() { [ "$1" = sid-crun ] || [ "$1" = podman ]; }

# --- host checks ---------------------------------------------------------------------------------

need_host_tools() {
  [ "$(id -u)" = 0 ] || die 3 "must run as root (namespaces, mounts, cgroups)"
  local tool missing=()
  for tool in unshare pivot_root setsid flock curl mount umount chroot "$@"; do
    command -v "$tool" >/dev/null || missing+=("$tool")
  done
  [ "${#missing[@]}" = 0 ] ||
    die 3 "missing host tool(s): ${missing[*]} (apt-get install $HOST_PACKAGES)"
}

archive_reachable() {
  curl -fsS --max-time 20 -o /dev/null "$MIRROR/dists/$1/Release" 2>/dev/null
}

need_archive() {
  archive_reachable "$1" ||
    die "$EX_UNREACHABLE" "Debian's archive can't be reached ($MIRROR/dists/$1/Release): the $1 engines can't be built; go on with the host's engine"
}

# --- root file systems ---------------------------------------------------------------------------

# Runs a command chrooted into a root file system that is being built (apt, dpkg), inside a
# private mount namespace, so its /proc, /dev and cache mounts vanish with it.
in_build_root() {
  local root=$1 suite=$2; shift 2
  # shellcheck disable=SC2016 # expanded by the inner shell
  nice -n 10 unshare -m --propagation private -- bash -euc '
    root=$1 cache=$2; shift 2
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/run"
    mount --bind "$cache/archives" "$root/var/cache/apt/archives"
    mount --bind "$cache/lists" "$root/var/lib/apt/lists"
    exec chroot "$root" "$@"
  ' lab-build "$root" "$LAB/cache/$suite" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"
}

# Builds SUITE's root file system in DIR: debootstrap's base system (from the tarball of its
# packages kept in the cache), then the engine packages by apt (.debs and lists kept in the cache).
build_rootfs() {
  local name=$1 tmp=$2 suite cache tarball pkgs logs="$LAB/cache/$1"
  suite=$(root_suite "$name")
  cache="$LAB/cache/$suite" tarball="$LAB/cache/$suite/base.tgz"
  pkgs=$(suite_packages "$name")
  pkgs=${pkgs/+bookworm:runsc/}
  need_host_tools debootstrap
  if [ ! -s "$tarball" ]; then
    need_archive "$suite"
    say "$suite: downloading the base system (debootstrap --make-tarball)"
    rm -rf --one-file-system "$cache/base-work"
    nice -n 10 debootstrap --variant=minbase --make-tarball="$tarball.part" \
      "$suite" "$cache/base-work" "$MIRROR" >"$logs/debootstrap.log" 2>&1 ||
      { tail -n 20 "$logs/debootstrap.log" >&2; die 1 "$suite: debootstrap --make-tarball failed"; }
    rm -rf --one-file-system "$cache/base-work"
    mv "$tarball.part" "$tarball"
  fi
  say "$suite: unpacking the base system (debootstrap --unpack-tarball)"
  nice -n 10 debootstrap --variant=minbase --unpack-tarball="$tarball" \
    "$suite" "$tmp" "$MIRROR" >"$logs/debootstrap.log" 2>&1 ||
    { tail -n 20 "$logs/debootstrap.log" >&2; die 1 "$suite: debootstrap failed"; }

  # apt inside: no recommends; sid's metadata may be past its Valid-Until (a frozen mirror).
  {
    echo 'APT::Install-Recommends "false";'
    echo 'Acquire::Retries "3";'
    if [ "$suite" = sid ]; then echo 'Acquire::Check-Valid-Until "false";'; fi
  } >"$tmp/etc/apt/apt.conf.d/90seccomp-harness-lab"
  # No service is ever started by a package's maintainer script.
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
  chmod +x "$tmp/usr/sbin/policy-rc.d"
  cp /etc/resolv.conf "$tmp/etc/resolv.conf" 2>/dev/null || true

  if [ "${SECCOMP_HARNESS_LAB_REFRESH:-0}" = 1 ] || ! compgen -G "$cache/lists/*_Packages*" >/dev/null; then
    need_archive "$suite"
    say "$suite: apt-get update"
    in_build_root "$tmp" "$suite" apt-get -q update >"$logs/apt.log" 2>&1 ||
      { tail -n 20 "$logs/apt.log" >&2; die 1 "$suite: apt-get update failed"; }
  fi
  say "$suite: installing $pkgs"
  # shellcheck disable=SC2086 # the package list is split on purpose
  if ! in_build_root "$tmp" "$suite" apt-get -q -y install $pkgs >>"$logs/apt.log" 2>&1; then
    tail -n 20 "$logs/apt.log" >&2
    archive_reachable "$suite" || need_archive "$suite"
    die 1 "$suite: apt-get install failed (log: $logs/apt.log)"
  fi
  if [ "$name" = sid-gvisor ]; then fetch_bookworm_runsc "$tmp" "$logs/apt.log"; fi
  # What apt keeps besides the cache: not needed to run an engine.
  rm -rf "${tmp:?}"/var/lib/apt/lists/* "$tmp"/var/cache/apt/*.bin "$tmp"/var/cache/apt/archives/*.deb
}

# Puts bookworm's runsc (0.0~20221219) into the root at $RUNSC_BOOKWORM: apt inside the root,
# with bookworm as its only source and its own lists and .debs under $LAB/cache/bookworm, downloads
# the package, dpkg-deb unpacks its binary. Nothing of bookworm is installed: runsc is one static
# Go binary and the Docker engine around it stays sid's.
fetch_bookworm_runsc() {
  local tmp=$1 log=$2 cache="$LAB/cache/bookworm"
  mkdir -p "$cache/archives/partial" "$cache/lists/partial" "$tmp/etc/apt/bookworm/none"
  echo "deb $MIRROR bookworm main" >"$tmp/etc/apt/bookworm/sources.list"
  local apt=(apt-get -q -o Dir::Etc::SourceList=/etc/apt/bookworm/sources.list
    -o Dir::Etc::SourceParts=/etc/apt/bookworm/none -o Dir::Cache::pkgcache=
    -o Dir::Cache::srcpkgcache= -o Dir::Etc::Preferences=/etc/apt/bookworm/none
    -o Dir::Etc::PreferencesParts=/etc/apt/bookworm/none)
  say "sid-gvisor: downloading bookworm's runsc"
  if [ "${SECCOMP_HARNESS_LAB_REFRESH:-0}" = 1 ] || ! compgen -G "$cache/lists/*bookworm*_Packages*" >/dev/null; then
    need_archive bookworm
    in_build_root "$tmp" bookworm "${apt[@]}" update >>"$log" 2>&1 ||
      { tail -n 20 "$log" >&2; die 1 "bookworm: apt-get update failed (log: $log)"; }
  fi
  # shellcheck disable=SC2016 # expanded by the inner shell
  in_build_root "$tmp" bookworm bash -euc '
    cd /var/cache/apt/archives
    ls runsc_*.deb >/dev/null 2>&1 || "$@" download runsc/bookworm
    deb=$(ls runsc_*.deb | tail -n 1)
    rm -rf /tmp/runsc-bookworm
    dpkg-deb -x "$deb" /tmp/runsc-bookworm
    install -m 755 /tmp/runsc-bookworm/usr/bin/runsc "$0"
    dpkg-deb -f "$deb" Version >"$0.version"
    rm -rf /tmp/runsc-bookworm
  ' "$RUNSC_BOOKWORM" "${apt[@]}" >>"$log" 2>&1 ||
    { tail -n 20 "$log" >&2; die 1 "bookworm: could not download or unpack runsc (log: $log)"; }
  rm -rf "$tmp/etc/apt/bookworm"
}

# Makes sure $LAB/rootfs/SUITE holds the suite's engine packages. $LAB/cache/SUITE keeps the
# downloads (debootstrap's base tarball, apt's .debs and package lists) and a snapshot of the
# finished root file system, keyed on the package list: a rebuild needs no network and, from the
# snapshot, no dpkg run (SECCOMP_HARNESS_LAB_REFRESH=1 builds afresh with fresh lists).
ensure_rootfs() {
  local suite=$1 root="$LAB/rootfs/$1" cache="$LAB/cache/$1" pkgs
  pkgs=$(suite_packages "$suite")
  mkdir -p "$LAB/rootfs" "$cache" "$LAB/cache/$(root_suite "$suite")/archives/partial" \
    "$LAB/cache/$(root_suite "$suite")/lists/partial"
  exec 8>"$LAB/rootfs/.$suite.lock"
  lock_fd 8 "$LAB/rootfs/.$suite.lock"
  if [ -f "$root/$READY" ] && [ "$(cat "$root/$READY")" = "$pkgs" ]; then
    exec 8>&-
    return 0
  fi
  if [ -e "$root" ]; then
    local name
    for name in "${ENGINES[@]}"; do
      if [ "$(engine_suite "$name")" = "$suite" ] && engine_running "$name"; then
        die 1 "$root is out of date but $name runs in it: ci/lab.sh down $name first"
      fi
    done
    say "$suite: removing the out-of-date root file system"
    rm -rf --one-file-system "$root"
  fi

  local started=$SECONDS tmp="$root.tmp" snapshot zip=(gzip -1) unzip=(gzip -dc) ext=gz
  if command -v zstd >/dev/null; then zip=(zstd -q -T0 -3); unzip=(zstd -q -dc); ext=zst; fi
  snapshot="$cache/rootfs-$(cksum <<<"$pkgs" | cut -d' ' -f1).tar.$ext"
  rm -rf --one-file-system "$tmp"
  if [ "${SECCOMP_HARNESS_LAB_REFRESH:-0}" != 1 ] && [ -s "$snapshot" ]; then
    say "$suite: unpacking the root file system from $snapshot"
    mkdir -p "$tmp"
    "${unzip[@]}" "$snapshot" | tar -x --numeric-owner --xattrs --xattrs-include='*' -p -f - -C "$tmp" ||
      die 1 "$suite: could not unpack $snapshot (remove it to build afresh)"
  else
    build_rootfs "$suite" "$tmp"
    say "$suite: keeping a snapshot of the root file system ($snapshot)"
    rm -f "$cache"/rootfs-*.tar.*
    tar -c --numeric-owner --xattrs --xattrs-include='*' -f - -C "$tmp" . |
      nice -n 10 "${zip[@]}" >"$snapshot.part"
    mv "$snapshot.part" "$snapshot"
  fi
  echo "$pkgs" >"$tmp/$READY"
  mv "$tmp" "$root"
  say "$suite: root file system ready in $((SECONDS - started))s"
  exec 8>&-
}

# --- cgroups: where an engine's processes are, so that down can end every one by its PID ------

# The cgroup v1 hierarchies (or the v2 root) under which the lab keeps its cgroups.
cgroup_roots() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    echo /sys/fs/cgroup
  else
    local dir
    for dir in /sys/fs/cgroup/*/; do
      if [ -f "$dir/cgroup.procs" ]; then echo "${dir%/}"; fi
    done
  fi
}

# The hierarchy that tracks the daemon's processes: pids on v1, the root on v2.
tracking_cgroup() {
  local base
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then base=/sys/fs/cgroup
  elif [ -d /sys/fs/cgroup/pids ]; then base=/sys/fs/cgroup/pids
  else return 1
  fi
  echo "$base/$CGROUP_TOP/$1/daemon"
}

# Every PID of the engine: the processes of its cgroups (daemon and containers, all hierarchies)
# and those in the mount namespace recorded when it started.
engine_pids() {
  local name=$1 dir="$LAB/engines/$1" root cg ns pid
  {
    while read -r root; do
      while read -r cg; do
        [ -d "$root/$cg" ] || continue
        find "$root/$cg" -name cgroup.procs -exec cat {} + 2>/dev/null || true
      done < <(engine_cgroups "$name")
    done < <(cgroup_roots)
    if [ -s "$dir/mntns" ]; then
      ns=$(cat "$dir/mntns")
      for pid in /proc/[0-9]*; do
        if [ "$(readlink "$pid/ns/mnt" 2>/dev/null)" = "$ns" ]; then echo "${pid#/proc/}"; fi
      done
    fi
  } | sort -un
}

# The cgroups an engine owns, below each hierarchy's root. Podman (cgroupfs) keeps conmon and its
# containers under /libpod_parent, which containers.conf cannot move; the host runs no Podman.
engine_cgroups() {
  echo "$CGROUP_TOP/$1"
  [ "$1" != podman ] || echo libpod_parent
}

remove_cgroups() {
  local root cg
  while read -r root; do
    while read -r cg; do
      [ -d "$root/$cg" ] || continue
      find "$root/$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done < <(engine_cgroups "$1")
    rmdir "$root/$CGROUP_TOP" 2>/dev/null || true
  done < <(cgroup_roots)
}

# --- the engine's API ----------------------------------------------------------------------------

# The suite's own ctr (a host-runnable binary of the engine's release) against a containerd
# engine's socket, with a deadline: the containerd engines' liveness and `ci/lab.sh ctr`.
lab_ctr() { # NAME ARGS...
  local name=$1; shift
  timeout 120 "$LAB/rootfs/$(engine_suite "$name")/usr/bin/ctr" \
    --address "$(engine_socket "$name")" --timeout 30s "$@"
}

# The engine answers: Docker's /_ping, or containerd's version service.
ping_engine() {
  if engine_is_cri "$1"; then
    lab_ctr "$1" version >/dev/null 2>&1
  else
    api "$1" /_ping >/dev/null 2>&1
  fi
}

api() { # PATH [curl args...]
  local name=$1 path=$2; shift 2
  curl -fsS --max-time 30 --unix-socket "$(engine_socket "$name")" "$@" "http://lab$path"
}

engine_running() {
  local dir="$LAB/engines/$1" pid
  [ -s "$dir/daemon.pid" ] || return 1
  pid=$(cat "$dir/daemon.pid")
  [ -d "/proc/$pid" ] && [ -s "$dir/mntns" ] &&
    [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" = "$(cat "$dir/mntns")" ] &&
    ping_engine "$1"
}

# --- inside the engine's mount namespace ---------------------------------------------------------

# Runs as the engine's first process in its new mount namespace: builds the root (bind of the
# suite's root file system, fresh /proc, /sys, /dev, /run, the engine's own dir at /lab),
# pivot_roots into it and execs the daemon, keeping the PID.
enter_engine() {
  local name=$1 root dir="$LAB/engines/$1"
  root="$LAB/rootfs/$(engine_suite "$1")"
  mount --bind "$root" "$root"
  mount -t proc proc "$root/proc"
  mount -t sysfs sysfs "$root/sys"
  mount --rbind /sys/fs/cgroup "$root/sys/fs/cgroup"
  if engine_hides_unified "$name" && mountpoint -q "$root/sys/fs/cgroup/unified"; then
    umount "$root/sys/fs/cgroup/unified"
  fi
  mount -t tmpfs -o mode=755,nosuid dev "$root/dev"
  local node
  for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r n major minor <<<"$node"
    mknod -m 666 "$root/dev/$n" c "$major" "$minor"
  done
  mkdir -p "$root/dev/pts" "$root/dev/shm" "$root/dev/mqueue"
  mount -t devpts -o newinstance,ptmxmode=0666,mode=620 devpts "$root/dev/pts"
  ln -s pts/ptmx "$root/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$root/dev/shm"
  mount -t mqueue mqueue "$root/dev/mqueue"
  ln -s /proc/self/fd "$root/dev/fd"
  ln -s /proc/self/fd/0 "$root/dev/stdin"
  ln -s /proc/self/fd/1 "$root/dev/stdout"
  ln -s /proc/self/fd/2 "$root/dev/stderr"
  mount -t tmpfs -o mode=755 run "$root/run"
  mount -t tmpfs -o mode=1777 tmp "$root/tmp"
  mkdir -p "$root/lab"
  mount --bind "$dir" "$root/lab"
  mkdir -p "$root/.lab-oldroot"
  cd "$root"
  pivot_root . .lab-oldroot
  cd /
  umount -l /.lab-oldroot
  export PATH=/usr/sbin:/usr/bin:/sbin:/bin
  case $name in
    podman)
      exec env -i PATH="$PATH" HOME=/root LC_ALL=C \
        CONTAINERS_CONF_OVERRIDE=/lab/etc/containers.conf \
        CONTAINERS_STORAGE_CONF=/lab/etc/storage.conf \
        podman --log-level=info system service --time=0 unix:///lab/sock/podman.sock
      ;;
    *-containerd)
      exec env -i PATH="$PATH" HOME=/root LC_ALL=C \
        containerd --config /lab/etc/containerd.toml
      ;;
    *)
      exec env -i PATH="$PATH" HOME=/root LC_ALL=C \
        dockerd --config-file /lab/etc/daemon.json
      ;;
  esac
}

# containerd's CRI plugin, as the lab needs it (each setting measured here, see issue 21):
# - cni.conf_dir writable (/lab/cni): the plugin fails to load on "mkdir /etc/cni: read-only
#   file system" otherwise; no CNI runs, pods use the host network.
# - restrict_oom_score_adj: root here lacks CAP_SYS_RESOURCE, so the pause container's
#   oom_score_adj of -998 is refused and RunPodSandbox fails ("can't get final child's PID from
#   pipe: EOF", the cause visible only with runc --debug).
# - the native snapshotter (plain copies, like Docker's vfs in the other engines), also for the
#   transfer service's unpack (2.x ctr imports through it).
# - the sandbox image is the harness's FROM-scratch pause image, which it imports offline.
# Config v2 for 1.7, v3 for 2.x (the CRI plugin split into images/runtime plugins).
CRI_SANDBOX_IMAGE=localhost/seccomp-harness/pause:1
containerd_config() {
  local name=$1
  case $name in
    trixie-containerd)
      cat <<EOF
version = 2
root = "/lab/data"
state = "/run/containerd"
[grpc]
  address = "/lab/sock/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$CRI_SANDBOX_IMAGE"
  restrict_oom_score_adj = true
  enable_cdi = false
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "native"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/lab/cni/bin"
    conf_dir = "/lab/cni/net.d"
EOF
      ;;
    sid-containerd)
      cat <<EOF
version = 3
root = "/lab/data"
state = "/run/containerd"
[grpc]
  address = "/lab/sock/containerd.sock"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "native"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "$CRI_SANDBOX_IMAGE"
[plugins."io.containerd.cri.v1.runtime"]
  restrict_oom_score_adj = true
  enable_cdi = false
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/lab/cni/bin"]
    conf_dir = "/lab/cni/net.d"
[[plugins."io.containerd.transfer.v1.local".unpack_config]]
  platform = "linux/$(dpkg --print-architecture)"
  snapshotter = "native"
EOF
      ;;
  esac
}

write_config() {
  local name=$1 dir="$LAB/engines/$1"
  mkdir -p "$dir/etc" "$dir/data" "$dir/sock"
  case $name in
    *-containerd)
      mkdir -p "$dir/cni/net.d" "$dir/cni/bin"
      containerd_config "$name" >"$dir/etc/containerd.toml"
      ;;
    podman)
      cat >"$dir/etc/containers.conf" <<'EOF'
[containers]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "/lab/data/events.log"
runtime = "crun"
EOF
      cat >"$dir/etc/storage.conf" <<'EOF'
[storage]
driver = "vfs"
graphroot = "/lab/data/storage"
runroot = "/run/containers/storage"
EOF
      ;;
    *)
      local runtimes=''
      [ "$name" = sid-crun ] &&
        runtimes='"default-runtime": "crun", "runtimes": { "crun": { "path": "/usr/bin/crun" } },'
      # runsc twice per version: as a default install runs it (the OCI profile ignored), and with
      # --oci-seccomp (the profile applied, with gVisor's semantics). runc stays the default.
      [ "$name" = sid-gvisor ] && runtimes="\"runtimes\": {
    \"runsc\": { \"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=none\"] },
    \"runsc-oci\": { \"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=none\", \"--oci-seccomp\"] },
    \"runsc-bookworm\": { \"path\": \"$RUNSC_BOOKWORM\", \"runtimeArgs\": [\"--network=none\"] },
    \"runsc-bookworm-oci\": { \"path\": \"$RUNSC_BOOKWORM\", \"runtimeArgs\": [\"--network=none\", \"--oci-seccomp\"] },
    \"runsc-flag-override\": { \"path\": \"/usr/bin/runsc\", \"runtimeArgs\": [\"--network=none\", \"--allow-flag-override\"] }
  },"
      cat >"$dir/etc/daemon.json" <<EOF
{
  "hosts": ["unix:///lab/sock/docker.sock"],
  "data-root": "/lab/data",
  "exec-root": "/run/docker",
  "pidfile": "/run/docker.pid",
  "storage-driver": "vfs",
  "bridge": "none",
  "iptables": false,
  "ip6tables": false,
  "ip-forward": false,
  "ip-masq": false,
  "userland-proxy": false,
  "exec-opts": ["native.cgroupdriver=cgroupfs"],
  "cgroup-parent": "/$CGROUP_TOP/$name/containers",
  "features": { "containerd-snapshotter": false },
  $runtimes
  "live-restore": false
}
EOF
      ;;
  esac
}

# --- up / down / status --------------------------------------------------------------------------

up() {
  local name=$1 started=$SECONDS dir="$LAB/engines/$1" suite
  suite=$(engine_suite "$name")
  need_host_tools
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  lock_fd 9 "$dir/.lock"
  if engine_running "$name"; then
    say "$name: already up"
    engine_host "$name"
    return 0
  fi
  stop_engine "$name" quiet
  ensure_rootfs "$suite"
  write_config "$name"
  rm -f "$(engine_socket "$name")"

  local cg='' pid
  if cg=$(tracking_cgroup "$name"); then mkdir -p "$cg"; else cg=''; fi
  say "$name: starting (log: $dir/daemon.log)"
  # The daemon keeps this PID: setsid (no fork: not a group leader) → unshare (no --fork) →
  # bash enter_engine → exec dockerd/podman. It must not inherit the lock (fd 9).
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid bash -c '
    [ -z "$1" ] || echo "$$" >"$1/cgroup.procs"
    shift
    exec unshare -m --propagation private -- "$@"
  ' lab-start "$cg" bash "$SELF" __enter "$name" </dev/null >>"$dir/daemon.log" 2>&1 9>&- &
  pid=$!
  echo "$pid" >"$dir/daemon.pid"
  local i
  for ((i = 0; i < 120; i++)); do
    if [ ! -d "/proc/$pid" ]; then
      tail -n 30 "$dir/daemon.log" >&2
      stop_engine "$name" quiet
      die 1 "$name: the daemon exited while starting (log: $dir/daemon.log)"
    fi
    if ping_engine "$name"; then
      # By now $pid is the daemon itself, in its own mount namespace.
      readlink "/proc/$pid/ns/mnt" >"$dir/mntns"
      break
    fi
    sleep 0.5
  done
  if ! engine_running "$name"; then
    tail -n 30 "$dir/daemon.log" >&2
    stop_engine "$name" quiet
    die 1 "$name: no answer on $(engine_socket "$name") after 60s (log: $dir/daemon.log)"
  fi
  say "$name: up in $((SECONDS - started))s: $(versions_line "$name")"
  engine_host "$name"
}

# Removes the engine's containers through its API, ends the daemon (TERM, then KILL for whatever
# is left of its processes), removes its cgroups and socket, and checks that nothing is left.
stop_engine() {
  local name=$1 quiet=${2:-} dir="$LAB/engines/$1" id ids pids pid i root cg
  if engine_is_cri "$name" && ping_engine "$name"; then
    # Pods and containers a run left (a killed harness): removed from containerd's store; their
    # processes and mounts end with the namespace below in any case.
    local ns=k8s.io
    ids=$(lab_ctr "$name" -n "$ns" tasks list -q 2>/dev/null || true)
    for id in $ids; do lab_ctr "$name" -n "$ns" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
    ids=$(lab_ctr "$name" -n "$ns" containers list -q 2>/dev/null || true)
    for id in $ids; do
      lab_ctr "$name" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
      lab_ctr "$name" -n "$ns" containers delete "$id" >/dev/null 2>&1 ||
        say "$name: could not remove container $id"
    done
    [ -z "$ids" ] || say "$name: removed $(wc -w <<<"$ids") container(s)"
  elif ! engine_is_cri "$name" && api "$name" /_ping >/dev/null 2>&1; then
    ids=$(api "$name" '/containers/json?all=1' | grep -o '"Id":"[0-9a-f]*"' | cut -d'"' -f4 || true)
    for id in $ids; do
      # Kill first: Podman's forced removal would wait out a stop timeout.
      api "$name" "/containers/$id/kill" -X POST >/dev/null 2>&1 || true
      api "$name" "/containers/$id?force=1&v=1" -X DELETE >/dev/null ||
        say "$name: could not remove container $id"
    done
    [ -z "$ids" ] || say "$name: removed $(wc -w <<<"$ids") container(s)"
  fi
  if [ -s "$dir/daemon.pid" ]; then
    pid=$(cat "$dir/daemon.pid")
    if [ -d "/proc/$pid" ] && engine_pids "$name" | grep -x "$pid" >/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for ((i = 0; i < 40; i++)); do
        [ -d "/proc/$pid" ] || break
        sleep 0.5
      done
    fi
  fi
  for ((i = 0; i < 20; i++)); do
    pids=$(engine_pids "$name")
    [ -n "$pids" ] || break
    # shellcheck disable=SC2086 # one PID per word
    kill -KILL $pids 2>/dev/null || true
    sleep 0.5
  done
  remove_cgroups "$name"
  rm -f "$dir/daemon.pid" "$dir/mntns" "$(engine_socket "$name")"

  # What must be gone: processes, mounts (the namespace's die with its last process; a host
  # mount under the lab would be a leftover), cgroups.
  local left=''
  pids=$(engine_pids "$name")
  [ -z "$pids" ] || left+=" processes: $(tr '\n' ' ' <<<"$pids");"
  # Only this engine's own places: the lab dir also holds other labs' build roots (ci/aarch64),
  # whose mounts while they build are not this engine's leftovers.
  local mine="$dir" suite_root
  suite_root="$LAB/rootfs/$(engine_suite "$name")"
  if awk -v a="$mine" -v b="$suite_root" '$2 == a || index($2, a "/") == 1 || $2 == b || index($2, b "/") == 1 { found = 1 } END { exit !found }' /proc/mounts; then
    left+=" mounts under $mine or $suite_root;"
  fi
  while read -r root; do
    while read -r cg; do
      [ ! -d "$root/$cg" ] || left+=" cgroup $root/$cg;"
    done < <(engine_cgroups "$name")
  done < <(cgroup_roots)
  [ -z "$left" ] || die 1 "$name: left behind:$left"
  [ -n "$quiet" ] || say "$name: down (no process, mount or cgroup left)"
}

down() {
  local name=$1 dir="$LAB/engines/$1"
  engine_suite "$name" >/dev/null
  need_host_tools
  mkdir -p "$dir"
  exec 9>"$dir/.lock"
  lock_fd 9 "$dir/.lock"
  stop_engine "$name"
}

# Versions from the root file system's dpkg database (without a running engine).
pkg_version() {
  dpkg-query --admindir="$LAB/rootfs/$1/var/lib/dpkg" -W -f '${Version}' "$2" 2>/dev/null || echo '-'
}

versions_line() {
  local name=$1 suite
  suite=$(engine_suite "$name")
  case $name in
    podman)
      echo "podman $(pkg_version "$suite" podman), crun $(pkg_version "$suite" crun), conmon $(pkg_version "$suite" conmon), libseccomp $(pkg_version "$suite" libseccomp2)" ;;
    *-containerd)
      echo "containerd $(pkg_version "$suite" containerd) (CRI), runc $(pkg_version "$suite" runc), libseccomp $(pkg_version "$suite" libseccomp2)" ;;
    *)
      local runtime=runc
      [ "$name" = sid-crun ] && runtime="crun $(pkg_version "$suite" crun) (default), runc"
      [ "$name" = sid-gvisor ] &&
        runtime="runsc $(pkg_version "$suite" runsc) (runsc, runsc-oci), runsc $(cat "$LAB/rootfs/$suite$RUNSC_BOOKWORM.version" 2>/dev/null || echo -) (runsc-bookworm, runsc-bookworm-oci), runc"
      echo "docker $(pkg_version "$suite" docker.io), containerd $(pkg_version "$suite" containerd), $runtime $(pkg_version "$suite" runc), libseccomp $(pkg_version "$suite" libseccomp2)" ;;
  esac
}

status() {
  local name api
  for name in "${ENGINES[@]}"; do
    if engine_running "$name"; then
      if engine_is_cri "$name"; then
        api=CRI
      else
        api=$(api "$name" /version | grep -o '"ApiVersion":"[^"]*"' | head -n 1 | cut -d'"' -f4 || true)
      fi
      printf '%-18s up    %s (API %s, pid %s)\n' "$name" "$(engine_host "$name")" "${api:-?}" \
        "$(cat "$(engine_dir "$name")/daemon.pid")"
    else
      printf '%-18s down  %s\n' "$name" "$(engine_host "$name")"
    fi
    if [ -f "$LAB/rootfs/$(engine_suite "$name")/$READY" ]; then
      printf '%-18s       %s\n' '' "$(versions_line "$name")"
    else
      printf '%-18s       (root file system not built)\n' ''
    fi
  done
}

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

each() { # up|down NAME|all
  local verb=$1 target=${2:-}
  [ -n "$target" ] || usage
  if [ "$target" = all ]; then
    # up all: one NAME=DOCKER_HOST line per engine on stdout.
    local name host
    for name in "${ENGINES[@]}"; do
      if [ "$verb" = up ]; then
        host=$(up "$name")
        echo "$name=$host"
      else
        down "$name"
      fi
    done
  else
    engine_suite "$target" >/dev/null
    "$verb" "$target"
  fi
}

case ${1:-} in
  up | down) each "$1" "${2:-}" ;;
  status) status ;;
  host) engine_suite "${2:-?}" >/dev/null; engine_host "$2" ;;
  list) printf '%s\n' "${ENGINES[@]}" ;;
  ctr)
    engine_suite "${2:-?}" >/dev/null
    engine_is_cri "$2" || die 2 "$2 is not a containerd engine"
    name=$2
    shift 2
    lab_ctr "$name" "$@"
    ;;
  host-packages) echo "$HOST_PACKAGES" ;;
  __enter) enter_engine "$2" ;;
  *) usage ;;
esac
