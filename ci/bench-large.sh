#!/usr/bin/env bash
# Benchmark of large profiles: generated profiles of 100, 1,000 and 10,000 rules, the harness's
# own time per phase (parse, resolve, predict, tag, classify) beside the engine's container
# start under the same profile and the whole run. Needs a running Docker engine.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench -q -p seccomp-harness --bench large_profiles
