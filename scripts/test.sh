#!/usr/bin/env bash
# Runs the whole test suite: unit, store crash tests, real HTTP, real packets in network namespaces, a real browser,
# and the packages. The packet suites (probe, end-to-end) run alone, one after the other: they need the CPU to hold
# their rates, and they share one 10.77.0.0/16 plan for their network namespaces. The packaging suite spends its time
# in dpkg, rpm, lintian and a bootstrapped Debian root rather than in timing-sensitive work, so it runs beside the
# HTTP and store suites and is done before the browser and packet suites start: on 2 cores the three took 8.8
# minutes side by side against 9.7 one after another, which keeps the whole run under 20 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dotnet build Appliance.sln -c Release
log=$(mktemp)
packaging_log=$(mktemp)
trap 'rm -f "$log" "$packaging_log"' EXIT
status=0
suite() { dotnet test "tests/$1/$1.csproj" -c Release --no-build --logger "console;verbosity=normal" "${@:2}"; }

suite Packaging.Tests "$@" > "$packaging_log" 2>&1 &
packaging=$!
for project in Appliance.Tests Store.Tests; do
  suite "$project" "$@" 2>&1 | tee -a "$log" || status=$?
done
wait "$packaging" || status=$?
tee -a "$log" < "$packaging_log"
for project in Ui.Tests Probe.Tests EndToEnd.Tests; do
  suite "$project" "$@" 2>&1 | tee -a "$log" || status=$?
done
# One closing line over every test assembly (each ends with "Passed: N", "Failed: N", "Skipped: N" lines), in the
# plain "N passed, N failed" form.
awk '/^ *(Passed|Failed|Skipped): [0-9]+$/ { n[$1] += $2 }
     END { printf "tests: %d passed, %d failed, %d skipped\n", n["Passed:"], n["Failed:"], n["Skipped:"]; if (n["Passed:"] == 0) exit 1 }' "$log" || status=1
exit "$status"
