"""The benchmark circuits. Each entry: name, netlist (picospice), optional ngspice_netlist,
compare (signals to compare), devices (count). Both simulators read the same text unless an
ngspice version is given."""


def rc_ladder(sections, drive_points=200, tstop=2e-3):
    lines = ["* RC ladder, %d sections, PWL drive" % sections]
    pts = []
    for k in range(drive_points):
        t = tstop * k / drive_points
        v = 1.0 if (k // 10) % 2 else 0.0
        pts.append("%g %g" % (t, v))
    lines.append("V1 n0 0 PWL(" + " ".join(pts) + ")")
    for k in range(sections):
        lines.append("R%d n%d n%d 10" % (k + 1, k, k + 1))
        lines.append("C%d n%d 0 1n" % (k + 1, k + 1))
    lines.append("Rload n%d 0 1k" % sections)
    lines.append(".tran %g %g" % (tstop / 1000, tstop))
    lines.append(".end")
    return {"name": "rc_ladder_%d" % sections, "netlist": "\n".join(lines) + "\n",
            "compare": ["v(n1)", "v(n%d)" % (sections // 2), "v(n%d)" % sections],
            "devices": 2 * sections + 2}


def diode_bridge():
    text = """* full-wave diode bridge rectifier, 50 Hz, RC load
V1 a b SIN(0 10 50)
Rg b 0 1meg
D1 a p dm
D2 b p dm
D3 m a dm
D4 m b dm
Rl p m 1k
Cl p m 100u
Rm m 0 1meg
.model dm d is=1e-14 n=1.05 rs=0.1 cjo=10p tt=5n
.tran 10u 60m
.end
"""
    return {"name": "diode_bridge", "netlist": text, "compare": ["v(p)", "v(m)"], "devices": 9}


def all_benchmarks(quick):
    if quick:
        return [rc_ladder(1000, tstop=1e-3), diode_bridge()]
    return [rc_ladder(10000), diode_bridge()]
