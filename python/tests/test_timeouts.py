#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The client's timeouts hold against a server that pings but never answers.

The viewer pings a socket after 30 s of silence. websocket-client answers a ping and reads on with
its timeout started again, so a reply or frame that never came was waited for as long as the pings
went on (a test waiting for a frame with timeout=60 hung for ten minutes). Here a peer that
completes the WebSocket handshake and then only pings, every 50 ms, for 10 s, before closing: each
wait of 1 s must end in TimeoutError, not in the connection closing after all the pings.

usage: test_timeouts.py      (prints 'N passed, N failed' last; exit 1 on failure)
"""
import base64, hashlib, os, socket, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from libindex_client import Client  # noqa: E402

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's, for Sec-WebSocket-Accept
PINGS, PING_INTERVAL = 200, 0.05


def serve_pings(conn):
    """The handshake, then pings (and nothing else) until PINGS were sent, then a close."""
    with conn:
        request = b""
        while b"\r\n\r\n" not in request:
            chunk = conn.recv(4096)
            if not chunk:
                return
            request += chunk
        key = next(line.split(b":", 1)[1].strip() for line in request.split(b"\r\n")
                   if line.lower().startswith(b"sec-websocket-key:"))
        accept = base64.b64encode(hashlib.sha1(key + GUID).digest())
        conn.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                     b"Sec-WebSocket-Accept: " + accept + b"\r\n\r\n")
        try:
            for _ in range(PINGS):
                conn.sendall(b"\x89\x00")  # a ping, unmasked as a server sends it
                time.sleep(PING_INTERVAL)
            conn.sendall(b"\x88\x02\x03\xe8")  # close 1000
        except OSError:
            pass  # the client gave up and closed: what it should do


def main():
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def accept_all():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve_pings, args=(conn,), daemon=True).start()

    threading.Thread(target=accept_all, daemon=True).start()
    passed = failed = 0

    def check(ok, what):
        nonlocal passed, failed
        print(("PASS " if ok else "FAIL ") + what, flush=True)
        passed, failed = passed + ok, failed + (not ok)

    def outcome(wait):
        try:
            wait()
            return "returned"
        except TimeoutError:
            return "TimeoutError"
        except Exception as e:  # noqa: BLE001
            return f"{type(e).__name__}: {e}"

    with Client(f"ws://127.0.0.1:{port}", timeout=1.0) as c:
        got = outcome(lambda: c.call("camera.get"))
        check(got == "TimeoutError", f"a call that is never answered times out through the pings ({got})")
        got = outcome(lambda: c.next_frame(timeout=1.0))
        check(got == "TimeoutError", f"a frame that never comes times out through the pings ({got})")
        got = outcome(lambda: c.poll_notifications(0.5))
        check(got == "returned", f"poll_notifications returns through the pings ({got})")
    listener.close()
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
