"""What the tests of the benchmark scripts share: checks that collect every failure instead of
stopping at the first, and the exit status CTest reads (0 all passed, 1 any failed)."""
import sys

failures = []


def check(name, ok, detail=""):
    if not ok:
        failures.append("%s: %s" % (name, detail))


def finish(passed):
    """Prints each failure, or `passed` when there was none, and exits with the status."""
    for f in failures:
        print("FAIL " + f)
    if not failures:
        print(passed)
    sys.exit(1 if failures else 0)
