#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Integration test of the Python client against a real ``viewer`` (2 MPI ranks).

    python3 python/tests/test_integration.py --viewer build-full/apps/viewer
    LIBINDEX_VIEWER=build-full/apps/viewer python3 python/tests/test_integration.py

Starts ``mpirun -np 2 ... viewer --port <free> --add <scene> --data-root <tmp>`` through
tests/viewer/launch_viewer.py, runs the tests, always stops the viewer's process group, and prints
"N passed, N failed" as its last line.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from libindex_client import Client, RpcError, decode_png, scene_ids  # noqa: E402

LAUNCHER = HERE.parent.parent / "tests" / "viewer" / "launch_viewer.py"
READY_PREFIX = "LIBINDEX_VIEWER_READY "  # the launcher's line once the viewer serves
WAIT_S = 60  # bound on every wait; a test fails only if nothing ever arrives

# A small scene so that two CPU ranks render it quickly.
SCENE = """#! index_app_project 0
app::scene::info::name = Test sphere
app::scene::info::description = A synthetic sphere for the client integration test.
app::scene::info::credits = libindex test
index::canvas_resolution = 256 256
index::camera::from = 80 60 100
index::camera::dir = -64 -44 -84
index::camera::up = 0 1 0
index::camera::aperture = 0.033
index::camera::focal = 0.03
index::camera::aspect = 1
index::camera::orthographic = false
app::scene::root::children = group
app::scene::group::type = static_scene_group
app::scene::group::children = props colormap sphere
app::scene::props::type = sparse_volume_rendering_properties
app::scene::props::sampling_distance = 0.5
app::scene::colormap::type = colormap
app::scene::colormap::preset = viridis
app::scene::colormap::domain = 0 1
app::scene::sphere::type = sparse_volume
app::scene::sphere::importer = synthetic
app::scene::sphere::generator = sphere
app::scene::sphere::size = 32
app::scene::sphere::bbox = 0 0 0 32 32 32
"""


class Viewer:
    """The viewer under mpirun, started by tests/viewer/launch_viewer.py (the launcher every viewer
    test shares: its own process group, a port the kernel chooses); ``stop`` ends it, whole group included."""

    def __init__(self, binary: str, scene: str, data_root: str, extra: list[str] = ()):
        cmd = [sys.executable, str(LAUNCHER), "--ranks", "2", "--timeout", str(WAIT_S), binary,
               "--add", scene, "--data-root", data_root, *extra]
        self.log: list[str] = []
        self.ready = threading.Event()
        self.port = 0
        self.pgid = 0
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                     errors="replace")
        threading.Thread(target=self._drain, daemon=True).start()
        while not self.ready.wait(0.2):
            if self.proc.poll() is not None:  # the launcher gives up after WAIT_S
                self.stop()
                raise RuntimeError("viewer did not start:\n" + "".join(self.log[-40:]))

    def _drain(self) -> None:
        for line in self.proc.stdout:
            if line.startswith(READY_PREFIX):
                ready = json.loads(line[len(READY_PREFIX):])
                self.port, self.pgid = ready["port"], ready["pgid"]
                self.ready.set()
            else:
                self.log.append(line)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)  # the launcher stops the job's process group
                self.proc.wait(40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.pgid:
            try:  # stragglers, had the launcher itself been killed
                os.killpg(self.pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


def wait_for(predicate, what: str, timeout: float = WAIT_S, interval: float = 0.2):
    """Poll ``predicate`` until it returns a truthy value; fail if it never does."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what} (last value: {last!r})")


class IntegrationTest(unittest.TestCase):
    viewer_binary: str = ""
    scene_path: str = ""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="libindex-client-test-")
        cls.data_root = Path(cls.tmp.name)
        scene = cls.scene_path
        if not scene:
            scene = str(cls.data_root / "sphere.prj")
            Path(scene).write_text(SCENE)
        cls.viewer = Viewer(cls.viewer_binary, scene, str(cls.data_root), ["--allow-programs"])
        # Killed from outside (timeout, Ctrl-C): still take the viewer's process group down.
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda *_: (cls.viewer.stop(), os._exit(1)))
        try:
            cls.client = Client(cls.viewer.url)
        except Exception:
            cls.viewer.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            cls.client.close()
        finally:
            cls.viewer.stop()
            cls.tmp.cleanup()

    @property
    def c(self) -> Client:
        return self.client

    def pixels(self, png: bytes) -> tuple[int, int, int, bytes]:
        return decode_png(png)

    # --- tests (run in name order) ------------------------------------------------------------

    def test_00_frames_per_second_via_perflab(self):
        values = wait_for(lambda: (lambda v: v if v.get("frames_per_second", 0) > 0 else None)(
            self.c.get_performance_value(["nb_subcubes_rendered", "frames_per_second"])), "frames_per_second > 0")
        self.assertGreater(values["frames_per_second"], 0)
        self.assertIn("nb_subcubes_rendered", values)
        self.assertGreaterEqual(values["nb_subcubes_rendered"], 1)

    def test_01_scene_info_and_stats(self):
        info = self.c.scene_info()
        if not self.scene_path:
            self.assertEqual(info["name"], "Test sphere")
        self.assertGreaterEqual(len(info["volumes"]), 1)
        self.assertEqual(len(info["volumes"][0]["box"]), 6)
        stats = self.c.session_stats()
        self.assertEqual(stats["ranks"], 2)
        self.assertGreaterEqual(stats["frame"], 1)
        self.assertEqual(len(self.c.cluster_status()["ranks"]), 2)
        presets = self.c.colormap_presets()
        for p in ("viridis", "magma", "grayscale"):
            self.assertIn(p, presets)
        names = {m["name"] for m in self.c.discover()["methods"]}
        for m in ("camera.orbit", "colormap.set", "snapshot", "roi.set"):
            self.assertIn(m, names)

    def test_02_create_elements_with_index_methods(self):
        root = self.c.get_scene_graph()
        self.assertEqual(root["id"], "scene_root")
        before = self.c.session_stats()["frame"]  # the viewer renders only when something changed
        # 16^3 uint8 ramp along x, written into the data root for the raw importer.
        raw = self.data_root / "ramp16.raw"
        raw.write_bytes(bytes((x * 17) & 0xFF for _ in range(16 * 16) for x in range(16)))
        self.c.create_scene_element("scene_root", "test_colormap", "IColormap",
                                    {"map_type": "data", "size": "2", "domain": "0 1", "data": "1 0 0 0 1 0 0 1"})
        self.c.create_scene_element("scene_root", "test_sphere", "ISparse_volume_scene_element",
                                    {"importer": "synthetic", "generator": "sphere", "size": "32",
                                     "bbox": "0 0 0 32 32 32"})
        self.c.create_scene_element("scene_root", "test_raw", "ISparse_volume_scene_element",
                                    {"importer": "nv::index::plugin::base_importer.Sparse_volume_importer_raw",
                                     "input_file": str(raw), "voxel_format": "uint8", "bbox": "0 0 0 16 16 16"})
        ids = scene_ids(self.c.get_scene_graph())
        for new_id in ("test_colormap", "test_sphere", "test_raw"):
            self.assertIn(new_id, ids)
        # the session still renders with the new elements
        wait_for(lambda: self.c.session_stats()["frame"] > before, "a frame after adding elements")
        for new_id in ("test_raw", "test_sphere", "test_colormap"):
            self.c.remove_scene_element("scene_root", new_id)
        ids = scene_ids(self.c.get_scene_graph())
        for new_id in ("test_colormap", "test_sphere", "test_raw"):
            self.assertNotIn(new_id, ids)

    def test_02b_a_second_volume_on_the_grid_mixes_and_takes_its_own_colormap(self):
        self.c.render_set(jitter=False)
        alone = self.pixels(self.c.snapshot(64, 48))[3]
        # Marschner-Lobb on the sphere's 32^3 grid: mixed per sample into the picture.
        self.c.create_scene_element("scene_root", "test_ml", "ISparse_volume_scene_element",
                                    {"importer": "synthetic", "generator": "marschner-lobb", "size": "32",
                                     "bbox": "0 0 0 32 32 32"})
        try:
            self.assertEqual(self.c.volume_info(volume="test_ml")["id"], "test_ml")
            first = self.c.colormap_get()["preset"]
            mixed = self.pixels(self.c.snapshot(64, 48))[3]
            self.assertNotEqual(mixed, alone, "the second volume is not drawn")
            self.assertEqual(self.c.colormap_set(volume="test_ml", preset="magma")["preset"], "magma")
            self.assertEqual(self.c.colormap_get(volume="test_ml")["preset"], "magma")
            self.assertEqual(self.c.colormap_get()["preset"], first, "the first volume keeps its colormap")
            recoloured = self.pixels(self.c.snapshot(64, 48))[3]
            self.assertNotEqual(recoloured, mixed, "the second volume's colormap did not reach the picture")
            # Transparent, the second volume leaves the first one's picture.
            self.c.colormap_set(volume="test_ml", entries=[[1, 1, 1, 0], [1, 1, 1, 0]])
            cleared = self.pixels(self.c.snapshot(64, 48))[3]
            self.assertLessEqual(max(abs(a - b) for a, b in zip(cleared, alone)), 1)
            with self.assertRaises(RpcError) as e:
                self.c.colormap_set(volume="nonesuch", preset="magma")
            self.assertEqual(e.exception.code, -32602)
            self.assertIn("test_ml", e.exception.message)
        finally:
            self.c.remove_scene_element("scene_root", "test_ml")

    def test_03_snapshot_pixels_follow_the_colormap(self):
        self.c.render_set(jitter=False)
        self.c.colormap_set(preset="viridis")
        w, h, ch, a = self.pixels(self.c.snapshot(96, 64))
        self.assertEqual((w, h), (96, 64))
        self.assertIn(ch, (3, 4))
        self.assertTrue(any(a), "the snapshot is blank")
        self.c.colormap_set(preset="magma")
        _, _, _, b = self.pixels(self.c.snapshot(96, 64))
        differing = sum(1 for i in range(0, len(a), ch) if a[i:i + ch] != b[i:i + ch])
        self.assertGreater(differing, 10, "pixels did not change with the colormap")
        self.c.colormap_set(preset="viridis")
        _, _, _, a2 = self.pixels(self.c.snapshot(96, 64))
        self.assertEqual(a, a2, "the same settings gave a different image")

    def test_03b_values_background_and_saved_views(self):
        st = wait_for(lambda: self.c.volume_info()["statistics"], "the shown volume's statistics")
        self.assertEqual(st["count"], 32 * 32 * 32)
        self.assertEqual(sum(st["histogram"]), st["count"])
        self.assertLess(st["min"], st["max"])
        w, h, ch, px = self.pixels(self.c.snapshot(32, 24, background=(0, 0, 0, 1)))
        self.assertEqual(px[ch - 1], 255, "an opaque corner with an opaque background")
        text = self.c.session_save()
        self.assertIn("index::camera::from", text)
        (self.data_root / "saved.prj").write_text(text)
        self.assertIn(" saved.prj", " " + " ".join(f["name"] for f in self.c.data_list()["files"]))
        before = self.pixels(self.c.snapshot(48, 32))[3]
        self.c.camera_orbit(azimuth=40)
        self.c.session_load("saved.prj")
        after = self.pixels(self.c.snapshot(48, 32))[3]
        self.assertLessEqual(max(abs(a - b) for a, b in zip(before, after)), 1, "the saved view comes back")

    def test_04_video_frames_follow_the_colormap(self):
        self.c.colormap_set(preset="viridis")
        first = self.c.next_frame(timeout=WAIT_S)
        self.assertGreater(first.width, 0)
        self.assertGreater(first.height, 0)
        self.assertIn(first.encoding, ("jpeg", "png"))
        magic = {"jpeg": b"\xff\xd8", "png": b"\x89PNG"}[first.encoding]
        self.assertTrue(first.payload.startswith(magic))
        # the frame that shows viridis: the latest full-resolution frame before the change
        before = first
        self.c.colormap_set(preset="grayscale")
        deadline = time.monotonic() + WAIT_S
        after = self.c.next_frame(timeout=WAIT_S, after=before.frame)
        while after.payload == before.payload and time.monotonic() < deadline:
            after = self.c.next_frame(timeout=WAIT_S, after=after.frame)
        self.assertGreater(after.frame, before.frame)
        self.assertNotEqual(after.payload, before.payload)
        self.c.close_video()

    def test_05_camera(self):
        start = self.c.camera_reset()
        moved = self.c.camera_orbit(azimuth=30, elevation=10)
        self.assertNotEqual([round(v, 6) for v in moved["from"]], [round(v, 6) for v in start["from"]])
        zoomed = self.c.camera_zoom(1.5)
        self.assertIn("from", zoomed)
        self.c.camera_pan(0.1, 0.0)
        back = self.c.camera_reset()
        for x, y in zip(back["from"], start["from"]):
            self.assertAlmostEqual(x, y, places=4)
        self.assertEqual(self.c.camera_get()["from"], back["from"])

    def test_06_roi_and_render_settings(self):
        roi = self.c.roi_get()
        lo, hi = roi["volume_min"], roi["volume_max"]
        mid = [(a + b) / 2 for a, b in zip(lo, hi)]
        got = self.c.roi_set(min=lo, max=mid)
        self.assertEqual([round(v, 4) for v in got["max"]], [round(v, 4) for v in mid])
        self.c.roi_set(min=lo, max=hi)
        r = self.c.render_set(mode="mip", sampling_distance=0.25)
        self.assertEqual(r["mode"], "mip")
        self.assertAlmostEqual(r["sampling_distance"], 0.25)
        r = self.c.render_set(mode="dvr", sampling_distance=0.5)
        self.assertEqual(r["mode"], "dvr")

    def test_06b_slice_plane(self):
        roi = self.c.roi_get()
        lo, hi = roi["volume_min"], roi["volume_max"]
        mid = [(a + b) / 2 for a, b in zip(lo, hi)]
        w, h, ch, before = self.pixels(self.c.snapshot(48, 32))
        opaque = lambda px: sum(1 for i in range(ch - 1, len(px), ch) if px[i] == 255)  # noqa: E731
        planes = self.c.plane_set(0, point=[lo[0], lo[1], mid[2]], normal=[0, 0, 1], up=[0, 1, 0],
                                  extent=[hi[0] - lo[0], hi[1] - lo[1]])
        self.assertEqual(len(planes["planes"]), 1)
        self.assertEqual(self.c.plane_list()["planes"][0]["normal"], [0, 0, 1])
        with_plane = self.pixels(self.c.snapshot(48, 32))[3]
        self.assertGreater(opaque(with_plane), opaque(before) + 40, "an opaque plane across the volume shows")
        with self.assertRaises(RpcError) as e:
            self.c.plane_set(1, point=lo, normal=[0, 0, 0], up=[0, 1, 0], extent=[1, 1])
        self.assertEqual(e.exception.code, -32602)
        self.assertEqual(self.c.plane_remove(0)["planes"], [])
        after = self.pixels(self.c.snapshot(48, 32))[3]
        self.assertLessEqual(max(abs(a - b) for a, b in zip(before, after)), 1, "removing it restores the image")

    def test_06c_sample_program(self):
        self.c.render_set(jitter=False)
        ch = self.pixels(self.c.snapshot(48, 32))[2]
        red = """class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM
    struct Tint { float r, g, b; };
public:
    const Tint* m_tint;
    NV_IDX_DEVICE_INLINE_MEMBER void initialize() { m_tint = state.bind_parameter_buffer<Tint>(0); }
    NV_IDX_DEVICE_INLINE_MEMBER int execute(const Sample_info_self& info, Sample_output& out)
    {
        const float v = state.self.generate_sampler<float>(0u, info.sample_context)
                            .fetch_sample(info.sample_position_object_space);
        const float4 c = state.self.get_colormap().lookup(v);
        out.set_color(make_float4(m_tint->r, m_tint->g, m_tint->b, c.w));
        return NV_IDX_PROG_OK;
    }
};
"""
        answer = self.c.program_set(red, buffers={0: "1 0 0"})
        self.assertTrue(answer["compiled"])
        self.assertEqual(self.c.program_get()["source"], red)
        self.assertEqual(self.c.scene_info()["volumes"][0]["program"], answer["program"])
        tinted = self.pixels(self.c.snapshot(48, 32))[3]
        shown = [i for i in range(0, len(tinted), ch) if tinted[i + ch - 1] > 20]
        self.assertGreater(len(shown), 50, "the volume shows")
        # Every rank's samples are red now: green and blue stay 0 where the volume shows.
        wrong = [tuple(tinted[i:i + ch]) for i in shown if not (tinted[i] > 0 and tinted[i + 1] == 0 and tinted[i + 2] == 0)]
        self.assertEqual(wrong[:5], [], f"{len(wrong)} of {len(shown)} pixels not red (channels: {ch})")
        with self.assertRaises(RpcError) as e:
            self.c.program_set(red.replace("make_float4", "make_float7"))
        self.assertEqual(e.exception.code, -32602)
        self.assertIn("program.set:", e.exception.message)
        self.assertEqual(self.pixels(self.c.snapshot(48, 32))[3], tinted, "a refused program changes nothing")
        # A program that compiles and then crashes: that frame fails, the server keeps serving, and
        # the volume renders with its colormap until a program is set again.
        self.c.program_set(red.replace("return NV_IDX_PROG_OK;", "*(volatile int*)nullptr = 1; return NV_IDX_PROG_OK;"))
        # (The frame that crashes is the snapshot, or a streamed frame just before it.)
        try:
            self.c.snapshot(48, 32)
        except RpcError as e:
            self.assertIn("crashed with SIGSEGV", e.message)
        off = self.pixels(self.c.snapshot(48, 32))[3]
        self.assertGreater(sum(1 for i in range(0, len(off), ch) if off[i + ch - 1] > 20 and off[i + 1] > 20), 20,
                           "after the crash the colormap (viridis: green) colours the volume")
        self.assertFalse(self.c.program_remove()["compiled"])
        self.assertIsNone(self.c.scene_info()["volumes"][0]["program"])
        # (A scene edit restores the scene's own settings: compare colours, not the earlier image.)
        after = self.pixels(self.c.snapshot(48, 32))[3]
        self.assertGreater(sum(1 for i in range(0, len(after), ch) if after[i + ch - 1] > 20 and after[i + 1] > 20), 20,
                           "without the program the colormap (viridis: green) colours the volume again")

    def test_07_errors_keep_the_connection(self):
        with self.assertRaises(RpcError) as e:
            self.c.call("no.such.method")
        self.assertEqual(e.exception.code, -32601)
        self.assertIn("from", self.c.camera_get())

        with self.assertRaises(RpcError) as e:
            self.c.call("camera.zoom", factor="not a number")
        self.assertEqual(e.exception.code, -32602)
        self.assertIn("factor", e.exception.message)
        self.assertIn("from", self.c.camera_get())

        reply = self.c.call_raw('{"jsonrpc": "2.0", "id": 5, "method": ')
        self.assertEqual(reply["error"]["code"], -32700)
        self.assertIsNone(reply.get("id"))
        self.assertIn("from", self.c.camera_get())

        # A batch, a snapshot among its calls (run between frames): one array of replies, by id.
        batch = self.c.call_raw(json.dumps([
            {"jsonrpc": "2.0", "id": 6, "method": "snapshot", "params": {"width": 32, "height": 16}},
            {"jsonrpc": "2.0", "id": 7, "method": "camera.zoom", "params": {"factor": 0}},
            {"jsonrpc": "2.0", "method": "camera.get"}]))
        self.assertIsInstance(batch, list)
        by_id = {r["id"]: r for r in batch}
        self.assertEqual(sorted(by_id), [6, 7])
        self.assertEqual((by_id[6]["result"]["width"], by_id[6]["result"]["height"]), (32, 16))
        self.assertEqual(by_id[7]["error"]["code"], -32602)

    def test_08_other_clients_are_notified(self):
        with Client(self.viewer.url) as other:
            self.c.poll_notifications(0.2)  # drop earlier ones
            other.colormap_set(preset="plasma")
            got = wait_for(lambda: [n for n in self.c.poll_notifications(0.5) if n["method"] == "session.changed"],
                           "a session.changed notification", timeout=15)
            self.assertEqual(got[0]["jsonrpc"], "2.0")
            self.assertEqual(self.c.colormap_get()["preset"], "plasma")


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewer", default=os.environ.get("LIBINDEX_VIEWER", ""), help="path of the viewer binary")
    parser.add_argument("--scene", default=os.environ.get("LIBINDEX_SCENE", ""),
                        help="scene to --add (default: a small synthetic sphere written to a temp dir)")
    args, rest = parser.parse_known_args()
    if not args.viewer:
        print("error: give --viewer PATH or set LIBINDEX_VIEWER", file=sys.stderr)
        print("0 passed, 1 failed")
        return 2
    IntegrationTest.viewer_binary = os.path.abspath(args.viewer)
    IntegrationTest.scene_path = os.path.abspath(args.scene) if args.scene else ""
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(IntegrationTest)
    if rest:
        suite = unittest.TestSuite(t for t in suite if any(r in t.id() for r in rest))
    result = unittest.TextTestRunner(resultclass=CountingResult, verbosity=2).run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    if result.testsRun == 0 or (failed == 0 and result.passed == 0):
        failed = max(failed, 1)
    print(f"{result.passed} passed, {failed} failed")
    return 0 if failed == 0 and result.passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
