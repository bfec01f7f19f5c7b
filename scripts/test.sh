#!/usr/bin/env bash
# Runs the whole test suite (unit, store crash tests, real HTTP, real packets in network namespaces, real browser).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dotnet build Appliance.sln -c Release
dotnet test Appliance.sln -c Release --no-build --logger "console;verbosity=normal" "$@"
