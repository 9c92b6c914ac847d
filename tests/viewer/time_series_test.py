#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A time series in a real `mpirun -np 2 viewer`: time.get reports the steps, time.set shows a step
(the snapshot's brightness follows the step's voxel value), time.play advances the frames, and a
step outside the series is -32602.

usage: time_series_test.py VIEWER      (prints 'N passed, N failed' last; exit 1 on failure)
"""
import os, struct, sys, tempfile, time, zlib

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
from libindex_client import Client, RpcError  # noqa: E402
from harness import Checks, running_viewer  # noqa: E402

def png_mean_alpha(png):
    """Mean alpha of an 8-bit RGBA PNG (non-interlaced), decoded with zlib alone."""
    pos, idat, width, height = 8, b"", 0, 0
    while pos < len(png):
        n, kind = struct.unpack(">I4s", png[pos:pos + 8])
        if kind == b"IHDR": width, height = struct.unpack(">II", png[pos + 8:pos + 16])
        if kind == b"IDAT": idat += png[pos + 8:pos + 8 + n]
        pos += 12 + n
    raw, stride, prev, total = zlib.decompress(idat), width * 4, bytearray(width * 4), 0
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - 4] if i >= 4 else 0
            b = prev[i]; c = prev[i - 4] if i >= 4 else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        total += sum(line[3::4]); prev = line
    return total / (width * height * 255.0)

def main():
    viewer = sys.argv[1]
    check = Checks()
    work = tempfile.mkdtemp()
    n = 16
    os.mkdir(os.path.join(work, "steps"))
    for step in range(4):  # step s: every voxel holds 40 * (s + 1)
        with open(os.path.join(work, "steps", f"density_{step:02d}.raw"), "wb") as f:
            f.write(bytes([40 * (step + 1)]) * n ** 3)
    with open(os.path.join(work, "series.prj"), "w") as f:
        f.write(f"""#! index_app_project 0
app::scene::info::name = Time series test
index::canvas_resolution = 32 32
app::scene::root::children = cmap vol
app::scene::cmap::type = colormap
app::scene::cmap::preset = grayscale
app::scene::vol::type = sparse_volume
app::scene::vol::importer = raw
app::scene::vol::voxel_format = uint8
app::scene::vol::bbox = 0 0 0 {n} {n} {n}
app::scene::vol::input_directory = steps
app::scene::vol::input_file_base_name = density_%02d
app::scene::vol::input_file_extension = .raw
app::scene::vol::time_steps = 0 3
""")
    tail = None
    try:
        with running_viewer(viewer, ["--add", os.path.join(work, "series.prj")]) as (_, port, tail):
            c = Client(f"ws://127.0.0.1:{port}")
            t = c.call("time.get")
            check(t["first"] == 0 and t["last"] == 3 and t["step"] == 0, f"time.get reports steps 0..3 at 0 ({t})")
            alphas = []
            for step in (0, 2, 3):
                c.call("time.set", step=step)
                alphas.append(png_mean_alpha(c.snapshot(32, 32)))
            check(alphas[0] < alphas[1] < alphas[2], f"denser steps render more opaque: {[round(a, 3) for a in alphas]}")
            c.call("time.set", step=0)
            check(abs(png_mean_alpha(c.snapshot(32, 32)) - alphas[0]) < 1e-9, "back to step 0 gives the step-0 image again")
            c.call("time.play", playing=True, fps=20)
            seen, end = set(), time.time() + 15
            while time.time() < end and len(seen) < 4:
                seen.add(c.call("time.get")["step"]); time.sleep(0.02)
            c.call("time.play", playing=False)
            check(seen == {0, 1, 2, 3}, f"playing visits every step ({sorted(seen)})")
            try:
                c.call("time.set", step=9); check(False, "step 9 accepted")
            except RpcError as e:
                check(e.code == -32602 and "step" in e.message, f"step outside the series -> -32602 ({e.message})")
            check(c.call("time.get")["playing"] is False, "paused")
    except Exception as e:  # noqa: BLE001
        check(False, f"raised {e!r}")
    return check.summary(tail)

if __name__ == "__main__":
    sys.exit(main())
