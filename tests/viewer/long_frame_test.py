#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A long frame holds no client back (issue "Hardening", item 5), at 1 and 2 ranks: while a frame of
several seconds renders, a second client's calls are answered during it (session.stats still counts
the frames before it), a change made during it is shown by the next frame, a method that renders
or runs something collective (cluster.status) waits for the frame, and a client's replies keep
their order. A long snapshot (rendered between frames, on every rank) holds no other client back
either, while a call sent after it on the same socket waits for it; nor does a movie, whose
frame.progress notices say which of its frames renders. Then SIGTERM during the next long frame
ends the job. Times are printed, never asserted.

usage: long_frame_test.py VIEWER      (prints 'N passed, N failed' last; exit 1 on failure)
"""
import json, os, sys, tempfile, threading, time

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client  # noqa: E402
from harness import expect_sigterm_ends_job, run_at_ranks, running_viewer  # noqa: E402

# About 1100 samples per ray over a 2048^2 canvas, nothing skipped: 9 s on 2 busy cores, over a
# second on a fast machine; the calls answered during it take milliseconds.
LONG_FRAME = dict(sampling_distance=0.1, width=2048, height=2048, skipping=False, early_termination=False)


def raw_calls(url, requests):
    """Sends every request at once on one new command socket; returns the replies in arrival order."""
    ws = websocket.create_connection(url + "/index_command_client", timeout=120)
    try:
        for r in requests:
            ws.send(json.dumps(dict(r, jsonrpc="2.0")))
        replies = []
        while len(replies) < len(requests):
            msg = json.loads(ws.recv())
            if "id" in msg:
                replies.append(msg)
        return replies
    finally:
        ws.close()


def in_background(url, requests):
    """raw_calls() on a thread: (the replies, an event set once they are in, the thread)."""
    replies, done = [], threading.Event()

    def run():
        replies.extend(raw_calls(url, requests))
        done.set()

    thread = threading.Thread(target=run)
    thread.start()
    return replies, done, thread


def wait_until_started(client, done):
    """session.stats until the main thread runs the long call (or it is over); the last stats."""
    stats = client.call("session.stats")
    while not stats["frame_in_progress"] and not done.is_set():
        stats = client.call("session.stats")
    return stats


def settle(client, before):
    """session.stats until a frame after frame `before` is published and none renders; its stats."""
    stats = client.call("session.stats")
    while stats["frame_in_progress"] or stats["frame"] <= before:
        stats = client.call("session.stats")
    return stats


def probe(viewer, ranks, check):
    with tempfile.TemporaryDirectory() as out, running_viewer(
            viewer, ["--synthetic", "sphere", "--size", "64", "-index::canvas_resolution", "128 128",
                     "--output-root", out], ranks=ranks) as (proc, port, tail):
        url = f"ws://127.0.0.1:{port}"
        tag = f"[{ranks} rank{'s' if ranks > 1 else ''}]"
        with Client(url) as a, Client(url) as b:
            # Every session.changed that reaches a: the client keeps only its last 100 notices, and a
            # slow machine sends more frame.progress notices than that during the long frame.
            changed = []
            a.on_notification = lambda n: changed.append(n) if n.get("method") == "session.changed" else None
            first = a.next_frame(timeout=60)
            idle = b.call("session.stats")
            while idle["frame_in_progress"]:  # the first frame's publication may still be under way
                idle = b.call("session.stats")
            frames_before = idle["frame"]
            check(frames_before == first.frame, f"{tag} {frames_before} frame(s) before the long one")
            t_start = time.monotonic()
            a.call("render.set", **LONG_FRAME)  # answered at once; the long frame starts after it

            # The second client, during the frame: answered, and the frame has not been published.
            stats = b.call("session.stats")
            while not stats["frame_in_progress"] and stats["frame"] == frames_before:
                stats = b.call("session.stats")  # until the loop has started the long frame
            check(stats["frame_in_progress"] and stats["frame"] == frames_before,
                  f"{tag} session.stats answered during the long frame (frame {stats['frame']}, "
                  f"in progress: {stats['frame_in_progress']})")
            latencies = []
            for method, params in (("camera.get", {}), ("render.get", {}), ("camera.orbit", {"azimuth": 10}),
                                   ("time.get", {}), ("scene.info", {})):
                t0 = time.monotonic()
                b.call(method, params)
                latencies.append(f"{method} {1000 * (time.monotonic() - t0):.1f} ms")
            during = b.call("session.stats")["frame"]
            check(during == frames_before,
                  f"{tag} 5 calls answered before the long frame ended ({', '.join(latencies)})")

            # A collective method waits for the frame; a call sent after it on the same socket
            # is answered after it, in order.
            replies = raw_calls(url, [{"id": 1, "method": "cluster.status"}, {"id": 2, "method": "session.stats"}])
            ids = [r["id"] for r in replies]
            check(ids == [1, 2] and len(replies[0]["result"]["ranks"]) == ranks,
                  f"{tag} cluster.status, then session.stats: replies in order {ids}")
            check(replies[1]["result"]["frame"] > frames_before,
                  f"{tag} cluster.status waited for the long frame "
                  f"(frame {replies[1]['result']['frame']} after it, {time.monotonic() - t_start:.1f} s in)")

            # The orbit made during the frame is shown by the next one.
            long_frame = a.next_frame(timeout=300, after=frames_before)
            check(long_frame.width == 2048, f"{tag} the long frame arrives ({long_frame.width}x{long_frame.height}, "
                                            f"{time.monotonic() - t_start:.1f} s)")
            a.call("render.set", sampling_distance=0.5, width=128, height=128)
            deadline = time.monotonic() + 300
            while not any("camera.orbit" in n["params"]["methods"] for n in changed) and time.monotonic() < deadline:
                a.poll_notifications(0.5)
            check(any("camera.orbit" in n["params"]["methods"] for n in changed),
                  f"{tag} the other client was told of the orbit made during the frame")
            azimuth_cam = b.call("camera.get")
            b.call("camera.orbit", azimuth=-10)
            check(b.call("camera.get")["from"] != azimuth_cam["from"], f"{tag} the orbit is in the state")

            # A long snapshot: the other client is answered while it renders; the call sent after it
            # on the same socket waits for it.
            before = settle(b, 0)["frame"]
            a.call("render.set", sampling_distance=0.1, skipping=False, early_termination=False)
            settled = settle(b, before)  # the canvas's own short frame, out of the way
            big = {k: LONG_FRAME[k] for k in ("width", "height")}
            t_start = time.monotonic()
            replies, snapshot_done, taker = in_background(url, [{"id": 1, "method": "snapshot", "params": big},
                                                                {"id": 2, "method": "session.stats"}])
            stats = wait_until_started(b, snapshot_done)
            t0 = time.monotonic()
            b.call("camera.orbit", azimuth=5)
            cam = b.call("camera.get")
            answered_during = not snapshot_done.is_set()
            check(stats["frame_in_progress"] and answered_during and stats["frame"] == settled["frame"],
                  f"{tag} camera.orbit and camera.get answered during the snapshot "
                  f"({1000 * (time.monotonic() - t0):.1f} ms, in progress: {stats['frame_in_progress']}, "
                  f"snapshot still rendering: {answered_during})")
            taker.join(timeout=300)
            ids = [r["id"] for r in replies]
            check(ids == [1, 2] and replies[0].get("result", {}).get("width") == big["width"],
                  f"{tag} the snapshot ({big['width']}x{big['height']}, {time.monotonic() - t_start:.1f} s), then "
                  f"the same socket's session.stats: replies in order {ids}")
            check(cam["from"] != azimuth_cam["from"], f"{tag} the orbit made during the snapshot is in the state")

            # A movie: the other client is answered while it renders, and told which frame renders.
            before = settle(b, 0)["frame"]
            a.call("render.set", width=512, height=512)  # a 16th of the long frame: ~0.1-0.3 s a movie frame
            settle(b, before)
            b.poll_notifications(0.1)
            frames = 24
            t_start = time.monotonic()
            replies, movie_done, recorder = in_background(
                url, [{"id": 1, "method": "movie.record", "params": {"path": "orbit.mp4", "frames": frames}}])
            stats = wait_until_started(b, movie_done)
            answered_during = b.call("camera.get") and not movie_done.is_set()
            series = []
            while not movie_done.is_set():
                series += [n["params"]["series"] for n in b.poll_notifications(0.2)
                           if n.get("method") == "frame.progress" and "series" in n["params"]]
            recorder.join(timeout=300)
            reply = replies[0] if replies else {}
            if "FFmpeg" in json.dumps(reply.get("error", {})):
                print(f"SKIP {tag} movie.record: this build writes no movies ({reply['error']['message']})")
            else:
                written = os.path.join(out, "orbit.mp4")
                check(reply.get("result", {}).get("frames") == frames and os.path.getsize(written) > 0,
                      f"{tag} movie.record wrote {frames} frames ({time.monotonic() - t_start:.1f} s): {reply}")
                check(stats["frame_in_progress"] and answered_during,
                      f"{tag} camera.get answered while the movie rendered")
                check(series and all(p["total"] == frames and 0 <= p["done"] < frames for p in series)
                      and series == sorted(series, key=lambda p: p["done"]),
                      f"{tag} frame.progress said which of the movie's frames rendered: "
                      f"{[p['done'] for p in series]} of {frames}")

            # SIGTERM during a long frame ends the job.
            a.call("render.set", **LONG_FRAME)
            b.call("camera.get")  # answered during the frame: it is under way
            expect_sigterm_ends_job(proc, check, tag)
    return tail


if __name__ == "__main__":
    sys.exit(run_at_ranks(probe))
