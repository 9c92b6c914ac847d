#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The one way the viewer, browser and Python-client tests start a viewer (any other test should
too): `mpirun -np N viewer --port 0 ARGS`, in a process group of its own, always stopped as a whole.
The viewer binds a port the kernel chooses and prints it in its ready line (a port found free here
and passed on could be taken by another process, mpirun's own daemons among them, before the viewer
bound it: "Address already in use", seen once in viewer_long_frame).

usage: launch_viewer.py [--ranks N] [--timeout S] VIEWER [VIEWER ARGS...]

Every line the viewer job prints (stdout and stderr) is forwarded to stdout as it comes. Once the
viewer printed its ready line, one more line follows, the only one that starts with READY_PREFIX:

    LIBINDEX_VIEWER_READY {"port": 40123, "url": "http://127.0.0.1:40123/", "ws": "ws://127.0.0.1:40123", "pgid": 4242}

(pgid: the job's process group, for a caller that must kill it after killing this launcher with
SIGKILL). The launcher stops the whole group (SIGTERM, SIGKILL 20 s later) when its stdin ends (the
caller closed it, or died: give it a pipe or a terminal, since /dev/null ends at once), on SIGTERM,
SIGINT or SIGHUP, and when it sees no ready line within --timeout seconds. Its exit status: 0 when
it stopped the job or the job exited with 0; the job's status (128 + the signal when one ended it)
when the job ended by itself; 2 when the viewer never got ready.
"""
import argparse, json, os, re, shutil, signal, subprocess, sys, tempfile, threading, time

READY_PREFIX = "LIBINDEX_VIEWER_READY "
VIEWER_READY = "viewer server is running at"  # what the viewer prints once it serves, with its URL


def served_port(line):
    """The port in the viewer's ready line ("... viewer server is running at http://host:PORT/")."""
    return int(re.search(r"running at https?://.*:(\d+)/", line).group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ranks", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=120, help="seconds to wait for the ready line")
    ap.add_argument("--port", type=int, default=0, help="the port to serve on (default: one the kernel chooses)")
    ap.add_argument("viewer")
    ap.add_argument("args", nargs=argparse.REMAINDER)
    a = ap.parse_args()

    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    # The session record goes to a folder of this launch, not the user's ~/.libindex/sessions.
    own_runtime_dir = "LIBINDEX_RUNTIME_DIR" not in env
    if own_runtime_dir:
        env["LIBINDEX_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="libindex-runtime-")
    job = subprocess.Popen(["mpirun", "-np", str(a.ranks), "--oversubscribe", a.viewer, "--port", str(a.port)] + a.args,
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           errors="replace", env=env, start_new_session=True)
    stopping = threading.Event()
    lock = threading.Lock()

    def out(line):
        with lock:
            try:
                sys.stdout.write(line)
                sys.stdout.flush()
            except (OSError, ValueError):  # the caller stopped reading: keep draining the job's output
                pass

    def stop(*_):
        stopping.set()

    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    # The caller closing stdin (or dying) stops the job too.
    threading.Thread(target=lambda: (sys.stdin.read(), stopping.set()), daemon=True).start()

    ready = threading.Event()

    def forward():
        for line in job.stdout:
            out(line)
            if not ready.is_set() and VIEWER_READY in line:
                ready.set()
                port = served_port(line)
                out(READY_PREFIX + json.dumps({"port": port, "url": f"http://127.0.0.1:{port}/",
                                               "ws": f"ws://127.0.0.1:{port}", "pgid": job.pid,
                                               "runtime_dir": env["LIBINDEX_RUNTIME_DIR"]}) + "\n")

    reader = threading.Thread(target=forward, daemon=True)
    reader.start()

    deadline = time.monotonic() + a.timeout
    never_ready = False
    while job.poll() is None and not stopping.is_set():
        if not ready.is_set() and time.monotonic() > deadline:
            out(f"launch_viewer: the viewer printed no ready line in {a.timeout:g} s; stopping it\n")
            never_ready = True
            break
        stopping.wait(0.1)

    stopped = job.poll() is None
    if stopped:
        for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
            try:
                os.killpg(job.pid, sig)
            except ProcessLookupError:
                break
            try:
                job.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    try:  # whatever is left of the group once mpirun is gone
        os.killpg(job.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    reader.join(timeout=5)
    if own_runtime_dir:
        shutil.rmtree(env["LIBINDEX_RUNTIME_DIR"], ignore_errors=True)
    if never_ready or not ready.is_set():
        if not stopped:
            out(f"launch_viewer: the viewer exited ({job.returncode}) before it was ready\n")
        return 2
    if stopped:
        return 0
    return job.returncode if job.returncode >= 0 else 128 - job.returncode


if __name__ == "__main__":
    sys.exit(main())
