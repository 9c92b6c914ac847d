#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The viewer as an attacker and a careless user probe it, at 1 and 2 ranks (issue "Hardening"):
each message that once crashed, escaped, stalled or poisoned the server is answered with the exact
JSON-RPC error, the server keeps serving a fresh client, and SIGTERM to the head during a long frame
ends the job. Times are printed, never asserted.

usage: hardening_test.py VIEWER      (prints 'N passed, N failed' last; exit 1 on failure)
"""
import json, os, socket, sys, tempfile, time

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client, RpcError  # noqa: E402
from harness import expect_sigterm_ends_job, run_at_ranks, running_viewer  # noqa: E402

INDEX = "nv::index::app::scene_management_center::scene_management_center_command_receiver."


def error_code(client, method, **params):
    try:
        client.call(method, params)
        return 0, ""
    except RpcError as e:
        return e.code, e.message


def close_reply(url, opcode, payload):
    """Sends one frame on a fresh command socket; returns the close code the server answers with, or
    None when it drops the connection without a close frame (failing it, as RFC 6455 allows)."""
    ws = websocket.create_connection(url + "/index_command_client", timeout=10, skip_utf8_validation=True)
    try:
        ws.send(payload, opcode=opcode)
        while True:
            op, data = ws.recv_data(control_frame=True)
            if op == websocket.ABNF.OPCODE_CLOSE:
                return int.from_bytes(data[:2], "big") if len(data) >= 2 else f"close body {data!r}"
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return None
    except websocket.WebSocketTimeoutException:
        return "no close frame in 10 s"
    except websocket.WebSocketProtocolException as e:  # a close frame no endpoint may send
        return f"a malformed reply ({e})"
    finally:
        ws.shutdown()


def websocket_protocol(url, check, tag):
    """RFC 6455 at the socket: text that is not UTF-8 fails the connection with 1007 (5.6, 8.1), a
    close code no endpoint may send is answered with 1002 (7.4), a one-byte close body fails the
    connection (5.5.1); valid codes are echoed."""
    text, close = websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_CLOSE
    bad_text = b'{"jsonrpc":"2.0","id":1,"method":"camera.get","params":{"x":"\xff\xfe"}}'
    check(close_reply(url, text, bad_text) == 1007, f"{tag} a text frame that is not UTF-8 -> close 1007")
    for code, answer in ((999, 1002), (1005, 1002), (2999, 1002), (1000, 1000), (3000, 3000), (4999, 4999)):
        got = close_reply(url, close, code.to_bytes(2, "big") + b"bye")
        check(got == answer, f"{tag} close code {code} -> {answer} (got {got})")
    got = close_reply(url, close, b"\x03")
    check(got is None, f"{tag} a one-byte close body fails the connection (got {got})")


def probe(viewer, ranks, check):
    work = tempfile.mkdtemp()
    with running_viewer(viewer, ["--synthetic", "sphere", "--size", "64", "--data-root", work,
                                 "-index::canvas_resolution", "128 128"], ranks=ranks) as (proc, port, tail):
        url = f"ws://127.0.0.1:{port}"
        tag = f"[{ranks} rank{'s' if ranks > 1 else ''}]"
        with Client(url) as c:
            # A crash by one message: an id no double can hold.
            r = c.call_raw('{"jsonrpc":"2.0","id":1e400,"method":"camera.get"}')
            check(r.get("error", {}).get("code") == -32600 and r.get("id") is None,
                  f"{tag} id 1e400 -> -32600 with id null ({r})")
            # Reading outside the data root: key injection, a trailing space, a base name with '..'.
            code, msg = error_code(c, INDEX + "create_scene_element", parent_group_id="scene_root",
                                   new_scene_element_id="x", class_name="IColormap",
                                   args={"domain": "0 1\napp::colormap::file_0 = /etc/passwd"})
            check(code == -32602 and "one line" in msg and "root:" not in msg, f"{tag} a newline injects no key ({msg})")
            code, msg = error_code(c, INDEX + "create_scene_element", parent_group_id="scene_root",
                                   new_scene_element_id="x", class_name="IColormap", args={"domain ": "0 1"})
            check(code == -32602, f"{tag} a key with a trailing space is refused ({msg})")
            code, msg = error_code(c, INDEX + "create_scene_element", parent_group_id="scene_root",
                                   new_scene_element_id="v", class_name="ISparse_volume_scene_element",
                                   args={"input_directory": work, "input_file_base_name": "../x"})
            check(code == -32602 and "not a path" in msg, f"{tag} input_file_base_name '../x' is refused ({msg})")
            # The same checks when a client changes an element's attributes (set_scene_element).
            volume = c.call("scene.info")["volumes"][0]["id"]
            for args, words in (({"enabled": "false\napp::colormap::file_0 = /etc/passwd"}, "one line"),
                                ({"enabled ": "false"}, "not an attribute"),
                                ({"enabled": 0}, "must be a string"),
                                ({"input_directory": "/etc"}, "outside the data roots")):
                code, msg = error_code(c, INDEX + "set_scene_element", id=volume, args=args)
                check(code == -32602 and words in msg and "root:" not in msg,
                      f"{tag} set_scene_element {list(args)} refused ({msg})")
            check(len(c.call("scene.info")["volumes"]) == 1, f"{tag} and the volume is still shown")
            code, msg = error_code(c, "scene.load", path="../../etc/passwd")
            check(code == -32602 and "outside the data roots" in msg, f"{tag} scene.load outside the root ({msg})")
            # Writing: no output root means no file.
            code, msg = error_code(c, "snapshot", path="x.png")
            check(code == -32602 and "--output-root" in msg and not os.path.exists(os.path.join(work, "x.png")),
                  f"{tag} snapshot writes no file without --output-root ({msg})")
            # The methods that list, save and record: nothing outside the roots, nothing written without
            # an output root, nothing huge; the server answers each with -32602.
            for method, params, words in (
                    ("data.list", {"path": "/etc"}, "outside the data roots"),
                    ("data.list", {"path": "a\u0000b"}, "NUL"),
                    ("data.list", {"path": 17}, "'path'"),
                    ("session.save", {"path": "../x.prj"}, "--output-root"),
                    ("session.load", {"path": "/etc/hostname"}, "outside the data roots"),
                    ("movie.record", {"path": "x.mp4", "frames": 1e9}, ""),
                    ("movie.record", {"path": "x.mp4", "frames": "many"}, "'frames'"),
                    ("movie.record", {"path": "x.mp4"}, "--output-root"),
                    ("snapshot", {"background": [0, 0, 0, 2]}, "in [0, 1]"),
                    ("colormap.set", {"opacity_points": [[0.5, 0], [0.1, 1]]}, "sorted")):
                code, msg = error_code(c, method, **params)
                check(code == -32602 and words in msg, f"{tag} {method} {params} -> {code} ({msg})")
            check(not os.listdir(work), f"{tag} and nothing was written ({os.listdir(work)})")
            # Stalls: each refused before it touches the state.
            code, msg = error_code(c, "render.set", sampling_distance=1e-6)
            check(code == -32602 and "samples per ray" in msg, f"{tag} sampling_distance 1e-6 ({msg})")
            # The same limit through IndeX's scene edits: a volume stretched a million times over.
            code, msg = error_code(c, INDEX + "set_scene_element", id=volume,
                                   args={"bbox": "0 0 0 6400000 6400000 6400000"})
            check(code == -32602 and "samples per ray" in msg, f"{tag} a bbox of rays of hours ({msg})")
            code, msg = error_code(c, "render.set", width=16384, height=16384)
            check(code == -32602 and "over the limit" in msg, f"{tag} render.set 16384^2 ({msg})")
            code, msg = error_code(c, "snapshot", width=16384, height=16384)
            check(code == -32602 and "over the limit" in msg, f"{tag} snapshot 16384^2 ({msg})")
            batch = json.dumps([{"jsonrpc": "2.0", "id": i, "method": "camera.get"} for i in range(17500)])
            t0 = time.monotonic()
            r = c.call_raw(batch)
            check(isinstance(r, dict) and r.get("error", {}).get("code") == -32600,
                  f"{tag} a batch of 17,500 calls -> one -32600 in {time.monotonic() - t0:.2f} s ({str(r)[:80]})")
            # A poisoned camera: refused, and the camera still reads back as numbers.
            code, msg = error_code(c, "camera.set", focal=1e39)
            check(code == -32602, f"{tag} camera focal 1e39 refused ({msg})")
            code, msg = error_code(c, "camera.set", aperture=1e-45)
            check(code == -32602, f"{tag} camera aperture 1e-45 refused ({msg})")
            cam = c.call("camera.get")
            check(all(isinstance(v, (int, float)) for v in cam["from"] + [cam["focal"], cam["aperture"]]),
                  f"{tag} the camera still holds numbers")
        # A page from another origin may not open either socket.
        for path in ("/index_command_client", "/index_video_client"):
            try:
                websocket.create_connection(url + path, origin="http://evil.example", timeout=10).close()
                check(False, f"{tag} foreign origin opened {path}")
            except websocket.WebSocketBadStatusException as e:
                check(e.status_code == 403, f"{tag} foreign origin refused on {path} ({e.status_code})")
        websocket_protocol(url, check, tag)
        # The server still serves a fresh client.
        t0 = time.monotonic()
        with Client(url) as fresh:
            frame = fresh.next_frame(timeout=30)
            check(frame.width == 128, f"{tag} a fresh client gets a frame after all that "
                                      f"({time.monotonic() - t0:.2f} s)")
            # SIGTERM to the head during a long frame: ~1e5 samples per ray on a large canvas.
            fresh.call("render.set", sampling_distance=0.0012, width=2048, height=2048, skipping=False,
                       early_termination=False)
            time.sleep(1.5)  # the frame is under way
            expect_sigterm_ends_job(proc, check, tag)
    if ranks == 1:
        out_of_descriptors(viewer, check, tag)
    return tail


def out_of_descriptors(viewer, check, tag):
    """100 connections that never send a request, to a viewer allowed 64 open files: it stops accepting
    at its socket limit instead of failing accept() in a loop (it once logged 'accept: errno 24'
    some 70,000 times a second and spun a core), and serves again once they close."""
    lines = []
    with running_viewer(viewer, ["--synthetic", "sphere", "--size", "32"], ranks=1, open_files=64,
                        lines=lines) as (proc, port, tail):
        idle = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(100)]
        time.sleep(3)
        failures = sum("errno 24" in line for line in lines)
        check(failures == 0, f"{tag} 100 idle connections at 64 open files: {failures} failed accepts logged "
                             f"(last line: {lines[-1].strip() if lines else ''})")
        for s in idle:
            s.close()
        t0 = time.monotonic()
        with Client(f"ws://127.0.0.1:{port}", timeout=120) as fresh:
            frame = fresh.next_frame(timeout=120)
        check(frame.width > 0, f"{tag} once they close, a fresh client gets a frame ({time.monotonic() - t0:.2f} s)")


if __name__ == "__main__":
    sys.exit(run_at_ranks(probe))
