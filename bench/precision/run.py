#!/usr/bin/env python3
"""Precision and recall of keysweep on real public repositories.

    bench/precision/run.py [--confidence LEVEL] [--only NAME] [--dump FILE] [--binary PATH]

Brings each repository in repos.tsv at its pinned commit into
bench/corpus/precision (from $KEYSWEEP_MIRRORS/<owner>+<name>/repo when that
bare mirror exists, else from https://github.com/<owner>/<name>.git), scans
its tree (`keysweep scan .`) and its history (`keysweep history .`) with the
release binary, and compares every finding with triage.tsv, the committed
hand triage: real / placeholder / not-a-secret, with a one-line reason. It
prints, per repository and mode, the findings, how many are real, fake and
untriaged, precision (real over triaged) and, for the test-credential
repositories, recall (real credential findings found over the real
credential findings in the triage; lints are left out of recall).
--dump writes the untriaged findings (redacted) as TSV rows to triage.
Nothing here is committed but this script, repos.tsv and triage.tsv.
"""
import argparse, json, os, subprocess, sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = ROOT / "bench" / "corpus" / "precision"
KS = ROOT / "target" / "release" / "keysweep"
# Lints about files or about one secret (tags since 0.2): precision counts
# them, recall counts credentials only.
LINTS = {"env-file-in-history", "env-file-not-ignored", "live-key-in-test", "stale-key",
         "client-exposed-secret", "test-key-in-production", "key-reused-across-environments",
         "missing-env-ignore", "secret-in-notebook-output"}


def sh(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def repos():
    for line in (HERE / "repos.tsv").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        name, commit, kind = line.split("\t")[:3]
        yield name, commit, kind


def bring(name, commit):
    dest = CORPUS / name.replace("/", "+")
    if not (dest / ".git").exists():
        mirror = Path(os.environ.get("KEYSWEEP_MIRRORS", "/work/.mirror")) / name.replace("/", "+") / "repo"
        src = str(mirror) if mirror.exists() else f"https://github.com/{name}.git"
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            sh("git", "clone", "-q", "--no-local", src, str(dest))
        except subprocess.CalledProcessError:
            # A snapshot missing a few blobs cannot be cloned whole: borrow
            # its objects and write out the files that are there (history
            # scans then list the missing objects as incomplete).
            sh("rm", "-rf", str(dest))
            sh("git", "clone", "-q", "--shared", "--no-checkout", src, str(dest))
            materialize(dest, commit)
            return dest
    if sh("git", "-C", str(dest), "rev-parse", "HEAD").strip() != commit:
        sh("git", "-C", str(dest), "checkout", "-q", "--detach", commit)
    return dest


def materialize(dest, commit):
    """Check out `commit` by hand, skipping blobs the store lacks."""
    sh("git", "-C", str(dest), "update-ref", "--no-deref", "HEAD", commit)
    sh("git", "-C", str(dest), "read-tree", commit)
    entries = []
    for rec in sh("git", "-C", str(dest), "ls-tree", "-r", "-z", commit).split("\0"):
        if not rec:
            continue
        meta, path = rec.split("\t", 1)
        mode, kind, oid = meta.split()
        if kind == "blob" and mode in ("100644", "100755"):
            entries.append((oid, path))
    check = subprocess.run(["git", "-C", str(dest), "cat-file", "--batch-check"],
                           input="".join(f"{o}\n" for o, _ in entries), capture_output=True, text=True).stdout.splitlines()
    present = [(o, p) for (o, p), line in zip(entries, check) if not line.endswith("missing")]
    proc = subprocess.Popen(["git", "-C", str(dest), "cat-file", "--batch"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    for oid, path in present:
        proc.stdin.write(f"{oid}\n".encode()); proc.stdin.flush()
        header = proc.stdout.readline().split()
        data = proc.stdout.read(int(header[2])); proc.stdout.read(1)
        out = dest / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    proc.stdin.close(); proc.wait()
    print(f"note: {dest.name}: {len(entries) - len(present)} blobs missing from the snapshot", file=sys.stderr)


def scan(dest, mode, confidence, ks):
    cmd = [str(ks), "scan" if mode == "tree" else "history", ".", "--format", "json", "--exit-zero", "--quiet"]
    if confidence:
        cmd += ["--confidence", confidence]
    out = subprocess.run(cmd, cwd=dest, capture_output=True, text=True)
    if out.returncode not in (0, 1) and not out.stdout.startswith("{"):
        sys.exit(f"{dest}: keysweep {mode} failed: {out.stderr.strip()}")
    doc = json.loads(out.stdout)
    missing = len(doc["summary"].get("incomplete", []))
    if missing:
        print(f"note: {dest.name} {mode}: {missing} objects unreadable (listed as incomplete)", file=sys.stderr)
    return doc["findings"]


def key(name, mode, f):
    commit = "-"
    prov = f.get("provenance") or {}
    if prov.get("kind") == "commit":
        commit = prov["commit"][:12]
    return (name, mode, f["rule_id"], f["path"], str(f["line"]), commit)


def load_triage():
    t = {}
    path = HERE / "triage.tsv"
    if path.exists():
        for line in path.read_text().splitlines():
            if line.startswith("#") or not line.strip():
                continue
            cols = line.split("\t")
            t[tuple(cols[:6])] = (cols[6], cols[7] if len(cols) > 7 else "")
    return t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--confidence")
    ap.add_argument("--only")
    ap.add_argument("--dump")
    ap.add_argument("--binary", help="another keysweep binary (for before/after tables)")
    a = ap.parse_args()
    ks = Path(a.binary) if a.binary else KS
    if not a.binary:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    triage = load_triage()
    rows, dump = [], []
    totals = {"ordinary": [0, 0, 0, 0, 0], "testcreds": [0, 0, 0, 0, 0]}
    for name, commit, kind in repos():
        if a.only and a.only != name:
            continue
        dest = bring(name, commit)
        for mode in ("tree", "history"):
            found = scan(dest, mode, a.confidence, ks)
            real = fake = untriaged = real_creds = 0
            seen = set()
            for f in found:
                k = key(name, mode, f)
                seen.add(k)
                verdict = triage.get(k, (None,))[0]
                if verdict == "real":
                    real += 1
                    real_creds += f["rule_id"] not in LINTS
                elif verdict in ("placeholder", "not-a-secret"):
                    fake += 1
                else:
                    untriaged += 1
                    dump.append("\t".join(k) + "\t?\t" + f.get("line_text", "")[:160].replace("\t", " "))
            # Recall matches by place, not rule: a credential found under a
            # more specific rule than before is still found.
            places = {(k[3], k[4], k[5]) for k in seen}
            wanted = [k for k, v in triage.items()
                      if k[0] == name and k[1] == mode and v[0] == "real" and k[2] not in LINTS]
            known_real = len(wanted)
            real_creds = sum(1 for k in wanted if (k[3], k[4], k[5]) in places)
            triaged = real + fake
            prec = f"{100 * real / triaged:.0f}%" if triaged else "-"
            rec = f"{100 * real_creds / known_real:.0f}%" if known_real else "-"
            rows.append((name, mode, kind, len(found), real, fake, untriaged, prec, rec if kind == "testcreds" else ""))
            t = totals[kind]
            t[0] += len(found); t[1] += real; t[2] += fake; t[3] += known_real; t[4] += real_creds
    print(f"binary: {ks}; confidence: {a.confidence or 'default'}")
    print("| repository | mode | findings | real | placeholder or not a secret | untriaged | precision | recall |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r[0]} | {r[1]} | {r[3]} | {r[4]} | {r[5]} | {r[6]} | {r[7]} | {r[8]} |")
    for kind, t in totals.items():
        triaged = t[1] + t[2]
        prec = f"{100 * t[1] / triaged:.0f}%" if triaged else "-"
        rec = f", recall {100 * t[4] / t[3]:.0f}% ({t[4]} of {t[3]} credentials)" if kind == "testcreds" and t[3] else ""
        print(f"{kind}: {t[0]} findings, {t[1]} real, {t[2]} fake: precision {prec}{rec}")
    if a.dump:
        Path(a.dump).write_text("\n".join(dump) + "\n")
        print(f"wrote {len(dump)} untriaged findings to {a.dump}")


if __name__ == "__main__":
    main()
