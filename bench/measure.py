#!/usr/bin/env python3
"""Run commands several times, interleaved; print median wall time, CPU time, peak RSS and
throughput, plus each command's ratio to the first one.

usage: measure.py RUNS CORPUS_DIR NAME=COMMAND [NAME=COMMAND ...] [--bytes N] [--no-rate]

CORPUS_DIR `-` means no directory to measure; `--bytes N` sets the data size
used for MB/s (e.g. unique blob bytes of a repository); `--no-rate` leaves
out the MB/s and files/s columns.
"""
import os
import shlex
import statistics
import subprocess
import sys
import threading
import time


def corpus_size(root):
    files = 0
    size = 0
    for dirpath, _, names in os.walk(root):
        for n in names:
            files += 1
            size += os.path.getsize(os.path.join(dirpath, n))
    return files, size


TIMEOUT = float(os.environ.get("MEASURE_TIMEOUT", "900"))


def run_once(argv):
    """(wall, cpu, peak MiB) of one run, or None when it ran past TIMEOUT."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    timer = threading.Timer(TIMEOUT, proc.kill)
    timer.start()
    _, status, usage = os.wait4(proc.pid, 0)
    timer.cancel()
    if time.perf_counter() - start >= TIMEOUT:
        return None
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1, 200):  # 200: Kingfisher found secrets
        sys.exit(f"{argv[0]} exited {code}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0


def main():
    args = sys.argv[1:]
    size_override = None
    rate = "--no-rate" not in args
    if not rate:
        args.remove("--no-rate")
    if "--bytes" in args:
        i = args.index("--bytes")
        size_override = int(args[i + 1])
        del args[i:i + 2]
    runs = int(args[0])
    files, size = corpus_size(args[1]) if args[1] != "-" else (0, 0)
    if size_override is not None:
        size = size_override
    mb = size / 1e6
    print(f"corpus: {files} files, {mb:.1f} MB; {runs} runs each, medians; {os.cpu_count()} cores")
    rates = f" {'MB/s':>9} {'files/s':>10}" if rate else ""
    print(f"{'tool':<12} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}{rates} {'vs first':>9}")
    specs = []
    for spec in args[2:]:
        name, cmd = spec.split("=", 1)
        specs.append((name, shlex.split(cmd)))
    # Interleaved: one warm-up each, then round after round of every command,
    # so a slow minute of the machine hits every tool alike.
    if runs > 1:
        for _, argv in specs:
            run_once(argv)
    samples = {name: [] for name, _ in specs}
    for _ in range(runs):
        for name, argv in specs:
            if None not in samples[name]:
                samples[name].append(run_once(argv))
    first = None
    for name, _ in specs:
        got = samples[name]
        if None in got:
            print(f"{name:<12} {'> %.0f s' % TIMEOUT:>8}  (stopped: MEASURE_TIMEOUT)")
            continue
        wall = statistics.median(s[0] for s in got)
        cpu = statistics.median(s[1] for s in got)
        rss = max(s[2] for s in got)
        first = first or wall
        rates = f" {mb / wall:>9.0f} {files / wall:>10.0f}" if rate else ""
        print(f"{name:<12} {wall:>8.3f} {cpu:>8.3f} {rss:>9.1f}{rates} {wall / first:>8.2f}x")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
