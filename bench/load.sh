#!/usr/bin/env bash
# End-to-end load over loopback: the same routes bare, under chi's
# Recoverer and under authredirect, in the same alternating rounds.
# HTTP/1.1 is driven by wrk, HTTP/2 over TLS (ALPN h2, self-signed
# certificate) by h2load. Prints requests per second, the per-round ratios
# authredirect/chi and bare/chi, and the medians. Then the pages: the error
# page and the login page with an error (German, carrying a flow), as
# authredirect renders them and as bare serves the same bytes from memory,
# with the ratio authredirect/bare.
#   bash bench/load.sh [seconds per run, default 10]     (ROUNDS=3 by default;
#   PAGES_ONLY=1 runs the pages alone)
# Total time: about 20 × ROUNDS × seconds.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-10}
rounds=${ROUNDS:-3}
if ! command -v wrk >/dev/null || ! command -v h2load >/dev/null || ! command -v bc >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk nghttp2-client bc >/dev/null
fi
dir=$(mktemp -d)
bin=$dir/loadserver
go build -o "$bin" ./loadserver
trap 'kill $(cat "$dir"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$dir"' EXIT

start() { # name, flags... -> prints the base URL, leaves the server running
  local name=$1; shift
  # The server on core 0 with one P, the load generator on core 1.
  GOMAXPROCS=1 taskset -c 0 "$bin" -addr 127.0.0.1:0 "$@" > "$dir/$name.url" &
  echo $! > "$dir/$name.pid"
  for _ in $(seq 100); do [ -s "$dir/$name.url" ] && break; sleep 0.1; done
  [ -s "$dir/$name.url" ] || { echo "server $name did not start" >&2; exit 1; }
  cat "$dir/$name.url"
}
declare -A url
for m in bare chi authredirect; do
  url[h1.$m]=$(start "h1-$m" -mode "$m")
  url[h2.$m]=$(start "h2-$m" -mode "$m" -tls)
done

# rps proto url [status] -> requests per second (a run with errors or wrong
# statuses fails the script; a page's expected status is given: 4xx allowed)
lang='Accept-Language: de-DE,de;q=0.9,en;q=0.8' # as loadserver's AcceptLanguage
rps() {
  local out
  if [ "$1" = h1 ]; then
    out=$(taskset -c 1 wrk -t1 -c16 -d"${secs}s" -H "$lang" "$2")
    if grep -q 'Socket errors' <<<"$out" || { [ -z "${3:-}" ] && grep -q 'Non-2xx or 3xx' <<<"$out"; }; then echo "wrk: errors on $2: $out" >&2; exit 1; fi
    awk '/Requests\/sec/ {print $2}' <<<"$out"
  else
    out=$(taskset -c 1 h2load -t1 -c16 -m8 -D"$secs" -H "$lang" "$2")
    # h2load counts a 4xx as failed: a page's expected 4xx is allowed.
    if ! grep -q ' 0 errored' <<<"$out" || { [ -z "${3:-}" ] && ! grep -q ' 0 failed,' <<<"$out"; } || grep -q '[1-9][0-9]* 5xx' <<<"$out"; then
      echo "h2load: errors on $2: $out" >&2; exit 1
    fi
    grep -q 'Application protocol: h2' <<<"$out" || { echo "h2load: not h2 on $2" >&2; exit 1; }
    awk '/^finished in/ {print $4}' <<<"$out"
  fi
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

modes=(bare chi authredirect)
printf '%-5s %-6s %-6s %12s %12s %12s %8s %8s\n' proto path round bare chi authredirect 'ar/chi' 'bare/chi'
for proto in h1 h2; do
  [ -n "${PAGES_ONLY:-}" ] && break
  for path in /ok /fail; do
    declare -A got=()
    ratios=(); bratios=(); all_b=(); all_c=(); all_a=()
    for round in $(seq "$rounds"); do
      # Rotate the order each round, so that drift on a shared machine
      # does not always favour the same server.
      for i in 0 1 2; do
        m=${modes[$(( (i + round - 1) % 3 ))]}
        got[$m]=$(rps "$proto" "${url[$proto.$m]}$path")
      done
      b=${got[bare]}; c=${got[chi]}; a=${got[authredirect]}
      r=$(echo "$a / $c" | bc -l); br=$(echo "$b / $c" | bc -l)
      ratios+=("$r"); bratios+=("$br"); all_b+=("$b"); all_c+=("$c"); all_a+=("$a")
      printf '%-5s %-6s %-6s %12.0f %12.0f %12.0f %8.3f %8.3f\n' "$proto" "$path" "$round" "$b" "$c" "$a" "$r" "$br"
    done
    printf '%-5s %-6s %-6s %12.0f %12.0f %12.0f %8.3f %8.3f\n' "$proto" "$path" median \
      "$(printf '%s\n' "${all_b[@]}" | median)" "$(printf '%s\n' "${all_c[@]}" | median)" \
      "$(printf '%s\n' "${all_a[@]}" | median)" \
      "$(printf '%s\n' "${ratios[@]}" | median)" "$(printf '%s\n' "${bratios[@]}" | median)"
  done
done

# The pages, authredirect against the same bytes from memory (bare).
printf '\n%-5s %-6s %-6s %12s %12s %8s\n' proto page round memory authredirect 'ar/mem'
for proto in h1 h2; do
  for page in error login; do
    if [ $page = error ]; then
      path='/ooops?oauth_exception=unauthorized_client&exception_details=client_id_not_found&response_type=code&client_id=demo&state=xyz'
    else
      path='/login?identity_exception=invalid_request&response_type=code&client_id=demo&state=xyz'
    fi
    declare -A got=()
    ratios=(); all_b=(); all_a=()
    for round in $(seq "$rounds"); do
      if [ $((round % 2)) = 1 ]; then order="bare authredirect"; else order="authredirect bare"; fi
      for m in $order; do got[$m]=$(rps "$proto" "${url[$proto.$m]}$path" page); done
      b=${got[bare]}; a=${got[authredirect]}
      r=$(echo "$a / $b" | bc -l)
      ratios+=("$r"); all_b+=("$b"); all_a+=("$a")
      printf '%-5s %-6s %-6s %12.0f %12.0f %8.3f\n' "$proto" "$page" "$round" "$b" "$a" "$r"
    done
    printf '%-5s %-6s %-6s %12.0f %12.0f %8.3f\n' "$proto" "$page" median \
      "$(printf '%s\n' "${all_b[@]}" | median)" "$(printf '%s\n' "${all_a[@]}" | median)" "$(printf '%s\n' "${ratios[@]}" | median)"
  done
done
