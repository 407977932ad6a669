#!/usr/bin/env bash
# Install keysweep for the GitHub Action: the released binary for this
# runner's OS and architecture, verified against the release's SHA256SUMS;
# built from the action's own source only when the ref has no release.
#
#   action/install.sh [--print-target]
#
# Environment (the Action sets these; tests point them elsewhere):
#   KS_REF           the action's ref (`github.action_ref`): a release tag
#                    such as v0.2.0 downloads; anything else builds
#   KS_DEST          directory to install into (bin/keysweep under it)
#   KS_RELEASES_URL  base URL of release downloads
#                    (default https://github.com/keysweep/keysweep/releases/download)
#   KS_SOURCE        the action's checkout, built from when there is no release
#   RUNNER_OS, RUNNER_ARCH   as GitHub sets them (uname when unset)
#   KS_CARGO         the cargo to build with (default cargo)
# Prints the installed binary's path on its last line; exit 1 on a checksum
# mismatch or a failed build, never a silent fallback past a bad download.
set -euo pipefail

die() { echo "::error::keysweep install: $*" >&2; exit 1; }

target() {
  local os=${RUNNER_OS:-$(uname -s)} arch=${RUNNER_ARCH:-$(uname -m)}
  case "$os" in
    Linux) os=unknown-linux-musl ;;
    macOS | Darwin) os=apple-darwin ;;
    Windows | MINGW* | MSYS* | CYGWIN*) os=pc-windows-msvc ;;
    *) die "unsupported runner OS: $os" ;;
  esac
  case "$arch" in
    X64 | x86_64 | amd64) arch=x86_64 ;;
    ARM64 | aarch64 | arm64) arch=aarch64 ;;
    *) die "unsupported runner architecture: $arch" ;;
  esac
  [ "$os" = pc-windows-msvc ] && [ "$arch" != x86_64 ] && die "no Windows build for $arch"
  echo "$arch-$os"
}

if [ "${1:-}" = --print-target ]; then
  target
  exit 0
fi

TARGET=$(target)
DEST=${KS_DEST:?KS_DEST is not set}
REF=${KS_REF:-}
BASE=${KS_RELEASES_URL:-https://github.com/keysweep/keysweep/releases/download}
EXE=keysweep
[ "${TARGET#*windows}" != "$TARGET" ] && EXE=keysweep.exe
mkdir -p "$DEST/bin"

if [ -x "$DEST/bin/$EXE" ] && [ -f "$DEST/.installed-$REF-$TARGET" ]; then
  echo "keysweep $REF ($TARGET) from the cache" >&2
  echo "$DEST/bin/$EXE"
  exit 0
fi

sha256() {
  if command -v sha256sum > /dev/null; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

# A release tag: download, verify, unpack.
if [[ "$REF" =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]]; then
  case "$TARGET" in
    *windows*) archive="keysweep-$REF-$TARGET.zip" ;;
    *) archive="keysweep-$REF-$TARGET.tar.gz" ;;
  esac
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  if curl -fsSL --retry 3 -o "$tmp/SHA256SUMS" "$BASE/$REF/SHA256SUMS" 2> /dev/null &&
     curl -fsSL --retry 3 -o "$tmp/$archive" "$BASE/$REF/$archive" 2> /dev/null; then
    want=$(awk -v f="$archive" '$2 == f || $2 == "*" f {print $1}' "$tmp/SHA256SUMS")
    [ -n "$want" ] || die "$archive is not listed in the release's SHA256SUMS"
    got=$(sha256 "$tmp/$archive")
    [ "$got" = "$want" ] || die "checksum mismatch for $archive: SHA256SUMS says $want, the download is $got; refusing to install it"
    case "$archive" in
      *.zip) unzip -q -o "$tmp/$archive" -d "$tmp/x" ;;
      *) mkdir -p "$tmp/x" && tar -xzf "$tmp/$archive" -C "$tmp/x" ;;
    esac
    found=$(find "$tmp/x" -type f -name "$EXE" | head -1)
    [ -n "$found" ] || die "$archive holds no $EXE"
    install -m 755 "$found" "$DEST/bin/$EXE"
    touch "$DEST/.installed-$REF-$TARGET"
    echo "keysweep $REF ($TARGET) downloaded and verified" >&2
    echo "$DEST/bin/$EXE"
    exit 0
  fi
  echo "keysweep install: no release download for $REF ($TARGET); building from source" >&2
fi

# No release for this ref (a branch or commit pin): build the action's source.
SRC=${KS_SOURCE:?KS_SOURCE is not set}
"${KS_CARGO:-cargo}" install --locked --quiet --path "$SRC" --root "$DEST" ||
  die "building keysweep from $SRC failed"
[ -x "$DEST/bin/$EXE" ] || die "the build left no $DEST/bin/$EXE"
# A commit pin is cached too (the Action caches only immutable refs): the
# next run takes the build from the cache instead of compiling again.
touch "$DEST/.installed-$REF-$TARGET"
echo "keysweep built from source ($TARGET)" >&2
echo "$DEST/bin/$EXE"
