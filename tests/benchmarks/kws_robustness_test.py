#!/usr/bin/env python3
"""benchmarks/kws_robustness: the 95% interval it prints beside every recall (Wilson score
interval) against published values, its tally of clip decisions (per class, word group and
voice, voices weighed equally), how a condition set is made (whole or not at all), and its refusals of a missing network or encoding (no clip is synthesized here). Usage: kws_robustness_test.py SOURCE_ROOT"""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1])
SCRIPT = os.path.join(ROOT, "benchmarks", "kws_robustness")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402


loader = importlib.machinery.SourceFileLoader("kws_robustness", SCRIPT)
spec = importlib.util.spec_from_loader("kws_robustness", loader)
module = importlib.util.module_from_spec(spec)
loader.exec_module(module)

# Newcombe (Statistics in Medicine 17, 1998), table I: 81/263 -> 0.2553-0.3662; 15/148 ->
# 0.0624-0.1605; 0/20 -> 0-0.1611; 1/29 -> 0.0061-0.1718.
for right, total, low, high in [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
                                (1, 29, 0.0061, 0.1718)]:
    got = module.wilson_interval(right, total)
    check("wilson %d/%d" % (right, total), abs(got[0] - low) < 6e-5 and abs(got[1] - high) < 6e-5, str(got))
# All right: the upper end is 1 and the lower end below it (not a zero-width interval).
low, high = module.wilson_interval(150, 150)
check("wilson 150/150", high == 1.0 and 0.97 < low < 0.98, str((low, high)))
try:
    module.wilson_interval(0, 0)
    check("wilson 0/0", False, "no error")
except ValueError:
    pass

# The tally of clip decisions: per class always, per held-out/trained word for confusables, per
# voice for an engine condition ("yes" clips only); a decision counts right when it is the label.
rows = [{"id": "tr00000_yes_festival-ked_s150_p50_white_snr20", "label": "1", "decision": "1"},
        {"id": "tr00001_yes_festival-ked_s150_p50_white_snr20", "label": "1", "decision": "0"},
        {"id": "tr00002_yes_festival-slt_s150_p50_white_snr20", "label": "1", "decision": "1"},
        {"id": "tr00003_no_festival-kal_s150_p50_white_snr20", "label": "0", "decision": "0"},
        {"id": "tr00004_yet_en-us_s150_p50_white_snr20", "label": "0", "decision": "1"}]
got = module.tally_decisions(rows, "engine festival", set())
check("engine tally", got == {"yes": [3, 2], "other": [2, 1], "yes festival-ked": [2, 1], "yes festival-slt": [1, 1]},
      str(got))
got = module.tally_decisions(rows, "confusable", {"yet"})
check("confusable tally", got == {"yes": [3, 2], "other": [2, 1], "trained words": [1, 1], "held-out words": [1, 0]},
      str(got))

# Voices weighed equally: ked 1/2 and slt 1/1 -> 75%, where the pooled "yes" is 2/3.
got = module.voices_equal(module.tally_decisions(rows, "engine festival", set()))
check("voices equal", got is not None and abs(got - 0.75) < 1e-12, str(got))
check("voices equal, no voices", module.voices_equal(module.tally_decisions(rows, "confusable", {"yet"})) is None)

# A condition set is made in a temporary directory and renamed into place: whole or absent, and a
# second maker that finds the set already there keeps that one.
with tempfile.TemporaryDirectory(prefix="kws_robustness_set_") as work:
    target = os.path.join(work, "eval_set")
    maker = [sys.executable, "-c", "import os, sys; d = sys.argv[-1]; os.makedirs(d); "
             "open(os.path.join(d, 'dataset.json'), 'w').write(sys.argv[1])"]
    module.make_condition_set(target, maker + ["first"])
    module.make_condition_set(target, maker + ["second"])  # as if a concurrent run had finished first
    check("set made once", open(os.path.join(target, "dataset.json")).read() == "first"
          and os.listdir(work) == ["eval_set"], str(os.listdir(work)))


def run(*args):
    done = subprocess.run([sys.executable, SCRIPT] + list(args), capture_output=True, text=True, cwd=ROOT)
    return done.returncode, done.stdout + done.stderr


with tempfile.TemporaryDirectory(prefix="kws_robustness_test_") as work:
    status, text = run("conditions", "--network", os.path.join(work, "none.json"), "--work", work)
    check("missing network", status == 2 and "--network" in text and "no such file" in text, text[-400:])
    network = os.path.join(work, "network.json")
    open(network, "w").close()
    status, text = run("conditions", "--network", network, "--work", work)
    check("missing encoding", status == 2 and "--encoding" in text and "encoding.json: no such file" in text, text[-400:])
    check("nothing made", os.listdir(work) == ["network.json"], str(os.listdir(work)))

finish("kws_robustness: Wilson intervals, decision tallies and refusals checked")
