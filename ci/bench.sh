#!/usr/bin/env bash
# Benchmark of the main job: the default run's wall time beside its floor (the same number of
# bare no-op containers at the same parallelism), their ratio, and the extrapolated cost of one
# container per syscall. Needs a running Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p seccomp-harness --bench run_vs_floor
