#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""An idle viewer costs nothing: a real `mpirun -np 2 viewer` with no client and no change for 10 s
uses < 0.2 CPU-seconds on each rank (read from /proc, as ps does), and then still answers: a camera
change reaches a new client as a new frame. Before the frame loop moved into the library, rank 1 spun
a core in MPI_Bcast and the head re-rendered the unchanged scene every second (20 and 8 CPU-s in 20 s).
A client that says it drags (view.interaction) and then changes nothing, as a hand held still or a
page closed mid-drag does, costs one reduced frame and one full-resolution refine, not a reduced
frame after another (the loop rendered ~560 a second). And a client that connects and then reads
nothing for several of the server's pings (a notebook between cells: it cannot answer them) is still
served: the server hung up on such clients 60 s after its first ping (30 s; --ping-seconds 2 here).

usage: idle_test.py VIEWER      (prints 'N passed, N failed' last; exit 1 on failure)
"""
import json, os, sys, time

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client  # noqa: E402
from harness import Checks, running_viewer, viewer_pids  # noqa: E402

IDLE_SECONDS = 10
LIMIT = 0.2
PING_SECONDS = 2
QUIET_SECONDS = 5 * PING_SECONDS  # quiet through several unanswered pings


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def main():
    viewer = sys.argv[1]
    check = Checks()
    tail = None
    try:
        with running_viewer(viewer, ["--synthetic", "sphere", "--size", "64", "-index::canvas_resolution", "256 256",
                             "--ping-seconds", str(PING_SECONDS)]) \
                as (proc, port, tail):
            url = f"ws://127.0.0.1:{port}"
            quiet_since = time.monotonic()
            quiet_socket = websocket.create_connection(url + "/index_command_client", timeout=30)
            quiet_client = Client(url)  # with notifications: they pile up unread meanwhile
            time.sleep(3)  # the first frame, rendered at start, is done
            pids = viewer_pids(proc.pid)
            check(len(pids) == 2, f"two viewer ranks found ({pids})")
            before = {p: cpu_seconds(p) for p in pids}
            time.sleep(IDLE_SECONDS)
            used = {p: cpu_seconds(p) - before[p] for p in pids}
            for rank, p in enumerate(pids):
                check(used[p] < LIMIT, f"process {rank} used {used[p]:.2f} CPU-s in {IDLE_SECONDS} s idle (< {LIMIT})")
            with Client(f"ws://127.0.0.1:{port}") as c:
                first = c.next_frame(timeout=10)  # a new client gets the last frame at once
                check(first.width == 256, f"a new client gets the last frame ({first.width}x{first.height})")
                c.camera_orbit(azimuth=30)
                frame = c.next_frame(timeout=30, after=first.frame)
                check(frame.frame > first.frame, f"a camera change renders a new frame (#{frame.frame})")
                check(c.session_stats()["ranks"] == 2, "two ranks render")

                before = c.session_stats()["frame"]
                c.call("view.interaction", active=True)
                c.camera_orbit(azimuth=5)
                reduced = c.next_frame(timeout=30, after=before)
                refined = c.next_frame(timeout=30, after=reduced.frame)
                check((reduced.width, refined.width) == (128, 256),
                      f"a drag's change: a reduced frame ({reduced.width}), then the still view refined "
                      f"({refined.width}) while the client still says it drags")
                time.sleep(3)
                frames = c.session_stats()["frame"] - before
                check(frames == 2, f"{frames} frames in 3 s of a drag that changes nothing (2: reduced, refined)")
                c.call("view.interaction", active=False)
                last = c.next_frame(timeout=30, after=refined.frame)
                check(last.width == 256, f"the drag's end renders the full frame ({last.width})")

            time.sleep(max(0.0, QUIET_SECONDS - (time.monotonic() - quiet_since)))
            quiet_socket.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "camera.get"}))
            reply = json.loads(quiet_socket.recv())
            check(reply.get("id") == 1 and "from" in reply.get("result", {}),
                  f"a socket that read nothing for {QUIET_SECONDS} s is answered: {str(reply)[:80]}")
            check("from" in quiet_client.camera_get(),
                  f"a client that read nothing for {QUIET_SECONDS} s (notices unread) is answered")
    except Exception as e:  # noqa: BLE001
        check(False, f"raised {e!r}")
    return check.summary(tail)


if __name__ == "__main__":
    sys.exit(main())
