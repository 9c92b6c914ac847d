#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""NVIDIA IndeX's dataset notebook, step by step, with a client that reads replies the way IndeX's
notebook helper does: every message on the command socket is taken as a reply and looked up by its
"id", so one message without an id (a notification) ends the notebook with a KeyError. The
notebook clears the scene graph child by child (set_scene_element remove.id), adds an IColormap
from a .cmap file and an ISparse_volume_scene_element read by IndeX's raw importer, and waits with
perflab.get_performance_value until the volume renders. Meanwhile a libindex client, which asks for
notifications (?notify=1), changes the view, so the server has notifications to send.

usage: index_notebook_test.py VIEWER     (prints 'N passed, N failed' last)
"""
import json, os, sys, tempfile, time

import websocket

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client  # noqa: E402
from harness import Checks, running_viewer  # noqa: E402

R = "nv::index::app::scene_management_center::scene_management_center_command_receiver."
N = 24  # voxels per axis of the notebook's volume


class IndexNotebookClient:
    """Sends one request and reads messages until the one with its id, as IndeX's helper does;
    unlike it, counts the messages that had no id instead of failing on the first."""

    def __init__(self, url):
        self.ws = websocket.create_connection(url, suppress_origin=True, timeout=60)
        self.next_id = 10000
        self.without_id = []

    def send(self, method, params):
        self.next_id += 1
        self.ws.send(json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv())
            if "id" not in msg:
                self.without_id.append(msg)
            elif msg["id"] == self.next_id:
                return "result" in msg, msg


def write_inputs(root):
    """A ball of N^3 uint8 voxels (255 at the centre, 0 outside radius N/2) and a .cmap that maps
    every value to red with a ramp of opacity."""
    voxels = bytearray(N ** 3)
    c = (N - 1) / 2
    for z in range(N):
        for y in range(N):
            for x in range(N):
                r = ((x - c) ** 2 + (y - c) ** 2 + (z - c) ** 2) ** 0.5 / (N / 2)
                voxels[(z * N + y) * N + x] = max(0, min(255, int(255 * (1 - r))))
    raw = os.path.join(root, f"ball_{N}x{N}x{N}_uint8.raw")
    with open(raw, "wb") as f:
        f.write(voxels)
    cmap = os.path.join(root, "red.cmap")
    with open(cmap, "w") as f:
        f.writelines(f"65535 0 0 {i * 257}\n" for i in range(256))
    return raw, cmap


def main():
    viewer = sys.argv[1]
    check = Checks()
    root_dir = tempfile.TemporaryDirectory(prefix="libindex_")  # removed when main returns
    root = root_dir.name
    raw, cmap = write_inputs(root)
    tail = None
    try:
        with running_viewer(viewer, ["--data-root", root]) as (_, port, tail):
            nb = IndexNotebookClient(f"ws://127.0.0.1:{port}/index_command_client")
            libindex = Client(f"ws://127.0.0.1:{port}")  # the viewer page's kind of client

            ok, graph = nb.send(R + "get_scene_graph", {"scene_graph_representation_type": "tree"})
            children = graph.get("result", {}).get("tree", {}).get("children", [])
            check(ok and len(children) > 0, f"get_scene_graph lists the start-up scene ({[c['id'] for c in children]})")
            for child in children:
                ok, reply = nb.send(R + "set_scene_element", {"id": "scene_root", "args": {"remove.id": child["id"]}})
                check(ok and reply["result"].get("removed") == child["id"], f"remove.id {child['id']}")
            check(libindex.call("scene.info")["volumes"] == [], "the scene graph is empty")

            ok, _ = nb.send(R + "create_scene_element", {
                "parent_group_id": "scene_root", "new_scene_element_id": "my_colormap", "class_name": "IColormap",
                "args": {"map_type": "data", "data_source": "file", "file_type": "cmap", "file_name": cmap,
                         "domain_boundary_mode": "clamp_to_edge"}})
            check(ok, "create_scene_element IColormap from a .cmap file")
            ok, reply = nb.send(R + "create_scene_element", {
                "parent_group_id": "scene_root", "new_scene_element_id": "my_volume",
                "class_name": "ISparse_volume_scene_element",
                "args": {"type": "sparse_volume", "bbox": f"0 0 0 {N} {N} {N}",
                         "importer": "nv::index::plugin::base_importer.Sparse_volume_importer_raw",
                         "input_file": raw, "convert_zyx_to_xyz": "false", "voxel_format": "uint8"}})
            check(ok, f"create_scene_element ISparse_volume_scene_element with IndeX's raw importer ({reply})")

            # The libindex client changes the view: the server now has notifications to send.
            libindex.camera_orbit(azimuth=20)
            told = [n["method"] for n in libindex.poll_notifications(1.0)]
            check("session.changed" in told, f"the client that asked for notifications gets them ({told[:4]})")

            # The notebook's wait_for_data_to_load; the frame rate it wants (> 2.5) depends on the
            # machine, so the test waits for frames of the new volume only.
            values = {}
            for _ in range(120):
                ok, reply = nb.send("nv::index::app::perflab.get_performance_value", {
                    "query_performance_key_list": False,
                    "query_performance_value": ["nb_subcubes_rendered", "frames_per_second"]})
                values = reply.get("result", {}).get("performance_value", {})
                if int(values.get("nb_subcubes_rendered", 0)) > 0 and float(values.get("frames_per_second", 0)) > 0:
                    break
                time.sleep(0.5)
            check(int(values.get("nb_subcubes_rendered", 0)) >= 1 and float(values.get("frames_per_second", 0)) > 0,
                  f"perflab reports the volume rendered ({values})")

            info = libindex.call("scene.info")
            volumes = [(v["id"], v.get("box")) for v in info["volumes"]]
            check(volumes == [("my_volume", [0, 0, 0, N, N, N])], f"the scene shows the notebook's volume ({volumes})")
            entries = libindex.call("colormap.get")["entries"]
            check(abs(entries[255][0] - 1) < 1e-6 and entries[255][1] == 0 and abs(entries[128][3] - 128 * 257 / 65535) < 1e-5,
                  "its colormap is the .cmap's (red, opacity ramp)")
            check(nb.without_id == [], f"the notebook's client got replies only ({len(nb.without_id)} messages without an id: "
                                       f"{[m.get('method') for m in nb.without_id][:3]})")
    except Exception as e:  # noqa: BLE001
        check(False, f"raised {e!r}")
    return check.summary(tail)


if __name__ == "__main__":
    sys.exit(main())
