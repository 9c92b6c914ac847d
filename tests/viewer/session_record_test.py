#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Session records and index-slurm without Slurm, at 1 and 2 ranks: the head of a running viewer
leaves a private record (URL, port, token, ranks, hosts) that `index-slurm --list` shows running;
SIGTERM removes it, and so do Ctrl-C (SIGINT to mpirun and every rank) and a SIGINT or SIGTERM to
mpirun alone (which passes a SIGTERM on to the ranks); after SIGKILL it stays, `--list` calls it
stale and `index-slurm -a ID` refuses it with exit code 3 in seconds; a job id without a session is
exit code 2.
Usage: session_record_test.py VIEWER INDEX_SLURM"""
import contextlib, json, os, shutil, signal, stat, subprocess, sys, tempfile, time

from harness import Checks, running_viewer, viewer_pids


def index_slurm(tool, runtime_dir, *args):
    t0 = time.monotonic()
    r = subprocess.run([tool, "--runtime-dir", runtime_dir, *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr, time.monotonic() - t0


def the_record(runtime_dir):
    ids = os.listdir(runtime_dir)
    if len(ids) != 1:
        return None, None
    path = os.path.join(runtime_dir, ids[0], "session.json")
    with open(path) as f:
        return json.load(f), path


def stopped_through_mpirun(viewer, runtime_dir, n, sig):
    """Starts `mpirun -np n viewer` in a session of its own, signals mpirun alone once the record is
    there, and says whether the record is gone once the job has ended."""
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    job = subprocess.Popen(["mpirun", "-np", str(n), viewer, "--port", "0", "--synthetic", "sphere", "--size", "16"],
                           env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not os.listdir(runtime_dir):
            time.sleep(0.1)
        ids = os.listdir(runtime_dir)
        if len(ids) != 1:
            return False
        time.sleep(0.5)  # past start-up: the ranks serve
        job.send_signal(sig)
        job.wait(timeout=60)
        deadline = time.monotonic() + 5  # ranks mpirun no longer waits for may still be on their way out
        while time.monotonic() < deadline and os.path.exists(os.path.join(runtime_dir, ids[0])):
            time.sleep(0.1)
        return not os.path.exists(os.path.join(runtime_dir, ids[0]))
    finally:
        if job.poll() is None:
            os.killpg(job.pid, signal.SIGKILL)
            job.wait()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(job.pid, signal.SIGKILL)  # whatever is left of the job
        for stale in os.listdir(runtime_dir):
            shutil.rmtree(os.path.join(runtime_dir, stale), ignore_errors=True)


def probe(viewer, tool, n, check):
    runtime_dir = tempfile.mkdtemp(prefix="libindex-records-")
    os.environ["LIBINDEX_RUNTIME_DIR"] = runtime_dir  # the launcher passes it on and leaves it to us
    try:
        with running_viewer(viewer, [], ranks=n) as (proc, port, tail):
            record, path = the_record(runtime_dir)
            check(record is not None, f"[{n}] one record under the runtime dir: {os.listdir(runtime_dir)}")
            if record is None:
                return tail
            check(record["port"] == port and record["url"] == f"http://127.0.0.1:{port}/",
                  f"[{n}] the record names the port and URL: {record['url']}")
            check(record["ranks"] == n and len(record["hosts"]) == n, f"[{n}] ranks {record['ranks']}, hosts {record['hosts']}")
            check(len(record["token"]) == 32, f"[{n}] an attach token of 32 hex digits")
            check(stat.S_IMODE(os.stat(path).st_mode) == 0o600 and
                  stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o700,
                  f"[{n}] record 0600 in a 0700 folder")
            check(record["pid"] == viewer_pids(proc.pid)[0], f"[{n}] the record's pid is the head's")
            code, out, _ = index_slurm(tool, runtime_dir, "--list")
            check(code == 0 and record["id"] in out and "running" in out, f"[{n}] --list shows it running")
            code, out, _ = index_slurm(tool, runtime_dir, "-a", "no-such-job", "viewer")
            check(code == 2 and "no session of job no-such-job" in out, f"[{n}] -a without a session: {code}, {out.strip()}")
            os.kill(record["pid"], signal.SIGTERM)
            proc.wait(timeout=60)
            check(not os.path.exists(os.path.dirname(path)), f"[{n}] SIGTERM removed the record")

        if n > 1:
            # Ctrl-C in a terminal: SIGINT to mpirun and every rank at once (their process group).
            with running_viewer(viewer, [], ranks=n) as (proc, port, tail):
                record, path = the_record(runtime_dir)
                os.killpg(os.getpgid(record["pid"]), signal.SIGINT)
                proc.wait(timeout=60)
                check(not os.path.exists(os.path.dirname(path)), f"[{n}] Ctrl-C (SIGINT to the job) removed the record")
            # `kill -INT` or `kill -TERM` to mpirun alone: it passes a SIGTERM to every rank, and kills the
            # job when one of them dies of it; the ranks wait for the head, which removes its record.
            for sig in (signal.SIGINT, signal.SIGTERM):
                check(stopped_through_mpirun(viewer, runtime_dir, n, sig),
                      f"[{n}] {sig.name} to mpirun alone removed the record")

        with running_viewer(viewer, [], ranks=n) as (proc, port, tail):
            record, path = the_record(runtime_dir)
            for pid in viewer_pids(proc.pid):
                os.kill(pid, signal.SIGKILL)
            proc.wait(timeout=60)
            check(os.path.exists(path), f"[{n}] SIGKILL leaves the record")
            code, out, _ = index_slurm(tool, runtime_dir, "--list")
            check(code == 0 and "stale" in out, f"[{n}] --list calls it stale")
            code, out, seconds = index_slurm(tool, runtime_dir, "-a", record["id"], "viewer")
            check(code == 3 and f"the session of job {record['id']} is stale" in out and "remove" in out,
                  f"[{n}] -a on a stale record: exit {code} after {seconds:.2f} s: {out.strip()}")
        return tail
    finally:
        del os.environ["LIBINDEX_RUNTIME_DIR"]
        shutil.rmtree(runtime_dir, ignore_errors=True)


def main():
    viewer, tool = sys.argv[1], sys.argv[2]
    check = Checks()
    tail = None
    for n in (1, 2):
        try:
            tail = probe(viewer, tool, n, check)
        except Exception as e:  # noqa: BLE001
            check(False, f"[{n}] raised {e!r}")
    return check.summary(tail)


if __name__ == "__main__":
    sys.exit(main())
