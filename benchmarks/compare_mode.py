"""benchmarks/run --compare-to REV: this picospice build timed against the picospice of git
revision REV (built by rev_build), alternately on the same netlists, with the largest difference
between the two builds' waveforms; results in benchmarks/results/compare_<sha>.json."""
import datetime
import json
import os
import re
import statistics
import sys

import circuits
import rev_build
from bench_netlists import compared_signals, ngspice_netlists, prepare_lowered
from measurement import (
    NGSPICE_LIMIT_S, SINGLE_RUN_ABOVE_S, RunTimeout, loglog_slope, machine_description, median_time, run_timed,
    waveform_difference, write_results)
from rawfile import read_raw

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


# --compare-to --lowered-by: whose `picospice lower` writes the bmru_* netlists each build runs.
LOWERED_BY = {"this": "this build's `lower`; both builds ran that netlist",
              "rev": "REV's `lower`; both builds ran that netlist",
              "each": "each build ran the netlist its own `lower` writes"}


def run_compare(bench, work, args, runs, rev_exe, ngspice):
    """--compare-to: one row timing this build and the REV build on the same netlist, alternately
    (this, REV, this, REV, ...) so that a change of machine load during the row hits both."""
    name = bench["name"]
    row = {"circuit": name, "measured": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
           "load_average_1min": round(os.getloadavg()[0], 2)}
    rev_netlist = None
    if bench.get("lower"):
        # --lowered-by: "this" (the default) or "rev" lowers the network and both builds simulate
        # that very netlist; "each" gives each build the netlist its own `picospice lower` writes,
        # as a user of either build would run it (a change of the lowering shows up too).
        row["lowered_by"] = args.lowered_by
        network = prepare_lowered(bench, work, rev_exe if args.lowered_by == "rev" else args.picospice)
        row.update(series=bench.get("series"), units=bench["units"])
        if args.lowered_by == "each":  # the same network, lowered by REV
            rev_bench = dict(bench, name=name + ".rev")
            prepare_lowered(rev_bench, work, rev_exe, network)
            rev_netlist = os.path.join(work, rev_bench["name"] + ".cir")
            row["rev_devices"] = rev_bench["devices"]
    row["devices"] = bench.get("devices")
    ours, theirs, _ = ngspice_netlists(bench, work, args.picospice)
    builds = (("this", args.picospice, os.path.join(work, name + ".raw"), ours),
              ("rev", rev_exe, os.path.join(work, name + ".rev.raw"), rev_netlist or ours))
    print("comparing %s (load average %.1f) ..." % (name, row["load_average_1min"]), file=sys.stderr, flush=True)
    times = {"this": [], "rev": []}
    cpus = {"this": [], "rev": []}
    errors = {}
    for k in range(runs):
        for key, exe, out, netlist in builds:
            if key in errors:
                continue
            try:
                t, peak, cpu, err = run_timed([exe, "run", netlist, "-o", out], work, args.picospice_limit)
            except RunTimeout:
                errors[key] = "did not finish within %g s" % args.picospice_limit
                continue
            except RuntimeError as e:
                errors[key] = str(e).splitlines()[-1][:300]
                continue
            print("  %s run %d: %.3f s" % ("this build" if key == "this" else args.compare_to, k + 1, t),
                  file=sys.stderr, flush=True)
            times[key].append(t)
            if cpu is not None:
                cpus[key].append(cpu)
            row[key + "_mib"] = max(row.get(key + "_mib") or 0.0, peak or 0.0)
            if k == 0:
                m = re.search(r"(\d+) unknowns", err)
                if m:
                    row[key + "_unknowns"] = int(m.group(1))
        if errors or max(t[0] for t in times.values() if t) > SINGLE_RUN_ABOVE_S:
            break  # a failed side or a run over a minute: one run (or pair) is the measurement
    for key, _, out, _ in builds:
        if key in errors:
            row[key + "_error"] = errors[key]
            row[key + "_s"] = None
        else:
            row.update({key + "_s": statistics.median(times[key]), key + "_runs": len(times[key]),
                        key + "_times": times[key],
                        key + "_cpu_s": statistics.median(cpus[key]) if cpus[key] else None})
    if errors:
        return row
    row["ratio"] = row["rev_s"] / row["this_s"]
    this_plot, rev_plot = (read_raw(out)[-1] for _, _, out, _ in builds)
    row.update(this_points=len(this_plot["data"][0]), rev_points=len(rev_plot["data"][0]))
    if bench.get("compare") or bench.get("compare_pattern"):
        signals = compared_signals(bench, this_plot, rev_plot)
    else:
        signals = []
    if not signals:  # no chosen signals (the characterization sweep): every vector both files hold
        signals = [v for v in this_plot["vars"][1:] if v in rev_plot["vars"]]
    d, sig, at = waveform_difference(this_plot, rev_plot, signals)
    row.update(max_diff=d, max_diff_signal=sig, max_diff_at=at, compared_signals=len(signals))
    if ngspice:
        try:
            t_ng, _, n_ng, _, _ = median_time([ngspice, "-b", "-r", os.path.join(work, name + ".ngspice.raw"), theirs],
                                           work, runs, NGSPICE_LIMIT_S, "ngspice")
            row.update(ngspice_s=t_ng, ngspice_runs=n_ng, ngspice_ratio=t_ng / row["this_s"])
        except RunTimeout:
            row.update(ngspice_s=None, ngspice_timeout_s=NGSPICE_LIMIT_S)
        except RuntimeError as e:
            row.update(ngspice_s=None, ngspice_error=str(e).splitlines()[0][:200])
    return row


def print_compare_table(result):
    rows, runs, rev = result["rows"], result["runs"], result["rev"]
    with_ng = any("ngspice_s" in r or "ngspice_timeout_s" in r for r in rows)
    header = "%-18s %8s %8s %13s %11s %11s %9s %9s %10s %-16s %6s" % (
        "circuit", "devices", "unknowns", "points", "this s", "REV s", "REV/this", "cpu ratio", "max |diff|",
        "at signal", "load")
    if with_ng:
        header += " %11s %8s" % ("ngspice s", "ng/this")
    print("REV = %s" % rev["description"])
    print(header)
    print("-" * len(header))
    for r in rows:
        if r.get("this_s") is None or r.get("rev_s") is None:
            fails = "; ".join("%s: %s" % ("this build" if k == "this" else "REV", r[k + "_error"])
                              for k in ("this", "rev") if r.get(k + "_error"))
            print("%-18s %8s   %s" % (r["circuit"], r.get("devices") or "-", fails))
            continue
        single = lambda k: "*" if r.get(k + "_runs") == 1 and runs > 1 else ""
        points = ("%d" % r["this_points"] if r["this_points"] == r["rev_points"]
                  else "%d/%d" % (r["this_points"], r["rev_points"]))
        cpu_ratio = r["rev_cpu_s"] / r["this_cpu_s"] if r.get("rev_cpu_s") and r.get("this_cpu_s") else None
        line = "%-18s %8s %8s %13s %11s %11s %9s %9s %10.3g %-16s %6.1f" % (
            r["circuit"], r.get("devices") or "-", r.get("this_unknowns", "-"), points,
            "%.4f%s" % (r["this_s"], single("this")), "%.4f%s" % (r["rev_s"], single("rev")),
            "%.2fx" % r["ratio"], "%.2fx" % cpu_ratio if cpu_ratio else "-", r["max_diff"], (r.get("max_diff_signal") or "-")[:16], r["load_average_1min"])
        if with_ng:
            ng = r.get("ngspice_s")
            line += " %11s %8s" % ("%.4f" % ng if ng else "timeout" if r.get("ngspice_timeout_s") else
                                   "failed" if r.get("ngspice_error") else "-",
                                   "%.1fx" % r["ngspice_ratio"] if ng else "-")
        print(line)
    print("this = %s%s; REV = --compare-to %s (%s)." % (
        result["this"]["picospice"], " (tracked files modified)" if result["this"].get("modified_tracked_files") else "",
        rev["rev"], rev["commit"][:12]))
    print("Medians of %d run(s) each, taken alternately (this, REV, this, REV, ...); * = a single run (over %d s)." % (
        runs, SINGLE_RUN_ABOVE_S))
    print("REV/this above 1: this build is faster (wall-time medians); cpu ratio: the same for user + system CPU")
    print("seconds, which a loaded machine inflates less. points this/REV when they differ; max |diff| between the two")
    print("builds' waveforms (the row's compared signals, else every vector), point by point when both took the")
    print("same points, else REV interpolated; load = 1-minute load average when the row started.")
    lowered = sorted({r["lowered_by"] for r in rows if r.get("lowered_by")})
    if len(lowered) == 1:
        print("bmru_* netlists lowered by: %s (%s)." % (lowered[0], LOWERED_BY[lowered[0]]))
    elif lowered:
        print("bmru_* netlists lowered by: %s (differs between rows: see lowered_by in the JSON)." % ", ".join(lowered))


def compare_fits(rows):
    """--compare-to: the scaling series' cost per time point against transistors for each build,
    as the default mode fits it (rows that failed on either side are left out)."""
    fits = {}
    for series in sorted({r.get("series") for r in rows if r.get("series")}):
        have = [r for r in rows if r.get("series") == series and r.get("this_s") and r.get("rev_s")]
        fit = {"units": [r["units"] for r in have], "transistors": [r["devices"] for r in have]}
        for key in ("this", "rev"):
            cost = [r[key + "_s"] / r[key + "_points"] for r in have]
            fit[key] = {"seconds_per_point": cost, "slope_vs_transistors": loglog_slope(fit["transistors"], cost)}
        fits[series] = fit
    return fits


def print_compare_fits(fits):
    for series, fit in fits.items():
        if fit["this"]["slope_vs_transistors"] is None:
            continue
        print("scaling series %s (units %s): cost per time point ~ transistors^slope" % (series, fit["units"]))
        for key, label in (("this", "this build"), ("rev", "REV")):
            print("  %-10s slope %.2f  (%s)" % (label, fit[key]["slope_vs_transistors"], ", ".join(
                "%d units %.3g ms" % (u, 1e3 * c) for u, c in zip(fit["units"], fit[key]["seconds_per_point"]))))


def compare_main(args, benches, runs, ngspice):
    """--compare-to REV: this build against REV's on the rows `benches`, row by row; results in
    compare_<sha>.json."""
    try:
        sha, described = rev_build.resolve(ROOT, args.compare_to)
        rev_exe = rev_build.build(ROOT, sha, os.path.abspath(args.builds_dir),
                                  log=lambda text: print(text, file=sys.stderr, flush=True))
    except rev_build.RevBuildError as e:
        sys.exit("benchmarks/run: %s" % e)
    work = os.path.join(HERE, "results", "work", "compare_" + sha[:12])
    os.makedirs(work, exist_ok=True)
    path = os.path.abspath(args.results or os.path.join(HERE, "results", "compare_%s.json" % sha[:12]))
    this = dict(rev_build.head_description(ROOT), picospice=os.path.relpath(args.picospice, ROOT))
    result = {"machine": machine_description(), "runs": runs, "this": this,
              "rev": {"rev": args.compare_to, "commit": sha, "description": described},
              "rows": [], "notes": args.note}
    if os.path.exists(path):
        # Rows of an earlier comparison against the same commit stay unless rerun (as --only
        # does for latest.json); each row says which commit "this" build was at.
        with open(path) as f:
            result["rows"] = json.load(f).get("rows", [])
    order = [b["name"] for b in circuits.all_benchmarks(args.quick)]
    for bench in benches:
        row = run_compare(bench, work, args, runs, rev_exe, ngspice if args.with_ngspice else None)
        row.update(this_commit=this["commit"], this_modified_tracked_files=this["modified_tracked_files"])
        rows = [r for r in result["rows"] if r["circuit"] != row["circuit"]] + [row]
        rows.sort(key=lambda r: order.index(r["circuit"]) if r["circuit"] in order else len(order))
        result["rows"] = rows
        result["scaling"] = compare_fits(rows)
        write_results(path, result)
    print_compare_table(result)
    print_compare_fits(result["scaling"])
    print("machine: %s, %s cores; results in %s" % (result["machine"]["cpu"], result["machine"]["cores"],
                                                    os.path.relpath(path, ROOT)))
