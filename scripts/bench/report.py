#!/usr/bin/env python3
"""Print tabml's benchmark against scikit-learn's as Markdown tables, with the targets.

Standard library only:

    python3 scripts/bench/report.py target/bench/tabml.json target/bench/sklearn.json [evidently.json]

Both files have the shape scripts/bench/sklearn_bench.py writes ("tool", "versions", "data",
"timings" in seconds, "latency_us", "accuracy"). The ratio column is scikit-learn / tabml, so a
ratio above 1 means tabml is faster. Targets: every fit, predict and CSV parse at least as fast as
scikit-learn (ratio >= 1); forest_fit ratio >= 3; tabml's median single-row latency under 50 us
(the p99 rows are shown without a target). A missing key prints as "n/a".

With a third file (scripts/bench/evidently_bench.py's), it also prints the drift check of the
200,000 x 20 pair against Evidently's DataDriftPreset: target ratio >= 20 natively.

    python3 scripts/bench/report.py --read pandas_read.json tabml_read_*.json

prints reading CSV files: `tabml bench --read` (one JSON per file) against pandas.read_csv
(scripts/bench/pandas_read.py), with the targets: at least 300 MB/s, at least 3x pandas, and a peak
memory at most pandas'.
"""
import json
import os
import sys

TIMINGS = ["logreg_fit", "logreg_predict", "tree_fit", "tree_predict", "forest_fit", "forest_predict", "csv_parse"]
MIN_RATIO = {"forest_fit": 3.0}
MODELS = ["logreg", "tree", "forest"]
LATENCY_TARGET_US = 50.0


def machine():
    model = "unknown CPU"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores"


def number(doc, section, key):
    value = doc.get(section, {}).get(key) if isinstance(doc.get(section), dict) else None
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def fmt_seconds(s):
    if s is None:
        return "n/a"
    if s >= 1.0:
        return f"{s:.3f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    return f"{s * 1e6:.1f} µs"


def fmt_us(us):
    return "n/a" if us is None else f"{us:.1f} µs"


def fmt_ratio(tabml, sklearn):
    if tabml is None or sklearn is None or tabml <= 0:
        return None, "n/a"
    r = sklearn / tabml
    return r, f"{r:.2f}×"


def met(ok):
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(f"usage: {sys.argv[0]} TABML_JSON SKLEARN_JSON [EVIDENTLY_JSON]")
    docs = []
    for path in sys.argv[1:]:
        with open(path, encoding="utf-8") as f:
            docs.append(json.load(f))
    tabml, skl = docs[:2]

    print(f"Machine: {machine()}")
    print()
    for label, doc in (("tabml", tabml), ("scikit-learn", skl)):
        versions = doc.get("versions", {})
        text = ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) if isinstance(versions, dict) else ""
        data = doc.get("data", {})
        rows = ", ".join(f"{k} {v}" for k, v in sorted(data.items())) if isinstance(data, dict) else ""
        print(f"- {label} (tool: {doc.get('tool', 'n/a')}): {text or 'versions n/a'}; data: {rows or 'n/a'}")
    if isinstance(tabml.get("data"), dict) and isinstance(skl.get("data"), dict) and tabml["data"] != skl["data"]:
        print()
        print("**Warning: the two runs used different data sizes; the comparison is not like for like.**")
    print()

    print("| measure | tabml | scikit-learn | ratio (sklearn / tabml) | target | met? |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for key in TIMINGS:
        t, s = number(tabml, "timings", key), number(skl, "timings", key)
        r, r_text = fmt_ratio(t, s)
        need = MIN_RATIO.get(key, 1.0)
        target = f"ratio ≥ {need:g}"
        print(f"| {key} | {fmt_seconds(t)} | {fmt_seconds(s)} | {r_text} | {target} | {met(None if r is None else r >= need)} |")
    for name in MODELS:
        for key, has_target in ((f"{name}_row_us", True), (f"{name}_row_p99_us", False)):
            t, s = number(tabml, "latency_us", key), number(skl, "latency_us", key)
            _, r_text = fmt_ratio(t, s)
            if has_target:
                target = f"tabml < {LATENCY_TARGET_US:g} µs"
                ok = None if t is None else t < LATENCY_TARGET_US
            else:
                target, ok = "—", None
            print(f"| {key} | {fmt_us(t)} | {fmt_us(s)} | {r_text} | {target} | {met(ok) if has_target else '—'} |")
    print()

    print("| model | tabml accuracy | scikit-learn accuracy | difference (tabml − sklearn) |")
    print("| --- | ---: | ---: | ---: |")
    for name in MODELS:
        key = f"{name}_accuracy"
        t, s = number(tabml, "accuracy", key), number(skl, "accuracy", key)
        diff = "n/a" if t is None or s is None else f"{t - s:+.4f}"
        print(f"| {name} | {'n/a' if t is None else f'{t:.4f}'} | {'n/a' if s is None else f'{s:.4f}'} | {diff} |")
    if len(docs) == 3:
        drift_table(tabml, docs[2])


def drift_table(tabml, evidently):
    """Both drift pairs: the check alone (target: 20x Evidently on the first pair, issue 6) and
    end to end, both files read as `tabml drift` does, against Evidently's in-memory check (target:
    20x on the high-cardinality pair, issue 20)."""
    print()
    versions = evidently.get("versions", {})
    print(f"Drift check, {evidently.get('rows')} rows x {evidently.get('columns')} numeric columns; "
          + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())))
    print()
    print("| pair: measure | tabml | Evidently | ratio (Evidently / tabml) | target | met? |")
    print("| --- | ---: | ---: | ---: | --- | --- |")
    for stem, label, check_need, total_need in (("drift", "4 decimals", 20.0, None),
                                                ("drift_hc", "high cardinality", None, 20.0)):
        e = number(evidently, "timings", f"{stem}_check")
        for key, what, need in ((f"{stem}_check", "check", check_need),
                                (f"{stem}_total", "both files read and checked", total_need)):
            t = number(tabml, "timings", key)
            r, r_text = fmt_ratio(t, e)
            target = "—" if need is None else f"ratio ≥ {need:g}"
            ok = "—" if need is None else met(None if r is None else r >= need)
            print(f"| {label}: {what} | {fmt_seconds(t)} | {fmt_seconds(e)} (check) | {r_text} | {target} | {ok} |")
        t, e_read = number(tabml, "timings", f"{stem}_read"), number(evidently, "timings", f"{stem}_read")
        _, r_text = fmt_ratio(t, e_read)
        print(f"| {label}: reading both files | {fmt_seconds(t)} | {fmt_seconds(e_read)} (pandas) | {r_text} | — | — |")
        key = "drifted_columns" if stem == "drift" else "drift_hc_drifted_columns"
        ours, theirs = tabml.get(key), evidently.get(key)
        print(f"| {label}: drifted columns | {ours if ours is not None else 'n/a'} | "
              f"{theirs if theirs is not None else 'n/a'} | | equal | {met(None if ours is None else ours == theirs)} |")


def read_table(tabml_reads, pandas_doc):
    """Reading CSV files: tabml (`tabml bench --read`, one JSON per file) against pandas.read_csv
    (scripts/bench/pandas_read.py), with the targets: at least 300 MB/s, at least 3x pandas, and a
    peak at most pandas'."""
    files = pandas_doc.get("files", {})
    versions = pandas_doc.get("versions", {})
    print()
    print("Reading CSV files (best of 3; tabml reads a file of 8 MiB or more in two halves on two threads, "
          "pandas' C reader uses one, and the one-thread column is tabml on one; peak resident memory of "
          "the whole process during the first read; "
          + ", ".join(f"{k} {v}" for k, v in sorted(versions.items())) + ")")
    print()
    print("| file | tabml | pandas | ratio (pandas / tabml) | tabml MB/s | tabml MB/s, one thread | "
          "tabml peak | pandas peak | met? (≥ 300 MB/s, ≥ 3×, peak ≤ pandas') |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for doc in tabml_reads:
        name = doc.get("file")
        theirs = files.get(name, {})
        t, p = doc.get("seconds"), theirs.get("seconds")
        r, r_text = fmt_ratio(t, p)
        mbs, one = doc.get("mb_per_s"), doc.get("one_thread_mb_per_s")
        tp, pp = doc.get("peak_rss_bytes"), theirs.get("peak_rss_bytes")
        ok = None
        if None not in (r, mbs, tp, pp):
            ok = mbs >= 300 and r >= 3 and tp <= pp
        mb = lambda b: "n/a" if b is None else f"{b / 1e6:.0f} MB"
        print(f"| {name} ({mb(doc.get('bytes'))}) | {fmt_seconds(t)} | {fmt_seconds(p)} | {r_text} | "
              f"{'n/a' if mbs is None else f'{mbs:.0f}'} | {'n/a' if one is None else f'{one:.0f}'} | "
              f"{mb(tp)} | {mb(pp)} | {met(ok)} |")


def read_main(args):
    """`report.py --read PANDAS_JSON TABML_READ_JSON...`"""
    with open(args[0], encoding="utf-8") as f:
        pandas_doc = json.load(f)
    reads = []
    for path in args[1:]:
        with open(path, encoding="utf-8") as f:
            reads.append(json.load(f))
    read_table(reads, pandas_doc)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--read":
        read_main(sys.argv[2:])
    else:
        main()
