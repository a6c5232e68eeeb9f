#!/usr/bin/env bash
# Runs every fenced shell block marked runnable (```sh runnable) in README.md and docs/*.md, in file order, so the
# quick start and the walkthrough never rot:
#   scripts/run_readme.sh
# The blocks run in a temporary folder holding a copy of models/ and scripts/ (what they read), never in the checkout.
# `sls` is $SLS when set, else this checkout's Release build (built first if missing); `dotnet run --project src/...`
# runs this checkout's project. `dotnet test` lines are skipped: .ci/run runs the tests itself. Prints each block's
# time and the total; exits with the first failing command's status.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export SLS="${SLS:-$root/src/SlsPrune.Cli/bin/Release/net10.0/sls}"
if [ ! -x "$SLS" ]; then
  echo "run_readme: building $SLS" >&2
  dotnet build "$root/src/SlsPrune.Cli" -c Release -nologo -v:quiet >&2
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/sls-readme.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp -r "$root/models" "$root/scripts" "$work/"

blocks="$work/.blocks"; mkdir -p "$blocks"
n=0; d=0
for doc in "$root/README.md" "$root"/docs/*.md; do
  # one file per runnable block, named by the document and the block's first line number
  d=$((d + 1))
  awk -v out="$blocks" -v doc="$(printf %02d "$d")-$(basename "$doc" .md)" '
    /^```/ { if (inb) { inb = 0; close(f); next } if ($0 ~ /^```(sh|bash)[ \t]+runnable/) { inb = 1; f = sprintf("%s/%s-%05d.sh", out, doc, NR); printf "" > f; next } }
    inb { print >> f }' "$doc"
done
total_start=$(date +%s.%N)
for b in $(ls "$blocks" | LC_ALL=C sort); do
  n=$((n + 1))
  script="$blocks/$b"
  # this checkout's project for `dotnet run`; no recursive test run
  sed -i -e "s#--project src/#--project $root/src/#" -e '/^[[:space:]]*dotnet test\b/d' "$script"
  echo "== $b" >&2
  sed 's/^/   /' "$script" >&2
  start=$(date +%s.%N)
  (cd "$work" && sls() { "$SLS" "$@"; } && export -f sls && bash -euo pipefail "$script") > "$work/.out" 2>&1 || {
    status=$?; cat "$work/.out" >&2; echo "run_readme: $b failed (exit $status)" >&2; exit "$status"; }
  printf 'run_readme: %s ok in %.1f s\n' "$b" "$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')" >&2
done
if [ "$n" -eq 0 ]; then echo "run_readme: no runnable blocks found" >&2; exit 1; fi
printf 'run_readme: %d blocks ok in %.1f s\n' "$n" "$(awk -v a="$total_start" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
