#!/usr/bin/env python3
"""benchmarks/kws_decision_rules: with --choose, on readouts made so that the answer is known, it picks the
rule with the most clips right, breaks ties as documented, and refuses more than one file; the
table reads d = 0 as the run rule, as evaluate does.
Usage: kws_decision_rules_test.py SOURCE_ROOT"""

import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1])
SCRIPT = os.path.join(ROOT, "benchmarks", "kws_decision_rules")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402


def run(*args):
    done = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True)
    return done.returncode, done.stdout + done.stderr


def write(path, clips):
    with open(path, "w") as f:
        f.write("split,id,label,decision,readout\n")
        for i, (label, readout) in enumerate(clips):
            f.write("validation,c%d,%d,0,%s\n" % (i, label, " ".join(str(c) for c in readout)))


with tempfile.TemporaryDirectory(prefix="kws_decision_rules_test_") as work:
    # "yes" clips: 8 frames of yes broken once after 5 (runs 5 and 3; a count with d = 1 reaches 7).
    # Other clips: a run of 4 yes frames. Run rules: K <= 4 accepts the others, K = 5 takes every
    # clip right, K >= 6 loses the yes clips. Count rules d = 1: K = 5..7 also take every clip right.
    broken = [0, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0]
    other = [0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0]
    path = os.path.join(work, "v.csv")
    write(path, [(1, broken)] * 3 + [(0, other)] * 3)
    status, text = run(path, "--choose", "--runs", "3", "4", "5", "6", "7", "--decrements", "1")
    # All right under run 5 and up/down 5-7 d 1: the run rule wins the tie.
    check("tie to the run rule", status == 0 and "run K=5, 100.0% right" in text and
          "--detect-run 5 --detect-decrement 0" in text, text)
    status, text = run(path, "--choose", "--runs", "6", "7", "--decrements", "1", "2")
    # Without K = 5 only counts are perfect: d = 1 at K 6 and 7 (d = 2 reaches 6 only: 5 - 2 + 3);
    # the smaller d, then the larger K.
    check("count, larger K", status == 0 and "up/down K=7 d=1, 100.0% right" in text, text)
    # The table: d = 0 is the run rule (as evaluate's --detect-decrement 0), so it adds no row; a
    # count that never fell would accept the other clips at K = 4 (4 yes frames) and this one does not.
    status, text = run(path, "--runs", "4", "--decrements", "0", "1")
    check("table, d = 0", status == 0 and "up/down K=4 d=0" not in text and "run K=4" in text
          and "up/down K=4 d=1" in text, text)
    status, text = run(path, "--runs", "4", "--decrements", "-1")
    check("table, negative d", status == 2 and "--decrements >= 0" in text, text)
    status, text = run(path, path, "--choose")
    check("one file", status == 2 and "--choose reads one file" in text, text)

finish("kws_decision_rules --choose: choices and refusals checked")
