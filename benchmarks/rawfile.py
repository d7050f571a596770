"""Minimal SPICE raw-file reader (binary and ASCII, real data) for the benchmark scripts.

Returns a list of plots: {"name": str, "vars": [names...], "data": [[values of var 0], ...]}.
Names are lower-cased and normalised the way picospice writes them: "v(out)", "i(v1)".
"""
import re
import struct


def _normalise(name):
    name = name.lower()
    m = re.fullmatch(r"(.+)#branch", name)
    if m:
        return "i(%s)" % m.group(1)
    if name in ("time", "frequency") or "(" in name or name.endswith("-sweep"):
        return name
    return "v(%s)" % name


def read_raw(path):
    with open(path, "rb") as f:
        blob = f.read()
    plots = []
    pos = 0
    while pos < len(blob):
        header = {}
        variables = []
        while True:
            end = blob.index(b"\n", pos)
            line = blob[pos:end].decode("latin-1").rstrip("\r")
            pos = end + 1
            if line.lower().startswith("variables:"):
                nvars = int(header["no. variables"])
                for _ in range(nvars):
                    end = blob.index(b"\n", pos)
                    fields = blob[pos:end].decode("latin-1").split()
                    pos = end + 1
                    variables.append(_normalise(fields[1]))
                continue
            if line.lower().startswith("binary:") or line.lower().startswith("values:"):
                kind = line.lower().split(":")[0]
                break
            if ":" in line:
                key, value = line.split(":", 1)
                header[key.strip().lower()] = value.strip()
        npoints = int(header["no. points"])
        nvars = len(variables)
        if "complex" in header.get("flags", "").lower():
            raise ValueError("complex raw files are not supported")
        data = [[0.0] * npoints for _ in range(nvars)]
        if kind == "binary":
            count = npoints * nvars
            values = struct.unpack_from("<%dd" % count, blob, pos)
            pos += 8 * count
            for p in range(npoints):
                row = values[p * nvars:(p + 1) * nvars]
                for v in range(nvars):
                    data[v][p] = row[v]
        else:
            tokens = []
            need = npoints * (nvars + 1)
            while len(tokens) < need and pos < len(blob):
                end = blob.find(b"\n", pos)
                end = len(blob) if end < 0 else end
                tokens.extend(blob[pos:end].decode("latin-1").split())
                pos = end + 1
            it = iter(tokens)
            for p in range(npoints):
                next(it)  # point index
                for v in range(nvars):
                    data[v][p] = float(next(it).split(",")[0])
        plots.append({"name": header.get("plotname", ""), "vars": variables, "data": data})
        while pos < len(blob) and blob[pos:pos + 1] in (b"\n", b"\r"):
            pos += 1
    return plots


def interpolate(xs, ys, x):
    """Linear interpolation of (xs, ys) at x; xs ascending."""
    import bisect
    k = bisect.bisect_left(xs, x)
    if k <= 0:
        return ys[0]
    if k >= len(xs):
        return ys[-1]
    x0, x1 = xs[k - 1], xs[k]
    if x1 == x0:
        return ys[k]
    w = (x - x0) / (x1 - x0)
    return ys[k - 1] + w * (ys[k] - ys[k - 1])
