#!/usr/bin/env bash
# Rewrites the public-API baseline of every package project (src/*/PublicAPI.Shipped.txt and PublicAPI.Unshipped.txt)
# from the code as it is, then builds to prove the baseline matches. See docs/packaging.md, "The public-API baseline".
#
#   scripts/update-public-api.sh           the API since the last release goes to PublicAPI.Unshipped.txt; a symbol
#                                          listed in PublicAPI.Shipped.txt that is gone gets a *REMOVED* line there
#   scripts/update-public-api.sh --ship    at a release: PublicAPI.Shipped.txt becomes the whole current API and
#                                          PublicAPI.Unshipped.txt is emptied
#
# How: both files of each project are emptied (kept as "#nullable enable"), the projects are built once with
# RS0016 as a warning, and every RS0016 "Symbol '<entry>' is not part of the declared public API" names one entry
# exactly as the analyzer wants it in the file (nullability annotations included). The entries are sorted
# ordinally. On any failure the files are put back as they were.
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_CLI_UI_LANGUAGE=en LC_ALL=C

ship=false
case "${1:-}" in
  "") ;;
  --ship) ship=true ;;
  -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "update-public-api: unknown argument '$1' (use no argument, or --ship at a release; --help explains)" >&2; exit 2 ;;
esac

nice_cmd=()
command -v nice >/dev/null 2>&1 && nice_cmd=(nice -n 10)

# Every packable project under src/.
projects=()
for p in src/*/*.csproj; do projects+=("$p"); done
if [ ${#projects[@]} -eq 0 ]; then
  echo "update-public-api: no project under src/ (run it from a clone of the repository)" >&2
  exit 1
fi

work=$(mktemp -d)
restore_files() {
  for p in "${projects[@]}"; do
    d=$(dirname "$p"); key=$(basename "$d")
    for f in Shipped Unshipped; do
      if [ -f "$work/$key.$f.orig" ]; then cp "$work/$key.$f.orig" "$d/PublicAPI.$f.txt"
      else rm -f "$d/PublicAPI.$f.txt"; fi
    done
  done
}
done_ok=false
trap 'if [ "$done_ok" != true ]; then restore_files; echo "update-public-api: failed; PublicAPI.*.txt are as they were" >&2; fi; rm -rf "$work"' EXIT

# The entries of a baseline file: every line but the #nullable header and blank lines.
entries() { [ -f "$1" ] && grep -v -e '^#nullable' -e '^[[:space:]]*$' "$1" | sort -u || true; }

for p in "${projects[@]}"; do
  d=$(dirname "$p"); key=$(basename "$d")
  for f in Shipped Unshipped; do
    [ -f "$d/PublicAPI.$f.txt" ] && cp "$d/PublicAPI.$f.txt" "$work/$key.$f.orig"
    printf '#nullable enable\n' >"$d/PublicAPI.$f.txt"
  done
done

# One build per project, TreatWarningsAsErrors=false so that a project compiles against a referenced one whose
# baseline is empty (any other build error still fails the build and stops the script). Each project compiles once,
# in whichever build reaches it first (its baseline files changed, so it is not up to date), and MSBuild tags every
# message with the project that reported it; so the logs are read together afterwards.
: >"$work/all.log"
for p in "${projects[@]}"; do
  echo "update-public-api: building $p"
  if ! "${nice_cmd[@]}" dotnet build "$p" -c Release -tl:off -nologo -p:TreatWarningsAsErrors=false \
      -clp:NoSummary -v:minimal >"$work/build.log" 2>&1; then
    grep -E ': error ' "$work/build.log" | sort -u | head -n 30 >&2 || tail -n 30 "$work/build.log" >&2
    echo "update-public-api: $p does not build (errors above); fix the code first" >&2
    exit 1
  fi
  cat "$work/build.log" >>"$work/all.log"
done
for p in "${projects[@]}"; do
  full=$(cd "$(dirname "$p")" && pwd)/$(basename "$p")
  # "<file>(l,c): warning RS0016: Symbol '<entry>' is not part of the declared public API (<help>) [<project>]"
  { grep -F " RS0016: " "$work/all.log" | grep -F "[$full]" || true; } |
    sed -E "s/^.*: (warning|error) RS0016: Symbol '(.*)' is not part of the declared public API.*$/\2/" |
    sort -u >"$work/$(basename "$(dirname "$p")").current"
done

total_added=0; total_removed=0
for p in "${projects[@]}"; do
  d=$(dirname "$p"); key=$(basename "$d")
  current="$work/$key.current"
  entries "$work/$key.Shipped.orig" >"$work/$key.shipped"
  # Entries the old files had, to report what changed.
  { entries "$work/$key.Shipped.orig"; entries "$work/$key.Unshipped.orig" | grep -v '^\*REMOVED\*' || true; } |
    sort -u >"$work/$key.before"
  if [ "$ship" = true ]; then
    { printf '#nullable enable\n'; cat "$current"; } >"$d/PublicAPI.Shipped.txt"
    printf '#nullable enable\n' >"$d/PublicAPI.Unshipped.txt"
  else
    cp "$work/$key.Shipped.orig" "$d/PublicAPI.Shipped.txt" 2>/dev/null || printf '#nullable enable\n' >"$d/PublicAPI.Shipped.txt"
    {
      printf '#nullable enable\n'
      comm -13 "$work/$key.shipped" "$current"
      comm -23 "$work/$key.shipped" "$current" | sed 's/^/*REMOVED*/'
    } >"$d/PublicAPI.Unshipped.txt"
  fi
  added=$(comm -13 "$work/$key.before" "$current" | wc -l)
  removed=$(comm -23 "$work/$key.before" "$current" | wc -l)
  total_added=$((total_added + added)); total_removed=$((total_removed + removed))
  echo "update-public-api: $key: $(wc -l <"$current") public symbols, $added added, $removed removed"
done

# Prove it: the ordinary build (warnings as errors) must now pass the baseline check.
for p in "${projects[@]}"; do
  if ! "${nice_cmd[@]}" dotnet build "$p" -c Release -tl:off -nologo -clp:NoSummary -v:minimal >"$work/build.log" 2>&1; then
    grep -E ': error ' "$work/build.log" | sort -u | head -n 30 >&2 || tail -n 30 "$work/build.log" >&2
    echo "update-public-api: $p still fails with the rewritten baseline (errors above)" >&2
    exit 1
  fi
done
done_ok=true
echo "update-public-api: baseline rewritten ($total_added symbols added, $total_removed removed in all); review and commit: git diff -- 'src/*/PublicAPI.*.txt'"
