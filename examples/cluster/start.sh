#!/usr/bin/env bash
# Three mqx nodes on one machine, joined through Debian's redis-server, as one broker on ports
# 1883, 1884 and 1885. Ctrl-C stops them all. Needs: apt-get install redis-server.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; wait; rm -rf "$dir"' EXIT
# The append-only file, fsynced on every write, keeps what the nodes acknowledged across a restart of Redis.
redis-server --port 6379 --bind 127.0.0.1 --dir "$dir" --appendonly yes --appendfsync always --save '' &
sleep 0.5
for port in 1883 1884 1885; do
  node bin/mqx.js broker -p "$port" --cluster redis://127.0.0.1:6379 &
done
wait
