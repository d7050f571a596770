"""A benchmark row's netlists for benchmarks/run: the lowered networks generated and lowered with
`picospice lower`, the netlists picospice and ngspice (behavioral EKV, BSIM3) run, and which
signals of their waveforms are compared."""
import os
import re
import subprocess
import sys

import circuits

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAME_TOLERANCES = ".options abstol=1e-15 chgtol=1e-18\n"
CELLS_LIB = os.path.join(ROOT, "netlists", "cells", "cells.lib")
RANDOM_NETWORK = os.path.join(ROOT, "netlists", "examples", "random_network")


def insert_before_end(text, lines):
    """`lines` inserted before the netlist's final `.end` line (not before a `.ends`)."""
    ends = list(re.finditer(r"^\.end[ \t]*$", text, re.M | re.I))
    if not ends:
        return text + lines
    k = ends[-1].start()
    return text[:k] + lines + text[k:]


def bsim3_cell_library(work):
    """cells.lib with its EKV cards replaced by the generic BSIM3 level-8 cards (timing only: the
    currents differ, so the cells switch at other points)."""
    path = os.path.join(work, "cells_bsim3.lib")
    with open(CELLS_LIB) as f:
        lines = f.read().splitlines()
    out = [l for l in lines if not l.lower().startswith(".model")]
    out.insert(0, circuits.BSIM3_MODELS.rstrip())
    text = "\n".join(out) + "\n"
    if not os.path.exists(path) or open(path).read() != text:  # another invocation may be reading it
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    return path


def prepare_lowered(bench, work, picospice, network=None):
    """Generates the random network and its input sequence (or takes `network`, the (network,
    sequence) paths an earlier call returned), lowers them with `picospice lower`, and fills in the
    entry's netlist, transistor count and (BSIM3) variant. Returns the (network, sequence) paths."""
    spec = bench["lower"]
    name = bench["name"]
    cir = os.path.join(work, name + ".cir")
    if network:
        net, seq = network
    else:
        net, seq = (os.path.join(work, name + ext) for ext in (".json", ".csv"))
        subprocess.run([sys.executable, RANDOM_NETWORK, "--seed", str(spec["seed"]), "--inputs", str(spec["inputs"]),
                        "--layers", str(spec["layers"]), "--units", str(spec["units"]), "--frames", str(spec["frames"]),
                        "-o", net, "--sequence", seq], check=True)
    lowered = subprocess.run([picospice, "lower", net, "--input", seq, "-o", cir, "--library", CELLS_LIB],
                             check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with open(cir) as f:
        text = f.read()
    m = re.search(r"^\* transistors: (\d+)", text, re.M)
    if not m:
        raise RuntimeError("%s: `picospice lower` wrote no transistor count:\n%s" % (cir, lowered.stderr.decode()))
    bench["netlist"] = text
    bench["devices"] = int(m.group(1))
    bench["bsim3_netlist"] = text.replace(".include " + CELLS_LIB, ".include " + bsim3_cell_library(work))
    if bench["bsim3_netlist"] == text:
        raise RuntimeError("%s: no '.include %s' line to swap for the BSIM3 library" % (cir, CELLS_LIB))
    return net, seq


def ngspice_netlists(bench, work, picospice):
    """Writes picospice's netlist and ngspice's (behavioral EKV, and BSIM3 when the topology
    allows it); returns their paths (bsim3 None when not applicable)."""
    name = bench["name"]
    ours = os.path.join(work, name + ".cir")
    with open(ours, "w") as f:
        f.write(bench["netlist"])
    theirs = os.path.join(work, name + ".ngspice.cir")
    if bench.get("export_base"):
        # The picospice netlist has no ngspice equivalent line by line: export its circuit
        # and let a .control script do the analyses.
        base = os.path.join(work, name + ".base.cir")
        with open(base, "w") as f:
            f.write(bench["export_base"])
        subprocess.run([picospice, "export-ngspice", base, "-o", theirs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(theirs) as f:
            exported = f.read()
        with open(theirs, "w") as f:
            f.write(insert_before_end(exported, SAME_TOLERANCES + bench["ngspice_control"]))
    elif bench.get("export"):
        # EKV has no ngspice model: the exported netlist carries the same equations in
        # behavioral sources. Tolerances are set to picospice's defaults so both simulators
        # aim at the same accuracy (ngspice's default abstol of 1 pA is as large as the signals).
        subprocess.run([picospice, "export-ngspice", ours, "-o", theirs], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(theirs) as f:
            exported = f.read()
        with open(theirs, "w") as f:
            f.write(insert_before_end(exported, SAME_TOLERANCES))
    else:
        with open(theirs, "w") as f:
            f.write(bench.get("ngspice_netlist", bench["netlist"]))
    bsim3 = None
    if bench.get("bsim3") or bench.get("bsim3_netlist"):
        bsim3 = os.path.join(work, name + ".bsim3.cir")
        text = bench.get("bsim3_netlist") or bench["netlist"].replace(circuits.EKV_MODELS, circuits.BSIM3_MODELS)
        with open(bsim3, "w") as f:
            f.write(insert_before_end(text, SAME_TOLERANCES))
    return ours, theirs, bsim3


def compared_signals(bench, ours_plot, ref_plot):
    if bench.get("compare_pattern"):
        pattern = re.compile(bench["compare_pattern"])
        return [v for v in ours_plot["vars"][1:] if pattern.fullmatch(v) and v in ref_plot["vars"]]
    return bench["compare"]
