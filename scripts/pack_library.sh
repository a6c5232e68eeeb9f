#!/usr/bin/env bash
# Builds the library package SlsPrune.Core (version from Directory.Build.props) into artifacts/library (or the folder
# given), and prints how to use it from a local folder source:
#   scripts/pack_library.sh [OUT_DIR]
#   dotnet add package SlsPrune.Core --source artifacts/library
# It depends on TorchSharp and the CPU libtorch package of the OS it is packed on (Directory.Build.targets), so a
# package for another platform is packed on that platform.
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-artifacts/library}"
mkdir -p "$out"
dotnet pack src/SlsPrune.Core -c Release -o "$out" -nologo -v:quiet
pkg=$(ls -t "$out"/SlsPrune.Core.*.nupkg | head -1)
echo "built $pkg ($(du -k "$pkg" | cut -f1) KB)"
echo "use: dotnet add package SlsPrune.Core --source $out   (or a <PackageReference> and a nuget.config naming the folder)"
