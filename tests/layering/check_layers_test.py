#!/usr/bin/env python3
"""tools/check_layers must fail on each kind of problem it exists for, and pass a clean tree.
Each case writes a small source tree into a temporary folder and runs the checker on it.
Usage: check_layers_test.py PATH/TO/tools/check_layers"""

import os
import subprocess
import sys
import tempfile

CHECKER = sys.argv[1]
LAYERS = ["base", "devices", "engine", "netlists", "codesign", "training", "experiments", "tools"]
failures = []


def run_checker(files):
    """files: path -> text. Returns (exit status, everything printed)."""
    with tempfile.TemporaryDirectory(prefix="check_layers_test_") as root:
        for layer in LAYERS:
            os.makedirs(os.path.join(root, layer), exist_ok=True)
        for path, text in files.items():
            os.makedirs(os.path.dirname(os.path.join(root, path)), exist_ok=True)
            with open(os.path.join(root, path), "w") as f:
                f.write(text)
        done = subprocess.run([sys.executable, CHECKER, "--root", root], capture_output=True, text=True)
        return done.returncode, done.stdout + done.stderr


def expect(name, files, status, *texts):
    got_status, output = run_checker(files)
    missing = [t for t in texts if t not in output]
    if got_status != status or missing:
        failures.append(f"{name}: expected status {status} and {missing or texts}, got status {got_status}:\n{output}")


clean = {
    "base/errors.hpp": "#pragma once\n#include <string>\n",
    "devices/device.hpp": '#pragma once\n#include "base/errors.hpp"\n',
    "devices/ekv/ekv.cpp": '#include "devices/device.hpp"\n',
    "devices/registry.cpp": '#include "devices/ekv/ekv.hpp"\n',
    "devices/ekv/ekv.hpp": '#include "devices/device.hpp"\n',
    "engine/noise/grid.hpp": '#include "engine/system.hpp"\n',
    "engine/monte_carlo/study.cpp": '#include "engine/noise/grid.hpp"\n#include "devices/device.hpp"\n',
    "engine/system.hpp": '#include "devices/ekv/ekv.hpp"\n',
    "tools/main.cpp": '#include "engine/monte_carlo/study.cpp"\n#include "grid_local.hpp"\n',
    "tools/grid_local.hpp": "/* #include \"tools/main.cpp\" (commented out) */\n// #include \"codesign/x.hpp\"\n",
}
expect("a clean tree passes", clean, 0, "no cycles")

expect("an include of a higher layer fails, naming file, line and include",
       dict(clean, **{"codesign/net.hpp": "#pragma once\n",
                      "engine/analysis.hpp": '#pragma once\n\n#include "codesign/net.hpp"\n'}),
       1, 'engine/analysis.hpp:3: #include "codesign/net.hpp"', "higher layer codesign/")

expect("a relative include that walks around the include root into a higher layer fails",
       dict(clean, **{"netlists/cells.hpp": "#pragma once\n",
                      "devices/ekv/model.cpp": '#include "../../netlists/cells.hpp"\n'}),
       1, 'devices/ekv/model.cpp:1: #include "../../netlists/cells.hpp"', "higher layer netlists/")

expect("two files including each other fail",
       dict(clean, **{"engine/a.hpp": '#include "engine/b.hpp"\n',
                      "engine/b.hpp": '#pragma once\n#include "engine/a.hpp"\n'}),
       1, "include cycle between files engine/a.hpp, engine/b.hpp",
       'engine/a.hpp:1: #include "engine/b.hpp"', 'engine/b.hpp:2: #include "engine/a.hpp"')

expect("a three-file cycle fails",
       dict(clean, **{"base/a.hpp": '#include "b.hpp"\n', "base/b.hpp": '#include "base/c.hpp"\n',
                      "base/c.hpp": '#include "base/a.hpp"\n'}),
       1, "include cycle between files base/a.hpp, base/b.hpp, base/c.hpp")

expect("a file including itself fails",
       dict(clean, **{"base/self.hpp": '#include "base/self.hpp"\n'}), 1, "include cycle between files base/self.hpp")

expect("two sub-folders of a layer including each other fail",
       dict(clean, **{"engine/monte_carlo/mismatch.hpp": "#pragma once\n",
                      "engine/noise/source.cpp": '#include "engine/monte_carlo/mismatch.hpp"\n'}),
       1, "include cycle between folders engine/monte_carlo/, engine/noise/",
       'engine/noise/source.cpp:1: #include "engine/monte_carlo/mismatch.hpp"',
       'engine/monte_carlo/study.cpp:1: #include "engine/noise/grid.hpp"')

if failures:
    print("\n\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("check_layers_test: every case behaved")
