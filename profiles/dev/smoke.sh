#!/usr/bin/env bash
# Smoke test of the shipped profiles on a real Docker engine (x86_64 only: the calls below use
# x86_64 and i386 syscall numbers). Builds sc.c statically, puts it in an image FROM scratch,
# starts one container per profile and checks the outcome of a few key calls. Nothing is pulled;
# the image is removed on exit. Usage: profiles/dev/smoke.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -m)" != x86_64 ]; then
  echo "smoke: x86_64 only (syscall numbers), skipped on $(uname -m)"
  exit 0
fi

work=$(mktemp -d)
image="seccomp-harness-profiles-smoke:$$"
cleanup() {
  docker rm -f "smoke-srv-$$" >/dev/null 2>&1 || true
  docker rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

gcc -static -O2 -Wall -o "$work/sc" dev/sc.c
printf 'FROM scratch\nCOPY sc /sc\nENTRYPOINT ["/sc"]\n' >"$work/Dockerfile"
if ! build_log=$(docker build -q -t "$image" "$work" 2>&1); then
  echo "smoke: docker build failed: $build_log" >&2
  exit 3
fi

failures=0

# check PROFILE "DOCKER OPTIONS" CALL=EXPECTED...
# EXPECTED: ok (no error), eN (errno N), killed (SIGSYS), trapped (SIGSYS caught, SYS_SECCOMP).
check() {
  local profile=$1 opts=$2
  shift 2
  local calls=() want=() flags=()
  for pair in "$@"; do
    case "$pair" in
      *=*) calls+=("${pair%%=*}") && want+=("${pair#*=}") ;;
      *) flags+=("$pair") ;; # an option of sc itself, e.g. -n
    esac
  done
  local out
  # shellcheck disable=SC2086 # opts is a list of words
  if ! out=$(docker run --rm $opts --security-opt "seccomp=$profile" "$image" ${flags[@]+"${flags[@]}"} "${calls[@]}" 2>&1); then
    echo "FAIL $profile [$opts]: container did not run: $out"
    failures=$((failures + 1))
    return
  fi
  local i
  for i in "${!calls[@]}"; do
    local line got
    line=$(grep -F -- "${calls[$i]} " <<<"$out" | head -1 || true)
    case "$line" in
      *"killed signal=31"*) got=killed ;;
      *"si_code=1 "*) got=trapped ;;
      *"errno=0"*) got=ok ;;
      *errno=*) got="e${line##*errno=}" ;;
      *) got="missing" ;;
    esac
    # A trapped call prints its own line without the call; TRAP is checked by si_code.
    if [ "${want[$i]}" = trapped ] && grep -q "si_code=1 " <<<"$out"; then got=trapped; fi
    if [ "$got" = "${want[$i]}" ]; then
      echo "ok   $profile [$opts] ${calls[$i]} -> $got"
    else
      echo "FAIL $profile [$opts] ${calls[$i]} -> $got, expected ${want[$i]}"
      failures=$((failures + 1))
    fi
  done
}

# x86_64 numbers: ptrace 101, io_uring_setup 425, io_uring_enter 426, io_uring_register 427,
# userfaultfd 323, add_key 248, request_key 249, keyctl 250, perf_event_open 298, bpf 321,
# socket 41, getpid 39, unshare 272, setns 308, mount 165, umount2 166, pivot_root 155,
# open_tree 428, fsopen 430, mount_setattr 442, clone 56, clone3 435, getpgid 121, getsid 124,
# acct 163, syslog 103, sysinfo 99, times 100. i386: getpid 20, socketcall 102, unshare 310,
# clone 120, mount 21.
hardened_denied=("64:425:0,0=e1" 64:426=e1 64:427=e1 64:323=e1 64:248=e1 64:249=e1 64:250=e1
  64:298=e1 64:321=e1 "64:101:16,0x7fffffff=e1")
check docker-default-hardened.json "" "${hardened_denied[@]}" \
  64:41:2,1,0=ok 64:41:1,1,0=ok 64:41:40,1,0=e1 64:41:0x100000028,1,0=e1 64:41:38,5,0=e1 \
  64:41:0x100000026,5,0=e1 64:41:0x100000002,1,0=e1 64:41:64,1,0=e1 64:39=ok 64:435=e38 \
  32:20=killed 32:102:1,w40/1/0=killed 32:102:1,w2/1/0=killed
check docker-default-hardened.json "--cap-add SYS_ADMIN" "${hardened_denied[@]}" 64:435=e22
check docker-default-hardened.json "--cap-add SYS_PTRACE" "${hardened_denied[@]}"

check deny-namespaces.json "--cap-add SYS_ADMIN" \
  64:272:0x10000000=e1 64:272:0x400=e1 64:308:-1,0=e1 64:165=e1 64:166:0x7fffffff=e1 64:155=e1 \
  64:428:-1=e1 64:430=e1 64:442:-1=e1 64:56:0x10000800=e1 64:56:0x20800=e1 64:56:0x40000800=e1 \
  64:56:0x880=e22 64:56:0x800=e22 64:435=e38 64:39=ok \
  32:20=ok 32:310:0x10000000=e1 32:120:0x40000800=e1 32:120:0x800=e22 32:21=e1

check demo-errno-custom.json "" 64:121:0=e95 32:132:0=e95 64:124:0=ok
check demo-kill-process.json "" 64:163:-1=killed 64:39=ok
check demo-kill-thread.json "" 64:124:0=killed 64:39=ok
check demo-trap.json "" 64:103:-1,0,0=trapped
check demo-trace.json "" 64:99:0=e38 64:39=ok
check demo-log.json "" 64:100:0=ok 64:39=ok

# The allow-list: denied calls (run without fork and wait4, which it denies), then a real
# TCP exchange with the server mode.
check static-server-allowlist.json "" -n 64:39=ok 64:102=e1 64:57=e1 64:61:-1,0,0,0=e1 \
  64:272:0x10000000=e1 64:435=e38
docker run -d --name "smoke-srv-$$" --security-opt seccomp=static-server-allowlist.json \
  "$image" serve 8080 >/dev/null
sleep 1
ip=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "smoke-srv-$$")
reply=$(timeout 10 bash -c "exec 3<>/dev/tcp/$ip/8080; echo hi >&3; cat <&3" 2>&1 || true)
if [ "$reply" = ok ]; then
  echo "ok   static-server-allowlist.json serve: TCP reply ok"
else
  echo "FAIL static-server-allowlist.json serve: reply '$reply'; logs: $(docker logs "smoke-srv-$$" 2>&1)"
  failures=$((failures + 1))
fi

echo "smoke: $failures failure(s)"
[ "$failures" = 0 ]
