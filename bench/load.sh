#!/usr/bin/env bash
# End-to-end load over loopback: the same routes with and without
# authredirect, driven by wrk, requests per second side by side.
#   bash bench/load.sh [seconds per run, default 10]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
if ! command -v wrk >/dev/null 2>&1 || ! command -v bc >/dev/null 2>&1; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk bc >/dev/null
fi
bin=$(mktemp -d)/loadserver
go build -o "$bin" ./loadserver

start() { # mode -> prints the base URL, leaves the server running
  # The server on core 0 with one P, wrk on core 1: less noise between them.
  GOMAXPROCS=1 taskset -c 0 "$bin" -mode "$1" > "$bin.$1.url" &
  echo $! > "$bin.$1.pid"
  for _ in $(seq 50); do [ -s "$bin.$1.url" ] && break; sleep 0.1; done
  cat "$bin.$1.url"
}
bare=$(start bare)
ar=$(start authredirect)
trap 'kill $(cat "$bin".*.pid) 2>/dev/null || true' EXIT

rps() { taskset -c 1 wrk -t1 -c16 -d"${secs}s" "$1" | awk '/Requests\/sec/ {print $2}'; }
rounds=${ROUNDS:-3}
printf '%-6s %-6s %14s %14s %8s\n' path round bare authredirect ratio
for path in /ok /fail; do
  ratios=()
  for round in $(seq "$rounds"); do  # alternate, so that drift on a shared machine hits both
    b=$(rps "$bare$path"); a=$(rps "$ar$path")
    r=$(echo "$a / $b" | bc -l)
    ratios+=("$r")
    printf '%-6s %-6s %14s %14s %8.3f\n' "$path" "$round" "$b" "$a" "$r"
  done
  printf '%-6s %-6s %14s %14s %8.3f\n' "$path" median "" "" "$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
done
