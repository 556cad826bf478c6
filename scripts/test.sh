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
# A failing test must fail the run, never hang it: bound each test file and exit when all are done.
# Tests named *.install.test.ts run `npm install` first (the docs test on a fresh clone, with a
# full build; the packed packages in an empty project): they get a longer bound of their own, and
# run first so that the summary printed last is the rest of the suite's.
slow=()
fast=()
for f in "${files[@]}"; do
  if [[ "$f" == *.install.test.js ]]; then slow+=("$f"); else fast+=("$f"); fi
done
rc=0
if [ "${#slow[@]}" -gt 0 ]; then
  node --enable-source-maps --test --test-timeout=900000 --test-force-exit "${slow[@]}" || rc=$?
fi
node --enable-source-maps --test --test-concurrency=2 --test-timeout=120000 --test-force-exit "${fast[@]}" || rc=$?
exit "$rc"
