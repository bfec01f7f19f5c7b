#!/usr/bin/env bash
# Runs the whole test suite: unit, store crash tests, real HTTP, real packets in network namespaces, a real browser,
# and the packages. Test projects run one after another (-m:1): the packet tests need the CPU to hold their rates,
# and the probe and end-to-end suites share one 10.77.0.0/16 plan for their network namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dotnet build Appliance.sln -c Release
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# A test that hangs fails its project after 10 minutes (no test or fixture takes one), naming the test that was
# running, and the other projects still run: a hang costs one project's results, not the whole CI budget.
dotnet test Appliance.sln -c Release --no-build -m:1 --logger "console;verbosity=normal" \
  --blame-hang-timeout 10m --blame-hang-dump-type none "$@" 2>&1 | tee "$log" || status=$?
# One closing line over every test assembly (each ends with "Passed: N", "Failed: N", "Skipped: N" lines), in the
# plain "N passed, N failed" form.
awk '/^ *(Passed|Failed|Skipped): [0-9]+$/ { n[$1] += $2 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", n["Passed:"], n["Failed:"], n["Skipped:"]; if (n["Passed:"] == 0) exit 1 }' "$log" || status=1
exit "$status"
