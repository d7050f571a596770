"""The picospice executable of another git revision, for `benchmarks/run --compare-to REV`.

The revision is resolved with git (any commit-ish), checked out as a detached worktree under a
cache directory (default benchmarks/.builds/<sha>/src, gitignored) and built in its build/ in Release with
only the `picospice` target, through ccache when it is installed. A finished build is reused: a
comparison against the same revision later costs nothing. Failures raise RevBuildError with a
message meant for the user."""
import fcntl
import os
import shutil
import subprocess


class RevBuildError(Exception):
    pass


def git(root, *args):
    return subprocess.run(["git", "-C", root] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)


def resolve(root, rev):
    """(full sha, one-line description) of `rev`; RevBuildError when git does not know it."""
    if shutil.which("git") is None:
        raise RevBuildError("git not found: --compare-to needs git to check out the other revision")
    got = git(root, "rev-parse", "--verify", "--quiet", rev + "^{commit}")
    if got.returncode != 0 or not got.stdout.strip():
        raise RevBuildError("--compare-to %s: not a commit git knows in %s" % (rev, root))
    sha = got.stdout.strip()
    described = git(root, "log", "-1", "--format=%h %s", sha).stdout.strip()
    return sha, described


def head_description(root):
    """This checkout's commit and whether its tracked files differ from it (the build under test
    is normally the working tree, not exactly HEAD)."""
    sha = git(root, "rev-parse", "HEAD").stdout.strip() or None
    dirty = bool(git(root, "status", "--porcelain", "--untracked-files=no").stdout.strip())
    return {"commit": sha, "modified_tracked_files": dirty}


def build(root, sha, cache_dir, log=print):
    """Path of the picospice executable built from `sha`; builds it when it is not there yet."""
    home = os.path.join(cache_dir, sha)
    # build/ inside the checkout, as tools/build lays it out: with a CCACHE_BASEDIR above both
    # trees, the compiler sees the same relative paths as in the main build and ccache hits for
    # every file the two revisions share.
    src = os.path.join(home, "src")
    out = os.path.join(src, "build")
    exe = os.path.join(out, "picospice")
    done = os.path.join(home, "built")  # written only after a successful build
    os.makedirs(home, exist_ok=True)
    # Two invocations comparing against the same revision would otherwise build into one tree at once.
    with open(os.path.join(home, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(done) and os.path.exists(exe):
            return exe
        if not os.path.exists(os.path.join(src, ".git")):
            # An interrupted checkout leaves a directory git no longer lists: start it afresh.
            shutil.rmtree(src, ignore_errors=True)
            git(root, "worktree", "prune")
            added = git(root, "worktree", "add", "--detach", src, sha)
            if added.returncode != 0:
                raise RevBuildError("could not check out %s into %s:\n%s" % (sha[:12], src, added.stderr.strip()))
        env = dict(os.environ)
        # ccache hashes paths relative to the base directory, so builds of other trees under it
        # (the main build, other revisions) can share compiled objects.
        # Default: the folder holding this checkout, which is above both trees when the cache is
        # inside it and covers sibling worktrees (/work/main, /work/wt/x: set CCACHE_BASEDIR=/work).
        env.setdefault("CCACHE_BASEDIR", os.path.dirname(os.path.abspath(root)))
        configure = ["cmake", "-S", src, "-B", out, "-DCMAKE_BUILD_TYPE=Release"]
        if shutil.which("ccache"):
            configure.append("-DCMAKE_CXX_COMPILER_LAUNCHER=ccache")
        jobs = env.get("JOBS", "2")
        log_path = os.path.join(home, "build.log")
        log("building %s in %s (log: %s) ..." % (sha[:12], out, log_path))
        with open(log_path, "w") as f:
            for step, cmd in (("cmake configure", configure),
                              ("cmake --build", ["cmake", "--build", out, "--target", "picospice", "-j" + jobs])):
                f.write("$ " + " ".join(cmd) + "\n")
                f.flush()
                ran = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, env=env)
                if ran.returncode != 0:
                    f.close()
                    with open(log_path) as g:
                        tail = g.read()[-3000:]
                    raise RevBuildError("building %s failed (%s exited with %d); the end of %s:\n%s" % (
                        sha[:12], step, ran.returncode,
                        log_path, tail))
        if not os.path.exists(exe):
            raise RevBuildError("building %s made no %s" % (sha[:12], exe))
        with open(done, "w") as f:
            f.write(sha + "\n")
        return exe
