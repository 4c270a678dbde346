#!/usr/bin/env bash
# Cross-builds the static aarch64 probe (probes/probe) on an x86_64 host, for running the harness
# against an aarch64 engine (ci/aarch64/lab.sh) with `--probe PATH`.
#
#   ci/aarch64/build-probe.sh [--out PATH] [--repo DIR]
#   ci/aarch64/build-probe.sh host-packages   the host's Debian packages it needs (.ci/run
#                                             installs them)
#
# The build runs in a Debian sid root file system (debootstrap --variant=minbase) with rustc,
# cargo, sid's arm64 std (libstd-rust-dev:arm64, the same rustc version) and the aarch64 GNU
# cross linker; the repository is bound in read-only, so nothing in it is written. The flags
# are harness/build.rs's: `+crt-static`, so the probe has no PT_INTERP and runs FROM scratch.
# The result is checked (an AArch64 ELF, no PT_INTERP, no DT_NEEDED) and its path is the only
# line on stdout; progress goes to stderr.
#
#   --out PATH   where to put the probe (default $LAB/probe/seccomp-probe)
#   --repo DIR   the checkout to build (default: the one this script is in)
#
# Exit codes: 0 built; 1 the build or the check failed; 2 bad usage; 3 a host tool is missing
# or not root; 75 Debian's archive or crates.io can't be reached: CI can say so and go on.
#
# Environment:
#   SECCOMP_HARNESS_LAB_DIR     state and downloads, reused by later runs; this script keeps
#                               its own under aarch64/ (default /var/cache/seccomp-harness/lab)
#   SECCOMP_HARNESS_LAB_MIRROR  the Debian mirror (default http://deb.debian.org/debian)
#   SECCOMP_HARNESS_LAB_LOCK_WAIT  seconds it waits for another build's lock (default 3600,
#                               ci/lock.sh)
set -euo pipefail

LAB=${SECCOMP_HARNESS_LAB_DIR:-/var/cache/seccomp-harness/lab}/aarch64
MIRROR=${SECCOMP_HARNESS_LAB_MIRROR:-http://deb.debian.org/debian}
SUITE=sid
TARGET=aarch64-unknown-linux-gnu
# rustc and libstd-rust-dev:arm64 come from the same source package, so their versions match.
PACKAGES="rustc cargo libstd-rust-dev:arm64 gcc-aarch64-linux-gnu libc6-dev-arm64-cross ca-certificates"
EX_UNREACHABLE=75
# The host's own Debian packages this script runs (file and readelf check the result).
HOST_PACKAGES="debootstrap util-linux curl file binutils"
READY=.seccomp-harness-ready
BUILDROOT=$LAB/buildroot

say() { printf 'build-probe: %s\n' "$*" >&2; }
die() { local code=$1; shift; printf 'build-probe: %s\n' "$*" >&2; exit "$code"; }
# shellcheck source=ci/lock.sh
. "$(dirname "$0")/../lock.sh"

usage() { sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit "${1:-2}"; }

repo=$(cd "$(dirname "$0")/../.." && pwd)
out=$LAB/probe/seccomp-probe
while [ $# -gt 0 ]; do
  case $1 in
    host-packages) echo "$HOST_PACKAGES"; exit 0 ;;
    --out) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --repo) [ $# -ge 2 ] || usage; repo=$2; shift 2 ;;
    --repo=*) repo=${1#--repo=}; shift ;;
    -h | --help) usage 0 ;;
    *) say "unknown argument '$1'"; usage ;;
  esac
done
if [ ! -f "$repo/Cargo.lock" ] || [ ! -d "$repo/probes/probe" ]; then
  die 2 "$repo is not a seccomp-harness checkout (no Cargo.lock or probes/probe)"
fi
repo=$(cd "$repo" && pwd)
case $out in /*) ;; *) out=$PWD/$out ;; esac
# One target dir per checkout: cargo tells a workspace member's sources apart only by their
# mtimes, not by their path, so two checkouts sharing one would pass for one another.
TARGET_DIR=$LAB/target/$(printf '%s' "$repo" | sha256sum | cut -c1-16)

[ "$(id -u)" = 0 ] || die 3 "must run as root (debootstrap, chroot, mounts)"
missing=()
for tool in debootstrap unshare chroot flock curl file readelf; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ "${#missing[@]}" = 0 ] ||
  die 3 "missing host tool(s): ${missing[*]} (apt-get install $HOST_PACKAGES)"

mkdir -p "$LAB/cache/buildroot/archives/partial" "$LAB/cache/buildroot/debootstrap" \
  "$LAB/cargo-home" "$TARGET_DIR"
exec 9>"$LAB/.build-probe.lock"
lock_fd 9 "$LAB/.build-probe.lock"

# Runs a command chrooted into ROOT, in a private mount namespace so that its /proc, /dev and
# bind mounts vanish with it. The repository (read-only, at its own path), cargo's home, the
# repository's target dir and apt's download cache are bound in.
in_buildroot() {
  local root=$1; shift
  # shellcheck disable=SC2016 # expanded by the inner shell
  nice -n 10 unshare -m --propagation private -- bash -euc '
    root=$1 lab=$2 repo=$3 target=$4; shift 4
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    mount -t tmpfs tmpfs "$root/tmp"
    mount --bind "$lab/cache/buildroot/archives" "$root/var/cache/apt/archives"
    mkdir -p "$root$repo" "$root/cargo-home" "$root/target"
    mount -o bind,ro "$repo" "$root$repo"
    mount --bind "$lab/cargo-home" "$root/cargo-home"
    mount --bind "$target" "$root/target"
    exec chroot "$root" "$@"
  ' build-probe "$root" "$LAB" "$repo" "$TARGET_DIR" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}

archive_reachable() {
  curl -fsS --max-time 20 -o /dev/null "$MIRROR/dists/$SUITE/Release" 2>/dev/null
}

# The build root: made once, then reused (its marker names the packages it was made with).
ensure_buildroot() {
  if [ -f "$BUILDROOT/$READY" ] && [ "$(cat "$BUILDROOT/$READY")" = "$PACKAGES" ]; then
    return 0
  fi
  archive_reachable ||
    die "$EX_UNREACHABLE" "Debian's archive can't be reached ($MIRROR/dists/$SUITE/Release): the aarch64 probe can't be built"
  local tmp=$BUILDROOT.tmp started=$SECONDS
  rm -rf --one-file-system "$tmp" "$BUILDROOT"
  say "making the $SUITE build root (debootstrap --variant=minbase, about a minute)"
  nice -n 10 debootstrap --variant=minbase --cache-dir="$LAB/cache/buildroot/debootstrap" \
    "$SUITE" "$tmp" "$MIRROR" >"$LAB/buildroot-debootstrap.log" 2>&1 ||
    { tail -n 20 "$LAB/buildroot-debootstrap.log" >&2; die 1 "debootstrap failed (log: $LAB/buildroot-debootstrap.log)"; }
  # A frozen mirror's Release can be past its Valid-Until; no recommends keeps the root small.
  printf '%s\n' 'Acquire::Check-Valid-Until "false";' 'APT::Install-Recommends "false";' \
    >"$tmp/etc/apt/apt.conf.d/90seccomp-harness"
  echo "deb $MIRROR $SUITE main" >"$tmp/etc/apt/sources.list"
  rm -f "$tmp/etc/apt/sources.list.d/debian.sources"
  say "installing $PACKAGES"
  # shellcheck disable=SC2086 # a word list
  in_buildroot "$tmp" sh -ec "dpkg --add-architecture arm64; apt-get update -q; apt-get install -y -q $PACKAGES" \
    >"$LAB/buildroot-apt.log" 2>&1 ||
    { tail -n 20 "$LAB/buildroot-apt.log" >&2; die 1 "apt-get in the build root failed (log: $LAB/buildroot-apt.log)"; }
  echo "$PACKAGES" >"$tmp/$READY"
  mv "$tmp" "$BUILDROOT"
  say "build root ready in $((SECONDS - started)) s"
}

# crates.io may be reached through a TLS-intercepting proxy whose CA only the host trusts: the
# host's extra CAs go into the build root's store on every build (they may have changed).
sync_certificates() {
  local dir=/usr/local/share/ca-certificates
  rm -rf "${BUILDROOT:?}$dir"
  mkdir -p "$BUILDROOT$dir"
  if [ -d "$dir" ]; then cp -a "$dir/." "$BUILDROOT$dir/"; fi
  in_buildroot "$BUILDROOT" update-ca-certificates >/dev/null 2>&1 ||
    die 1 "update-ca-certificates failed in the build root"
}

ensure_buildroot
sync_certificates

started=$SECONDS
say "building seccomp-probe for $TARGET from $repo"
rustc_version=$(in_buildroot "$BUILDROOT" rustc --version)
say "$rustc_version"
if ! in_buildroot "$BUILDROOT" env -C "$repo" CARGO_HOME=/cargo-home CARGO_TARGET_DIR=/target \
  RUSTFLAGS="-C target-feature=+crt-static -C linker=aarch64-linux-gnu-gcc" \
  cargo build --release --locked --target "$TARGET" -p seccomp-probe >"$LAB/build.log" 2>&1; then
  tail -n 30 "$LAB/build.log" >&2
  if ! curl -fsS --max-time 20 -o /dev/null https://index.crates.io/config.json 2>/dev/null; then
    die "$EX_UNREACHABLE" "crates.io can't be reached: the aarch64 probe can't be built"
  fi
  die 1 "cargo build failed (log: $LAB/build.log)"
fi
say "built in $((SECONDS - started)) s"

built=$TARGET_DIR/$TARGET/release/seccomp-probe
header=$(readelf -h "$built")
grep -q 'Machine: *AArch64' <<<"$header" || die 1 "$built is not an AArch64 ELF"
if readelf -l "$built" | grep -q INTERP; then die 1 "$built has a PT_INTERP (not static)"; fi
if readelf -d "$built" | grep -q NEEDED; then die 1 "$built needs shared libraries (not static)"; fi
mkdir -p "$(dirname "$out")"
# An unchanged probe keeps its file (and mtime): a harness that embeds it is not rebuilt.
if ! cmp -s "$built" "$out"; then
  cp "$built" "$out.tmp"
  mv "$out.tmp" "$out"
fi
say "$(file -b "$out")"
echo "$out"
