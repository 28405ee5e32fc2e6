#!/bin/sh
# What a CI job does with mqx: start a broker in the background, wait until it accepts
# connections (no sleep loop: a client that retries with a deadline), check that a message
# goes through, stop the broker. Exits non-zero on the first failure.
#   MQX   how to run mqx (default: mqx)     PORT  broker port (default: 1883)
set -eu
MQX="${MQX:-mqx}"
PORT="${PORT:-1883}"

$MQX broker -p "$PORT" >/dev/null 2>&1 &
BROKER=$!
trap 'kill "$BROKER" 2>/dev/null || true; wait "$BROKER" 2>/dev/null || true' EXIT

# Ready when a subscription is acknowledged; retries for at most 10 s, then exit 5.
$MQX sub -h 127.0.0.1 -p "$PORT" -t ci/ready -E --reconnect --reconnect-max-delay 0.5 --connect-timeout 10

# A retained message is there for a subscriber that comes later: no race with the publisher.
$MQX pub -h 127.0.0.1 -p "$PORT" -t ci/result -m passed -r -q 1
RESULT=$($MQX sub -h 127.0.0.1 -p "$PORT" -t ci/result -C 1 -W 5)
if [ "$RESULT" != "passed" ]; then
  echo "ci-job: expected 'passed', got '$RESULT'" >&2
  exit 1
fi

kill "$BROKER"
wait "$BROKER" 2>/dev/null || true
trap - EXIT
echo "ci-job: ok"
