#!/usr/bin/env bash
# Runs every compiled test file (node:test). Called by `npm test` after lint and build.
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find packages bench test -path '*/node_modules' -prune -o -path '*/dist/*' -name '*.test.js' -print | sort)
if [ "${#files[@]}" -eq 0 ]; then
  echo "no test files found: run the build first" >&2
  exit 1
fi
# The Redis and NATS engine tests run against real servers on loopback.
bash scripts/ensure-services.sh
# The SSE and browser tests drive Debian's chromium; install it on a fresh machine.
bash scripts/ensure-chromium.sh
# A failing test must fail the run, never hang it: bound each test and exit when all are done.
exec node --enable-source-maps --test --test-concurrency=2 --test-timeout=120000 --test-force-exit "${files[@]}"
