#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Sessions on a real Slurm: a private local cluster that scripts/slurm-local.sh installs, starts and
stops (two nodes on this host), and real jobs on it.
  1. `srun -n2 --mpi=pmix index-slurm -v viewer` serves frames to the Python client; the head's
     session record is named by the job id and lists both ranks; `index-slurm --list` shows it
     running; scancel ends the job and removes the record.
  2. A second job attaches with deploy/slurm/attach.sbatch: cluster.status lists both jobs and the
     snapshot equals the one before; scancel of it: back to the session's ranks, snapshot unchanged;
     a third job's processes killed (SIGKILL, all at once): noticed, named in a session.changed notice,
     the session goes on, snapshot unchanged; -a with a job that has no session: exit 2.
  3. deploy/slurm/session.sbatch prints a URL with a one-time token: with the token the page loads
     (200) and a client gets a frame; without it, 401; scancel ends it and removes the record.
Every process and folder it starts is gone afterwards.
usage: slurm_test.py SOURCE_DIR VIEWER INDEX_SLURM   (prints 'N passed, N failed' last)"""
import json, os, re, shutil, socket, subprocess, sys, tempfile, time, urllib.error, urllib.request  # noqa: E401

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "viewer"))
from libindex_client import Client, decode_png  # noqa: E402
from harness import Checks, wait_for_cluster_event  # noqa: E402
from launch_viewer import VIEWER_READY, served_port  # noqa: E402


def free_port():
    """For slurmd and slurmctld, which must be told their ports. A viewer takes --port 0 instead and
    says its port (served_port): a port found free here can be taken before the viewer binds it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, seconds, step=0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def records(runtime_dir):
    out = []
    for entry in sorted(os.listdir(runtime_dir)):
        path = os.path.join(runtime_dir, entry, "session.json")
        if os.path.exists(path):
            with open(path) as f:
                out.append(json.load(f))
    return out


def http_status(url):
    # The server trades ?token= for a cookie and redirects to the bare URL: keep the cookie, as a browser does.
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
    try:
        with opener.open(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def job_gone(env, job):
    r = subprocess.run(["squeue", "-h", "-j", job], env=env, capture_output=True, text=True)
    return r.returncode != 0 or not r.stdout.strip()


def srun_session(env, viewer, tool, runtime_dir, check):
    port = 0
    job = subprocess.Popen(["srun", "-N1", "-n2", "--mpi=pmix", tool, "-v", viewer, "--port", "0"],
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                           start_new_session=True)
    lines = []
    try:
        for line in job.stdout:
            lines.append(line)
            if VIEWER_READY in line:
                port = served_port(line)
                break
        check(any(VIEWER_READY in l for l in lines), "srun -n2 --mpi=pmix: the viewer serves")
        with Client(f"ws://127.0.0.1:{port}", timeout=60) as c:
            frame = c.next_frame(timeout=60)
            status = c.call("cluster.status")
        check(frame.width > 0 and frame.height > 0, f"srun: a client gets a frame ({frame.width}x{frame.height})")
        ranks = status.get("ranks", status.get("nodes"))
        check(len(ranks) == 2 if isinstance(ranks, list) else ranks == 2, f"cluster.status: 2 ranks ({str(status)[:120]})")
        found = records(runtime_dir)
        rec = found[0] if len(found) == 1 else {}
        check(bool(rec.get("job_id")) and rec.get("id") == rec.get("job_id") and rec.get("ranks") == 2
              and rec.get("port") == port, f"the session record is named by the job id: {rec.get('id')}, ranks {rec.get('ranks')}")
        listed = subprocess.run([tool, "--list"], env=env, capture_output=True, text=True, timeout=60).stdout
        check(rec.get("id", "?") in listed and "running" in listed, "index-slurm --list shows it running")
        check(any("index-slurm: job " + rec.get("job_id", "?") in l for l in lines), "index-slurm -v says what runs where")
        subprocess.run(["scancel", rec.get("job_id", "0")], env=env, timeout=60)
        job.wait(timeout=60)
        check(wait_for(lambda: not records(runtime_dir), 20), "scancel ended the job and removed its record")
    finally:
        if job.poll() is None:
            job.kill()
            job.wait()
        print("srun output (first lines):\n" + "".join(lines[:12]))


def snapshot(client):
    return decode_png(client.snapshot(width=256, height=192))


def max_difference(a, b):
    return 999 if a[:2] != b[:2] else max(abs(x - y) for x, y in zip(a[3], b[3]))


def jobs_listed(client, count, seconds=120):
    t0 = time.monotonic()
    status = client.call("cluster.status")
    while len(status["jobs"]) != count and time.monotonic() - t0 < seconds:
        time.sleep(0.2)
        status = client.call("cluster.status")
    return status, time.monotonic() - t0


def kill_job_processes(job):
    """SIGKILL to every viewer process of Slurm job `job` at once, as when its node dies (scancel -s
    KILL lets Slurm end the rest of the step with SIGTERM, which is a clean goodbye)."""
    killed = 0
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/comm") as f:
                if f.read().strip() != "viewer":
                    continue
            with open(f"/proc/{entry}/environ", "rb") as f:
                if f"SLURM_JOB_ID={job}".encode() not in f.read().split(b"\0"):
                    continue
            os.kill(int(entry), 9)
            killed += 1
        except (OSError, ValueError):
            continue
    return killed


def sbatch_attach(env, source, viewer, tool, session_job, work, name):
    output = os.path.join(work, name + ".out")
    r = subprocess.run(["sbatch", "--parsable", "-N1", "--ntasks-per-node=2", "--time=5", f"--output={output}",
                        os.path.join(source, "deploy", "slurm", "attach.sbatch"), session_job],
                       env=dict(env, LIBINDEX_VIEWER=viewer, LIBINDEX_INDEX_SLURM=tool),
                       capture_output=True, text=True, timeout=60)
    return r.stdout.strip().split(";")[0], output


def attach_jobs(env, source, viewer, tool, runtime_dir, work, check):
    port = 0
    session = subprocess.Popen(["srun", "-N1", "-n2", "--mpi=pmix", tool, viewer, "--port", "0"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               errors="replace", start_new_session=True)
    attached = []
    try:
        for line in session.stdout:
            if VIEWER_READY in line:
                port = served_port(line)
                break
        session_job = wait_for(lambda: records(runtime_dir) and records(runtime_dir)[0]["job_id"], 30)
        r = subprocess.run([tool, "-a", "999999", viewer], env=env, capture_output=True, text=True, timeout=60)
        check(r.returncode == 2 and "no session of job 999999" in r.stderr, f"-a without a session: exit {r.returncode}")
        with Client(f"ws://127.0.0.1:{port}", timeout=120) as c:
            before = snapshot(c)
            t0 = time.monotonic()
            job, output = sbatch_attach(env, source, viewer, tool, session_job, work, "attach1")
            attached.append(job)
            status, _ = jobs_listed(c, 2)
            check(len(status["jobs"]) == 2 and status["jobs"][1]["id"] == job and len(status["ranks"]) == 4,
                  f"attach.sbatch: job {job} joined job {session_job}'s session with 2 ranks "
                  f"({time.monotonic() - t0:.1f} s from sbatch)")
            d = max_difference(before, snapshot(c))
            check(d <= 1, f"the snapshot with both jobs equals the one before (max difference {d}/255)")
            subprocess.run(["scancel", job], env=env, timeout=60)
            status, seconds = jobs_listed(c, 1)
            check(len(status["jobs"]) == 1, f"scancel of the attached job: it left ({seconds:.1f} s)")
            d = max_difference(before, snapshot(c))
            check(d <= 1, f"snapshot unchanged (max difference {d}/255)")

            job, output = sbatch_attach(env, source, viewer, tool, session_job, work, "attach2")
            attached.append(job)
            status, _ = jobs_listed(c, 2)
            check(len(status["jobs"]) == 2, f"a third job {job} joined")
            c.notifications.clear()
            killed = kill_job_processes(job)
            notices, seconds = wait_for_cluster_event(c, "lost")
            check(bool(notices) and notices[0]["job"] == job,
                  f"SIGKILL of its {killed} viewer processes: a session.changed notice names job {job} after "
                  f"{seconds:.2f} s")
            d = max_difference(before, snapshot(c))
            check(d <= 1, f"the session goes on over its own ranks, snapshot unchanged (max difference {d}/255)")
        subprocess.run(["scancel", session_job], env=env, timeout=60)
        session.wait(timeout=60)
    finally:
        for job in attached:
            subprocess.run(["scancel", job], env=env, capture_output=True)
        if session.poll() is None:
            session.kill()
            session.wait()


def sbatch_session(env, source, viewer, runtime_dir, work, check):
    port = free_port()
    output = os.path.join(work, "session.out")
    env = dict(env, LIBINDEX_VIEWER=viewer, LIBINDEX_PORT=str(port))
    r = subprocess.run(["sbatch", "--parsable", "-N1", "-n1", "--time=5", f"--output={output}",
                        os.path.join(source, "deploy", "slurm", "session.sbatch")],
                       env=env, capture_output=True, text=True, timeout=60)
    job = r.stdout.strip().split(";")[0]
    check(r.returncode == 0 and job.isdigit(), f"sbatch session.sbatch: job {job} {r.stderr.strip()}")
    try:
        def text():
            return open(output).read() if os.path.exists(output) else ""
        ready = wait_for(lambda: VIEWER_READY in text(), 120)
        m = re.search(r"open (http://\S+/\?token=(\w+))", text())
        check(ready and m is not None, f"session.sbatch prints the URL with its token: {m.group(1) if m else text()[:300]}")
        if not m:
            return
        token = m.group(2)
        base = f"http://127.0.0.1:{port}/"
        check(http_status(base + "?token=" + token) == 200, "the page with the token: 200")
        check(http_status(base) == 401, "the page without it: 401")
        with Client(f"ws://127.0.0.1:{port}", token=token, timeout=60) as c:
            frame = c.next_frame(timeout=60)
        check(frame.width > 0, f"a client with the token gets a frame ({frame.width}x{frame.height})")
        rec = records(runtime_dir)
        check(len(rec) == 1 and rec[0]["job_id"] == job, f"its session record is job {job}'s")
        subprocess.run(["scancel", job], env=env, timeout=60)
        check(wait_for(lambda: job_gone(env, job), 60), "scancel ended the batch job")
        check(wait_for(lambda: not records(runtime_dir), 20), "and the session removed its record")
    finally:
        subprocess.run(["scancel", job], env=env, capture_output=True)
        print("session.sbatch output:\n" + text()[-1500:])


def main():
    source, viewer, tool = sys.argv[1], os.path.abspath(sys.argv[2]), os.path.abspath(sys.argv[3])
    check = Checks()
    work = tempfile.mkdtemp(prefix="libindex-slurm-test-")
    slurm_dir = os.path.join(work, "cluster")
    script = os.path.join(source, "scripts", "slurm-local.sh")
    # Ports of its own, so a cluster someone runs with the defaults is left alone.
    base_env = dict(os.environ, LIBINDEX_SLURM_DIR=slurm_dir, LIBINDEX_SLURM_CTLD_PORT=str(free_port()),
                    LIBINDEX_SLURM_NODE_PORT=str(free_port()))
    try:
        r = subprocess.run([script, "start", "2"], env=base_env, capture_output=True, text=True, timeout=300)
        check(r.returncode == 0, "a local Slurm with 2 nodes started" + ("" if r.returncode == 0 else ":\n" + r.stdout + r.stderr))
        if r.returncode != 0:
            return check.summary()
        env_line = subprocess.run([script, "env"], env=base_env, capture_output=True, text=True).stdout
        env = dict(base_env, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   LIBINDEX_RUNTIME_DIR=os.path.join(work, "sessions"))
        for name, value in re.findall(r"export (\w+)=(\S+)", env_line):
            env[name] = value.strip("'\"")
        os.makedirs(env["LIBINDEX_RUNTIME_DIR"])
        for part in (lambda: srun_session(env, viewer, tool, env["LIBINDEX_RUNTIME_DIR"], check),
                     lambda: attach_jobs(env, source, viewer, tool, env["LIBINDEX_RUNTIME_DIR"], work, check),
                     lambda: sbatch_session(env, source, viewer, env["LIBINDEX_RUNTIME_DIR"], work, check)):
            try:
                part()
            except Exception as e:  # noqa: BLE001
                check(False, f"raised {e!r}")
    finally:
        subprocess.run([script, "stop"], env=base_env, capture_output=True, text=True, timeout=300)
        shutil.rmtree(work, ignore_errors=True)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
