#!/usr/bin/env bash
# Runs a local Sluice: control plane, one data plane and the mock LLM, loaded with a demo config.
# Called by `tools/dev up` (which builds first); Ctrl-C stops everything.
#
#   tools/dev-up.sh [--bin DIR] [--state DIR]
#
# Ports (override with the environment variables in brackets):
#   data plane proxy   127.0.0.1:8000  [SLUICE_PROXY_PORT]
#   data plane status  127.0.0.1:8100  [SLUICE_STATUS_PORT]
#   admin API          127.0.0.1:8001  [SLUICE_ADMIN_PORT]
#   config stream      127.0.0.1:8005  [SLUICE_XDS_PORT]
#   mock LLM           127.0.0.1:9001  [SLUICE_MOCK_PORT]
# State lives in --state (default .dev/): cp-data/ (the control plane's RocksDB), dp-cache.bin
# (the data plane's snapshot cache), demo-key, logs/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="$ROOT/build/bin"
STATE="$ROOT/.dev"
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) BIN="$2"; shift 2 ;;
    --state) STATE="$2"; shift 2 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "dev-up: unknown argument: $1" >&2; exit 2 ;;
  esac
done

HOST=127.0.0.1
PROXY_PORT="${SLUICE_PROXY_PORT:-8000}"
STATUS_PORT="${SLUICE_STATUS_PORT:-8100}"
ADMIN_PORT="${SLUICE_ADMIN_PORT:-8001}"
XDS_PORT="${SLUICE_XDS_PORT:-8005}"
MOCK_PORT="${SLUICE_MOCK_PORT:-9001}"
ADMIN="http://$HOST:$ADMIN_PORT"
PROXY="http://$HOST:$PROXY_PORT"
LOGS="$STATE/logs"

bold() { printf '\033[1m%s\033[0m\n' "$*"; }
say() { printf '\033[1m[up]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[up]\033[0m %s\n' "$*" >&2; exit 1; }

command -v curl >/dev/null || die "curl is missing (tools/dev deps installs it)"
for b in sluice-controlplane sluice-dataplane sluice-mock-llm; do
  [ -x "$BIN/$b" ] || die "$BIN/$b is missing: run tools/dev build (or tools/dev up, which builds)"
done

# --- ports -------------------------------------------------------------------------------------
port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }
busy=()
for spec in "proxy:$PROXY_PORT" "status:$STATUS_PORT" "admin:$ADMIN_PORT" "config stream:$XDS_PORT" \
            "mock LLM:$MOCK_PORT"; do
  port="${spec##*:}"
  if port_busy "$port"; then
    holder=""
    if command -v ss >/dev/null; then
      holder="$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'users:(([^)]*))' | head -1 || true)"
    fi
    busy+=("  $HOST:$port (${spec%:*}) is already in use ${holder:+by $holder}")
  fi
done
if [ ${#busy[@]} -gt 0 ]; then
  printf '\033[1;31m[up]\033[0m cannot start, ports in use:\n' >&2
  printf '%s\n' "${busy[@]}" >&2
  die "stop whatever holds them (another 'tools/dev up'?) or pick other ports with SLUICE_PROXY_PORT, SLUICE_STATUS_PORT, SLUICE_ADMIN_PORT, SLUICE_XDS_PORT, SLUICE_MOCK_PORT"
fi

# --- processes ---------------------------------------------------------------------------------
mkdir -p "$STATE/cp-data" "$LOGS"
# Each process in a process group of its own: Ctrl-C then reaches only this script, whose trap
# stops the processes in order (data plane, control plane, mock) and says so.
set -m
declare -A PIDS=()  # name -> pid
ORDER=()            # start order; stopped in reverse

start() {  # name, binary, args...
  local name="$1" bin="$2"; shift 2
  "$BIN/$bin" "$@" >"$LOGS/$name.log" 2>&1 &
  PIDS[$name]=$!
  ORDER+=("$name")
}

stopping=0
stop_all() {
  [ "$stopping" -eq 0 ] || return 0
  stopping=1
  local i name pid
  # Reverse start order, one at a time (so the data plane does not log the control plane's
  # departure); SIGKILL whatever is still there after 5 s.
  for ((i = ${#ORDER[@]} - 1; i >= 0; i--)); do
    name="${ORDER[$i]}"; pid="${PIDS[$name]}"
    kill -TERM "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
}
on_signal() { echo; say "stopping"; stop_all; exit 0; }
trap stop_all EXIT
trap on_signal INT TERM

show_log() {  # name
  printf '\033[1m--- last lines of %s ---\033[0m\n' "$LOGS/$1.log" >&2
  tail -n 25 "$LOGS/$1.log" >&2 || true
}

wait_ready() {  # name, url, seconds
  local name="$1" url="$2" seconds="$3" i
  for ((i = 0; i < seconds * 10; i++)); do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      show_log "$name"
      die "$name exited during start-up"
    fi
    curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null && return 0
    sleep 0.1
  done
  show_log "$name"
  die "$name did not answer $url within ${seconds}s"
}

say "logs in $LOGS/"
start mock-llm sluice-mock-llm --listen "$HOST:$MOCK_PORT"
wait_ready mock-llm "http://$HOST:$MOCK_PORT/_mock/health" 10
start controlplane sluice-controlplane --admin-listen "$HOST:$ADMIN_PORT" \
  --xds-listen "$HOST:$XDS_PORT" --data-dir "$STATE/cp-data"
wait_ready controlplane "$ADMIN/status" 15
start dataplane sluice-dataplane --controlplane "$HOST:$XDS_PORT" --listen "$HOST:$PROXY_PORT" \
  --status-listen "$HOST:$STATUS_PORT" --node-id dev-dataplane --cache-file "$STATE/dp-cache.bin"
wait_ready dataplane "http://$HOST:$STATUS_PORT/status" 15

# --- demo config -------------------------------------------------------------------------------
# Idempotent: PUT upserts by name; the key and the plugin answer 409 when they already exist.
admin() {  # method, path, [json]; prints the body, returns 0 on 2xx. Sets HTTP_CODE.
  local out args=(-sS --max-time 5 -X "$1" "$ADMIN$2" -w '\n%{http_code}')
  [ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-raw "$3")
  out="$(curl "${args[@]}")" || { HTTP_CODE=000; ADMIN_BODY=""; return 1; }
  HTTP_CODE="${out##*$'\n'}"
  ADMIN_BODY="${out%$'\n'*}"
  [[ "$HTTP_CODE" == 2* ]]
}
must() {  # description, method, path, [json]
  local what="$1"; shift
  admin "$@" || die "$what: $1 $2 -> HTTP $HTTP_CODE $ADMIN_BODY"
}

must "service llm" PUT /services/llm "{\"url\":\"http://$HOST:$MOCK_PORT\"}"
must "route chat" PUT /routes/chat '{"paths":["/v1"],"strip_path":false,"service":{"name":"llm"}}'
must "consumer demo" PUT /consumers/demo '{}'

# The key is shown only once by the control plane, so we choose it and keep it in $STATE/demo-key.
if [ ! -s "$STATE/demo-key" ]; then
  printf 'sk-demo-%s\n' "$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$STATE/demo-key"
fi
KEY="$(tr -d '\n' <"$STATE/demo-key")"
if ! admin POST /consumers/demo/key-auth "{\"key\":\"$KEY\"}" && [ "$HTTP_CODE" != 409 ]; then
  die "key for demo: HTTP $HTTP_CODE $ADMIN_BODY"
fi

# One global key-auth plugin; the control plane refuses a second one with the same scope (409).
if ! admin POST /plugins '{"name":"key-auth","config":{}}' && [ "$HTTP_CODE" != 409 ]; then
  die "key-auth plugin: HTTP $HTTP_CODE $ADMIN_BODY"
fi

# Wait until the data plane serves the demo config, and prove the printed command works.
CHAT_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hello, Sluice!"}]}'
STREAM_BODY='{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hello, Sluice!"}]}'
ok=0
for _ in $(seq 50); do
  code="$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$PROXY/v1/chat/completions" \
    -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d "$CHAT_BODY" || true)"
  if [ "$code" = 200 ]; then ok=1; break; fi
  sleep 0.1
done
if [ "$ok" -ne 1 ]; then
  show_log dataplane
  die "the data plane does not serve the demo route (last HTTP status: $code)"
fi

echo
bold "Sluice is up."
cat <<EOF
  proxy         $PROXY          (data plane; status: http://$HOST:$STATUS_PORT/status)
  admin API     $ADMIN          (try: curl -s $ADMIN/dataplanes)
  mock LLM      http://$HOST:$MOCK_PORT
  logs          $LOGS/

A chat completion with the demo consumer's key:

  curl -s $PROXY/v1/chat/completions -H 'Authorization: Bearer $KEY' -H 'Content-Type: application/json' -d '$CHAT_BODY'

The same, streamed (server-sent events, one token every 100 ms):

  curl -sN $PROXY/v1/chat/completions -H 'Authorization: Bearer $KEY' -H 'Content-Type: application/json' -H 'x-mock-token-delay-ms: 100' -d '$STREAM_BODY'

Without a key you get 401:

  curl -si $PROXY/v1/chat/completions -H 'Content-Type: application/json' -d '$CHAT_BODY'

EOF
bold "Ctrl-C stops everything."

# Stop everything as soon as one process dies, and say which.
while :; do
  wait -n || true
  for name in "${ORDER[@]}"; do
    if ! kill -0 "${PIDS[$name]}" 2>/dev/null; then
      [ "$stopping" -eq 1 ] && exit 0
      say "$name exited; stopping the rest"
      show_log "$name"
      exit 1
    fi
  done
done
