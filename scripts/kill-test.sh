#!/usr/bin/env bash
# The kill test of issue 17 with a chosen number of kill moments: SIGKILLs a `surface --quick --no-repair` run of the
# built samples/FreeEnergy.Reproduce at N evenly spaced moments of an uninterrupted run (plus 6 polled kills: right
# after a records-file write and during a checkpoint write), resumes in the same folder each time, and checks that the
# finished records equal the uninterrupted run's, that no temporary file is left and that every intermediate state
# loads. It runs the xunit test KillTests (CI runs it with N = 8 as part of `dotnet test`).
#
#   scripts/kill-test.sh [N] [WORKERS]   # default N = 40, WORKERS = 1 (the program's --workers; CI runs 1);
#                                        # prints the kill points tried and how many landed mid-write
#
# docs/troubleshooting.md ("Crashes, kills and resuming") explains what it checks.
set -euo pipefail
cd "$(dirname "$0")/.."
points=${1:-40}
workers=${2:-1}
if ! [[ $points =~ ^[1-9][0-9]*$ ]]; then
  echo "kill-test: the number of kill points must be a positive integer, not '$points'" >&2
  exit 2
fi
if ! [[ $workers =~ ^[1-9][0-9]*$ ]]; then
  echo "kill-test: the number of workers must be a positive integer, not '$workers'" >&2
  exit 2
fi

export FREEENERGY_KILL_POINTS=$points FREEENERGY_KILL_WORKERS=$workers DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test tests/FreeEnergy.Reproduce.Tests -c Release \
  --filter "FullyQualifiedName~FreeEnergy.Reproduce.Tests.KillTests" \
  --logger "console;verbosity=detailed" >"$log" 2>&1 || status=$?
if [[ $status -eq 0 ]]; then
  grep -E '^ *(kill test:|timed |polled:|Passed )' "$log" | sort -u
else
  cat "$log"
fi
echo "kill-test: dotnet test exit code $status"
exit "$status"
