#!/usr/bin/env bash
# A self-contained `sls` for linux-x64 that carries no libtorch: it uses an installed PyTorch's (CUDA or CPU)
# through SLS_LIBTORCH (docs/user-guide.md, "CUDA"). Trimmed (framework assemblies only): 98 MB, 31 MB as a tar.xz
# (2026-12-07; ONNX Runtime's library is 29 MB of it), to copy to a GPU machine that has PyTorch but no .NET.
#
#     scripts/publish_external.sh OUT_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/publish_external.sh OUT_DIR}
mkdir -p "$out"; out=$(cd "$out" && pwd)
# Built from a copy of the sources, so the restore for this runtime and backend leaves the usual build alone.
src=$(mktemp -d); trap 'rm -rf "$src"' EXIT
git ls-files -co --exclude-standard -- src build Directory.* global.json .editorconfig 2>/dev/null | tar cf - -T - | tar xf - -C "$src"
cd "$src"
dotnet publish src/SlsPrune.Cli -c Release -r linux-x64 --self-contained -p:SlsTorchBackend=external \
  -p:InvariantGlobalization=true -p:SatelliteResourceLanguages=en -p:PublishTrimmed=true -p:TrimMode=partial \
  -p:JsonSerializerIsReflectionEnabledByDefault=true -p:EnableTrimAnalyzer=false -p:SuppressTrimAnalysisWarnings=true \
  -o "$out"
du -sh "$out"
