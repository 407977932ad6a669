#!/usr/bin/env bash
# Pathological inputs (not a test): wall time and peak RSS of keysweep on
# input built to hit the matcher's, the pipeline's and the reporters' worst
# cases. One run each (plus a warm-up), printed as a table.
#
#   bench/worst-case.sh [KEYSWEEP]            (default: target/release/keysweep)
#   bench/worst-case.sh --findings [KEYSWEEP] (only the second table below)
#
#  kw-24m        a 24 MB file that repeats one keyword (`twilio`)
#  kw-2x24m      two such files
#  plain-24m     24 MB of ordinary text (the yardstick for kw-24m)
#  keys-12k      12,000 `sk_live_` keys in one 600 KB file
#  keys-20k      20,000 keys in one file
#  range-190m    `history --range` over a commit that rewrites a 190 MB file
#  range-190m-m  the same with `--max-file-size 10M` (must skip, not read)
#  staged-190m   `staged` with the 190 MB file modified in the index
#  json-50k      50,000 findings written as JSON
#  sarif-50k     50,000 findings written as SARIF
#  zip-400x1m    a ~400 KB zip of 400 members that each inflate to 1 MiB of
#                one byte (the archive-wide ratio stops it near 40 MB)
#  b64-14m       a key in the middle of 14 MB of base64 (decoded in windows)
#  strings-24m   a 24 MB binary (NULs and control bytes around short text)
# Bounds the README states: tree scans under 100 MiB, history under 150 MiB;
# kw-24m at most 3x plain-24m.
#
# Then a second table, of inputs with many findings, generated at run time
# in a temporary directory (removed on exit) and run once each under
# `/usr/bin/time -v`: findings reported and left out by the per-file cap
# (`-` when the build has none), peak RSS and wall time.
#  jwt-24m       24 MB of JWT-shaped lines (the `jwt` rule: a JSON header and
#                payload, random signature; about 390,000 matches), JSON
#  jwt-2x24m     two such files, JSON
#  jwt-24m-html  the 24 MB file, HTML
#  tree-50k      1,000 files of 50 `sk_live_` keys each (50,000 findings,
#                none capped), JSON
#  tree-50k-html the same tree, HTML
#  report-html   `keysweep report` of tree-50k's JSON to HTML
set -euo pipefail
cd "$(dirname "$0")/.."
FINDINGS_ONLY=
if [ "${1:-}" = --findings ]; then
  FINDINGS_ONLY=1; shift
fi
if [ $# -gt 0 ]; then
  KS=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
else
  cargo build --release --quiet
  KS=$PWD/target/release/keysweep
fi
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

# findings_table: the second table (see the header).
findings_table() {
  local T
  T=$(mktemp -d)
  trap 'rm -rf "$T"' RETURN
  python3 - "$T" <<'PY'
import base64, os, random, sys
t = sys.argv[1]
rng = random.Random(23)
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=")
alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
url = alnum + "-_"
header = b64(b'{"alg":"HS256"}')
def jwt():
    payload = b64(b'{"sub":"%05d"}' % rng.randrange(100000))
    sig = "".join(rng.choice(url) for _ in range(20)).encode()
    return header + b"." + payload + b"." + sig + b"\n"
def jwt_file(path, size=24 * 1000 * 1000):
    with open(path, "wb") as f:
        n = 0
        while n < size:
            chunk = b"".join(jwt() for _ in range(10000))
            f.write(chunk)
            n += len(chunk)
for d in ("jwt-24m", "jwt-2x24m", "tree-50k"):
    os.makedirs(os.path.join(t, d))
jwt_file(os.path.join(t, "jwt-24m", "tokens.txt"))
for n in ("a.txt", "b.txt"):
    jwt_file(os.path.join(t, "jwt-2x24m", n))
for i in range(1000):
    with open(os.path.join(t, "tree-50k", f"keys{i:04}.env"), "w") as f:
        for k in range(50):
            f.write(f"KEY_{k}=sk_live_{''.join(rng.choice(alnum) for _ in range(24))}\n")
PY
  # run NAME OUTPUT ARGS...: one run, writing to OUTPUT; prints the table row.
  run() {
    local name=$1 out=$2; shift 2
    /usr/bin/time -v -o "$T/time" "$@" --output "$out" > /dev/null 2>&1 ||
      { echo "$name: keysweep failed" >&2; cat "$T/time" >&2; return 1; }
    local kb secs found capped
    kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/time")
    secs=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$T/time" |
      awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    case $out in
      *.json)
        read -r found capped < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["summary"]
c = s.get("capped")
print(sum(s["findings_by_severity"].values()), c["findings"] if c else "-")' "$out") ;;
      *)
        found=$(grep -o '<tr class="f"' "$out" | wc -l)
        capped=$(sed -n 's/.*<p class="warn">\([0-9]*\) more finding(s) not listed.*/\1/p' "$out")
        capped=${capped:--} ;;
    esac
    printf '%-14s %10s %10s %10.1f %8.2f\n' "$name" "$found" "$capped" "$(echo "$kb / 1024" | bc -l)" "$secs"
  }
  printf '%-14s %10s %10s %10s %8s\n' case reported capped "peak MiB" seconds
  local Q="--quiet --exit-zero"
  run jwt-24m "$T/jwt.json" "$KS" scan "$T/jwt-24m" $Q --format json
  run jwt-2x24m "$T/jwt2.json" "$KS" scan "$T/jwt-2x24m" $Q --format json
  run jwt-24m-html "$T/jwt.html" "$KS" scan "$T/jwt-24m" $Q --format html
  run tree-50k "$T/tree.json" "$KS" scan "$T/tree-50k" $Q --format json
  run tree-50k-html "$T/tree.html" "$KS" scan "$T/tree-50k" $Q --format html
  run report-html "$T/report.html" "$KS" report "$T/tree.json" --format html
}
if [ -n "$FINDINGS_ONLY" ]; then
  findings_table
  exit
fi

W=bench/corpus/worst
mkdir -p "$W"

# big_text FILE SEED: 190 MB of word lines, different for every seed.
big_text() {
  python3 - "$1" "$2" <<'PY'
import random, sys
rng = random.Random(int(sys.argv[2]))
words = "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu".split()
with open(sys.argv[1], "w") as f:
    n = 0
    while n < 190_000_000:
        s = " ".join(rng.choice(words) for _ in range(10)) + "\n"
        f.write(s); n += len(s)
PY
}

# (.done2: the corpus with the zip, base64 and binary inputs.)
if [ ! -f "$W/.done2" ]; then
  rm -rf "$W"; mkdir -p "$W"
  python3 - "$W" <<'PY'
import os, random, sys
w = sys.argv[1]
rng = random.Random(17)
alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
def key():
    return "sk_live_" + "".join(rng.choice(alnum) for _ in range(24))
def mkdir(p):
    os.makedirs(os.path.join(w, p), exist_ok=True)
    return os.path.join(w, p)
size = 24 * 1000 * 1000
unit = b"twilio "
with open(os.path.join(mkdir("kw-24m"), "twilio.txt"), "wb") as f:
    f.write(unit * (size // len(unit)))
d = mkdir("kw-2x24m")
for n in ("a.txt", "b.txt"):
    with open(os.path.join(d, n), "wb") as f:
        f.write(unit * (size // len(unit)))
words = "the quick brown fox jumps over lazy dog while reading config files and logs".split()
line = lambda: " ".join(rng.choice(words) for _ in range(12)) + "\n"
lines = [line().encode() for _ in range(5000)]
with open(os.path.join(mkdir("plain-24m"), "plain.txt"), "wb") as f:
    n = 0
    while n < size:
        chunk = b"".join(lines)
        f.write(chunk)
        n += len(chunk)
for name, count in (("keys-12k", 12000), ("keys-20k", 20000)):
    with open(os.path.join(mkdir(name), "keys.env"), "w") as f:
        for i in range(count):
            f.write(f"KEY_{i}={key()}\n")
d = mkdir("findings-50k")
for part in range(5):
    with open(os.path.join(d, f"keys{part}.env"), "w") as f:
        for i in range(10000):
            f.write(f"KEY_{i}={key()}\n")
import base64, zipfile
with zipfile.ZipFile(os.path.join(mkdir("zip-400x1m"), "bombs.zip"), "w",
                     zipfile.ZIP_DEFLATED) as z:
    for i in range(400):
        z.writestr(f"m{i:03}.txt", b"a" * (1 << 20))
text = " ".join(rng.choice(words) for _ in range(1_000_000))
blob = base64.b64encode(f"{text}\nstripe = {key()}\n{text}".encode())
with open(os.path.join(mkdir("b64-14m"), "blob.yaml"), "wb") as f:
    f.write(b"payload: " + blob + b"\n")
chunk = bytes(rng.randrange(0, 32) for _ in range(4096)) + b"\0printable run here\0"
with open(os.path.join(mkdir("strings-24m"), "app.bin"), "wb") as f:
    f.write(b"\x7fELF\x02\x01\x01\0" + chunk * (size // len(chunk)))
PY
  # A repository whose last commit rewrites a 190 MB text file, and a staged
  # change of the same file (the work tree is left alone).
  R=$W/big-repo
  git init -q -b main "$R"
  for seed in 0 1 2; do
    big_text "$R/big.txt" "$seed"
    git -C "$R" add big.txt
    if [ "$seed" != 2 ]; then
      git -C "$R" -c user.name=b -c user.email=b@example.invalid commit -qm "version $seed"
    fi
  done
  touch "$W/.done2"
fi
find "$W" -path "$W/big-repo/.git" -prune -o -type f -exec cat {} + > /dev/null

R=$W/big-repo
Q="--quiet --exit-zero"
python3 bench/measure.py 1 - --no-rate \
  "plain-24m=$KS scan $W/plain-24m --max-file-size 1G $Q" \
  "kw-24m=$KS scan $W/kw-24m --max-file-size 1G $Q" \
  "kw-2x24m=$KS scan $W/kw-2x24m --max-file-size 1G $Q" \
  "keys-12k=$KS scan $W/keys-12k $Q --format json --output /dev/null" \
  "keys-20k=$KS scan $W/keys-20k $Q --format json --output /dev/null" \
  "range-190m=$KS history $R --range HEAD~1..HEAD --max-file-size 1G $Q" \
  "range-m10=$KS history $R --range HEAD~1..HEAD --max-file-size 10M $Q" \
  "staged-190m=$KS staged $R --max-file-size 1G $Q" \
  "json-50k=$KS scan $W/findings-50k $Q --format json --output /dev/null" \
  "sarif-50k=$KS scan $W/findings-50k $Q --format sarif --output /dev/null" \
  "zip-400x1m=$KS scan $W/zip-400x1m $Q" \
  "b64-14m=$KS scan $W/b64-14m --max-file-size 1G $Q" \
  "strings-24m=$KS scan $W/strings-24m --max-file-size 1G $Q"
findings_table
