#!/usr/bin/env python3
"""benchmarks/kws_float_ceiling: its backward pass, that it learns, and its refusals.

Writes a small synthetic picospice-dataset/1 directory ("yes" clips carry a bump on input 0 for
15 frames, others on input 1), so no speech engine is needed.
Usage: kws_float_ceiling_test.py SOURCE_DIR
"""
import csv
import json
import os
import random
import subprocess
import sys
import tempfile

source = sys.argv[1]
script = os.path.join(source, "benchmarks", "kws_float_ceiling")
failures = []

# The script needs numpy (Debian's python3-numpy, which tools/setup installs); CMake may have found
# another interpreter first (a pyenv shim, say), so take the first of the two that has it.
python = next((p for p in (sys.executable, "/usr/bin/python3")
               if subprocess.run([p, "-c", "import numpy"], capture_output=True).returncode == 0), None)
if python is None:
    print("SKIPPED: no python3 with numpy (Debian package python3-numpy; tools/setup installs it)")
    sys.exit(77)


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def write_dataset(directory, clips=48, frames=40, inputs=4):
    rng = random.Random(3)
    prefixes = {"train": "tr", "validation": "va", "test": "te"}
    for split, prefix in prefixes.items():
        with open(os.path.join(directory, f"{split}.csv"), "w", newline="") as f, \
                open(os.path.join(directory, f"{split}_word_spans.csv"), "w", newline="") as spans:
            w, s = csv.writer(f), csv.writer(spans)
            w.writerow(["clip", "frame", "label"] + [f"x{k}" for k in range(inputs)])
            s.writerow(["clip", "begin", "end"])
            for i in range(clips):
                label = i % 2
                word = "yes" if label else ("yet" if i % 4 == 0 else "no")
                clip = f"{prefix}{i:05d}_{word}_en-us_s150_p50_white_snr20"
                onset = rng.randrange(5, frames - 20)
                s.writerow([clip, onset, onset + 15])
                for t in range(frames):
                    x = [rng.uniform(0, 0.2) for _ in range(inputs)]
                    if onset <= t < onset + 15:
                        x[0 if label else 1] += 1.0
                    w.writerow([clip, t, label] + [f"{v:.4f}" for v in x])
    with open(os.path.join(directory, "dataset.json"), "w") as f:
        json.dump({"format": "picospice-dataset/1", "name": "synthetic", "inputs": inputs, "classes": 2}, f)


def run(*args):
    return subprocess.run([python, script, *args], capture_output=True, text=True, timeout=600)


with tempfile.TemporaryDirectory() as d:
    write_dataset(d)
    r = run(d, "--check-gradient")
    check(r.returncode == 0 and "gradient check passed" in r.stdout,
          "--check-gradient: the backward pass matches finite differences (full and diagonal recurrence)")

    out = os.path.join(d, "result.json")
    r = run(d, "--units", "6", "--epochs", "12", "--run", "8", "--lr", "0.02", "--json", out, "--conditions", d)
    check(r.returncode == 0, "a short training run exits 0")
    if r.returncode == 0:
        result = json.load(open(out))
        check(result["test"]["accuracy"] >= 90.0,
              f"it learns the separable task: test {result['test']['accuracy']:.1f}% >= 90%")
        check({"yes", "near miss", "other"} <= set(result["test"]),
              "results per category: yes, near miss (yet), other (no)")
        condition = result["conditions"][os.path.basename(d)]
        check(condition["clips"] == 144 and condition["yes_recalled"] >= 90 and condition["others_rejected"] >= 90,
              f"--conditions scores all three splits of a dataset: {condition}")
    else:
        print(r.stdout, r.stderr)

    net = os.path.join(d, "net.json")
    r = run(d, "--cell", "soft-bmru", "--units", "6", "--epochs", "12", "--run", "8", "--lr", "0.02",
            "--tau", "0.1", "--tau-end", "0.005", "--hard", "--export", net, "--json", out)
    check(r.returncode == 0, "soft-bmru annealed to the hard latch trains")
    if r.returncode == 0:
        result, exported = json.load(open(out)), json.load(open(net))
        check(result["test"]["accuracy"] >= 90.0,
              f"the hard latch learns the separable task: test {result['test']['accuracy']:.1f}% >= 90%")
        check(exported["format"] == "picospice-bmru/1" and exported["detect_run"] == result["validation"]["K"]
              and len(exported["layers"]) == 3 and min(exported["layers"][0]["delta"]) >= 0,
              "--export writes a picospice-bmru/1 network with the K chosen on validation")
    r = run(d, "--export", net)
    check(r.returncode != 0 and "soft-bmru" in (r.stdout + r.stderr), "--export without --cell soft-bmru is refused")

    other = os.path.join(d, "other_encoding")
    os.makedirs(other)
    write_dataset(other)
    for directory, scale in ((d, 0.25), (other, 0.5)):
        with open(os.path.join(directory, "dataset.json"), "w") as f:
            json.dump({"format": "picospice-dataset/1", "inputs": 4, "classes": 2,
                       "provenance": {"encoding": {"offset": 2, "scale": scale}}}, f)
    r = run(d, "--units", "4", "--epochs", "1", "--conditions", other)
    check(r.returncode != 0 and "encoded differently" in (r.stdout + r.stderr),
          "--conditions refuses a dataset of another encoding")

    r = run(d, "--units", "0")
    check(r.returncode != 0 and "must be positive" in (r.stdout + r.stderr), "--units 0 is refused")
    with open(os.path.join(d, "train.csv"), "w") as f:
        f.write("id,x0\nfoo,1\n")
    r = run(d, "--epochs", "1")
    check(r.returncode != 0 and "not a picospice-dataset/1 CSV" in (r.stdout + r.stderr),
          "a CSV without the dataset header is refused, naming the file")
    r = run(os.path.join(d, "missing"))
    check(r.returncode != 0 and "Traceback" not in r.stderr, "a missing directory is an error, not a traceback")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
