#!/usr/bin/env bash
# History and pre-commit benchmarks.
#
#   bench/history.sh [COMMITS] [RUNS] [EXTRA_REPO...]
#
# 1. A generated repository with COMMITS commits (default 12000) made with
#    `git fast-import`: `keysweep history` against the cost of just reading
#    every object (`git cat-file --batch-all-objects --batch --unordered`).
# 2. Any extra repositories named on the command line (local clones), same
#    comparison.
# 3. `keysweep staged` with 10 staged files in a 100,000-file repository.
# Prints wall time, CPU, peak RSS and unique blob MB/s (medians of RUNS).
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
COMMITS=${1:-12000}
RUNS=${2:-3}
shift $(( $# > 2 ? 2 : $# )) || true
cargo build --release --quiet
KS=$PWD/target/release/keysweep
mkdir -p bench/corpus
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

compare() { # compare REPO: keysweep history vs git cat-file on the same objects
  local repo=$1
  local bytes
  bytes=$(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype) %(objectsize)' | awk '$1=="blob"{s+=$2} END{print s}')
  echo "== $repo: $(git -C "$repo" rev-list --all | wc -l) commits, $(git -C "$repo" cat-file --batch-all-objects --batch-check='%(objecttype)' | grep -c blob) blobs, $((bytes / 1000000)) MB of unique blobs"
  python3 bench/measure.py "$RUNS" - \
    "cat-file=git -C $repo cat-file --batch-all-objects --batch --unordered" \
    "keysweep=$KS history $repo --format json --output /dev/null --quiet --exit-zero --max-file-size 1G" \
    --bytes "$bytes"
}

gen_history bench/corpus/history-$COMMITS history "$COMMITS" 2000
compare bench/corpus/history-$COMMITS
for extra in "$@"; do compare "$extra"; done

WIDE=bench/corpus/wide-100k
gen_history "$WIDE" wide 100000
git -C "$WIDE" reset -q --hard main
for i in 0 1 2 3 4 5 6 7 8 9; do echo "edit $i $(date +%N)" >> "$WIDE/d$i/e0/file$i.txt"; done
git -C "$WIDE" add -A
echo "== staged: 10 modified files in a 100,000-file repository"
python3 bench/measure.py "$RUNS" - \
  "git-diff=git -C $WIDE diff --cached --stat" \
  "keysweep=$KS staged $WIDE --quiet --exit-zero"
git -C "$WIDE" reset -q --hard main
