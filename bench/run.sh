#!/usr/bin/env bash
# Working-tree scan benchmark: keysweep vs ripgrep searching the same keyword
# list over the same generated tree, warm page cache, medians of N runs.
#
#   bench/run.sh [SIZE_MB] [RUNS]      (defaults: 200 MB, 5 runs)
#
# Installs ripgrep into bench/tools with `cargo install` when it is not on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZE=${1:-200}
RUNS=${2:-5}
CORPUS=bench/corpus/tree-$SIZE
cargo build --release --quiet
KS=target/release/keysweep
if [ ! -f "$CORPUS/PLANTED.txt" ]; then
  rm -rf "$CORPUS"
  python3 bench/gen_corpus.py "$CORPUS" "$SIZE"
fi
RG=$(command -v rg || true)
if [ -z "$RG" ]; then
  [ -x bench/tools/bin/rg ] || cargo install --quiet ripgrep --root bench/tools
  RG=bench/tools/bin/rg
fi
KW=bench/corpus/keywords.txt
"$KS" rules list --format json | python3 -c '
import json, sys
kws = sorted({k.lower() for r in json.load(sys.stdin) for k in r["keywords"]})
print("\n".join(kws))' > "$KW"
# Warm the page cache.
find "$CORPUS" -type f -exec cat {} + > /dev/null
python3 bench/measure.py "$RUNS" "$CORPUS" \
  "keysweep=$KS scan $CORPUS --format json --output /dev/null --quiet --exit-zero" \
  "rg=$RG -uu -i -F -f $KW -c $CORPUS"
echo "planted keys: $(cat "$CORPUS/PLANTED.txt"); keysweep findings: $("$KS" scan "$CORPUS" --format json --quiet --exit-zero | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')"
