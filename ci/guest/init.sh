#!/bin/sh
# PID 1 of the labs' qemu machines (ci/aarch64/lab.sh, ci/kernels/lab.sh): each lab copies this
# file into its root file system as /sbin/<lab>-init, puts its machine's name in /etc/hostname,
# and boots with init= pointing at the copy (the initramfs runs it once the root is mounted).
# Both disks' recipes hold this file's text, so a change here makes both disks again.
#
# First the machine: the mounts, the modules, the network of qemu's user networking. Then the
# engine, under tini (which reaps for it): containerd on its own, a wait for its socket, then
# dockerd on it. When dockerd ends, tini ends, the kernel panics and qemu (-no-reboot) exits, so
# a dead engine shows as a stopped machine.
#
# The wait for containerd has a deadline of its own: past it, or when containerd ends before
# its socket appears, the console gets containerd's last lines and one line saying what did not
# come up, and the machine stops, so the host's `up` fails with that on the console instead of
# waiting out its own, longer deadline.
set -e
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# Generous for TCG emulation on a busy host: containerd's socket appears within seconds on an
# idle one, and the host's `up` waits 300 s for the whole boot.
CONTAINERD_DEADLINE=120
CONTAINERD_SOCKET=/run/containerd/containerd.sock
CONTAINERD_LOG=/run/containerd.log

console() { echo "seccomp-harness-lab: $*" >/dev/console; }

machine() {
  mount -t proc proc /proc
  mount -t sysfs sysfs /sys
  mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
  mkdir -p /dev/pts /dev/shm
  mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
  mount -t tmpfs -o mode=1777 tmpfs /dev/shm
  mount -t tmpfs -o mode=755 tmpfs /run
  mount -t tmpfs -o mode=1777 tmpfs /tmp
  mount -t cgroup2 cgroup2 /sys/fs/cgroup
  mount -o remount,rw /
  hostname "$(cat /etc/hostname)"
  modprobe overlay
  modprobe virtio_net
  ip link set lo up
  ip link set eth0 up
  ip addr add 10.0.2.15/24 dev eth0
  ip route add default via 10.0.2.2
}

# Stops the machine when containerd did not come up: its log's tail, then the reason as the last
# line, since the host's `up` prints the console's last 30 lines. The machine is powered off
# rather than left to the panic an ended PID 1 brings, whose trace (some 25 lines) would push the
# reason out of those; should the power-off fail, the shell ends and the panic stops it.
containerd_failed() {
  console "containerd's log ($CONTAINERD_LOG) ends:"
  tail -n 15 "$CONTAINERD_LOG" | sed 's/^/  containerd: /' >/dev/console
  console "containerd did not come up: $*; the engine is not started, the machine powers off"
  sleep 1 # the console's last lines reach the serial port before the kernel's power-off lines
  echo o >/proc/sysrq-trigger || true
  sleep 30
  exit 1
}

# containerd first, on its own: dockerd gives a containerd it starts itself a fixed time to come
# up ("timeout waiting for containerd to start"), which an emulated machine on a busy host
# missed once (a fresh CI run, while the x86_64 lab came up beside it).
engine() {
  containerd >"$CONTAINERD_LOG" 2>&1 &
  containerd_pid=$!
  started=$(date +%s)
  waited=0
  until [ -S "$CONTAINERD_SOCKET" ]; do
    if ! kill -0 "$containerd_pid" 2>/dev/null; then
      status=0
      wait "$containerd_pid" || status=$?
      containerd_failed "it exited (status $status) after $waited s, before its socket $CONTAINERD_SOCKET appeared"
    fi
    if [ "$waited" -ge "$CONTAINERD_DEADLINE" ]; then
      containerd_failed "no socket $CONTAINERD_SOCKET within $CONTAINERD_DEADLINE s"
    fi
    sleep 1
    # The clock's seconds, not the loop's: under emulation on a busy host a turn takes longer.
    waited=$(($(date +%s) - started))
  done
  console "containerd's socket appeared after $waited s; starting dockerd"
  exec dockerd -H tcp://0.0.0.0:2375 -H unix:///run/docker.sock --tls=false \
    --containerd="$CONTAINERD_SOCKET" \
    --storage-driver=overlay2 --bridge=none --iptables=false --ip6tables=false \
    --exec-opt native.cgroupdriver=cgroupfs
}

case ${1:-} in
  engine) engine ;;
  *)
    machine
    console "starting containerd and dockerd on $(uname -r)"
    exec tini -- "$0" engine
    ;;
esac
