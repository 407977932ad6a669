#!/usr/bin/env bash
# Fuzz every keysweep target for SECONDS_PER_TARGET (default 60).
#
#   fuzz/run.sh [SECONDS_PER_TARGET]
#
# Installs cargo-fuzz into fuzz/tools if it is missing, replays the saved
# crash inputs in fuzz/regressions/, then runs each target in turn, growing
# fuzz/corpus/<target> (seeded from fuzz/seeds/<target>, generated key-shaped
# inputs and, for `rules`, the shipped rules/*.toml). Builds go to
# fuzz/target, never the main crate's target dir. Exits 1 if any target
# crashed (the failing input's path is printed), 2 if the setup failed.
#
# cargo-fuzz needs nightly-only rustc flags (-Zsanitizer=address, sancov).
# On a stable toolchain RUSTC_BOOTSTRAP=1 unlocks them; the AddressSanitizer
# runtime ships with stable's rust-std on x86_64 Linux.
#
# Environment: FUZZ_ARGS (extra libFuzzer flags, e.g. "-jobs=2 -workers=2"),
# CARGO_BUILD_JOBS (build parallelism), CARGO_FUZZ_VERSION.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

secs="${1:-60}"
case "$secs" in
  '' | *[!0-9]*) echo "usage: $0 [SECONDS_PER_TARGET]" >&2; exit 2 ;;
esac

export RUSTC_BOOTSTRAP=1
export PATH="$here/tools/bin:$PATH"
version="${CARGO_FUZZ_VERSION:-0.13.2}"

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "== installing cargo-fuzz $version into fuzz/tools"
  cargo install cargo-fuzz --version "$version" --locked --root "$here/tools" || exit 2
fi

targets=$(cargo fuzz list) || exit 2
echo "== building: $(echo $targets)"
cargo fuzz build || exit 2

# Key-shaped seeds are generated here, not committed: keysweep's own
# workflow scans this repository's history and must stay clean. They go to
# fuzz/target/seeds/<target> (ignored by git), beside the committed
# fuzz/seeds/<target>.
b64url() { base64 | tr -d '\n=' | tr '+/' '-_'; }
jwt() { # payload JSON -> an HS256-shaped JWT with a dummy signature
  printf '%s.%s.%s' "$(printf '%s' '{"alg":"HS256","typ":"JWT"}' | b64url)" \
    "$(printf '%s' "$1" | b64url)" "$(printf 'fuzz-signature-%.0s' 1 2 3 | b64url)"
}
make_seeds() {
  local d="$here/target/seeds" live="sk-live-" j1 j2 j3 lines
  rm -rf "$d" && mkdir -p "$d"/{matcher,jwt,notebook} || return 1
  j1=$(jwt '{"sub":"user_1","jti":"k1","iat":1600000000}')
  j2=$(jwt '{"user_id":42,"uid":"u","iss":"fuzz","iat":-62135596800,"exp":253402300799}')
  j3=$(jwt '{"sub":{"nested":[1,2]},"iat":9223372036854775807,"exp":1.5e3}')
  printf '%s' "$live$j1" >"$d/jwt/live"
  printf '%s' "$j2" >"$d/jwt/claims"
  printf '%s' "$live$j3" >"$d/jwt/extremes"
  lines="INFEREXAI_API_KEY=$live$j1
AWS_ACCESS_KEY_ID=AKIA$(printf 'QWERTYUIOPASDFGH')
token = ghp_$(printf '0123456789abcdefghij%s' ABCDEFGHIJ012345)
api_key = 'sk_live_$(printf '51Habcdefghijklmnopqrstuvwx')' # keysweep:allow
-----BEGIN RSA $(printf 'PRIVATE') KEY-----
MIIEpAIBAAKCAQEA0123456789abcdef
-----END RSA $(printf 'PRIVATE') KEY-----
"
  printf '%s' "$lines" >"$d/matcher/keys.env"
  printf '\357\273\277%s' "$lines" | tr '\n' '\r' >"$d/matcher/utf8bom-cr"
  printf '\0\1\2AKIA%s\0' QWERTYUIOPASDFGH >"$d/matcher/binary"
  if command -v iconv >/dev/null; then
    { printf '\377\376'; printf '%s' "$lines" | iconv -f UTF-8 -t UTF-16LE; } >"$d/matcher/utf16le"
    { printf '\376\377'; printf '%s' "$lines" | iconv -f UTF-8 -t UTF-16BE; } >"$d/matcher/utf16be"
  fi
  cat >"$d/notebook/outputs.ipynb" <<NB
{"cells": [{"cell_type": "code", "execution_count": 1,
  "source": ["import os\n", "key = '$live$j1'\n"],
  "outputs": [{"output_type": "stream", "name": "stdout", "text": ["$live$j1\n"]},
   {"output_type": "execute_result", "execution_count": 1, "metadata": {},
    "data": {"text/plain": ["'AKIA$(printf 'QWERTYUIOPASDFGH')'"]}},
   {"output_type": "error", "ename": "E", "evalue": "v", "traceback": ["tb"]}]},
  {"cell_type": "markdown", "source": "x"}],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
NB
}
make_seeds || { echo "cannot write seeds" >&2; exit 2; }

failed=()
logdir="$here/target/fuzz-logs"
mkdir -p "$logdir"

# A saved crash input must not crash any more.
shopt -s nullglob
for t in $targets; do
  for f in regressions/"$t"-*; do
    echo "== regression $f"
    if ! cargo fuzz run "$t" "$f" -- -runs=1 >"$logdir/regression.log" 2>&1; then
      grep -E "panicked|ERROR:|SUMMARY:" "$logdir/regression.log" | head -5
      echo "!! $t still crashes on $here/$f"
      failed+=("$t (regression $f)")
    fi
  done
done

for t in $targets; do
  echo "== fuzzing $t for ${secs}s"
  mkdir -p "corpus/$t"
  seeds=()
  for s in "seeds/$t" "target/seeds/$t"; do
    [ -d "$s" ] && seeds+=("$s")
  done
  # The rules target starts from the shipped rules files.
  [ "$t" = rules ] && seeds+=("../rules")
  log="$logdir/$t.log"
  # shellcheck disable=SC2086 # FUZZ_ARGS is a list of flags
  cargo fuzz run "$t" "corpus/$t" "${seeds[@]}" -- \
    -max_total_time="$secs" -timeout=30 -print_final_stats=1 ${FUZZ_ARGS:-} >"$log" 2>&1
  rc=$?
  grep -E "^#[0-9]+[[:space:]]+DONE|^Done [0-9]+ runs" "$log" | tail -2
  if [ "$rc" -ne 0 ]; then
    grep -E "panicked at|ERROR: libFuzzer|SUMMARY:" "$log" | head -5
    artifact=$(grep -oE "Test unit written to [^ ]+" "$log" | tail -1 | sed 's/^Test unit written to //')
    echo "!! $t crashed (exit $rc); input: ${artifact:-see $log}"
    echo "   reproduce: RUSTC_BOOTSTRAP=1 $here/tools/bin/cargo-fuzz run $t ${artifact:-ARTIFACT}   (from $here)"
    failed+=("$t")
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  echo "FAILED: ${failed[*]} (logs in $logdir)"
  exit 1
fi
echo "all targets ran ${secs}s without a crash"
