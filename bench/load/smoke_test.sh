#!/bin/sh
# bench.load.smoke: runs every mode of `faye-ws bench` for about a second
# against `faye-ws serve` (ws:// and wss://) and fails when the generator
# reports errors (wrong echoes, failed handshakes) or exits nonzero. Timings
# are never checked. Usage: smoke_test.sh path/to/faye-ws
set -u
FAYE_WS=${1:?usage: smoke_test.sh path/to/faye-ws}
WORK=$(mktemp -d)
SERVER_PIDS=""
SERVERS=0
cleanup() {
  for pid in $SERVER_PIDS; do kill "$pid" 2>/dev/null; done
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

# Starts `faye-ws serve` with the given options; sets PORT and PID.
start_server() {
  SERVERS=$((SERVERS + 1))
  log="$WORK/serve.$SERVERS.log"
  "$FAYE_WS" serve --host 127.0.0.1 --port 0 --quiet --threads 1 "$@" >"$log" 2>&1 &
  PID=$!
  SERVER_PIDS="$SERVER_PIDS $PID"
  for _ in $(seq 50); do
    PORT=$(sed -n 's/.*listening on [a-z]*:\/\/[^ ]*:\([0-9][0-9]*\)\/.*/\1/p' "$log")
    [ -n "$PORT" ] && return 0
    sleep 0.1
  done
  echo "FAIL: faye-ws serve did not start:"; cat "$log"
  exit 1
}

FAILURES=0
# check NAME ARGS...: runs `faye-ws bench ARGS`, which must exit 0 and end
# with a JSON line saying "errors":0.
check() {
  name=$1
  shift
  out=$(timeout 60 "$FAYE_WS" bench "$@" 2>"$WORK/stderr")
  status=$?
  last=$(printf '%s\n' "$out" | tail -n 1)
  case "$last" in
    *'"errors":0}') ok=yes ;;
    *) ok=no ;;
  esac
  if [ "$status" -eq 0 ] && [ "$ok" = yes ]; then
    echo "ok   $name: $last"
  else
    echo "FAIL $name (exit $status): $last"
    cat "$WORK/stderr"
    FAILURES=$((FAILURES + 1))
  fi
}

start_server
URL="ws://127.0.0.1:$PORT/"
S="--server-pid $PID"
SHORT="--duration 1 --warmup 0.2"
check "echo raw text" echo "$URL" $S $SHORT --connections 20
check "echo raw binary 70000" echo "$URL" $S $SHORT --connections 4 --size 70000 --binary --in-flight 4
check "echo raw empty" echo "$URL" $S $SHORT --connections 2 --size 0
check "echo raw deflate" echo "$URL" $S $SHORT --connections 10 --size 300 --deflate
check "echo library text" echo "$URL" $S $SHORT --connections 20 --engine library
check "echo library deflate binary" echo "$URL" $S $SHORT --connections 10 --size 300 --binary --deflate --engine library
check "connect" connect "$URL" $S --duration 1 --concurrency 10
check "idle" idle "$URL" $S --connections 300 --hold 0.5

# A host that is not loopback is refused before any connection is made.
if timeout 10 "$FAYE_WS" bench echo ws://192.0.2.1/ --duration 1 >/dev/null 2>"$WORK/stderr"; then
  echo "FAIL: a non-loopback host was not refused"
  FAILURES=$((FAILURES + 1))
elif grep -q "not a loopback" "$WORK/stderr"; then
  echo "ok   non-loopback host refused"
else
  echo "FAIL: unexpected refusal message:"; cat "$WORK/stderr"
  FAILURES=$((FAILURES + 1))
fi

# wss:// against a self-signed certificate for 127.0.0.1.
if command -v openssl >/dev/null 2>&1 &&
   openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
     -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" \
     >/dev/null 2>&1; then
  start_server --tls-cert "$WORK/cert.pem" --tls-key "$WORK/key.pem"
  URL="wss://127.0.0.1:$PORT/"
  S="--server-pid $PID"
  check "wss echo raw (--ca)" echo "$URL" $S $SHORT --connections 10 --ca "$WORK/cert.pem"
  check "wss echo raw deflate (--insecure)" echo "$URL" $S $SHORT --connections 10 --deflate --insecure
  check "wss echo library (--ca)" echo "$URL" $S $SHORT --connections 10 --engine library --ca "$WORK/cert.pem"
  check "wss connect" connect "$URL" $S --duration 1 --concurrency 5 --ca "$WORK/cert.pem"
  # Verification is on: without --ca or --insecure the self-signed server is refused.
  if timeout 20 "$FAYE_WS" bench connect "$URL" --duration 1 >/dev/null 2>&1; then
    echo "FAIL: an untrusted certificate was accepted"
    FAILURES=$((FAILURES + 1))
  else
    echo "ok   untrusted certificate refused"
  fi
else
  echo "skip wss: no openssl command"
fi

[ "$FAILURES" -eq 0 ] || { echo "$FAILURES failure(s)"; exit 1; }
echo "all passed"
