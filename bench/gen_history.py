#!/usr/bin/env python3
"""Write a `git fast-import` stream for a synthetic repository.

  gen_history.py history COMMITS FILES [MAX_FILE_BYTES]
                                            long history: each commit edits a few
                                            files of a pool (unique blob bytes grow
                                            with COMMITS), a few synthetic keys planted
  gen_history.py wide FILES                one commit with FILES small files

Deterministic (seeded). Pipe into `git fast-import` inside an empty repository.
"""
import random
import string
import sys

rng = random.Random(4242)
out = sys.stdout.buffer
WORDS = ("let const return self config value client request response handler user "
         "account index buffer result error options module import export function "
         "class struct impl match async await for while if else parse format").split()


def line():
    n = rng.randint(2, 12)
    return ("    " * rng.randint(0, 3) + " ".join(rng.choice(WORDS) for _ in range(n)) + ";\n")


def body(size):
    parts, n = [], 0
    while n < size:
        s = line()
        parts.append(s)
        n += len(s)
    return parts


def key():
    return "sk_live_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(24))


def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")


def commit(mark, t, msg, changes, parent_mark):
    out.write(b"commit refs/heads/main\n")
    out.write(b"mark :%d\n" % mark)
    out.write(b"author Bench <bench@example.invalid> %d +0000\n" % t)
    out.write(b"committer Bench <bench@example.invalid> %d +0000\n" % t)
    data(msg.encode())
    if parent_mark:
        out.write(b"from :%d\n" % parent_mark)
    for path, content in changes:
        out.write(b"M 100644 inline %s\n" % path.encode())
        data(content.encode())


def history(commits, files, max_size=16000):
    pool = {f"src/m{i % 40}/f{i}.py": body(rng.randint(2000, max_size)) for i in range(files)}
    names = list(pool)
    t = 1_600_000_000
    commit(1, t, "initial import", [(p, "".join(c)) for p, c in pool.items()], None)
    planted = 0
    for c in range(2, commits + 1):
        changes = []
        for p in rng.sample(names, rng.randint(1, 4)):
            lines = pool[p]
            for _ in range(rng.randint(1, 6)):
                i = rng.randrange(len(lines))
                lines[i] = line()
            if rng.random() < 0.002:
                lines.insert(rng.randrange(len(lines)), f"API = '{key()}'\n")
                planted += 1
            changes.append((p, "".join(lines)))
        commit(c, t + c * 60, f"change {c}", changes, c - 1)
    sys.stderr.write(f"{commits} commits over {files} files, {planted} keys planted\n")


def wide(files):
    changes = [(f"d{i % 100}/e{i // 100 % 100}/file{i}.txt", f"file {i}\n" + line()) for i in range(files)]
    commit(1, 1_600_000_000, "wide tree", changes, None)
    sys.stderr.write(f"1 commit with {files} files\n")


if __name__ == "__main__":
    if sys.argv[1] == "history":
        history(int(sys.argv[2]), int(sys.argv[3]), *(int(a) for a in sys.argv[4:5]))
    else:
        wide(int(sys.argv[2]))
