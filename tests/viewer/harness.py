# SPDX-License-Identifier: Apache-2.0
"""What every viewer test needs: a real `mpirun -np N viewer` on a free loopback port, started and
always stopped (its whole process group), and PASS/FAIL lines ending in 'N passed, N failed'."""
import collections, contextlib, os, signal, socket, subprocess, threading, time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@contextlib.contextmanager
def running_viewer(viewer, args, ranks=2, timeout=120):
    """Yields (process, port, output_tail) once the viewer printed its ready line."""
    port = free_port()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    proc = subprocess.Popen(["mpirun", "-np", str(ranks), "--oversubscribe", viewer, "--port", str(port)] + args,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    tail = collections.deque(maxlen=30)
    try:
        deadline = time.time() + timeout
        for line in proc.stdout:
            tail.append(line)
            if "viewer server is running at" in line:
                break
            if time.time() > deadline:
                raise RuntimeError("the viewer did not start")
        else:
            raise RuntimeError("the viewer exited before it was ready:\n" + "".join(tail))
        threading.Thread(target=lambda: [tail.append(l) for l in proc.stdout], daemon=True).start()
        yield proc, port, tail
    finally:
        with contextlib.suppress(ProcessLookupError):  # a test may have ended the job itself
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)


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
