#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A second job attaches its ranks to a running session, leaves it, and is lost, as separate
`mpirun` jobs (each its own MPI world, as two Slurm jobs are; tests/slurm runs it under Slurm):
  - `index-slurm -a ID viewer` on 2 ranks joins a 2-rank session: cluster.status lists both jobs and
    4 ranks whose leaves tile the volume; the snapshot after equals the one before (<= 1/255).
  - SIGTERM to that job: it says goodbye, the session is back to its own ranks, snapshot unchanged.
  - SIGKILL of a third job's processes: the session notices (the time is printed), tells clients
    in a session.changed notice naming the job, goes on serving, snapshot unchanged.
  - cluster.detach: the job ends cleanly, snapshot unchanged; an unknown job is -32602.
  - a job that hangs (SIGSTOP) is dropped at the next frame's deadline (--job-timeout), and that
    frame is right.
  - a silent connection and a 4 GiB hello on the attach port hold neither the port nor the head's
    memory; a job that stops in the middle of its answer is dropped like a hung one.
  - a wrong token and an unreachable head: one line and a non-zero exit, the session unharmed.
  - a scene of three volumes on two grids (two mixed per sample, one beside them): with a job
    attached every volume is still drawn, and the snapshot equals the one-job snapshot, in DVR and MIP.
  - 16 scenes loaded while another client orbits, with a job attached: the session and the job go on.
  - a volume without a colormap domain loaded while a job is attached is shown over the data range
    of all jobs' parts (each part holds another range): the snapshot equals the one-job snapshot,
    and scene.info's histogram, count and range are the whole volume's.
  - with LIBINDEX_MEMORY_PER_RANK, a volume too large for the session's ranks is refused, taken
    once a job attached, and that job may not detach while the scene needs its ranks; when such a
    job is lost, frames fail with why until the volume is smaller again.
usage: attach_test.py VIEWER INDEX_SLURM   (prints 'N passed, N failed' last)"""
import json, os, re, shutil, signal, socket, struct, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client, decode_png  # noqa: E402
from harness import Checks, cluster_events, running_viewer, viewer_pids, wait_for_cluster_event  # noqa: E402

JOB_TIMEOUT = 2  # the session's --job-timeout

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")


def pixels(client):
    w, h, channels, data = decode_png(client.snapshot(width=256, height=192))
    return w, h, data


def resized(client, info, size):
    """Sets the (synthetic) volume's size with IndeX's scene edit and returns a snapshot."""
    client.call("nv::index::app::scene_management_center::scene_management_center_command_receiver."
                "set_scene_element", {"id": info["id"], "args": {"size": size}})
    return pixels(client)


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:")) // 1024


def read_link_message(sock):
    """One message of the job link (4-byte type, 8-byte length, payload): (type, payload)."""
    def exactly(n):
        data = b""
        while len(data) < n:
            more = sock.recv(n - len(data))
            if not more:
                raise EOFError("the session closed the link")
            data += more
        return data
    kind, length = struct.unpack("<IQ", exactly(12))
    return kind, exactly(length)


def max_difference(a, b):
    if a[:2] != b[:2]:
        return 999
    return max(abs(x - y) for x, y in zip(a[2], b[2]))


def wait_for_jobs(client, count, seconds=120):
    """Polls cluster.status until it lists `count` jobs; returns (status, seconds taken)."""
    t0 = time.monotonic()
    status = client.call("cluster.status")
    while len(status.get("jobs", [])) != count and time.monotonic() - t0 < seconds:
        time.sleep(0.1)
        status = client.call("cluster.status")
    return status, time.monotonic() - t0


def attach(tool, viewer, record_id, ranks=2):
    job = subprocess.Popen(["mpirun", "-np", str(ranks), "--oversubscribe", tool, "-a", record_id, viewer],
                           env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace",
                           start_new_session=True)
    lines = []
    for line in job.stdout:
        lines.append(line)
        if "attached to the session" in line:
            break
    # Keep draining the job's output, so it never blocks on a full pipe.
    threading.Thread(target=lambda: [lines.append(l) for l in job.stdout], daemon=True).start()
    return job, lines


def job_processes(job):
    """The viewer processes mpirun `job` started (Open MPI gives each a session of its own)."""
    return viewer_pids(job.pid)


def stop(job):
    for pid in viewer_pids(job.pid):
        os.kill(pid, signal.SIGKILL)
    if job.poll() is None:
        os.killpg(job.pid, signal.SIGKILL)
    job.wait()


def tiles(status, volume):
    voxels = sum((r["leaf"][3] - r["leaf"][0]) * (r["leaf"][4] - r["leaf"][1]) * (r["leaf"][5] - r["leaf"][2])
                 for r in status["ranks"])
    return voxels == volume


THIRD_VOLUME = """
app::scene::ball_group::type = static_scene_group
app::scene::ball_group::children = ball_colormap ball
app::scene::ball_colormap::type = colormap
app::scene::ball_colormap::preset = viridis
app::scene::ball_colormap::domain = 0.2 1
app::scene::ball_colormap::domain_boundary_mode = clamp_to_transparent
app::scene::ball::type = sparse_volume
app::scene::ball::importer = synthetic
app::scene::ball::generator = sphere
app::scene::ball::bbox = {bbox}
"""


def three_volume_scene(folder, ball_bbox):
    """scenes/two_fields.prj (two volumes mixed on one 128^3 grid) and a sphere on a grid of its own
    at `ball_bbox`, under a camera that sees all three."""
    source = os.path.join(os.path.dirname(__file__), "..", "..", "scenes", "two_fields.prj")
    lines = []
    for line in open(source).read().splitlines():
        if line.startswith("app::scene::root::children"):
            line += " ball_group"
        elif line.startswith("index::camera::from"):
            line = "index::camera::from = 420 -200 300"
        elif line.startswith("index::camera::dir"):
            line = "index::camera::dir = -324 264 -236"
        lines.append(line)
    path = os.path.join(folder, "three_volumes.prj")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n" + THIRD_VOLUME.format(bbox=ball_bbox))
    return path


def volumes_on_two_grids(viewer, tool, check, runtime_dir, jobs, ball_bbox, what):
    """A job attached to a session whose scene has volumes on two grids: the parts divide the first
    grid (its two volumes mixed per sample). A sphere beside them is drawn whole by this job's own
    ranks; one that overlaps them is mixed into their samples by every job (the parts then divide
    the hull of all three)."""
    scene = three_volume_scene(runtime_dir, ball_bbox)
    with running_viewer(viewer, ["--add", scene], ranks=2) as (proc, port, tail), \
            Client(f"ws://127.0.0.1:{port}", timeout=120) as c:
        record_id = [d for d in os.listdir(runtime_dir)
                     if os.path.isdir(os.path.join(runtime_dir, d)) and
                     json.load(open(os.path.join(runtime_dir, d, "session.json")))["port"] == port][0]
        before = pixels(c)
        c.render_set(mode="mip")
        before_mip = pixels(c)
        c.render_set(mode="dvr")
        job, lines = attach(tool, viewer, record_id)
        jobs.append(job)
        status, _ = wait_for_jobs(c, 2)
        check(len(status["jobs"]) == 2, f"three volumes, {what}: a second job joined")
        d = max_difference(before, pixels(c))
        check(d <= 1, f"three volumes, {what}, with a job attached: the snapshot equals the one-job snapshot (max difference {d}/255)")
        c.render_set(mode="mip")
        d = max_difference(before_mip, pixels(c))
        check(d <= 1, f"and in MIP (max difference {d}/255)")
        c.render_set(mode="dvr")
        # Without the second and third volumes the picture changes: the attached frames drew them.
        for volume in ("waves", "ball"):
            c.colormap_set(volume=volume, entries=[[0, 0, 0, 0], [0, 0, 0, 0]])
        d = max_difference(before, pixels(c))
        check(d >= 32, f"{what}: the other two volumes made transparent change the attached picture ({d}/255)")
        stop(job)
        status, _ = wait_for_jobs(c, 1)
        check(len(status["jobs"]) == 1, "the job is gone")
    return tail


def record_of(runtime_dir, port):
    """The id of the session record of the viewer serving on `port` (others may be in the folder,
    or going: a record whose file is gone is skipped)."""
    for d in os.listdir(runtime_dir):
        try:
            with open(os.path.join(runtime_dir, d, "session.json")) as f:
                if json.load(f)["port"] == port:
                    return d
        except (OSError, ValueError, KeyError):
            continue
    raise RuntimeError(f"no session record for port {port} in {runtime_dir}")


def memory_follows_the_jobs(viewer, tool, check, runtime_dir, jobs):
    """The scene must fit the ranks there are: with LIBINDEX_MEMORY_PER_RANK=1M a 128^3 byte volume
    (1 MiB a rank on 2) fits the session alone, a 160^3 one (1.95 MiB a rank on 2) only once a 2-rank
    job has attached, and that job may not leave while the scene needs its ranks."""
    set_size = "nv::index::app::scene_management_center::scene_management_center_command_receiver.set_scene_element"

    def refused(method, params):
        try:
            c.call(method, params)
        except Exception as e:  # noqa: BLE001
            return e
        return None

    os.environ["LIBINDEX_MEMORY_PER_RANK"] = "1M"  # the session's ranks only: ENV, the jobs', lacks it
    try:
        with running_viewer(viewer, ["--synthetic", "sphere", "--size", "128"], ranks=2) as (proc, port, tail), \
                Client(f"ws://127.0.0.1:{port}", timeout=120) as c:
            record_id = record_of(runtime_dir, port)
            error = refused(set_size, {"id": "vol", "args": {"size": "160"}})
            check(getattr(error, "code", None) == -32602 and "needs at least 1.95 MiB on each of its 2 ranks" in str(error)
                  and "a rank has 1 MiB" in str(error), f"memory 1M a rank: a 160^3 volume is refused on 2 ranks ({error})")
            job, lines = attach(tool, viewer, record_id)
            jobs.append(job)
            status, _ = wait_for_jobs(c, 2)
            job_id = status["jobs"][-1]["id"]
            error = refused(set_size, {"id": "vol", "args": {"size": "160"}})
            check(error is None and c.call("volume.info")["size"] == [160, 160, 160],
                  f"with a 2-rank job attached the 160^3 volume is taken ({error})")
            pixels(c)  # and a frame renders with it
            error = refused("cluster.detach", {"job": job_id})
            status, _ = wait_for_jobs(c, 2)
            check(getattr(error, "code", None) == -32602 and f"without job '{job_id}' the scene needs at least" in str(error)
                  and len(status["jobs"]) == 2, f"the job may not leave while the scene needs its ranks ({error})")
            c.call(set_size, {"id": "vol", "args": {"size": "128"}})
            check(c.call("cluster.detach", {"job": job_id}) == {"detached": job_id} and job.wait(timeout=120) == 0,
                  "once the volume is smaller again, it may")
            # A job that is lost cannot be refused: the frames after fail with why, rather than the
            # session's ranks taking the lost part and the out-of-memory killer ending the session.
            lost, lines = attach(tool, viewer, record_id)
            jobs.append(lost)
            wait_for_jobs(c, 2)
            c.call(set_size, {"id": "vol", "args": {"size": "160"}})
            pixels(c)
            for pid in job_processes(lost):
                os.kill(pid, signal.SIGKILL)
            status, _ = wait_for_jobs(c, 1)
            error = refused("snapshot", {"width": 64, "height": 48})
            check(len(status["jobs"]) == 1 and getattr(error, "code", None) == -32000 and
                  "needs at least 1.95 MiB on each of its 2 ranks" in str(error),
                  f"a job lost while the scene needs its ranks: the frame fails with why ({error})")
            c.call(set_size, {"id": "vol", "args": {"size": "128"}})
            w, h, _ = pixels(c)
            check((w, h) == (256, 192), "and once the volume is smaller again, frames render")
            stop(lost)
    finally:
        os.environ.pop("LIBINDEX_MEMORY_PER_RANK", None)
    return tail


def domain_of_all_jobs(viewer, tool, check, runtime_dir, jobs):
    """A float volume whose values rise along x (each job's part holds another range), loaded with
    no colormap domain while a job is attached: the colormap spans the range of all parts, so the
    picture equals the one-job picture of the same file."""
    data = os.path.join(runtime_dir, "data")
    os.makedirs(data, exist_ok=True)
    nx, ny, nz = 64, 32, 32
    values = [float(x * x) for z in range(nz) for y in range(ny) for x in range(nx)]
    name = f"ramp_{nx}x{ny}x{nz}_float32.raw"
    with open(os.path.join(data, name), "wb") as f:
        f.write(struct.pack(f"<{len(values)}f", *values))
    with running_viewer(viewer, [os.path.join(data, name), "--data-root", data], ranks=2) as (proc, port, tail), \
            Client(f"ws://127.0.0.1:{port}", timeout=120) as c:
        record_id = [d for d in os.listdir(runtime_dir)
                     if os.path.isfile(os.path.join(runtime_dir, d, "session.json")) and
                     json.load(open(os.path.join(runtime_dir, d, "session.json")))["port"] == port][0]
        before = pixels(c)
        alone = c.call("scene.info")["volumes"][0]["statistics"]
        job, lines = attach(tool, viewer, record_id)
        jobs.append(job)
        status, _ = wait_for_jobs(c, 2)
        check(len(status["jobs"]) == 2, "data range: a second job joined")
        # Scenes loaded while frames render with the job attached: the head's frame composites the
        # parts of the scene its op was made for. It once re-read the scene mid-frame without the
        # lock; ThreadSanitizer saw it crash on a freed volume here. (A release build rarely loses
        # that race: this check is a smoke test, the TSan run is the proof.)
        other = "other_40x24x16_uint8.raw"
        with open(os.path.join(data, other), "wb") as f:
            f.write(bytes((x * 7 + y * 3 + z) % 256 for z in range(16) for y in range(24) for x in range(40)))
        orbiting = threading.Event()
        orbiting.set()

        def orbit():
            with Client(f"ws://127.0.0.1:{port}", timeout=120) as o:
                while orbiting.is_set():
                    o.call("camera.orbit", azimuth=7)
        orbiter = threading.Thread(target=orbit)
        orbiter.start()
        try:
            for i in range(16):
                c.call("scene.load", path=other if i % 2 == 0 else name)
        finally:
            orbiting.clear()
            orbiter.join(timeout=120)
        check(proc.poll() is None and len(c.call("cluster.status")["jobs"]) == 2,
              "16 scenes loaded during frames with a job attached: the session and the job go on")
        c.call("scene.load", path=name)  # fits the colormap again, now with two jobs
        d = max_difference(before, pixels(c))
        # The statistics too are the whole volume's, not the head job's part: x^2 for x < 64, each
        # value in 32 x 32 voxels; bin i of 256 holds [i, i + 1) * 3969 / 256.
        together = c.call("scene.info")["volumes"][0]["statistics"]
        expected = [0] * 256
        for x in range(nx):
            expected[min(255, int(x * x / (63 * 63) * 256))] += ny * nz
        check(alone["histogram"] == expected and alone["count"] == nx * ny * nz,
              f"one job: the histogram of the whole volume ({alone['count']} voxels)")
        check(together["histogram"] == expected and together["count"] == nx * ny * nz and
              (together["min"], together["max"]) == (0, 63 * 63),
              f"two jobs: the histogram, count and range of the whole volume: count {together['count']}, "
              f"range [{together['min']}, {together['max']}], {sum(together['histogram'])} voxels binned")
        check(d <= 1, f"a volume without a domain loaded with a job attached: the snapshot equals the one-job "
              f"snapshot (max difference {d}/255)")
        info = c.call("colormap.get")
        check(abs(info["domain"][0]) < 1e-3 and abs(info["domain"][1] - 63 * 63) < 1e-2,
              f"and the colormap spans all parts' values [0, {63 * 63}]: {info['domain']}")
        stop(job)
        wait_for_jobs(c, 1)
    return tail


def main():
    viewer, tool = sys.argv[1], os.path.abspath(sys.argv[2])
    check = Checks()
    runtime_dir = tempfile.mkdtemp(prefix="libindex-attach-")
    os.environ["LIBINDEX_RUNTIME_DIR"] = runtime_dir
    ENV["LIBINDEX_RUNTIME_DIR"] = runtime_dir
    tail = None
    jobs = []
    try:
        # The built-in scene with its supernova at 96^3 and a 256x192 view: the checks resize the volume
        # to one voxel, which spans the whole box, and a 1024^2 view of it took 188 M samples (11 s).
        # A job is hung when its image has not come 2 s (not 10) plus five times the head's own time.
        with running_viewer(viewer, ["-app::scene::supernova::size", "96", "-index::canvas_resolution", "256 192",
                                     "--job-timeout", str(JOB_TIMEOUT)], ranks=2) as (proc, port, tail), \
                Client(f"ws://127.0.0.1:{port}", timeout=120) as c:
            record_id = os.listdir(runtime_dir)[0]
            before = pixels(c)
            alone = c.call("cluster.status")
            volume = sum((r["leaf"][3] - r["leaf"][0]) * (r["leaf"][4] - r["leaf"][1]) * (r["leaf"][5] - r["leaf"][2])
                         for r in alone["ranks"])
            check(len(alone["jobs"]) == 1 and len(alone["ranks"]) == 2, "the session alone: 1 job, 2 ranks")
            info = c.call("volume.info")
            size = " ".join(map(str, info["size"]))
            tiny_alone = resized(c, info, "1")
            resized(c, info, size)

            t0 = time.monotonic()
            second, lines = attach(tool, viewer, record_id)
            jobs.append(second)
            status, _ = wait_for_jobs(c, 2)
            check(len(status["jobs"]) == 2 and len(status["ranks"]) == 4,
                  f"a second job joined: {[(j['id'], j['ranks']) for j in status['jobs']]}, {len(status['ranks'])} ranks")
            check(tiles(status, volume), "the 4 ranks' leaves tile the volume")
            check(len({r.get("job") for r in status["ranks"]}) == 2, "cluster.status names each rank's job")
            after = pixels(c)
            print(f"attach to first frame with the job's ranks: {time.monotonic() - t0:.2f} s")
            d = max_difference(before, after)
            check(d <= 1, f"the snapshot with the second job equals the one before (max difference {d}/255)")
            # Fewer voxels than jobs: no part for each; the session's own job renders it (frames failed).
            tiny = resized(c, info, "1")
            d = max_difference(tiny_alone, tiny)
            check(d <= 1 and len(c.call("cluster.status")["jobs"]) == 2,
                  f"a volume of one voxel with 2 jobs renders as with one (max difference {d}/255)")
            check(max_difference(before, resized(c, info, size)) <= 1,
                  "and at its size again, as before")

            t0 = time.monotonic()
            for pid in job_processes(second):
                os.kill(pid, signal.SIGTERM)
            second.wait(timeout=60)
            status, seconds = wait_for_jobs(c, 1)
            check(len(status["jobs"]) == 1 and len(status["ranks"]) == 2,
                  f"SIGTERM: the job left ({seconds:.2f} s), the session is back to 2 ranks")
            d = max_difference(before, pixels(c))
            check(d <= 1, f"and the snapshot is unchanged (max difference {d}/255)")

            third, lines = attach(tool, viewer, record_id)
            jobs.append(third)
            status, _ = wait_for_jobs(c, 2)
            third_id = [j["id"] for j in status["jobs"]][-1]
            check(len(status["jobs"]) == 2, f"a third job joined as {third_id}")
            c.notifications.clear()
            for pid in job_processes(third):
                os.kill(pid, signal.SIGKILL)
            notices, seconds = wait_for_cluster_event(c, "lost")
            check(bool(notices) and notices[0]["job"] == third_id,
                  f"SIGKILL of its processes: a session.changed notice names the lost job after {seconds:.2f} s: "
                  f"{notices[0] if notices else None}")
            status, _ = wait_for_jobs(c, 1)
            check(len(status["jobs"]) == 1 and len(status["ranks"]) == 2, "cluster.status: back to 1 job, 2 ranks")
            d = max_difference(before, pixels(c))
            check(d <= 1, f"the session goes on serving, snapshot unchanged (max difference {d}/255)")
            stop(third)

            # cluster.detach lets a job go: its ranks leave cleanly (exit 0), the picture stays.
            fourth, lines = attach(tool, viewer, record_id)
            jobs.append(fourth)
            status, _ = wait_for_jobs(c, 2)
            fourth_id = status["jobs"][-1]["id"]
            reply = c.call("cluster.detach", job=fourth_id)
            code = fourth.wait(timeout=120)
            status, _ = wait_for_jobs(c, 1)
            check(reply == {"detached": fourth_id} and code == 0 and len(status["jobs"]) == 1,
                  f"cluster.detach {fourth_id}: the job ended with exit code {code}, 1 job left")
            try:
                c.call("cluster.detach", job="no-such-job")
                check(False, "cluster.detach of an unknown job is refused")
            except Exception as e:  # noqa: BLE001
                check(getattr(e, "code", None) == -32602 and "no attached job 'no-such-job'" in str(e),
                      f"cluster.detach of an unknown job: {getattr(e, 'code', None)} {e}")
            d = max_difference(before, pixels(c))
            check(d <= 1, f"snapshot unchanged after the detach (max difference {d}/255)")

            # A job that hangs (SIGSTOP: alive, its sockets open) is dropped at the next frame's deadline.
            fifth, lines = attach(tool, viewer, record_id)
            jobs.append(fifth)
            status, _ = wait_for_jobs(c, 2)
            fifth_id = status["jobs"][-1]["id"]
            for pid in job_processes(fifth):
                os.kill(pid, signal.SIGSTOP)
            c.notifications.clear()
            t0 = time.monotonic()
            d = max_difference(before, pixels(c))  # this frame waits for the stopped job, then goes on without it
            seconds = time.monotonic() - t0
            status = c.call("cluster.status")
            lost = cluster_events(c, "lost")
            check(len(status["jobs"]) == 1 and any(e["job"] == fifth_id and "hung" in e["why"] for e in lost),
                  f"a stopped job is dropped as hung; the frame took {seconds:.1f} s: {lost}")
            # "no image within N s of the frame's start": N = --job-timeout + 5 x the head's own time (a
            # 256x192 frame, milliseconds), rounded up; 10 or more would mean the option was ignored.
            waited = [int(m.group(1)) for e in lost for m in [re.search(r"within (\d+) s", e["why"])] if m]
            check(bool(waited) and JOB_TIMEOUT <= waited[0] < 10,
                  f"the deadline follows --job-timeout {JOB_TIMEOUT}: {waited} s")
            check(d <= 1, f"and that frame equals the one before (max difference {d}/255)")
            stop(fifth)

            record = json.load(open(os.path.join(runtime_dir, record_id, "session.json")))
            port_address = (record["host"], record["attach_port"])

            # Anyone who reaches the attach port may connect before a token is checked: a connection
            # that sends one byte and stops, and a hello announcing 4 GiB, are turned away (the whole
            # hello within 5 s, at most 64 KiB) without holding the port or the head's memory.
            head_pid = viewer_pids(proc.pid)[0]
            rss_before = rss_mib(head_pid)
            staller = socket.create_connection(port_address)
            staller.sendall(b"\x01")
            liar = socket.create_connection(port_address)
            liar.sendall(struct.pack("<IQ", 1, 1 << 32) + b"{")
            sixth, lines = attach(tool, viewer, record_id)
            jobs.append(sixth)
            status, seconds = wait_for_jobs(c, 2)
            grown = rss_mib(head_pid) - rss_before
            check(len(status["jobs"]) == 2 and grown < 256,
                  f"a silent connection and a 4 GiB hello on the attach port: a job still joins (in {seconds:.1f} s), "
                  f"the head grew {grown} MiB")
            staller.close(), liar.close()
            stop(sixth)
            wait_for_jobs(c, 1)

            # A job that stops in the middle of its answer (its socket open, the rest never coming:
            # stopped, swapping, cut off) is dropped within the frame's deadline, like a silent one.
            link = socket.create_connection(port_address)
            hello = json.dumps({"token": record["token"], "job": "half-answer", "ranks": 1, "hosts": ["test"]}).encode()
            link.sendall(struct.pack("<IQ", 1, len(hello)) + hello)
            welcome = read_link_message(link)[0]
            c.notifications.clear()
            wait_for_cluster_event(c, "joined")

            def answer_half():  # the first op it gets: 10 bytes of a 100000-byte image, then nothing
                read_link_message(link)
                link.sendall(struct.pack("<IQ", 5, 100000) + bytes(10))
            half = threading.Thread(target=answer_half, daemon=True)
            half.start()
            t0 = time.monotonic()
            d = max_difference(before, pixels(c))
            seconds = time.monotonic() - t0
            for _ in range(600):  # the notice may follow the snapshot's reply
                lost = [e for e in cluster_events(c, "lost") if e["job"] == "half-answer"]
                if lost:
                    break
                c.call("session.stats")
                time.sleep(0.1)
            check(welcome == 2 and any("stalled" in e["why"] for e in lost) and
                  len(c.call("cluster.status")["jobs"]) == 1,
                  f"a job that stops mid-answer is dropped; the frame took {seconds:.1f} s: {lost}")
            check(d <= 1, f"and that frame equals the one before (max difference {d}/255)")
            link.close()

            address = f"{record['host']}:{record['attach_port']}"
            r = subprocess.run(["mpirun", "-np", "1", viewer, "--attach", address, "--attach-token", "0" * 32],
                               env=ENV, capture_output=True, text=True, timeout=120)
            check(r.returncode != 0 and "refused this job: wrong token" in r.stdout + r.stderr,
                  "a wrong token: refused, non-zero exit")
            r = subprocess.run(["mpirun", "-np", "1", viewer, "--attach", "127.0.0.1:1", "--attach-token", "x"],
                               env=ENV, capture_output=True, text=True, timeout=120)
            check(r.returncode != 0 and "cannot reach 127.0.0.1:1" in r.stdout + r.stderr,
                  "an unreachable head: one line, non-zero exit")
            # The session's web port where its attach port belongs: the web server answers in text.
            web = f"127.0.0.1:{record['port']}"  # where the viewer serves (--bind's default)
            r = subprocess.run(["mpirun", "-np", "1", viewer, "--attach", web, "--attach-token", "x"],
                               env=ENV, capture_output=True, text=True, timeout=120)
            check(r.returncode != 0 and f"{web} is not a libindex session's attach port: it answered in text "
                  '("HTTP/1.' in r.stdout + r.stderr, f"the web port given to --attach: said so "
                  f"({[l for l in (r.stdout + r.stderr).splitlines() if 'error' in l]})")
            status = c.call("cluster.status")
            check(len(status["jobs"]) == 1 and max_difference(before, pixels(c)) <= 1, "and the session is unharmed")
        tail = volumes_on_two_grids(viewer, tool, check, runtime_dir, jobs, "128 0 0 192 64 64", "the sphere beside")
        tail = volumes_on_two_grids(viewer, tool, check, runtime_dir, jobs, "96 32 0 160 96 64",
                                    "the sphere overlapping and mixed")
        tail = domain_of_all_jobs(viewer, tool, check, runtime_dir, jobs)
        tail = memory_follows_the_jobs(viewer, tool, check, runtime_dir, jobs)
    except Exception as e:  # noqa: BLE001
        check(False, f"raised {e!r}")
    finally:
        for job in jobs:
            stop(job)
        del os.environ["LIBINDEX_RUNTIME_DIR"]
        shutil.rmtree(runtime_dir, ignore_errors=True)
    return check.summary(tail)


if __name__ == "__main__":
    sys.exit(main())
