#!/usr/bin/env python3
"""Generate the synthetic "learner support" data set (public/data/learner_support.csv).

Pure Python standard library. Deterministic: the same --seed and --rows give a
byte-identical file. Learner i (0-based) is drawn from its own generator,
random.Random(seed * 1_000_000 + i), so a smaller --rows gives a prefix of
the larger file. Only ``random.Random.random()`` is used as the source of
randomness (normal, exponential, binomial and categorical draws are built on
top of it here), because its output for an integer seed is stable across
Python 3 versions, while helpers such as ``choices`` or ``gauss`` are not
guaranteed to be.

Every row is one (fictional) learner on an online course. The question the data
poses is: which learners need extra support from a mentor?

Columns
-------
learner_id                text     L00001, L00002, ...
cohort                    category 2025-spring, 2025-autumn, 2026-spring, 2026-autumn
group                     category A, B, C (a demographic-style group, for per-group
                                   / fairness metrics; it has a direct effect on
                                   the target, so positive rates differ by group)
lessons_completed         integer  0..60
quiz_attempts             integer  0..(lessons_completed // 3 + 2)
avg_quiz_score            float    0..100, one decimal, percent; EMPTY when
                                   quiz_attempts == 0, and also empty for about 4 %
                                   of the other rows (missing completely at random)
days_since_last_activity  integer  0..120, days
mentor_notes              text     short note from a template, empty for ~35 % of rows
needs_support             target   "yes" / "no" (about 15 % "yes")

How the values are drawn (per learner)
--------------------------------------
    cohort  ~ Categorical(2025-spring .20, 2025-autumn .25, 2026-spring .30, 2026-autumn .25)
    group   ~ Categorical(A .50, B .30, C .20)
    E       ~ Normal(0, 1)                          latent engagement
    K       ~ Normal(0, 1)                          latent prior knowledge
    lessons_completed = clamp(round(34 + 11*E + COHORT_LESSONS[cohort]
                                    + GROUP_LESSONS[group] + Normal(0, 5)), 0, 60)
        COHORT_LESSONS = {2025-spring: +6, 2025-autumn: +3, 2026-spring: 0, 2026-autumn: -6}
        GROUP_LESSONS  = {A: +1, B: 0, C: -2}
    quiz_attempts     = Binomial(n = lessons_completed // 3 + 2, p = 0.12 + 0.55 * sigmoid(0.9*E + 0.6))
    S (quiz score)    = round(clamp(68 + 11*K + 5*E + Normal(0, 6), 0, 100), 1)
    avg_quiz_score    = S written with one decimal, or empty if quiz_attempts == 0
                        or (with probability 0.04) missing at random
    days_since_last_activity = clamp(round(Exponential(mean = exp(2.1 - 0.55*E))), 0, 120)

Target: an exact logistic formula plus noise
--------------------------------------------
    L = lessons_completed, Q = quiz_attempts, D = days_since_last_activity,
    S = the learner's quiz score rounded to one decimal (the value written to
        avg_quiz_score). S is used even where avg_quiz_score is hidden as
        missing at random; it is NOT used when Q == 0, where NOQUIZ applies.

    z0 = -5.90
         - 0.12 * (L - 30)
         - 0.09 * (S - 68)          if Q > 0
         + 1.20                     if Q == 0          (NOQUIZ)
         + 1.10 * ln(1 + D)
         - 0.09 * (Q - 8)
         + GROUP_LOGIT[group]       GROUP_LOGIT  = {A: 0.0, B: +0.40, C: +0.80}
         + COHORT_LOGIT[cohort]     COHORT_LOGIT = {2025-spring: -0.15, 2025-autumn: 0.0,
                                                    2026-spring: 0.0, 2026-autumn: +0.20}
    z  = z0 + Normal(0, 0.8)                           (unobserved noise)
    P(needs_support = "yes") = sigmoid(z) = 1 / (1 + exp(-z))
    needs_support = "yes" if U < sigmoid(z) else "no",  U ~ Uniform(0, 1)

So fewer lessons, lower quiz scores, no quizzes at all, fewer quiz attempts and
a longer time since the last activity all raise the chance of needing support;
group C (and to a lesser degree B) and the newest cohort have a higher base
rate. With seed 20261123 and 5000 rows about 15 % of learners are "yes".

mentor_notes
------------
Picked from fixed templates; the choice depends on z0 (z without the
Normal(0, 0.8) term and without the final Bernoulli draw), so it
is mildly informative but never a perfect leak of the label:
    with probability 0.35 the note is empty; otherwise
    P(concern template) = sigmoid(1.2 * (z0 + 1.2)) * 0.8 + 0.05,
    else a neutral template (p = 0.45 of the rest) or a positive template.

Usage:
    python3 scripts/data/make_learner_support.py [--seed 20261123] [--rows 5000]
                                                 [--out public/data/learner_support.csv]
"""

import argparse
import csv
import math
import os
import random

DEFAULT_SEED = 20261123
DEFAULT_ROWS = 5000

COHORTS = [("2025-spring", 0.20), ("2025-autumn", 0.25), ("2026-spring", 0.30), ("2026-autumn", 0.25)]
GROUPS = [("A", 0.50), ("B", 0.30), ("C", 0.20)]
COHORT_LESSONS = {"2025-spring": 6, "2025-autumn": 3, "2026-spring": 0, "2026-autumn": -6}
GROUP_LESSONS = {"A": 1, "B": 0, "C": -2}
GROUP_LOGIT = {"A": 0.0, "B": 0.40, "C": 0.80}
COHORT_LOGIT = {"2025-spring": -0.15, "2025-autumn": 0.0, "2026-spring": 0.0, "2026-autumn": 0.20}
NOISE_SD = 0.8
MISSING_AT_RANDOM = 0.04
NOTE_EMPTY = 0.35

CONCERN_NOTES = [
    "Missed the last two check-ins.",
    "Says the pace is too fast, struggling with quizzes.",
    "Asked for help with the assignments twice.",
    "Has not logged in for a while, emails unanswered.",
    "Finds the maths hard, unsure about continuing.",
    "Work and family commitments, little time to study.",
    "Quiz scores dropping; may need a study plan.",
    "Feels lost after module 3.",
]
NEUTRAL_NOTES = [
    "Regular check-in, nothing to report.",
    "Changed study schedule to evenings.",
    "Asked about the certificate requirements.",
    "Moved to a new time zone, adjusting.",
    "Prefers video lessons over reading.",
    "Quiet in the forum, but submits work.",
]
POSITIVE_NOTES = [
    "Very engaged, helps others in the forum.",
    "Ahead of schedule, asked for extra material.",
    "Strong quiz results, confident.",
    "Finished the project early, great work.",
    "Motivated, studies a little every day.",
]


class Rng:
    """Distributions built only on random.Random.random() (stable across versions)."""

    def __init__(self, seed):
        self._r = random.Random(seed)

    def uniform(self):
        return self._r.random()

    def normal(self, mu=0.0, sigma=1.0):
        # Box-Muller; 1 - u keeps the log argument in (0, 1].
        u1 = 1.0 - self._r.random()
        u2 = self._r.random()
        return mu + sigma * math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)

    def exponential(self, mean):
        return -mean * math.log(1.0 - self._r.random())

    def binomial(self, n, p):
        return sum(1 for _ in range(n) if self._r.random() < p)

    def categorical(self, pairs):
        u = self._r.random()
        acc = 0.0
        for value, w in pairs:
            acc += w
            if u < acc:
                return value
        return pairs[-1][0]


def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def make_row(i, rng):
    # Draw order is fixed; changing it changes the data set.
    cohort = rng.categorical(COHORTS)
    group = rng.categorical(GROUPS)
    e = rng.normal()
    k = rng.normal()

    lessons = int(clamp(round(34 + 11 * e + COHORT_LESSONS[cohort] + GROUP_LESSONS[group]
                              + rng.normal(0, 5)), 0, 60))
    attempts = rng.binomial(lessons // 3 + 2, 0.12 + 0.55 * sigmoid(0.9 * e + 0.6))
    score = clamp(68 + 11 * k + 5 * e + rng.normal(0, 6), 0.0, 100.0)
    score = round(score, 1)  # the value used by the formula is the published one
    mar = rng.uniform() < MISSING_AT_RANDOM
    days = int(clamp(round(rng.exponential(math.exp(2.1 - 0.55 * e))), 0, 120))

    z0 = (-5.90
          - 0.12 * (lessons - 30)
          + (1.20 if attempts == 0 else -0.09 * (score - 68))
          + 1.10 * math.log1p(days)
          - 0.09 * (attempts - 8)
          + GROUP_LOGIT[group]
          + COHORT_LOGIT[cohort])
    z = z0 + rng.normal(0, NOISE_SD)
    needs = rng.uniform() < sigmoid(z)

    # Always draw the same number of values for the note, so that the random
    # stream does not depend on which branch is taken.
    u_empty, u_concern, u_neutral, u_pick = (rng.uniform() for _ in range(4))
    if u_empty < NOTE_EMPTY:
        note = ""
    elif u_concern < sigmoid(1.2 * (z0 + 1.2)) * 0.8 + 0.05:
        note = CONCERN_NOTES[int(u_pick * len(CONCERN_NOTES))]
    elif u_neutral < 0.45:
        note = NEUTRAL_NOTES[int(u_pick * len(NEUTRAL_NOTES))]
    else:
        note = POSITIVE_NOTES[int(u_pick * len(POSITIVE_NOTES))]

    score_text = "" if attempts == 0 or mar else "%.1f" % score
    return [
        "L%05d" % (i + 1),
        cohort,
        group,
        str(lessons),
        str(attempts),
        score_text,
        str(days),
        note,
        "yes" if needs else "no",
    ]


HEADER = [
    "learner_id", "cohort", "group", "lessons_completed", "quiz_attempts",
    "avg_quiz_score", "days_since_last_activity", "mentor_notes", "needs_support",
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_out = os.path.normpath(os.path.join(here, "..", "..", "public", "data", "learner_support.csv"))
    ap = argparse.ArgumentParser(description="Generate the synthetic learner support data set.")
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    ap.add_argument("--rows", type=int, default=DEFAULT_ROWS, help="number of learners (default %(default)s)")
    ap.add_argument("--out", default=default_out, help="output CSV (default public/data/learner_support.csv)")
    args = ap.parse_args()
    if args.rows < 1 or args.rows > 99999:
        ap.error("--rows must be between 1 and 99999")

    # One generator per learner, seeded from (seed, row number): row i depends
    # only on the seed and i, so --rows 100 gives the first 100 rows of the
    # default file, and tweaking a formula only changes what it touches.
    rows = [make_row(i, Rng(args.seed * 1_000_000 + i)) for i in range(args.rows)]

    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
        w.writerow(HEADER)
        w.writerows(rows)
    os.replace(tmp, args.out)
    yes = sum(1 for r in rows if r[-1] == "yes")
    print("wrote %s (%d rows x %d columns, needs_support=yes: %d = %.1f%%)"
          % (args.out, len(rows), len(HEADER), yes, 100.0 * yes / len(rows)))


if __name__ == "__main__":
    main()
