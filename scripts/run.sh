#!/usr/bin/env bash
# Installs what is missing, builds, and runs the appliance on http://127.0.0.1:8080 with its store in ./data.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
dotnet build Appliance.sln -c Release
exec dotnet artifacts/bin/Appliance/release/outpost.dll --data-dir ./data --urls http://127.0.0.1:8080 "$@"
