#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Reliability soak against a real `mpirun -np 2 viewer`: 32 video clients for a bounded time on
loopback, one of which never reads. Frames must keep flowing to the 31 others, the head's memory
must stay bounded, malformed and oversized commands must get error replies, and the server must
still answer at the end.

usage: soak.py VIEWER [--seconds 30]      (prints 'N passed, N failed' last; exit 1 on failure)
"""
import argparse, json, os, socket, struct, sys, threading, time

import websocket  # Debian: python3-websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "viewer"))
from harness import Checks, running_viewer, viewer_pids  # noqa: E402

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("viewer"); ap.add_argument("--seconds", type=float, default=30)
    args = ap.parse_args()
    check = Checks()
    tail = None
    try:
        with running_viewer(args.viewer, ["--synthetic", "supernova", "--size", "64",
                                          "-index::canvas_resolution", "384 384"]) as (proc, port, tail):
            soak(f"ws://127.0.0.1:{port}", viewer_pids(proc.pid)[0], args.seconds, check)
    except Exception as e:  # noqa: BLE001 - any failure is a test failure
        check(False, f"soak raised {e!r}")
    return check.summary(tail)

def soak(url, pid, seconds, check):
    """`pid`: the head's process (rank 0), whose memory must stay bounded."""
    counts = [0] * 31
    stop = threading.Event()
    def reader(i):
        ws = websocket.create_connection(url + "/index_video_client", timeout=10)
        while not stop.is_set():
            try:
                if ws.recv(): counts[i] += 1
            except websocket.WebSocketTimeoutException:
                continue
        ws.close()
    threads = [threading.Thread(target=reader, args=(i,), daemon=True) for i in range(31)]
    for t in threads: t.start()
    # Never reads, with a tiny receive buffer so the server really sees it stall.
    stalled = websocket.create_connection(url + "/index_video_client", timeout=10,
                                          sockopt=((socket.SOL_SOCKET, socket.SO_RCVBUF, 4096),))
    cmd = websocket.create_connection(url + "/index_command_client", timeout=30)
    def reply():  # the next reply, skipping session.changed notifications (they have no id)
        while True:
            message = json.loads(cmd.recv())
            if "id" in message: return message
    def call(method, **params):
        cmd.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}))
        return reply()
    rss_start = rss_kib(pid) if pid else 0
    end, n = time.time() + seconds, 0
    while time.time() < end:  # bounded in time: keep the frames changing
        call("camera.orbit", azimuth=5)
        n += 1
        time.sleep(0.05)
    time.sleep(1.0)
    stop.set()
    check(min(counts) >= 5, f"every reading client got frames (min {min(counts)}, max {max(counts)}, {n} orbits)")
    # The stalled client reads again: it must get the newest frame, not a backlog of old ones.
    latest = call("session.stats")["result"]["frame"]
    newest, t_end = 0, time.time() + 10
    stalled.settimeout(2)
    while time.time() < t_end and newest < latest:
        try:
            msg = stalled.recv()
        except websocket.WebSocketTimeoutException:
            break
        if isinstance(msg, bytes) and msg[:4] == b"LIDX":
            newest = max(newest, struct.unpack_from("<Q", msg, 8)[0])
    stats = call("session.stats")["result"]
    # (How many it skipped depends on how much the kernel's socket buffers absorbed meanwhile.)
    check(newest >= latest - 2, f"the stalled client, reading again, reaches the newest frame ({newest} of {latest}; "
                                f"{stats['frames_skipped']} skipped)")
    rss_end = rss_kib(pid) if pid else 0
    check(pid is not None and rss_end < rss_start + 200 * 1024,
          f"head memory bounded: {rss_start // 1024} MiB -> {rss_end // 1024} MiB")
    cmd.send("{not json")
    check(reply()["error"]["code"] == -32700, "malformed message -> -32700")
    cmd.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "camera.get", "params": {"x": "y" * (2 << 20)}}))
    r = reply()
    check("error" in r and r["error"]["code"] == -32600,
          f"oversized message -> error reply ({r.get('error', {}).get('message', '')[:60]})")
    check("result" in call("camera.get"), "the server still answers after all of it")
    stalled.close()

if __name__ == "__main__":
    sys.exit(main())
