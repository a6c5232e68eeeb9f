# Shared by the local pipeline scripts (source it after setting $work): a published copy of the tool, so rebuilding
# the repository meanwhile cannot disturb a run; the local benchmark's data; and `step`, which runs one command with
# --json into its output file and skips it when that file exists, so an interrupted run picks up where it stopped.
mkdir -p "$work"
if [ ! -x "$work/tool/sls" ]; then dotnet publish src/SlsPrune.Cli -c Release -o "$work/tool" -v quiet > /dev/null; fi
sls() { "$work/tool/sls" "$@"; }
[ -d "$work/fm/tasks" ] || sls data fashion-mnist --out "$work/fm" --seed 0 > /dev/null
step() { # step NAME OUTFILE -- command...
  local name=$1 out=$2; shift 3
  if [ -s "$out" ]; then return; fi
  local t0; t0=$(date +%s)
  "$@" --json > "$out.tmp"
  mv "$out.tmp" "$out"
  echo "  $name: $(( $(date +%s) - t0 )) s"
}
