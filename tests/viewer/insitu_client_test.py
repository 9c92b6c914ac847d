#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A running in-situ simulation (examples/insitu_minimal on 2 ranks) watched and steered by a real
WebSocket client: frames arrive while it steps, insitu.status follows the steps, a steering value
set by the client is listed and accepted, clients that connect and drop (also mid-frame) cost the
simulation nothing: it finishes every step with no failed update.

usage: insitu_client_test.py INSITU_MINIMAL   (prints 'N passed, N failed' last; exit 1 on failure)
"""
import collections, json, os, re, subprocess, sys, threading, time

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client, RpcError  # noqa: E402
from harness import Checks  # noqa: E402

STEPS = 120


def main():
    program = sys.argv[1]
    check = Checks()
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    proc = subprocess.Popen(["mpirun", "-np", "2", "--oversubscribe", program, str(STEPS)], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True)
    tail = collections.deque(maxlen=30)
    try:
        url = None
        for line in proc.stdout:
            tail.append(line)
            m = re.search(r"in-situ viewer running at http://([^/]+)/", line)
            if m:
                url = "ws://" + m.group(1)
                break
        check(url is not None, f"the simulation serves at {url}")
        threading.Thread(target=lambda: [tail.append(l) for l in proc.stdout], daemon=True).start()
        with Client(url) as c:
            first = c.next_frame(timeout=60)
            later = c.next_frame(timeout=60, after=first.frame)
            check(later.frame > first.frame and later.width == 512, f"frames arrive while it steps ({first.frame}, "
                                                                   f"then {later.frame}, {later.width}x{later.height})")
            s1 = c.call("insitu.status")
            time.sleep(0.3)
            s2 = c.call("insitu.status")
            check(s1["fields"] == ["u"] and s1["shown"] == "u" and s2["step"] > s1["step"],
                  f"insitu.status follows the steps ({s1['step']} -> {s2['step']})")
            check(s1["shown_dtype"] == "float32", f"insitu.status says the shown field's type ({s1['shown_dtype']})")
            with Client(url) as other:
                check(c.call("insitu.set_parameter", name="speed", value=0.9) == {"name": "speed", "value": 0.9},
                      "insitu.set_parameter accepted")
                told = [n["params"]["methods"] for n in other.poll_notifications(2.0)
                        if n.get("method") == "session.changed"]
                check(["insitu.set_parameter"] in told, f"another client is told of the change ({told})")
                # A batch names only its calls that changed something, as the served viewer does.
                replies = c.call_raw(json.dumps([
                    {"jsonrpc": "2.0", "id": 1, "method": "insitu.status"},
                    {"jsonrpc": "2.0", "id": 2, "method": "insitu.set_parameter",
                     "params": {"name": "speed", "value": 0.8}},
                    {"jsonrpc": "2.0", "id": 3, "method": "camera.get"}]))
                check(isinstance(replies, list) and len(replies) == 3, f"the batch is answered ({str(replies)[:80]})")
                told = [n["params"]["methods"] for n in other.poll_notifications(2.0)
                        if n.get("method") == "session.changed"]
                check(told == [["insitu.set_parameter"]], f"a batch announces only the call that changed ({told})")
                c.call("insitu.set_parameter", name="speed", value=0.9)
            params = c.call("insitu.parameters")
            check(params == [{"name": "speed", "value": 0.9, "min": 0.0, "max": 1.0}], f"insitu.parameters {params}")
            try:
                c.call("insitu.set_parameter", name="speed", value=2)
                check(False, "a value outside [min, max] was accepted")
            except RpcError as e:
                check(e.code == -32602 and "speed must be in [0.0, 1.0]" in e.message, f"out of range: {e.message}")
        # Clients that connect and drop at once, on both sockets, while frames are being made.
        for i in range(20):
            for path in ("/index_video_client", "/index_command_client"):
                ws = websocket.create_connection(url + path, timeout=10)
                if i % 2:
                    ws.send('{"jsonrpc":"2.0","id":1,"method":"insitu.status"}')
                ws.close()
        check(True, "40 clients connected and dropped")
        try:
            rc = proc.wait(timeout=600)
        except subprocess.TimeoutExpired:
            rc = None
        out = "".join(tail)
        check(rc == 0 and f"in situ: {STEPS} steps on 2 ranks" in out and "0 failures" in out,
              f"the simulation finished every step with no failed update (exit {rc})")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
    return check.summary(tail)


if __name__ == "__main__":
    sys.exit(main())
