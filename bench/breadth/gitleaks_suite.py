#!/usr/bin/env python3
"""Breadth against an external suite keysweep did not write: gitleaks' own
rule examples.

    bench/breadth/gitleaks_suite.py [GITLEAKS_CHECKOUT] [--binary PATH]...

Reads the plain string literals of the `tps` (true positives) and `fps`
(false positives) lists in `cmd/generate/config/rules/*.go` of a gitleaks
checkout (default: bench/corpus/gitleaks, cloned from $KEYSWEEP_MIRRORS or
GitHub when missing), writes each to its own file under
bench/corpus/breadth (never committed), scans them with each keysweep binary
(default: the release build) at the default and at low confidence, and
prints a table: true-positive examples found, gitleaks rules with at least
one example found, false-positive examples flagged. Lints (about files, not
keys) are not counted. Examples built with generators (`secrets.NewSecret`)
are not literals and are left out, as gitleaks' own count does.
"""
import json, os, re, subprocess, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
OUT = ROOT / "bench" / "corpus" / "breadth"
LINTS = {"env-file-in-history", "env-file-not-ignored", "live-key-in-test", "stale-key",
         "client-exposed-secret", "test-key-in-production", "key-reused-across-environments",
         "missing-env-ignore", "secret-in-notebook-output", "settings-changed-in-range"}


def go_strings(region):
    """Plain string literals in `region`: not joined to anything by `+`."""
    out, i, n = [], 0, len(region)
    tokens = []
    while i < n:
        c = region[i]
        if c == '"':
            j, s = i + 1, []
            while j < n and region[j] != '"':
                if region[j] == "\\" and j + 1 < n:
                    esc = region[j + 1]
                    s.append({"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}.get(esc, "\\" + esc))
                    j += 2
                    continue
                s.append(region[j]); j += 1
            tokens.append(("str", "".join(s))); i = j + 1
        elif c == "`":
            j = region.find("`", i + 1)
            j = n if j < 0 else j
            tokens.append(("str", region[i + 1:j])); i = j + 1
        elif c == "/" and region[i:i + 2] == "//":
            j = region.find("\n", i)
            i = n if j < 0 else j
        elif c.isspace():
            i += 1
        else:
            tokens.append(("op", c)); i += 1
    for k, (kind, val) in enumerate(tokens):
        if kind != "str":
            continue
        prev = tokens[k - 1] if k else ("op", ",")
        nxt = tokens[k + 1] if k + 1 < len(tokens) else ("op", ",")
        if prev == ("op", "+") or nxt == ("op", "+") or prev == ("op", "(") and k >= 2 and tokens[k - 2][0] == "op" and tokens[k - 2][1].isalpha():
            continue
        if nxt[0] == "op" and nxt[1] in ",})":
            out.append(val)
    return out


def regions(text, name):
    """Bodies of `name := []string{...}` and `name = append(name, ...)`."""
    for m in re.finditer(rf"\b{name}\s*(?::=\s*\[\]string\{{|=\s*append\({name},)", text):
        depth, i = 1, m.end()
        while i < len(text) and depth:
            if text[i] in "{(":
                depth += 1
            elif text[i] in "})":
                depth -= 1
            elif text[i] in "\"`":
                q = text[i]; i += 1
                while i < len(text) and text[i] != q:
                    i += 2 if q == '"' and text[i] == "\\" else 1
            i += 1
        yield text[m.end():i - 1]


def layout(checkout):
    import shutil
    shutil.rmtree(OUT, ignore_errors=True)
    counts = {}
    for go in sorted((checkout / "cmd/generate/config/rules").glob("*.go")):
        text = go.read_text()
        for kind in ("tps", "fps"):
            for n, lit in enumerate(s for r in regions(text, kind) for s in go_strings(r)):
                if len(lit) < 8:
                    continue
                d = OUT / kind
                d.mkdir(parents=True, exist_ok=True)
                (d / f"{go.stem}-{n}.txt").write_text(lit + "\n")
                counts[kind] = counts.get(kind, 0) + 1
    return counts


def scan(ks, kind, confidence):
    cmd = [ks, "scan", str(OUT / kind), "--no-ignore", "--no-config", "--format", "json", "--exit-zero", "--quiet"]
    if confidence:
        cmd += ["--confidence", confidence]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        # An older build without --confidence: scan at its only level.
        if confidence:
            return scan(ks, kind, None)
        sys.exit(f"{ks}: {out.stderr.strip()}")
    hit = {}
    for f in json.loads(out.stdout)["findings"]:
        if f["rule_id"] in LINTS:
            continue
        hit.setdefault(Path(f["path"]).name, set()).add(f["rule_id"])
    return hit


def main():
    args = sys.argv[1:]
    binaries = []
    while "--binary" in args:
        i = args.index("--binary"); binaries.append(args[i + 1]); del args[i:i + 2]
    checkout = Path(args[0]) if args else ROOT / "bench" / "corpus" / "gitleaks"
    if not (checkout / "cmd").exists():
        mirror = Path(os.environ.get("KEYSWEEP_MIRRORS", "/work/.mirror")) / "gitleaks+gitleaks" / "repo"
        src = str(mirror) if mirror.exists() else "https://github.com/gitleaks/gitleaks.git"
        subprocess.run(["git", "clone", "-q", "--no-local", src, str(checkout)], check=True)
    if not binaries:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
        binaries = [str(ROOT / "target/release/keysweep")]
    counts = layout(checkout)
    tps = sorted(p.name for p in (OUT / "tps").iterdir())
    fps = sorted(p.name for p in (OUT / "fps").iterdir()) if (OUT / "fps").exists() else []
    families = {t.rsplit("-", 1)[0] for t in tps}
    print(f"gitleaks examples: {counts.get('tps', 0)} true-positive literals from {len(families)} rule files, {counts.get('fps', 0)} false-positive literals")
    print("| binary | confidence | true positives found | gitleaks rule files covered | false positives flagged |")
    print("| --- | --- | --- | --- | --- |")
    for ks in binaries:
        rules = subprocess.run([ks, "rules", "list", "--format", "json"], capture_output=True, text=True)
        n_rules = len(json.loads(rules.stdout)) if rules.returncode == 0 else "?"
        for conf in (None, "low"):
            hit = scan(ks, "tps", conf)
            fp = scan(ks, "fps", conf) if fps else {}
            covered = {t.rsplit("-", 1)[0] for t in hit}
            print(f"| {ks} ({n_rules} rules) | {conf or 'default'} | {len(hit)} of {len(tps)} | {len(covered)} of {len(families)} | {len(fp)} of {len(fps)} |")


if __name__ == "__main__":
    main()
