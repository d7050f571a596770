"""Measuring runs for benchmarks/run: timing a simulator run (wall, CPU, peak memory) with a
limit, medians over runs, the largest difference between two waveforms, the log-log slope of the
scaling fits, the machine's description and atomic writes of the results file."""
import json
import math
import os
import platform
import resource
import signal
import statistics
import subprocess
import sys
import time

from rawfile import interpolate

SINGLE_RUN_ABOVE_S = 60        # one run over a minute: the median of one
NGSPICE_LIMIT_S = 600          # per run (docs/requirements.md, 'Benchmarks')


class RunTimeout(Exception):
    pass


class RunSkipped(Exception):
    pass


# ngspice 39 (Debian) is built with OpenMP and, by default, runs its device loops on every core
# with threads that spin while they wait. On a shared, loaded machine a spinning thread whose
# partner is descheduled burns whole time slices: measured here, the 11-stage BSIM3 ring took
# 9-90 s instead of 0.3 s. Passive waits keep ngspice's threads but let them sleep.
NGSPICE_ENV = dict(os.environ, OMP_WAIT_POLICY="passive")


def run_timed(cmd, cwd, timeout, env=None):
    """Wall time, peak RSS (MiB), CPU seconds (user + system, all threads) and stderr of one run;
    raises RuntimeError on failure and RunTimeout when it runs past `timeout` seconds (the whole
    process group is killed).

    Peak memory comes from GNU time (Debian package `time`): a child forked from this Python
    process would report Python's own memory as its peak. CPU time is recorded because on a
    machine shared with other jobs the wall time grows with the load while CPU time mostly does
    not."""
    gnu_time = "/usr/bin/time"
    mem_file = os.path.join(cwd, ".peak_rss.%d" % os.getpid())  # one per invocation: --only runs may overlap
    full = ([gnu_time, "-f", "%M", "-o", mem_file] if os.path.exists(gnu_time) else []) + cmd
    # CPU time: what the children reaped during this call used (the run, its threads and GNU time,
    # which adds ~1 ms), at the kernel's resolution rather than GNU time's 10 ms.
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # A session of its own, so that a timeout ends the simulator too, not only GNU time.
    proc = subprocess.Popen(full, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True, env=env)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise RunTimeout()
    elapsed = time.perf_counter() - start
    err = err.decode(errors="replace")
    if proc.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s" % (" ".join(cmd), proc.returncode, err[-2000:]))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    peak = None
    if os.path.exists(gnu_time):
        with open(mem_file) as f:
            peak = int(f.read().split()[-1]) / 1024.0
    return elapsed, peak, cpu, err


def median_time(cmd, cwd, runs, timeout, label):
    """Median wall time over `runs` runs (one run when the first takes over a minute), the
    largest peak memory, the first run's stderr and the median CPU time."""
    env = NGSPICE_ENV if os.path.basename(cmd[0]) == "ngspice" else None
    times, cpus, peak, first_err = [], [], 0.0, ""
    for k in range(runs):
        t, p, cpu, err = run_timed(cmd, cwd, timeout, env)
        print("  %s run %d: %.3f s" % (label, k + 1, t), file=sys.stderr, flush=True)
        if k == 0:
            first_err = err
        times.append(t)
        if cpu is not None:
            cpus.append(cpu)
        peak = max(peak, p or 0.0)
        if k == 0 and t > SINGLE_RUN_ABOVE_S:
            break
    return statistics.median(times), peak, len(times), first_err, statistics.median(cpus) if cpus else None


def largest_difference(test_plot, ref_plot, signals):
    """Largest |picospice - ngspice| over the named signals, ngspice interpolated on our points."""
    t_test = test_plot["data"][0]
    t_ref = ref_plot["data"][0]
    worst = (0.0, None, None)
    for name in signals:
        a = test_plot["data"][test_plot["vars"].index(name)]
        b = ref_plot["data"][ref_plot["vars"].index(name)]
        for t, v in zip(t_test, a):
            d = abs(v - interpolate(t_ref, b, t))
            if d > worst[0]:
                worst = (d, name, t)
    return worst


def waveform_difference(a_plot, b_plot, signals):
    """Largest |a - b| over the named signals: point by point when both runs took the same points
    (two builds usually do, and a swept x axis need not be monotonic), else b interpolated on a's
    points as largest_difference does."""
    if a_plot["data"][0] == b_plot["data"][0]:
        worst = (0.0, None, None)
        for name in signals:
            a = a_plot["data"][a_plot["vars"].index(name)]
            b = b_plot["data"][b_plot["vars"].index(name)]
            for x, u, v in zip(a_plot["data"][0], a, b):
                if abs(u - v) > worst[0]:
                    worst = (abs(u - v), name, x)
        return worst
    return largest_difference(a_plot, b_plot, signals)


def loglog_slope(xs, ys):
    """Least-squares slope of log(y) against log(x); None with fewer than two points."""
    if len(xs) < 2:
        return None
    lx, ly = [math.log(x) for x in xs], [math.log(y) for y in ys]
    mx, my = statistics.mean(lx), statistics.mean(ly)
    sxx = sum((a - mx) ** 2 for a in lx)
    return sum((a - mx) * (b - my) for a, b in zip(lx, ly)) / sxx if sxx > 0 else None


def machine_description():
    machine = {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
               "system": platform.platform()}
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    machine["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return machine


def write_results(path, result):
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=1)
    os.replace(path + ".tmp", path)
