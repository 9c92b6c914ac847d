# SPDX-License-Identifier: Apache-2.0
"""What every viewer test needs: a real `mpirun -np N viewer` on a loopback port the kernel chooses, started and
always stopped (its whole process group) by launch_viewer.py, the one launcher the Python and browser
tests share, and PASS/FAIL lines ending in 'N passed, N failed'."""
import collections, contextlib, json, os, resource, signal, subprocess, sys, threading, time

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launch_viewer.py")
READY_PREFIX = "LIBINDEX_VIEWER_READY "  # launch_viewer.py's line once the viewer serves


@contextlib.contextmanager
def running_viewer(viewer, args, ranks=2, timeout=120, open_files=None, lines=None):
    """Yields (launcher process, port, output_tail) once the viewer is ready. The viewer ranks descend
    from the launcher (viewer_pids(process.pid)); the launcher exits when the job does. `open_files`:
    the job's limit of open files (RLIMIT_NOFILE); `lines`: a list that gets every line it prints."""
    def limit_open_files():
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
    proc = subprocess.Popen([sys.executable, LAUNCHER, "--ranks", str(ranks), "--timeout", str(timeout), viewer]
                            + args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, errors="replace",
                            preexec_fn=limit_open_files if open_files else None)
    tail = collections.deque(maxlen=30)
    ready = None
    try:
        for line in proc.stdout:
            if line.startswith(READY_PREFIX):
                ready = json.loads(line[len(READY_PREFIX):])
                break
            tail.append(line)
        if ready is None:
            raise RuntimeError("the viewer exited before it was ready:\n" + "".join(tail))
        def keep(line):
            tail.append(line)
            if lines is not None:
                lines.append(line)
        threading.Thread(target=lambda: [keep(l) for l in proc.stdout], daemon=True).start()
        yield proc, ready["port"], tail
    finally:
        with contextlib.suppress(OSError):
            proc.stdin.close()  # end of input: the launcher stops the job's whole process group
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            if ready:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(ready["pgid"], signal.SIGKILL)
            proc.wait()


def viewer_pids(launcher):
    """The viewer processes descended from `launcher` (mpirun), by pid, lowest (the head) first."""
    parent, name = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                parent[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])  # field 4: ppid
            with open(f"/proc/{entry}/comm") as f:
                name[int(entry)] = f.read().strip()
        except OSError:
            continue

    def descends(pid):
        while pid in parent and pid > 1:
            if parent[pid] == launcher:
                return True
            pid = parent[pid]
        return False

    return sorted(p for p, n in name.items() if n == "viewer" and descends(p))


def expect_sigterm_ends_job(proc, check, tag):
    """SIGTERM to the head (the lowest viewer pid under mpirun `proc`) during a long frame ends the
    whole job; the time it took is printed, never asserted."""
    head = viewer_pids(proc.pid)[0]
    t0 = time.monotonic()
    os.kill(head, signal.SIGTERM)
    try:
        proc.wait(timeout=60)
        check(True, f"{tag} SIGTERM during a long frame ended the job in {time.monotonic() - t0:.2f} s")
    except subprocess.TimeoutExpired:
        check(False, f"{tag} SIGTERM during a long frame: still running after 60 s")


def cluster_events(client, event):
    """The `cluster` part of each session.changed notice for `event` ("joined", "left", "lost")
    that `client` has collected so far."""
    return [n["params"]["cluster"] for n in client.notifications
            if n.get("params", {}).get("cluster", {}).get("event") == event]


def wait_for_cluster_event(client, event, give_up_s=120):
    """Waits, without asking for it, until a session.changed notice for `event` arrives (a cheap
    call lets the client read the notices that came meanwhile); returns (notices, seconds waited).
    The seconds are for printing; `give_up_s` only ends a test whose notice never comes."""
    t0 = time.monotonic()
    while not cluster_events(client, event) and time.monotonic() - t0 < give_up_s:
        client.call("session.stats")
        time.sleep(0.05)
    return cluster_events(client, event), time.monotonic() - t0


def run_at_ranks(probe, ranks=(1, 2)):
    """A viewer test's main(): probe(viewer, n, check) -> output tail, at each rank count; returns
    the exit code of the summary."""
    viewer = sys.argv[1]
    check = Checks()
    tail = None
    for n in ranks:
        try:
            tail = probe(viewer, n, check)
        except Exception as e:  # noqa: BLE001
            check(False, f"[{n}] raised {e!r}")
    return check.summary(tail)


class Checks:
    """Counts PASS/FAIL lines; `summary()` prints the closing line and returns the exit code."""

    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, what):
        print(("PASS " if ok else "FAIL ") + what, flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1

    def summary(self, tail=None):
        if self.failed and tail:
            print("viewer output (last lines):\n" + "".join(tail))
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0
