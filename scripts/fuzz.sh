#!/usr/bin/env bash
# fuzz.sh [FUZZTIME] — run every fuzz target for FUZZTIME (default 30s)
# each, without -race (the fuzzer's own instrumentation is what finds
# inputs), and print how many inputs each one ran. A crasher fails the run
# and is left by `go test` in the package's testdata/fuzz/FuzzX/: commit it
# with its fix, where it then runs on every `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-30s}
targets=(
  ./internal/yamldoc:FuzzParse       # the YAML loader
  ./runbooks:FuzzLoad                # runbooks and inventories through it
  ./drills:FuzzLoad                  # drill files through it, and their plans
  ./timeline:FuzzJournalReport       # the journal reader and its reports
  ./inject:FuzzQuote                 # shell quoting, against real sh and bash
)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for t in "${targets[@]}"; do
  pkg=${t%%:*} fn=${t##*:}
  if go test -run '^$' -fuzz "^${fn}\$" -fuzztime "$fuzztime" "$pkg" >"$log" 2>&1; then
    execs=$(grep -o 'execs: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    echo "fuzz: $fn ($pkg): ${execs:-?} executions in $fuzztime, no failure"
  else
    echo "fuzz: $fn ($pkg) FAILED:"
    cat "$log"
    status=1
  fi
done
exit $status
