#!/usr/bin/env python3
"""Write shared/tests/fixtures/dates.json: what pandas reads from the date texts tabml accepts or refuses.

Run from the repository root with the reference virtualenv (see scripts/ref/requirements.txt):

    target/ref-venv/bin/python scripts/ref/make_date_fixtures.py

Each case is a text and pandas.Timestamp's reading of it as Unix seconds (a naive reading taken as
UTC, as tabml does), or null where pandas refuses it. The cases are ISO 8601 dates and date-times in
tabml's contract (`YYYY-MM-DD`, then `T`, `t` or a space, a time, and `Z` or an offset); forms pandas
also reads but tabml does not promise (`20240301`, `2024-3-1`, a space before the offset) are left
out. shared/src/dates.rs compares against it.
"""
import json

import pandas as pd

OUT = "shared/tests/fixtures/dates.json"

CASES = [
    "1970-01-01",
    "2024-03-01",
    "2024-02-29",
    "1969-12-31T23:59:59",
    "2024-03-01T12",
    "2024-03-01T12:30",
    "2024-03-01 12:30:45",
    "2024-03-01T12:30:45.5",
    "2024-03-01T12:30:45.123456",
    "2024-03-01T12:30:45.123456789Z",
    "2024-03-01T12:30Z",
    "2024-03-01T12:30+01:00",
    "2024-03-01T12:30+0100",
    "2024-03-01T12:30+01",
    "2024-03-01T12:30-05",
    "2024-03-01T12:30:45-0530",
    "2024-03-01T00:30+23:59",
    "2024-03-01t12:30z",
    " 2024-03-01 ",
    # Not dates.
    "2024-13-01",
    "2024-00-10",
    "2023-02-29",
    "2024-02-30",
    "2024-04-31",
    "2024-03-01T24:00",
    "2024-03-01T12:60",
    "2024-03-01T12:30+25:00",
    "2024-03-01T12:30+24:00",
    "yesterday",
]


def main():
    cases = []
    for text in CASES:
        try:
            stamp = pd.Timestamp(text)
        except ValueError:
            cases.append({"text": text, "seconds": None})
            continue
        if stamp.tzinfo is None:
            stamp = stamp.tz_localize("UTC")
        # Whole seconds and nanoseconds apart, so no digit is lost to a float.
        cases.append({"text": text, "seconds": stamp.value // 10**9, "nanos": stamp.value % 10**9})
    with open(OUT, "w") as f:
        json.dump({"pandas": pd.__version__, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
