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

# Everything the tests start from here on inherits a marker and keeps its temporary files in a
# directory of this run (set after the shared services above, which are meant to stay up); once the
# runner is done, scripts/leftover-processes.mjs finds any process still holding either.
run_dir=$(mktemp -d -t herald-test-XXXXXX)
trap 'rm -rf "$run_dir"' EXIT
export HERALD_TEST_RUN="${run_dir##*/}"
export TMPDIR="$run_dir"

# Node's own choice of reporter (spec on a terminal, tap otherwise); a copy of the output keeps the summary.
reporter=tap
[ -t 1 ] && reporter=spec
run() {
  node --enable-source-maps --test --test-force-exit --test-reporter="$reporter" "$@" | tee -a "$run_dir/output"
  return "${PIPESTATUS[0]}"
}
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
  run --test-timeout=900000 "${slow[@]}" || rc=$?
fi
run --test-concurrency=2 --test-timeout=120000 "${fast[@]}" || rc=$?

if ! node scripts/leftover-processes.mjs "$HERALD_TEST_RUN" "$run_dir"; then
  [ "$rc" -ne 0 ] || rc=1
  # The runner's summary is above the list now: repeat it (the last run's) as the last line.
  count() { sed -E 's/\x1b\[[0-9;]*m//g' "$run_dir/output" | sed -n -E "s/^(# |ℹ )$1 ([0-9]+)\$/\\2/p" | tail -1; }
  echo "$(count pass) passed, $(count fail) failed; processes left running (listed above) fail the run"
fi
exit "$rc"
