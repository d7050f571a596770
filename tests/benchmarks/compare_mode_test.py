#!/usr/bin/env python3
"""benchmarks/run --compare-to: bad input ends with a clear message and status 1 before anything is
built, --help documents the option, and the two builds' waveforms are compared point by point or
by interpolation. No simulation runs here (the mode itself needs two builds: a slow check).
Usage: compare_mode_test.py SOURCE_ROOT"""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys
import tempfile

ROOT = os.path.abspath(sys.argv[1])
RUN = os.path.join(ROOT, "benchmarks", "run")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402


def run(*args):
    done = subprocess.run([sys.executable, RUN] + list(args), capture_output=True, text=True, cwd=ROOT)
    return done.returncode, done.stdout + done.stderr


status, text = run("--help")
check("--help", status == 0 and "--compare-to REV" in text and "compare_<sha>.json" in text and
      "--lowered-by {this,rev,each}" in text, text[-500:])

with tempfile.TemporaryDirectory(prefix="compare_mode_test_") as builds:
    # A picospice path that exists, so that the checks below reach the revision and --only.
    fake = os.path.join(builds, "picospice")
    open(fake, "w").close()
    is_git = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True).returncode == 0
    if is_git:
        status, text = run("--compare-to", "no-such-revision-xyz", "--builds-dir", builds, "--picospice", fake)
        check("bad REV", status == 1 and "--compare-to no-such-revision-xyz: not a commit" in text, text[-500:])
    else:
        print("not a git checkout: the bad-REV case is not checked")
    status, text = run("--compare-to", "HEAD", "--only", "no_such_row", "--builds-dir", builds, "--picospice", fake)
    check("bad --only", status == 1 and "--only no_such_row" in text, text[-500:])
    check("bad --only builds nothing", os.listdir(builds) == ["picospice"], str(os.listdir(builds)))
    status, text = run("--with-ngspice")
    check("--with-ngspice alone", status == 2 and "--with-ngspice goes with --compare-to" in text, text[-500:])
    status, text = run("--lowered-by", "each")
    check("--lowered-by alone", status == 2 and "--lowered-by goes with --compare-to" in text, text[-500:])
    status, text = run("--compare-to", "HEAD", "--lowered-by", "mine", "--builds-dir", builds, "--picospice", fake)
    check("bad --lowered-by", status == 2 and "invalid choice: 'mine'" in text, text[-500:])
    status, text = run("--runs", "0", "--only", "no_such_row", "--picospice", fake)  # 0 is not "not given"
    check("--runs 0", status == 2 and "--runs must be at least 1" in text, text[-500:])

loader = importlib.machinery.SourceFileLoader("benchmarks_run", RUN)
spec = importlib.util.spec_from_loader("benchmarks_run", loader)
bench = importlib.util.module_from_spec(spec)
loader.exec_module(bench)
a = {"vars": ["time", "v(x)"], "data": [[0.0, 1.0, 2.0], [0.0, 1.0, 0.0]]}
same_points = {"vars": ["time", "v(x)"], "data": [[0.0, 1.0, 2.0], [0.0, 0.75, 0.0]]}
d, signal, at = bench.waveform_difference(a, same_points, ["v(x)"])
check("same points", (d, signal, at) == (0.25, "v(x)", 1.0), str((d, signal, at)))
# Other points: b is interpolated on a's time points (b = 0.5 t there, so 0.5 off at t = 1).
ramp = {"vars": ["time", "v(x)"], "data": [[0.0, 1.0, 2.0], [0.0, 1.0, 1.0]]}
other_points = {"vars": ["time", "v(x)"], "data": [[0.0, 2.0], [0.0, 1.0]]}
d, signal, at = bench.waveform_difference(ramp, other_points, ["v(x)"])
check("interpolated", abs(d - 0.5) < 1e-12 and at == 1.0, str((d, signal, at)))

finish("benchmarks/run --compare-to: errors, --help and comparisons checked")
