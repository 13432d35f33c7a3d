#!/usr/bin/env bash
# Proves that the packages work for a new application, as a user would consume them:
#   1. packs FreeEnergy.Core.sln into a temporary folder feed (exactly three .nupkg and three .snupkg),
#      with a unique prerelease version 0.1.0-localfeed.<timestamp> so that no older copy in the global
#      packages folder can stand in for the fresh packages;
#   2. creates a console app in a temporary folder (dotnet new console) whose nuget.config adds the folder
#      feed and maps FreeEnergy.* to it, while every other package comes from the sources the machine's
#      own NuGet configuration already names (no source address is written anywhere);
#   3. dotnet add package FreeEnergy.Core, FreeEnergy.Datasets (the same version) and TorchSharp-cpu;
#   4. copies samples/FreeEnergy.QuickStart/Program.cs, builds it, runs it for a few epochs and checks that it
#      prints R, D and C.
#
# Usage: build/test-local-feed.sh [EPOCHS]      (EPOCHS: the quick start's epoch budget, default 2)
# Environment: FREEENERGY_KEEP_TEMP=1 keeps the temporary folder; TORCHSHARP_CPU_VERSION overrides 0.107.0.
# Needs only bash, the .NET SDK and the package feed (tested on Debian 12). The global packages folder is reused (TorchSharp-cpu pulls
# libtorch for three OSes, about 1.2 GB, downloaded once); the FreeEnergy.* packages this run put there are
# removed at the end. Nothing in the repository's bin/ or obj/ folders is touched: the pack builds into the
# temporary folder.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
epochs=${1:-2}
torchsharp_cpu_version=${TORCHSHARP_CPU_VERSION:-0.107.0}

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
export DOTNET_CLI_UI_LANGUAGE=en
# No build servers or reusable MSBuild nodes: they would outlive this script, and hold its output open when a
# test runs it with redirected output.
export MSBUILDDISABLENODEREUSE=1 DOTNET_CLI_USE_MSBUILD_SERVER=0 UseSharedCompilation=false
# When run from inside another dotnet command (dotnet test), do not inherit that command's MSBuild settings.
unset MSBuildExtensionsPath MSBuildSDKsPath MSBUILD_EXE_PATH MSBuildLoadMicrosoftTargetsReadOnly 2>/dev/null || true

work=$(mktemp -d "${TMPDIR:-/tmp}/freeenergy-local-feed.XXXXXX")
feed="$work/feed"
app="$work/LocalFeedApp"
version=""
packages_root=""

step() { printf '\n== %s (%s s)\n' "$1" "$(( $(date +%s) - started ))"; }
fail() { printf 'test-local-feed: FAILED: %s\n' "$1" >&2; exit 1; }
host_has_glibcxx_3_4_32() {
  local library
  for library in /usr/lib/x86_64-linux-gnu/libstdc++.so.6 /lib/x86_64-linux-gnu/libstdc++.so.6 /usr/lib64/libstdc++.so.6 /usr/lib/libstdc++.so.6; do
    [ -f "$library" ] && grep -qaF 'GLIBCXX_3.4.32' "$library" && return 0
  done
  return 1
}

cleanup() {
  local status=$?
  if [ -n "$version" ] && [ -n "$packages_root" ]; then
    for id in freeenergy.core freeenergy.datasets freeenergy.core.cuda; do
      rm -rf "${packages_root%/}/$id/$version"
      rmdir "${packages_root%/}/$id" 2>/dev/null || true
    done
  fi
  if [ "${FREEENERGY_KEEP_TEMP:-0}" = "1" ]; then
    echo "test-local-feed: kept $work"
  else
    rm -rf "$work"
  fi
  exit "$status"
}
trap cleanup EXIT

started=$(date +%s)
stamp="$(date -u +%Y%m%d%H%M%S).$$"

step "pack FreeEnergy.Core.sln into $feed"
# The build goes to $work/artifacts (the repository's bin/ and obj/ stay as they are). Analyzers are skipped:
# they change no output, the normal build enforces them, and they double the compile time on two cores.
dotnet pack "$repo/FreeEnergy.Core.sln" -c Release -o "$feed" \
  -p:VersionSuffix="localfeed.$stamp" \
  -p:UseArtifactsOutput=true -p:ArtifactsPath="$work/artifacts/" \
  -p:RunAnalyzers=false -nodeReuse:false || fail "dotnet pack failed"

nupkgs=$(cd "$feed" && ls -1 -- *.nupkg 2>/dev/null | sort || true)
snupkgs=$(cd "$feed" && ls -1 -- *.snupkg 2>/dev/null | sort || true)
echo "$nupkgs"
echo "$snupkgs"
core=$(grep -E '^FreeEnergy\.Core\.[0-9].*\.nupkg$' <<<"$nupkgs" || true)
[ -n "$core" ] || fail "no FreeEnergy.Core package in $feed"
version=${core#FreeEnergy.Core.}
version=${version%.nupkg}
expected=$(printf '%s\n' "FreeEnergy.Core.$version" "FreeEnergy.Core.Cuda.$version" "FreeEnergy.Datasets.$version" | sort)
[ "$nupkgs" = "$(sed 's/$/.nupkg/' <<<"$expected")" ] || fail "expected exactly the three packages of version $version, found: $nupkgs"
[ "$snupkgs" = "$(sed 's/$/.snupkg/' <<<"$expected")" ] || fail "expected exactly the three symbol packages of version $version, found: $snupkgs"
echo "packed version $version"

packages_root=${NUGET_PACKAGES:-$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')}

step "create a console app in $app"
# The sources the machine's NuGet configuration names (by key, never by address), read before the app has its
# own nuget.config; every package except FreeEnergy.* is mapped to them.
sources=()
while IFS= read -r source; do
  sources+=("$source")
done < <(cd "$work" && dotnet nuget list source | sed -nE 's/^ *[0-9]+\. +(.+) \[Enabled\]$/\1/p')
[ "${#sources[@]}" -gt 0 ] || fail "the machine's NuGet configuration names no enabled package source"
echo "machine package sources: ${sources[*]}"
dotnet new console --name LocalFeedApp --output "$app" --framework net10.0 || fail "dotnet new console failed"
{
  echo '<?xml version="1.0" encoding="utf-8"?>'
  echo '<!-- Written by build/test-local-feed.sh: the folder feed, plus the sources the machine configuration names. -->'
  echo '<configuration>'
  echo '  <packageSources>'
  echo "    <add key=\"freeenergy-local\" value=\"$feed\" />"
  echo '  </packageSources>'
  echo '  <packageSourceMapping>'
  echo '    <packageSource key="freeenergy-local">'
  echo '      <package pattern="FreeEnergy.*" />'
  echo '    </packageSource>'
  for source in "${sources[@]}"; do
    echo "    <packageSource key=\"$source\">"
    echo '      <package pattern="*" />'
    echo '    </packageSource>'
  done
  echo '  </packageSourceMapping>'
  echo '</configuration>'
} > "$app/nuget.config"
cat "$app/nuget.config"

step "dotnet add package FreeEnergy.Core $version, FreeEnergy.Datasets $version, TorchSharp-cpu $torchsharp_cpu_version"
cd "$app"
dotnet add package FreeEnergy.Core --version "$version" || fail "dotnet add package FreeEnergy.Core failed"
dotnet add package FreeEnergy.Datasets --version "$version" || fail "dotnet add package FreeEnergy.Datasets failed"
dotnet add package TorchSharp-cpu --version "$torchsharp_cpu_version" || fail "dotnet add package TorchSharp-cpu failed"
grep -F "FreeEnergy.Core/$version" obj/project.assets.json >/dev/null || fail "the restore did not resolve FreeEnergy.Core $version"
core_cache="${packages_root%/}/freeenergy.core/$version"
[ -f "$core_cache/buildTransitive/FreeEnergy.Core.targets" ] || fail "FreeEnergy.Core $version in $core_cache has no buildTransitive targets"
cmp -s "$core_cache/freeenergy.core.$version.nupkg" "$feed/FreeEnergy.Core.$version.nupkg" || fail "FreeEnergy.Core $version in the global packages folder is not the package just packed"

step "build the quick start"
cp "$repo/samples/FreeEnergy.QuickStart/Program.cs" "$app/Program.cs"
dotnet build -c Release -nodeReuse:false 2>&1 | tee "$work/build.log" || fail "dotnet build failed"
if [ "$(uname -s)" = Linux ] && ! host_has_glibcxx_3_4_32; then
  # This host's libstdc++ is older than the one TorchSharp's shim was built with (Debian 12, Ubuntu 22.04): the
  # package's buildTransitive target must have patched the copy in the fresh build output.
  grep -q 'FreeEnergy: marked GLIBCXX_3.4.32 weak' "$work/build.log" ||
    fail "the buildTransitive fix-up for TorchSharp's native shim did not run"
  echo "the package's buildTransitive target patched TorchSharp's native shim in the output"
fi

step "run the quick start ($epochs epochs)"
dotnet "bin/Release/net10.0/LocalFeedApp.dll" "$epochs" 2>&1 | tee "$work/run.log" || fail "the quick start exited with an error"
for line in 'rate R' 'distortion D' 'classification C'; do
  grep -qE "^ +$line += +-?[0-9]+\.[0-9]+ nats" "$work/run.log" || fail "the quick start printed no '$line = ... nats' line"
done

step "done"
echo "test-local-feed: PASSED: FreeEnergy.Core $version from a local folder feed runs the quick start"
