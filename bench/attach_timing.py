#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Elastic sessions: the time from starting an attaching job (`mpirun -np 2 index-slurm -a ID viewer`)
to the first frame that includes its ranks, and the re-partition cost (that frame's render time
against a steady frame's), by volume size. Two mpirun jobs on this machine, each 2 ranks, the
synthetic marschner-lobb volume at each size, the default canvas. Prints a Markdown table.
usage: bench/attach_timing.py VIEWER INDEX_SLURM [SIZE...]   (default sizes 128 256 384)"""
import argparse, os, shutil, subprocess, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "viewer"))
from libindex_client import Client  # noqa: E402
from harness import running_viewer, viewer_pids  # noqa: E402


def frame_ms(c):
    """Wall time of one full frame, every job's part included: a camera nudge until the session has
    published the frame it caused (polled every 10 ms)."""
    before = c.call("session.stats")["frame"]
    t0 = time.monotonic()
    c.call("camera.orbit", azimuth=0.5)
    while c.call("session.stats")["frame"] == before:
        time.sleep(0.01)
    return 1e3 * (time.monotonic() - t0)


def measure(viewer, tool, size):
    runtime = tempfile.mkdtemp(prefix="libindex-bench-")
    os.environ["LIBINDEX_RUNTIME_DIR"] = runtime
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    try:
        args = ["--synthetic", "marschner-lobb", "--size", str(size)]
        with running_viewer(viewer, args, ranks=2, timeout=600) as (proc, port, tail), \
                Client(f"ws://127.0.0.1:{port}", timeout=600) as c:
            steady = min(frame_ms(c) for _ in range(3))
            record = os.listdir(runtime)[0]
            t0 = time.monotonic()
            job = subprocess.Popen(["mpirun", "-np", "2", "--oversubscribe", tool, "-a", record, viewer], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
            threading.Thread(target=lambda: [None for _ in job.stdout], daemon=True).start()
            while len(c.call("cluster.status")["jobs"]) != 2:
                time.sleep(0.05)
            joined = time.monotonic() - t0
            first = frame_ms(c)  # the first frame after admission re-reads the new leaves
            first_total = time.monotonic() - t0
            after = min(frame_ms(c) for _ in range(3))
            for pid in viewer_pids(job.pid):
                os.kill(pid, 15)
            job.wait(timeout=120)
            return joined, first_total, steady, first, after
    finally:
        del os.environ["LIBINDEX_RUNTIME_DIR"]
        shutil.rmtree(runtime, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("viewer", help="the viewer binary (build/apps/viewer)")
    ap.add_argument("index_slurm", help="the index-slurm binary (build/apps/index-slurm)")
    ap.add_argument("sizes", type=int, nargs="*", default=[128, 256, 384], metavar="SIZE",
                    help="volume sizes (default 128 256 384)")
    a = ap.parse_args()
    viewer, tool, sizes = a.viewer, os.path.abspath(a.index_slurm), a.sizes
    print("| volume | attach to joined [s] | attach to the first frame after it [s] | frame before [ms] | "
          "first frame after (re-partition: new leaves read) [ms] | frame after [ms] |")
    print("|---|---|---|---|---|---|")
    for size in sizes:
        joined, total, steady, first, after = measure(viewer, tool, size)
        print(f"| {size}³ | {joined:.2f} | {total:.2f} | {steady:.0f} | {first:.0f} | {after:.0f} |", flush=True)


if __name__ == "__main__":
    main()
