#!/bin/sh
# `cmake --install` gives a picospice that runs on its own: installs the build into a fresh
# prefix, then, from a directory with no source or build tree above it and without
# PICOSPICE_DATA_DIR, runs the installed binary on an installed example (which includes the
# installed cell library) and characterizes the schmitt9 cell (which finds cells.lib next to the
# binary, base/data_files.hpp).
# Usage: check_install.sh CMAKE BUILD_DIR
set -eu
cmake="$1"
build="$2"
work="$(mktemp -d "${TMPDIR:-/tmp}/picospice_install_test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
fail() { echo "check_install: $*" >&2; exit 1; }

"$cmake" --install "$build" --prefix "$work/prefix" > "$work/install.log" 2>&1 ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }
picospice="$work/prefix/bin/picospice"
examples="$work/prefix/share/picospice/examples"
[ -x "$picospice" ] || fail "no installed binary at $picospice"
[ -f "$work/prefix/share/picospice/cells/cells.lib" ] || fail "the cell library was not installed"

mkdir "$work/elsewhere"
cd "$work/elsewhere"
unset PICOSPICE_DATA_DIR

# An installed example, run from elsewhere: the schmitt9 hysteresis loop switches up near 350 pA.
"$picospice" run "$examples/schmitt9_loop.cir" -o loop.raw -q > run.txt 2>&1 ||
  { cat run.txt >&2; fail "the installed binary failed on the installed schmitt9_loop.cir"; }
[ -s loop.raw ] || fail "no raw file written"
up=$(awk '$1 == "up_switch" { print $3 }' run.txt)
[ -n "$up" ] || { cat run.txt >&2; fail "run printed no up_switch measure"; }
awk -v up="$up" 'BEGIN { exit !(up > 3.3e-10 && up < 3.7e-10) }' ||
  fail "up_switch $up A is not near 350 pA"

# A command that finds the cell library by itself.
"$picospice" characterize schmitt9 --format json -o cell.json > characterize.txt 2>&1 ||
  { cat characterize.txt >&2; fail "the installed binary failed to characterize schmitt9"; }
grep -q '"up_switch"' cell.json || fail "characterize wrote no up_switch"
echo "check_install: the installed picospice runs on its own from $work/elsewhere"
