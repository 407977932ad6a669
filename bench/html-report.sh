#!/usr/bin/env bash
# The HTML report in a real browser (not a test): renders the README picture
# from a generated repository (synthetic keys, commits over several months)
# and loads a 10,000-finding report, timing both. Needs Debian's chromium
# (`apt-get install chromium`).
#
#   bench/html-report.sh            # writes docs/report.png, prints the table
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
KS=$PWD/target/release/keysweep
CHROME=${CHROME:-$(command -v chromium || command -v chromium-browser || true)}
[ -n "$CHROME" ] || { echo "html-report.sh: chromium not found (apt-get install chromium)" >&2; exit 2; }
W=bench/corpus/html
rm -rf "$W"; mkdir -p "$W"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
# A repository with keys introduced over eight months by three authors.
R=$W/repo
git init -q -b main "$R"
python3 - "$R" <<'PY'
import os, random, subprocess, sys
repo = sys.argv[1]
rng = random.Random(11)
alnum = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
def tok(n): return "".join(rng.choice(alnum) for _ in range(n))
shapes = [
    ("STRIPE_SECRET_KEY", lambda: "sk_live_" + tok(24)),
    ("GITHUB_TOKEN", lambda: "ghp_" + tok(36)),
    ("SLACK_BOT_TOKEN", lambda: "xoxb-" + "".join(rng.choice("0123456789") for _ in range(12)) + "-" + "".join(rng.choice("0123456789") for _ in range(12)) + "-" + tok(24)),
    ("AWS_ACCESS_KEY_ID", lambda: "AKIA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))),
    ("STRIPE_TEST_KEY", lambda: "sk_test_" + tok(24)),
]
authors = [("Ada Tester", "ada@example.invalid"), ("Lin Dev", "lin@example.invalid"), ("Sam Ops", "sam@example.invalid")]
for month in range(1, 9):
    for j in range(rng.randint(1, 4)):
        name, make = rng.choice(shapes)
        path = rng.choice(["config/settings.py", "deploy/.env.production", "src/client.js", "scripts/release.sh", "docs/setup.md"])
        os.makedirs(os.path.join(repo, os.path.dirname(path)), exist_ok=True)
        with open(os.path.join(repo, path), "a") as f:
            f.write(f"{name}={make()}\n")
        a = rng.choice(authors)
        date = f"2026-{month:02d}-{rng.randint(1, 28):02d}T10:00:00+00:00"
        env = dict(os.environ, GIT_AUTHOR_NAME=a[0], GIT_AUTHOR_EMAIL=a[1], GIT_COMMITTER_NAME=a[0],
                   GIT_COMMITTER_EMAIL=a[1], GIT_AUTHOR_DATE=date, GIT_COMMITTER_DATE=date)
        subprocess.run(["git", "-C", repo, "add", "-A"], check=True)
        subprocess.run(["git", "-C", repo, "commit", "-q", "-m", f"update {path}"], check=True, env=env)
PY
"$KS" history "$R" --format html --output "$W/report.html" --quiet --exit-zero
# 10,000 findings in one history.
B=$W/big
git init -q -b main "$B"
python3 - "$B/keys.env" <<'PY'
import random, sys
rng = random.Random(5)
alnum = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        f.write(f"KEY_{i}=sk_live_{''.join(rng.choice(alnum) for _ in range(24))}\n")
PY
git -C "$B" add -A && git -C "$B" -c user.name=b -c user.email=b@example.invalid commit -qm keys
"$KS" history "$B" --format html --output "$W/big.html" --quiet --exit-zero
shot() { # shot HTML PNG WIDTH HEIGHT: seconds to load, run the script and paint
  local start end
  start=$(date +%s.%N)
  "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$W/profile" --hide-scrollbars --window-size="$3,$4" \
    --screenshot="$2" "file://$PWD/$1" > /dev/null 2>&1
  end=$(date +%s.%N)
  python3 -c "print(f'{$end - $start:.2f}')"
}
small=$(shot "$W/report.html" docs/report.png 1280 1100)
empty=$W/empty.html
printf '<!DOCTYPE html><title>x</title>' > "$empty"
base=$(shot "$empty" "$W/empty.png" 800 600)
big=$(shot "$W/big.html" "$W/big.png" 1280 1100)
# The filter on the 10,000-row page: its own timing, from the DOM after a
# filter given in the URL (#q=) ran.
filter_ms() {
  "$CHROME" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$W/profile" --dump-dom "file://$PWD/$1#q=$2" 2> /dev/null |
    sed -n 's/.*id="shown" data-filter-ms="\([0-9.]*\)".*/\1/p' | head -1
}
f1=$(filter_ms "$W/big.html" KEY_99)
f2=$(filter_ms "$W/big.html" critical)
printf '%-34s %10s %10s\n' "page" "size" "chromium s"
printf '%-34s %10s %10s\n' "empty page (browser start-up)" "$(stat -c %s "$empty")" "$base"
printf '%-34s %10s %10s\n' "README picture ($(grep -c '<tr class="f"' "$W/report.html") findings)" "$(stat -c %s "$W/report.html")" "$small"
printf '%-34s %10s %10s\n' "10,000 findings" "$(stat -c %s "$W/big.html")" "$big"
echo "filter on 10,000 rows: 'KEY_99' ${f1} ms, 'critical' (every row) ${f2} ms"
echo "picture: docs/report.png"
