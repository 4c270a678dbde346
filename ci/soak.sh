#!/usr/bin/env bash
# The soak: N default runs back to back on one engine (default 20), then a check that none of
# them left anything: containers carrying their run label, containerd tasks of theirs (Docker
# 20.10's own containerd, or the system one in the `moby` namespace), harness processes,
# temporary files or Podman profile directories, and `--output` files other than the matrices.
# Each run must exit 0 and write a matrix with no missing configuration. Prints one line per run
# and a summary; exit 0 only when every run passed and nothing was left.
#
#   ci/soak.sh [RUNS] [-- extra `run` arguments]
#
# SECCOMP_HARNESS_BIN picks the binary (default: target/debug/seccomp-harness, built first).
# The engine is DOCKER_HOST's (or the local socket). On an engine others use at the same time,
# only what this soak's runs left is counted: containers by their run label (its pid), tasks by
# those containers' ids.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-20}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
extra=("$@")

bin=${SECCOMP_HARNESS_BIN:-target/debug/seccomp-harness}
if [ -z "${SECCOMP_HARNESS_BIN:-}" ]; then
  cargo build -q -p seccomp-harness
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/seccomp-harness-soak.XXXXXX")
trap 'rm -rf "$work"' EXIT
tmp_before=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -newer "$work" -name '*seccomp*' 2>/dev/null | sort)

# containerd's address for Docker's tasks: Docker 20.10 runs its own, later ones use the
# system's (namespace moby either way). Empty when neither socket is here (a remote engine).
ctr_address=""
for sock in /var/run/docker/containerd/containerd.sock /run/containerd/containerd.sock; do
  if [ -S "$sock" ] && command -v ctr >/dev/null; then ctr_address=$sock; break; fi
done

pids=()
created="$work/created"
: >"$created"
if command -v docker >/dev/null; then
  # Every container the runs create, with its run label, to look for its task afterwards.
  docker events --filter type=container --filter event=create \
    --format '{{.ID}} {{index .Actor.Attributes "io.seccomp-harness.run"}}' >"$created" &
  events=$!
  trap 'kill $events 2>/dev/null || true; rm -rf "$work"' EXIT
  sleep 1
fi

failed=0
started=$(date +%s)
for i in $(seq 1 "$runs"); do
  out="$work/m$i.json"
  t0=$(date +%s.%N)
  set +e
  "$bin" run --format json --output "$out" "${extra[@]}" 2>"$work/err$i" &
  pid=$!
  wait "$pid"
  rc=$?
  set -e
  pids+=("$pid")
  took=$(echo "$(date +%s.%N) - $t0" | bc)
  cells=$(jq '.cells | length' "$out" 2>/dev/null || echo 0)
  missing=$(jq '(.missing_configurations // []) | length' "$out" 2>/dev/null || echo "?")
  failing=$(jq '[.cells[] | select(.verdict == "fail")] | length' "$out" 2>/dev/null || echo "?")
  status=ok
  if [ "$rc" != 0 ] || [ "$missing" != 0 ] || [ "$cells" = 0 ]; then status=FAILED; failed=$((failed + 1)); fi
  printf 'soak: run %2d/%d: exit %s, %s cells, %s failing, %s missing configurations, %.1f s: %s\n' \
    "$i" "$runs" "$rc" "$cells" "$failing" "$missing" "$took" "$status"
  [ "$status" = ok ] || sed 's/^/  /' "$work/err$i" | tail -5
done
total=$(( $(date +%s) - started ))
sleep 3
if [ -n "${events:-}" ]; then kill "$events" 2>/dev/null || true; fi

left=0
# Containers of these runs (their run label carries the pid).
ours="$work/ours"
: >"$ours"
for pid in "${pids[@]}"; do
  grep -E " [0-9]+-$pid-" "$created" | cut -d' ' -f1 >>"$ours" || true
done
containers=0
if command -v docker >/dev/null; then
  for pid in "${pids[@]}"; do
    n=$(docker ps -a --filter "label=io.seccomp-harness.run" --format '{{.Label "io.seccomp-harness.run"}}' \
      | grep -cE "^[0-9]+-$pid-" || true)
    containers=$((containers + n))
  done
fi
# Their containerd tasks and containers (a stopped task a shim still holds has no Docker
# container any more: it is found by the id the create event gave).
tasks=0
if [ -n "$ctr_address" ]; then
  ctr_tasks=$(ctr --address "$ctr_address" -n moby tasks ls -q 2>/dev/null || true)
  ctr_containers=$(ctr --address "$ctr_address" -n moby containers ls -q 2>/dev/null || true)
  while read -r id; do
    [ -n "$id" ] || continue
    if grep -qx "$id" <<<"$ctr_tasks$ctr_containers"; then
      tasks=$((tasks + 1))
      echo "soak: left in containerd: $id" >&2
    fi
  done <"$ours"
fi
processes=0
for pid in "${pids[@]}"; do
  if [ -d "/proc/$pid" ]; then processes=$((processes + 1)); fi
done
tmp_after=$(find "${TMPDIR:-/tmp}" -maxdepth 1 -newer "$work" -name '*seccomp*' ! -path "$work" 2>/dev/null | sort)
temps=$(comm -13 <(echo "$tmp_before") <(echo "$tmp_after") | grep -c . || true)
strays=$(find "$work" -maxdepth 1 -type f ! -name 'm*.json' ! -name 'err*' ! -name created ! -name ours | grep -c . || true)
left=$((containers + tasks + processes + temps + strays))

echo "soak: $runs runs in $total s, $((runs - failed)) passed; $(wc -l <"$ours") containers made;" \
  "left: $containers containers, $tasks containerd tasks/containers${ctr_address:+ ($ctr_address)}," \
  "$processes processes, $temps temporary files, $strays stray output files"
[ "$failed" = 0 ] && [ "$left" = 0 ]
