#!/usr/bin/env bash
# Memory ceiling benchmark (not a test): peak RSS of keysweep on
#  1. a history with many large blobs (200 versions of a 4 MB file),
#  2. a working tree of 100,000 files,
#  3. the 100,000-file repository's history,
#  4. a long history shaped like git/git's: 85,000 commits, 680,000 objects,
#  5. a history whose pack is 370 MB of incompressible text (6,000 blobs).
# Prints peak RSS (MiB) for each; the documented bound is 150 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
cargo build --release --quiet
KS=$PWD/target/release/keysweep
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
mkdir -p bench/corpus
BIG=bench/corpus/big-blobs
if [ ! -d "$BIG/.git" ]; then
  rm -rf "$BIG"; git init -q -b main "$BIG"
  python3 - "$BIG" <<'PY' | git -C "$BIG" fast-import --quiet
import random, sys
rng = random.Random(7)
line = lambda: "".join(rng.choice("abcdefghijklmnopqrstuvwxyz ") for _ in range(79)) + "\n"
base = [line() for _ in range(50_000)]  # ~4 MB
for c in range(1, 201):
    for _ in range(200):
        base[rng.randrange(len(base))] = line()
    body = "".join(base).encode()
    sys.stdout.buffer.write(b"commit refs/heads/main\nmark :%d\ncommitter b <b@example.invalid> %d +0000\ndata 1\nc\n" % (c, 1600000000 + c))
    if c > 1:
        sys.stdout.buffer.write(b"from :%d\n" % (c - 1))
    sys.stdout.buffer.write(b"M 100644 inline big.txt\ndata %d\n" % len(body) + body + b"\n")
PY
  git -C "$BIG" reset -q --hard main
fi
WIDE=bench/corpus/wide-100k
gen_history "$WIDE" wide 100000
LONG=bench/corpus/history-85k
gen_history "$LONG" history 85000 4000 4000
PACK=bench/corpus/big-pack
if [ ! -d "$PACK/.git" ]; then
  rm -rf "$PACK"; git init -q -b main "$PACK"
  python3 - <<'PY' | git -C "$PACK" fast-import --quiet
import base64, random, sys
rng = random.Random(11)
out = sys.stdout.buffer
for c in range(1, 3001):
    out.write(b"commit refs/heads/main\nmark :%d\ncommitter b <b@example.invalid> %d +0000\ndata 1\nc\n" % (c, 1600000000 + c))
    if c > 1:
        out.write(b"from :%d\n" % (c - 1))
    for f in range(2):
        body = base64.b64encode(rng.randbytes(60000), altchars=b"-_")
        body = b"\n".join(body[i:i + 76] for i in range(0, len(body), 76)) + b"\n"
        out.write(b"M 100644 inline d%d/f%d_%d.txt\ndata %d\n" % (c % 50, c, f, len(body)) + body + b"\n")
PY
  git -C "$PACK" reset -q --hard main
  git -C "$PACK" repack -q -a -d
fi
peak() { /usr/bin/time -f "%M" "$@" 2>&1 >/dev/null | tail -1; }
printf '%-45s %10s\n' "run" "peak MiB"
for run in "history $BIG" "scan $WIDE" "history $WIDE" "history $LONG" "history $PACK"; do
  kb=$(peak "$KS" $run --format json --output /dev/null --quiet --exit-zero)
  printf '%-45s %10.1f\n' "keysweep $run" "$(echo "$kb / 1024" | bc -l)"
done
