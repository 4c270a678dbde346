#!/usr/bin/env bash
# Times the static probe running the whole native catalog, unconfined, N times (default 20), and
# prints the min and median wall time. A benchmark to run by hand, not a test: the figure depends
# on the machine and on what else runs on it (`sync` alone can take from 1 ms to 1 s).
#
#   ci/bench-probe.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
# The same build as harness/build.rs, so the figure is that of the embedded probe.
CARGO_ENCODED_RUSTFLAGS=-Ctarget-feature=+crt-static \
  cargo build --quiet --release --locked -p seccomp-probe --target "$triple" --target-dir target/probe
probe="target/probe/$triple/release/seccomp-probe"
cases=$("$probe" --list | wc -l)
times=()
for _ in $(seq "$n"); do
  start=$(date +%s%N)
  "$probe" >/dev/null
  end=$(date +%s%N)
  times+=($(((end - start) / 1000)))
done
mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
fmt() { printf '%d.%03d ms' $(($1 / 1000)) $(($1 % 1000)); }
echo "seccomp-probe: $cases cases, $n runs: min $(fmt "${sorted[0]}"), median $(fmt "${sorted[$((n / 2))]}")"
