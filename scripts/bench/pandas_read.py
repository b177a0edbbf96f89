#!/usr/bin/env python3
"""Time pandas.read_csv on benchmark files, each in a fresh Python process, with its peak memory.

Run from the repository root with the reference virtualenv (scripts/ref/requirements.txt):

    target/ref-venv/bin/python scripts/bench/pandas_read.py OUTDIR OUT.json FILE [FILE ...]

For each FILE (a name inside OUTDIR) a child process imports pandas, reads the file three times
with `pandas.read_csv(path)` (the best time is kept) and reports the process's peak resident memory
during the first read (`ru_maxrss`, the whole Python process, as `tabml bench --read` reports its own) and the memory it
held before the first read. Writes {"tool": "pandas", "versions": ..., "files": {FILE: {...}}}.
"""
import json
import os
import resource
import subprocess
import sys
import time


def rss_now():
    with open("/proc/self/status", encoding="utf-8") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return None


def one(path):
    import pandas as pd

    before = rss_now()
    best, shape, peak = float("inf"), None, None
    for _ in range(3):
        start = time.perf_counter()
        frame = pd.read_csv(path)
        best = min(best, time.perf_counter() - start)
        shape = frame.shape
        # The peak of the first read, with its frame still held.
        peak = peak or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        del frame
    size = os.path.getsize(path)
    doc = {"bytes": size, "rows": shape[0], "columns": shape[1], "seconds": best,
           "mb_per_s": size / 1e6 / best, "peak_rss_bytes": peak, "rss_before_read_bytes": before,
           "pandas": pd.__version__}
    print(json.dumps(doc))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        one(sys.argv[2])
        return
    out_dir, out_json, names = sys.argv[1], sys.argv[2], sys.argv[3:]
    files, version = {}, None
    for name in names:
        path = os.path.join(out_dir, name)
        if not os.path.exists(path):
            continue
        child = subprocess.run([sys.executable, __file__, "--one", path], check=True, capture_output=True, text=True)
        doc = json.loads(child.stdout)
        version = doc.pop("pandas")
        files[name] = doc
        print(f"pandas {name}: {doc['seconds']:.3f} s, {doc['mb_per_s']:.0f} MB/s, "
              f"peak {doc['peak_rss_bytes'] / 1e6:.0f} MB", file=sys.stderr)
    with open(out_json, "w", encoding="utf-8") as f:
        json.dump({"tool": "pandas", "versions": {"pandas": version, "python": sys.version.split()[0]},
                   "files": files}, f, indent=1)


if __name__ == "__main__":
    main()
