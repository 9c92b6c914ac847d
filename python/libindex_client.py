# SPDX-License-Identifier: Apache-2.0
"""Python client for the libindex viewer's JSON-RPC API.

Needs only the standard library and ``websocket-client`` (Debian: ``python3-websocket``).

    from libindex_client import Client
    c = Client("ws://127.0.0.1:8080")
    c.colormap_set(preset="magma")
    png = c.snapshot(512, 512)

Commands travel over ``/index_command_client`` (JSON-RPC 2.0 text messages), frames over
``/index_video_client`` (a 36-byte "LIDX" header followed by a JPEG or PNG image).
"""

from __future__ import annotations

import base64
import itertools
import json
import struct
import threading
import time
import urllib.parse
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional, Sequence

import websocket  # websocket-client

__all__ = ["Client", "RpcError", "Frame", "parse_frame", "decode_png", "VIDEO_HEADER_SIZE"]

VIDEO_HEADER_SIZE = 36
ENCODINGS = {0: "jpeg", 1: "png"}

_INDEX_APP = "nv::index::app::"
_PERFLAB = _INDEX_APP + "perflab."
_SCENE_CENTER = _INDEX_APP + "scene_management_center::scene_management_center_command_receiver."


class RpcError(Exception):
    """A JSON-RPC error object returned by the server (``code``, ``message``, optional ``data``)."""

    def __init__(self, code: int, message: str, data: Any = None):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.data = data


@dataclass
class Frame:
    """One message from ``/index_video_client``: the decoded header and the encoded image."""

    frame: int
    width: int
    height: int
    encoding: str  # "jpeg" or "png"
    flags: int  # bit 0: reduced-resolution interactive frame
    render_ms: float
    composite_ms: float
    encode_ms: float
    payload: bytes = field(repr=False)

    @property
    def reduced(self) -> bool:
        """True for a reduced-resolution frame sent while the user interacts."""
        return bool(self.flags & 1)


def parse_frame(message: bytes) -> Frame:
    """Parse a binary video message (header + image); raises ValueError if it is malformed."""
    if len(message) < VIDEO_HEADER_SIZE:
        raise ValueError(f"video message of {len(message)} bytes is shorter than the 36-byte header")
    magic, version, encoding, flags, frame, width, height, render_ms, composite_ms, encode_ms = struct.unpack_from(
        "<4sHBBQIIfff", message, 0
    )
    if magic != b"LIDX":
        raise ValueError(f"video message: bad magic {magic!r} (expected b'LIDX')")
    if version != 1:
        raise ValueError(f"video message: unsupported version {version} (expected 1)")
    if encoding not in ENCODINGS:
        raise ValueError(f"video message: unknown encoding {encoding}")
    return Frame(frame, width, height, ENCODINGS[encoding], flags, render_ms, composite_ms, encode_ms,
                 bytes(message[VIDEO_HEADER_SIZE:]))


def decode_png(data: bytes) -> tuple[int, int, int, bytes]:
    """Decode an 8-bit, non-interlaced grey/GA/RGB/RGBA PNG with the standard library.

    Returns ``(width, height, channels, pixels)`` with ``pixels`` row-major, ``channels`` bytes
    per pixel. Enough for the images this server writes; raises ValueError for anything else.
    """
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, header = 8, [], None
    while pos + 8 <= len(data):
        length, ctype = struct.unpack_from(">I4s", data, pos)
        chunk = data[pos + 8: pos + 8 + length]
        pos += 12 + length
        if ctype == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif ctype == b"IDAT":
            idat.append(chunk)
        elif ctype == b"IEND":
            break
    if header is None:
        raise ValueError("PNG without IHDR")
    width, height, depth, color_type, _, _, interlace = header
    channels = {0: 1, 2: 3, 4: 2, 6: 4}.get(color_type)
    if depth != 8 or channels is None or interlace != 0:
        raise ValueError(f"unsupported PNG (bit depth {depth}, colour type {color_type}, interlace {interlace})")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    out = bytearray(height * stride)
    prev = bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1: (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if ftype == 1:
                line[i] = (line[i] + a) & 0xFF
            elif ftype == 2:
                line[i] = (line[i] + b) & 0xFF
            elif ftype == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 0xFF
            elif ftype == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
            elif ftype != 0:
                raise ValueError(f"PNG: bad filter type {ftype} in row {y}")
        out[y * stride: (y + 1) * stride] = line
        prev = line
    return width, height, channels, bytes(out)


def _vec(v: Optional[Iterable[float]]) -> Optional[list]:
    return None if v is None else [float(x) for x in v]


class Client:
    """A connection to a libindex viewer.

    ``url``: the server's base WebSocket URL (``ws://host:port``; ``http://`` is accepted too).
    ``token``: appended as ``?token=...`` when the server runs with a session token.
    ``auth``: HTTP Basic credentials, ``("user", "password")`` or ``"user:password"``.
    ``timeout``: seconds to wait for each reply.

    Notifications pushed by the server (``session.changed``) are kept in ``notifications``
    (the last 100) and passed to ``on_notification`` if it is set.
    """

    COMMAND_PATH = "/index_command_client"
    VIDEO_PATH = "/index_video_client"

    def __init__(self, url: str = "ws://127.0.0.1:8080", token: Optional[str] = None, auth: Any = None,
                 timeout: float = 30.0):
        u = urllib.parse.urlsplit(url)
        scheme = {"http": "ws", "https": "wss"}.get(u.scheme, u.scheme or "ws")
        self.base = f"{scheme}://{u.netloc or u.path}".rstrip("/")
        self.token = token
        self.timeout = timeout
        self.headers = []
        if auth is not None:
            cred = auth if isinstance(auth, str) else f"{auth[0]}:{auth[1]}"
            self.headers.append("Authorization: Basic " + base64.b64encode(cred.encode()).decode())
        self.notifications: list[dict] = []
        self.on_notification: Optional[Callable[[dict], None]] = None
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._video = None
        # notify=1: the server sends its notifications only to clients that ask for them.
        self._command = self._connect(self.COMMAND_PATH, notify="1")

    # --- plumbing ---------------------------------------------------------------------------

    def _url(self, path: str, **args: str) -> str:
        if self.token:
            args["token"] = self.token
        return self.base + path + (f"?{urllib.parse.urlencode(args)}" if args else "")

    def _connect(self, path: str, **args: str):
        return websocket.create_connection(self._url(path, **args), timeout=self.timeout, header=self.headers,
                                           enable_multithread=True)

    def close(self) -> None:
        """Close both sockets."""
        for ws in (self._command, self._video):
            if ws is not None:
                try:
                    ws.close()
                except Exception:
                    pass
        self._video = None

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @staticmethod
    def _receive(ws, deadline: float, what: str) -> tuple[int, bytes]:
        """The next text or binary message on ``ws`` before ``deadline`` (``time.monotonic()``).

        The server pings every socket after 30 s of silence; websocket-client answers a ping and
        reads on, with the socket's timeout starting again, so ``recv()`` alone never timed out on a
        server that pings but does not answer. Here a ping is answered and the deadline holds.
        Raises TimeoutError (``what``) past it, ConnectionError when the server closes the socket.
        """
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(what)
            ws.settimeout(left)
            try:
                opcode, data = ws.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                raise TimeoutError(what) from None
            if opcode in (websocket.ABNF.OPCODE_TEXT, websocket.ABNF.OPCODE_BINARY):
                return opcode, data
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                raise ConnectionError("the server closed the connection")

    def _notify(self, msg: dict) -> None:
        self.notifications.append(msg)
        del self.notifications[:-100]
        if self.on_notification:
            self.on_notification(msg)

    def _await_reply(self, request_id: Any) -> Any:
        """Read messages until the reply to ``request_id`` arrives (notifications are set aside).

        With ``request_id`` None, the first reply of any id, or the array that answers a batch.
        """
        deadline = time.monotonic() + self.timeout
        while True:
            _, text = self._receive(self._command, deadline,
                                    f"no reply to request {request_id} within {self.timeout} s")
            msg = json.loads(text)
            if isinstance(msg, list) and request_id is None:
                return msg
            if isinstance(msg, dict) and "id" in msg and ("result" in msg or "error" in msg):
                if msg["id"] == request_id or request_id is None:
                    return msg
            elif isinstance(msg, dict) and "method" in msg:
                self._notify(msg)

    def call_raw(self, text: str) -> Any:
        """Send ``text`` as-is on the command socket and return the next reply (for tests and debugging).

        A reply to unparsable JSON has ``"id": null``, so this returns the first reply of any id; a
        batch's reply is a list of replies. A batch of notifications gets no reply: this then waits
        until the client's timeout (TimeoutError).
        """
        with self._lock:
            self._command.send(text)
            return self._await_reply(None)

    def call(self, method: str, params: Optional[dict] = None, **kwargs: Any) -> Any:
        """Call ``method`` with ``params`` (a dict) or keyword arguments; return its result.

        Keyword arguments whose value is None are left out. Raises RpcError on an error reply.
        """
        p = dict(params or {})
        p.update({k: v for k, v in kwargs.items() if v is not None})
        with self._lock:
            rid = next(self._ids)
            self._command.send(json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": p}))
            msg = self._await_reply(rid)
        if "error" in msg:
            err = msg["error"]
            raise RpcError(err.get("code", 0), err.get("message", ""), err.get("data"))
        return msg.get("result")

    def poll_notifications(self, timeout: float = 0.5) -> list[dict]:
        """Wait up to ``timeout`` s for notifications; return (and clear) those received so far."""
        with self._lock:
            deadline = time.monotonic() + timeout
            try:
                while True:
                    msg = json.loads(self._receive(self._command, deadline, "")[1])
                    if isinstance(msg, dict) and "method" in msg:
                        self._notify(msg)
                    deadline = time.monotonic() + 0.01  # then what follows at once
            except TimeoutError:
                pass
        got, self.notifications = self.notifications, []
        return got

    # --- video --------------------------------------------------------------------------------

    def next_frame(self, timeout: float = 10.0, after: Optional[int] = None) -> Frame:
        """Return the next frame from ``/index_video_client`` (connecting on first use).

        With ``after``, skip frames whose number is not greater than it. Raises TimeoutError if
        no such frame arrives within ``timeout`` seconds.
        """
        if self._video is None:
            self._video = self._connect(self.VIDEO_PATH)
        deadline = time.monotonic() + timeout
        while True:
            opcode, data = self._receive(self._video, deadline, f"no video frame within {timeout} s")
            if opcode != websocket.ABNF.OPCODE_BINARY:
                continue
            f = parse_frame(data)
            if after is None or f.frame > after:
                return f

    def close_video(self) -> None:
        """Disconnect the video socket (the next ``next_frame`` reconnects)."""
        if self._video is not None:
            self._video.close()
            self._video = None

    # --- camera -------------------------------------------------------------------------------

    def camera_get(self) -> dict:
        """The camera: ``{from, dir, up, aperture, aspect, focal, orthographic}``."""
        return self.call("camera.get")

    def camera_set(self, from_: Optional[Sequence[float]] = None, dir: Optional[Sequence[float]] = None,
                   up: Optional[Sequence[float]] = None, aperture: Optional[float] = None,
                   focal: Optional[float] = None, orthographic: Optional[bool] = None, **kwargs: Any) -> dict:
        """Set any of the camera's fields (``from_`` is sent as ``from``); returns the camera."""
        params = {"from": _vec(from_ if from_ is not None else kwargs.pop("from", None)), "dir": _vec(dir),
                  "up": _vec(up), "aperture": aperture, "focal": focal, "orthographic": orthographic}
        return self.call("camera.set", {k: v for k, v in params.items() if v is not None}, **kwargs)

    def camera_orbit(self, azimuth: float = 0.0, elevation: float = 0.0) -> dict:
        """Orbit around the region-of-interest centre by ``azimuth``/``elevation`` degrees."""
        return self.call("camera.orbit", azimuth=float(azimuth), elevation=float(elevation))

    def camera_pan(self, dx: float = 0.0, dy: float = 0.0) -> dict:
        """Pan by fractions ``dx``, ``dy`` of the view's width and height; returns the camera."""
        return self.call("camera.pan", dx=float(dx), dy=float(dy))

    def camera_zoom(self, factor: float) -> dict:
        """Zoom by ``factor`` (> 1 moves closer); returns the camera."""
        return self.call("camera.zoom", factor=float(factor))

    def camera_reset(self) -> dict:
        """Return to the scene's initial camera; returns it."""
        return self.call("camera.reset")

    # --- colormap -----------------------------------------------------------------------------

    def colormap_get(self, volume: Optional[str] = None) -> dict:
        """A volume's colormap (the first volume's, or that of the volume with id ``volume``):
        ``{entries: [[r,g,b,a],...], domain, boundary_mode, nan_color, preset, opacity_points}``."""
        return self.call("colormap.get", volume=volume)

    def colormap_set(self, preset: Optional[str] = None, entries: Optional[Sequence[Sequence[float]]] = None,
                     domain: Optional[Sequence[float]] = None, boundary_mode: Optional[str] = None,
                     opacity_points: Optional[Sequence[Sequence[float]]] = None,
                     volume: Optional[str] = None, nan_color: Optional[Sequence[float]] = None) -> dict:
        """Change a volume's colormap (the first volume's, or that of the volume with id ``volume``);
        arguments left None stay as they are. Returns the colormap.

        ``entries``: straight RGBA rows in [0,1]; ``domain``: ``[min, max]``; ``boundary_mode``:
        ``"clamp_to_edge"`` or ``"clamp_to_transparent"``; ``opacity_points``: ``[[x, alpha], ...]``
        with x in [0,1], a piecewise-linear opacity curve applied to the preset's/entries' alpha;
        ``nan_color``: straight ``[r, g, b, a]`` of NaN values (ParaView's NanColor), an empty
        sequence to remove it (NaN then reads as below the domain).
        """
        nan = {} if nan_color is None else {"nan_color": [float(x) for x in nan_color] if len(nan_color) else None}
        return self.call("colormap.set", nan, preset=preset,
                         entries=None if entries is None else [list(map(float, e)) for e in entries],
                         domain=_vec(domain), boundary_mode=boundary_mode,
                         opacity_points=None if opacity_points is None else [list(map(float, p)) for p in opacity_points],
                         volume=volume)

    def colormap_presets(self) -> list[str]:
        """Names of the built-in colormap presets."""
        return self.call("colormap.presets")

    # --- region of interest, render settings, interaction --------------------------------------

    def roi_get(self) -> dict:
        """Region of interest and the volume's bounds: ``{min, max, volume_min, volume_max}``."""
        return self.call("roi.get")

    def roi_set(self, min: Sequence[float], max: Sequence[float]) -> dict:
        """Set the region of interest (scene space); returns it."""
        return self.call("roi.set", min=_vec(min), max=_vec(max))

    def plane_list(self) -> dict:
        """Slice planes: ``{planes: [{point, normal, up, extent}], max}`` (scene space)."""
        return self.call("plane.list")

    def plane_set(self, index: int, point: Sequence[float], normal: Sequence[float], up: Sequence[float],
                  extent: Sequence[float]) -> dict:
        """Place slice plane ``index`` (the current count appends one): ``point`` is its lower left
        corner, ``extent`` its width (along up x normal) and height (along up). It shows the
        volume's values through the colormap, opaque. Returns the planes."""
        return self.call("plane.set", index=int(index), point=_vec(point), normal=_vec(normal), up=_vec(up),
                         extent=[float(e) for e in extent])

    def plane_remove(self, index: int) -> dict:
        """Remove slice plane ``index``; returns the planes."""
        return self.call("plane.remove", index=int(index))

    def program_get(self, volume: Optional[str] = None) -> dict:
        """A volume's sample program (IndeX XAC): ``{volume, program, source, file, first_line, buffers,
        compiled}``; ``program`` is None when it has none."""
        return self.call("program.get", **({"volume": volume} if volume else {}))

    def program_set(self, source: str, buffers: Optional[dict] = None, volume: Optional[str] = None) -> dict:
        """Replace (or add) a volume's sample program. ``buffers`` maps slots to values as in a scene
        file (``{0: "0.5 2i 7u"}``: float32, int32, uint32). A program that does not compile raises
        RpcError -32602 with the compiler's message, and nothing changes. The answer adds ``gpu``: what
        NVRTC says of the program. Needs a viewer started with ``--allow-programs`` (else RpcError -32000):
        a program is native code that runs in the server."""
        params: dict = {"source": source}
        if buffers:
            params["buffers"] = {str(k): str(v) for k, v in buffers.items()}
        if volume:
            params["volume"] = volume
        return self.call("program.set", params)

    def program_remove(self, volume: Optional[str] = None) -> dict:
        """Turn a volume's sample program off: its colormap colours it again."""
        return self.call("program.remove", **({"volume": volume} if volume else {}))

    def render_get(self) -> dict:
        """Render settings: ``{sampling_distance, shading, jitter, mode, skipping, backend}``."""
        return self.call("render.get")

    def render_set(self, **settings: Any) -> dict:
        """Change any render settings, e.g. ``render_set(mode="mip", sampling_distance=0.25)``."""
        return self.call("render.set", settings)

    def view_interaction(self, active: bool) -> Any:
        """Tell the server the user is (not) interacting: reduced-resolution frames while active."""
        return self.call("view.interaction", active=bool(active))

    # --- scene, session -----------------------------------------------------------------------

    def scene_info(self) -> dict:
        """``{name, description, credits, requirements, warnings, volumes: [{id, name, box, size, spacing,
        dtype, statistics: {min, max, count, non_finite, histogram} or None}]}``."""
        return self.call("scene.info")

    def volume_info(self, volume: Optional[str] = None) -> dict:
        """A volume (the first, or the one with id ``volume``): ``{id, name, box, size, spacing, dtype,
        time_step, statistics}``; min, max and the 256-bin histogram are of normalized values (what
        colormap domains are in)."""
        return self.call("volume.info", volume=volume)

    def scene_load(self, path: str) -> dict:
        """Load a scene project file, or a volume file (.raw with an Open SciVis name, .nrrd, .vdb, .nvdb),
        path as the server sees it (inside its data roots); returns its scene info."""
        return self.call("scene.load", path=str(path))

    def data_list(self, path: Optional[str] = None) -> dict:
        """A folder inside the server's data roots: ``{path, folders, files: [{name, kind, bytes}]}``."""
        return self.call("data.list", path=path)

    def session_save(self, path: Optional[str] = None) -> str:
        """The view (scene, camera, colormap, settings) as IndeX project text that reproduces it; with
        ``path``, written as a new .prj under the server's --output-root instead (returns the path)."""
        result = self.call("session.save", path=path)
        return result["path"] if path else result["project"]

    def session_load(self, path: str) -> dict:
        """Load a view saved by session_save (a .prj inside the data roots); returns its scene info."""
        return self.call("session.load", path=str(path))

    def snapshot(self, width: Optional[int] = None, height: Optional[int] = None,
                 background: Optional[Sequence[float]] = None) -> bytes:
        """Render one full-quality frame and return it as PNG bytes; ``background`` (r, g, b, a in
        [0, 1]) under it, e.g. (0, 0, 0, 1) for opaque black (default: the scene's, usually transparent)."""
        result = self.call("snapshot", width=width, height=height,
                           background=list(background) if background is not None else None)
        return base64.b64decode(result["png_base64"])

    def movie_record(self, path: str, frames: int = 72, fps: int = 24) -> dict:
        """Record a turn around the view as a video file under the server's --output-root
        (.mp4, .mkv, .mov or .avi); returns ``{path, frames, fps, codec}``."""
        return self.call("movie.record", path=str(path), frames=int(frames), fps=int(fps))

    def session_stats(self) -> dict:
        """``{frame, fps, render_ms, composite_ms, encode_ms, ranks, backend, samples, clients}``."""
        return self.call("session.stats")

    def cluster_status(self) -> dict:
        """Per-rank state: ``{ranks: [{rank, host, leaf, stored, resident_bytes, backend}]}``."""
        return self.call("cluster.status")

    def discover(self) -> dict:
        """The API's own description (OpenRPC-like): ``{methods: [{name, summary, params, ...}]}``."""
        return self.call("rpc.discover")

    # --- NVIDIA IndeX-compatible methods -------------------------------------------------------

    def get_performance_value(self, keys: Sequence[str] = ("frames_per_second",)) -> dict:
        """IndeX perflab query; returns ``{key: value}`` for each of ``keys``."""
        result = self.call(_PERFLAB + "get_performance_value",
                           {"query_performance_key_list": False, "query_performance_value": list(keys)})
        return result.get("performance_value", {})

    def get_scene_graph(self) -> dict:
        """IndeX scene graph as a tree: ``{id: "scene_root", children: [...]}``."""
        result = self.call(_SCENE_CENTER + "get_scene_graph", {"scene_graph_representation_type": "tree"})
        return result.get("tree", result)

    def create_scene_element(self, parent_group_id: str, new_scene_element_id: str, class_name: str,
                             args: dict) -> Any:
        """IndeX: create an element (``"IColormap"``, ``"ISparse_volume_scene_element"``) under a group.

        ``args`` mirrors the .prj attributes; values are converted to strings as IndeX expects.
        """
        return self.call(_SCENE_CENTER + "create_scene_element", {
            "parent_group_id": parent_group_id, "new_scene_element_id": new_scene_element_id,
            "class_name": class_name, "args": {k: str(v) for k, v in args.items()}})

    def set_scene_element(self, element_id: str, args: dict) -> Any:
        """IndeX: change an element's attributes (string values)."""
        return self.call(_SCENE_CENTER + "set_scene_element",
                         {"id": element_id, "args": {k: str(v) for k, v in args.items()}})

    def set_enabled(self, element_id: str, enabled: bool) -> Any:
        """IndeX: show or hide an element (a volume, plane, attribute or a whole group)."""
        return self.set_scene_element(element_id, {"enabled": "true" if enabled else "false"})

    def remove_scene_element(self, parent: str, child: str) -> Any:
        """IndeX: remove element ``child`` from group ``parent``."""
        return self.set_scene_element(parent, {"remove.id": child})


def scene_ids(tree: dict) -> set[str]:
    """All element ids in a scene-graph tree (as returned by ``Client.get_scene_graph``)."""
    ids, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "id" in node:
                ids.add(node["id"])
            stack.extend(node.get("children", []) or [])
    return ids
