#!/bin/sh
# What a CI script does with `mqx sub --match`: wait for the message it cares about, skip the
# rest, and branch on the exit code. The messages wait in a kept session (QoS 1), so they are
# there in a known order when the waiting sub connects: no race, no sleep.
#   MQX   how to run mqx (default: mqx)     PORT  broker port (default: 1883)
set -u
MQX="${MQX:-mqx}"
P="-h 127.0.0.1 -p ${PORT:-1883}"

fail() {
  echo "match-ci: $*" >&2
  exit 1
}

# expect CODE COMMAND...: runs COMMAND, keeps its stdout in $OUT, fails unless it exits with CODE.
expect() {
  want=$1
  shift
  OUT=$("$@" 2>/dev/null)
  got=$?
  [ "$got" -eq "$want" ] || fail "expected exit $want, got $got: $*"
}

# queue ID MESSAGE...: a kept session for ID subscribed to m/#, then each message published to it.
queue() {
  id=$1
  shift
  expect 0 $MQX sub $P -c -i "$id" -q 1 -t 'm/#' -E
  for msg in "$@"; do expect 0 $MQX pub $P -q 1 -t m/reading -m "$msg"; done
}

queue ci-json '{"temperature": 25}' 'not json' '{"temperature": 31.5}' '{"temperature": 40}'
expect 0 $MQX sub $P -c -i ci-json -q 1 -t 'm/#' --match 'json:$.temperature > 30' -W 10
[ "$OUT" = '{"temperature": 31.5}' ] || fail "json: got '$OUT'"

queue ci-dollar '{"state": "idle"}' '{"state": "done", "n": 1}' '{"state": "done", "n": 2}'
expect 0 $MQX sub $P -c -i ci-dollar -q 1 -t 'm/#' --match '$.state == "done"' -C 2 -W 10
[ "$OUT" = "$(printf '%s\n%s' '{"state": "done", "n": 1}' '{"state": "done", "n": 2}')" ] || fail "\$: got '$OUT'"

queue ci-re 'build 41 failed' 'build 42 passed' 'build 43 passed'
expect 0 $MQX sub $P -c -i ci-re -q 1 -t 'm/#' --match 're:^build \d+ passed$' -W 10
[ "$OUT" = 'build 42 passed' ] || fail "re: got '$OUT'"

queue ci-text 'passed!' 'passed' 'passed'
expect 0 $MQX sub $P -c -i ci-text -q 1 -t 'm/#' --match 'text:passed' -v -W 10
[ "$OUT" = 'm/reading passed' ] || fail "text: got '$OUT'"

# Nothing matches within -W: exit 5, nothing printed.
queue ci-none 'a' 'b'
expect 5 $MQX sub $P -c -i ci-none -q 1 -t 'm/#' --match 'text:c' -W 1
[ "$OUT" = '' ] || fail "no match printed '$OUT'"

# A kind must be named; a broken JSONPath or regex is a usage error before connecting.
expect 2 $MQX sub $P -t 'm/#' --match 'passed'
expect 2 $MQX sub $P -t 'm/#' --match 'json:$.['
expect 2 $MQX sub $P -t 'm/#' --match 're:('

# Drop the kept sessions (a clean connection ends each).
for id in ci-json ci-dollar ci-re ci-text ci-none; do expect 0 $MQX sub $P -i "$id" -t 'm/#' -E; done
echo "match-ci: ok"
