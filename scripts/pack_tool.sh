#!/usr/bin/env bash
# Builds the `sls` .NET tool package for this machine's runtime (e.g. linux-x64), framework-dependent, into
# artifacts/tool (or the folder given), and prints how to install it:
#   scripts/pack_tool.sh [OUT_DIR]
#   dotnet tool install --global --add-source artifacts/tool SlsPrune
# libtorch is the native package for the OS being built on (Directory.Build.targets), so a package for another
# platform is built on that platform.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/tool}"
rid=$(dotnet --info | awk '/^ *RID:/ {print $2; exit}')
if [ -z "$rid" ]; then echo "pack_tool: could not read this machine's runtime identifier from 'dotnet --info'" >&2; exit 1; fi
mkdir -p "$out"
dotnet pack src/SlsPrune.Cli -c Release -r "$rid" -p:SelfContained=false -o "$out" -nologo -v:quiet
pkg=$(ls -t "$out"/SlsPrune.*.nupkg | head -1)
echo "built $pkg ($(du -m "$pkg" | cut -f1) MB, $rid)"
echo "install: dotnet tool install --global --add-source $out SlsPrune"
