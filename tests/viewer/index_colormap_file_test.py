#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""IndeX's create_scene_element with an IColormap read from a .cmap file (data_source file, file_type
cmap, file_name as a file:// URL inside --data-root) changes the image of the volume after it; a file
outside the data roots and an http URL are refused with -32602 naming the param, a missing or
malformed .cmap inside them fails to load with -32000. set_scene_element
hides the volume ("enabled": "false") and shows it again.

usage: index_colormap_file_test.py VIEWER     (prints 'N passed, N failed' last)
"""
import os, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client, RpcError  # noqa: E402
from harness import Checks, running_viewer  # noqa: E402

R = "nv::index::app::scene_management_center::scene_management_center_command_receiver."

def main():
    viewer = sys.argv[1]
    check = Checks()
    root_dir = tempfile.TemporaryDirectory(prefix="libindex_")  # removed when main returns
    root = root_dir.name
    with open(os.path.join(root, "red.cmap"), "w") as f:  # 256 lines of 4 numbers in 0..65535
        f.writelines(f"65535 0 0 {i * 257}\n" for i in range(256))
    tail = None
    try:
        with running_viewer(viewer, ["--data-root", root, "-app::scene::root::children", ""]) as (_, port, tail):
            c = Client(f"ws://127.0.0.1:{port}")
            c.call(R + "create_scene_element", parent_group_id="scene_root", new_scene_element_id="red",
                   class_name="IColormap", args={"map_type": "lookup_table", "data_source": "file", "file_type": "cmap",
                                                 "file_name": "file://" + os.path.join(root, "red.cmap")})
            c.call(R + "create_scene_element", parent_group_id="scene_root", new_scene_element_id="ball",
                   class_name="ISparse_volume_scene_element",
                   args={"type": "sparse_volume", "importer": "synthetic", "generator": "sphere", "size": "24",
                         "bbox": "0 0 0 24 24 24"})
            ids = [n["id"] for n in c.call(R + "get_scene_graph", scene_graph_representation_type="tree")["tree"]["children"]]
            check(ids == ["red", "ball"], f"scene graph lists the new elements in order ({ids})")
            cmap = c.call("colormap.get")
            check(abs(cmap["entries"][255][0] - 1.0) < 1e-6 and cmap["entries"][255][1] == 0 and abs(cmap["entries"][128][3] - 128 * 257 / 65535) < 1e-5,
                  "the volume uses the table read from the .cmap (red, alpha ramp)")
            for bad in ("/etc/hostname", "http://example.invalid/x.cmap"):
                try:
                    c.call(R + "create_scene_element", parent_group_id="scene_root", new_scene_element_id="x",
                           class_name="IColormap", args={"data_source": "file", "file_type": "cmap", "file_name": bad})
                    check(False, f"{bad} accepted")
                except RpcError as e:
                    check(e.code == -32602, f"{bad} refused with -32602 ({e.message[:70]})")
            # Inside the roots, a file that cannot be read is the element failing to load: -32000, as
            # for a volume's missing data file.
            with open(os.path.join(root, "not.cmap"), "w") as f:
                f.write("this is no colormap\n")
            for unreadable in ("missing.cmap", "not.cmap"):
                try:
                    c.call(R + "create_scene_element", parent_group_id="scene_root", new_scene_element_id="x",
                           class_name="IColormap", args={"data_source": "file", "file_type": "cmap",
                                                         "file_name": os.path.join(root, unreadable)})
                    check(False, f"{unreadable} accepted")
                except RpcError as e:
                    check(e.code == -32000 and unreadable in e.message,
                          f"{unreadable} fails to load with -32000 naming it ({e.code}: {e.message[:70]})")
            check(c.call("scene.info")["volumes"][0]["id"] == "ball", "the session still serves the scene")
            before = c.snapshot(32, 32)
            r = c.call("cluster.rebalance")
            leaves = r["leaves"]
            voxels = sum((l[3] - l[0]) * (l[4] - l[1]) * (l[5] - l[2]) for l in leaves)
            check(len(leaves) == 2 and voxels == 24 ** 3, f"cluster.rebalance: 2 leaves tiling the volume ({r})")
            check(c.snapshot(32, 32) == before, "rebalancing leaves the image as it was")
            # set_scene_element sets attributes: hiding the volume leaves no volume, showing it again
            # gives the same picture.
            c.set_enabled("ball", False)
            check(c.call("scene.info")["volumes"] == [], "a disabled volume is not in the scene")
            check(c.snapshot(32, 32) != before, "hiding the volume changes the image")
            c.set_enabled("ball", True)
            check(c.snapshot(32, 32) == before, "enabling it again gives the picture back")
            try:
                c.set_scene_element("ball", {"enabled": "perhaps"})
                check(False, "enabled = perhaps accepted")
            except RpcError as e:
                check(e.code == -32000 and "perhaps" in e.message, f"a bad value is refused ({e.message[:70]})")
    except Exception as e:  # noqa: BLE001
        check(False, f"raised {e!r}")
    return check.summary(tail)

if __name__ == "__main__":
    sys.exit(main())
