#!/usr/bin/env bash
# Regenerates the images in docs/images/ from real output of the shipped model (models/fmnist-vit8, its
# structured-location task and committed calibration images): one figure of every kind sls draws and a screenshot
# of the HTML report.
#   scripts/make_doc_images.sh            (about 2 minutes on 2 cores after the build)
# Needs headless chromium for the screenshot (apt-get install chromium) and, to keep every image well under
# 200 KB, pngquant (apt-get install pngquant); without it the images are copied as Skia wrote them.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build src/SlsPrune.Cli -c Release -nologo -v:quiet >/dev/null
sls() { dotnet src/SlsPrune.Cli/bin/Release/net10.0/sls.dll "$@"; }
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$chromium" ]; then echo "make_doc_images: no chromium on PATH (apt-get install chromium)" >&2; exit 1; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
m=models/fmnist-vit8
data=$m/calibration/structured-location
model=(--backbone "$m/backbone.safetensors" --petl "$m/structured-location.convpass.safetensors" --device cpu)

# score, t-SNE grid and one t-SNE layer: the README's quick start with --plots
sls prune "${model[@]}" --data "$data" --out "$work/index.sls.json" --plots "$work/prune" >/dev/null
# confusion and per-class: the pruned model evaluated
sls eval "${model[@]}" --data "$data" --split train800val200 --index "$work/index.sls.json" --plots "$work/eval" >/dev/null
# the HTML report (and its grouped bars): SLS against block influence on the same task
cat > "$work/manifest.json" <<JSON
{
  "backbone": "$PWD/$m/backbone.safetensors",
  "defaults": { "stages": ["eval", "prune"], "device": "cpu", "eval_split": "train800val200" },
  "tasks": [
    { "name": "structured-location", "data": "$PWD/$data", "group": "structured", "petl": "$PWD/$m/structured-location.convpass.safetensors" },
    { "name": "structured-location-bi", "data": "$PWD/$data", "group": "structured", "petl": "$PWD/$m/structured-location.convpass.safetensors",
      "settings": { "method": "bi", "keep_blocks": 5 } }
  ]
}
JSON
sls batch --manifest "$work/manifest.json" --out "$work/out" 2>/dev/null >/dev/null
sls report "$work/out" --format html --out "$work/report.html" 2>/dev/null
"$chromium" --headless --disable-gpu --no-sandbox --no-first-run --disable-extensions --user-data-dir="$work/profile" \
  --virtual-time-budget=5000 --hide-scrollbars --window-size=1100,1400 --screenshot="$work/report.png" "file://$work/report.html" 2>/dev/null
# the grouped bars figure is in the page only: take it from there
python3 - "$work/report.html" "$work/bars.png" <<'PY'
import base64, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
m = re.search(r'alt="accuracy by method and group" src="data:image/png;base64,([^"]+)"', page)
if not m: sys.exit("make_doc_images: the report has no grouped bars figure")
open(sys.argv[2], "wb").write(base64.b64decode(m.group(1)))
PY

out=docs/images
mkdir -p "$out"
copy() {
  if command -v pngquant >/dev/null; then pngquant --force --quality 60-95 --strip --output "$out/$2" "$1"; else cp "$1" "$out/$2"; fi
  echo "$out/$2: $(( $(stat -c %s "$out/$2") / 1024 )) KB"
}
copy "$work/prune/scores.png" scores.png
copy "$work/prune/tsne_grid.png" tsne_grid.png
copy "$work/prune/tsne_layer05.png" tsne_layer.png
copy "$work/eval/confusion.png" confusion.png
copy "$work/eval/per_class.png" per_class.png
copy "$work/bars.png" bars.png
copy "$work/report.png" report.png
