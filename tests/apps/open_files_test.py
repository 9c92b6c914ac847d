#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Volume files opened directly: `index-render FILE` and `viewer FILE` for raw (Open SciVis name, or
--dims/--type), NRRD, OpenVDB and NanoVDB give the image of the equivalent .prj written by hand, at 1
and 2 ranks; a scene without a colormap domain is shown over its data range (said on stderr, and
reported by scene.info); files nothing describes are one clear error line.

usage: open_files_test.py INDEX_RENDER VIEWER [MAKE_VDB_SPHERE]   (prints 'N passed, N failed' last)
"""
import math, os, struct, subprocess, sys, tempfile, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))
sys.path.insert(0, os.path.join(HERE, "..", "viewer"))
from libindex_client import Client, decode_png  # noqa: E402
from harness import Checks, running_viewer  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_rmaps_base_oversubscribe="1")
SIZE = ["--width", "80", "--height", "64"]


def blob_values(nx, ny, nz):
    """A soft ball from 800 at its centre down to -200 (float32): the default domain [0, 1] would
    show only a saturated shell of it."""
    out = []
    for z in range(nz):
        for y in range(ny):
            for x in range(nx):
                r = math.sqrt((x - nx / 2 + 0.5) ** 2 + (y - ny / 2 + 0.5) ** 2 + (z - nz / 2 + 0.5) ** 2)
                out.append(800.0 - 1000.0 * min(r / (0.45 * min(nx, ny, nz)), 1.0))
    return out


def prj(input_file, extra=""):
    """What a user would write by hand for one volume file: the same colormap the apps choose, no domain."""
    return ("#! index_app_project 0\n"
            "app::scene::root::children = cmap vol\n"
            "app::scene::cmap::type = colormap\n"
            "app::scene::cmap::preset = viridis\n"
            "app::scene::cmap::domain_boundary_mode = clamp_to_transparent\n"
            "app::scene::vol::type = sparse_volume\n"
            f"app::scene::vol::input_file = {input_file}\n" + extra)


def render(index_render, args, out, ranks=1):
    """Runs index-render; returns (exit code, stderr, (w, h, channels, pixels) or None)."""
    cmd = (["mpirun", "-np", str(ranks), index_render] if ranks > 1 else [index_render]) + args + ["-o", out] + SIZE
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)
    image = decode_png(open(out, "rb").read()) if r.returncode == 0 and os.path.exists(out) else None
    return r.returncode, r.stderr, image


def max_difference(a, b):
    if a is None or b is None or a[:3] != b[:3]:
        return 999
    return max(abs(x - y) for x, y in zip(a[3], b[3]))


def distinct_colours(image):
    w, h, c, px = image
    return len({px[i:i + c] for i in range(0, len(px), c)})


def main():
    index_render, viewer = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    make_vdb = os.path.abspath(sys.argv[3]) if len(sys.argv) > 3 else ""
    check = Checks()
    work = tempfile.mkdtemp(prefix="libindex_open_files_")
    os.chdir(work)
    values = blob_values(48, 40, 32)
    floats = struct.pack(f"<{len(values)}f", *values)
    open("blob_48x40x32_float32.raw", "wb").write(floats)
    open("blob.bin", "wb").write(floats)
    # An int16 NRRD with a detached-looking but inline header, spacing 1 1 2.
    ints = [max(-32768, min(32767, int(v * 40))) for v in values]
    with open("blob.nrrd", "wb") as f:
        f.write(b"NRRD0004\ntype: short\ndimension: 3\nsizes: 48 40 32\nspacings: 1 1 2\n"
                b"endian: little\nencoding: raw\n\n" + struct.pack(f"<{len(ints)}h", *ints))

    cases = [  # (what, command-line arguments, the .prj a user would write)
        ("raw, Open SciVis name", ["blob_48x40x32_float32.raw"], prj("blob_48x40x32_float32.raw")),
        ("raw, --dims/--type", ["blob.bin", "--dims", "48", "40", "32", "--type", "float32"],
         prj("blob.bin", "app::scene::vol::importer = raw\napp::scene::vol::bbox = 0 0 0 48 40 32\n"
                         "app::scene::vol::voxel_format = float32\n")),
        ("NRRD", ["blob.nrrd"], prj("blob.nrrd")),
        # Named without a format, or in capitals: told by the NRRD magic and by the extension in any case.
        ("NRRD without an extension", ["blob_nrrd_data"], prj("blob.nrrd")),
        ("raw, .RAW", ["BLOB.RAW", "--dims", "48", "40", "32", "--type", "float32"],
         prj("blob.bin", "app::scene::vol::importer = raw\napp::scene::vol::bbox = 0 0 0 48 40 32\n"
                         "app::scene::vol::voxel_format = float32\n")),
        # The same int16 voxels written as text (NRRD's ascii encoding), 48 numbers a line.
        ("NRRD ascii", ["blob_ascii.nrrd"], prj("blob.nrrd")),
    ]
    shutil.copy("blob.nrrd", "blob_nrrd_data")
    shutil.copy("blob.bin", "BLOB.RAW")
    with open("blob_ascii.nrrd", "w") as f:
        f.write("NRRD0004\ntype: short\ndimension: 3\nsizes: 48 40 32\nspacings: 1 1 2\nencoding: ascii\n\n")
        for row in range(0, len(ints), 48):
            f.write(" ".join(str(v) for v in ints[row:row + 48]) + "\n")
    if make_vdb:
        for name in ("sphere.vdb", "sphere.nvdb"):
            subprocess.run([make_vdb, name, "40"], check=True, capture_output=True)
            cases.append(("OpenVDB" if name.endswith(".vdb") else "NanoVDB", [name], prj(name)))
    else:
        print("skipped OpenVDB and NanoVDB: this build has no OpenVDB (no make_vdb_sphere)")

    # Open SciVis also has float64 volumes: read as float32, they give the float32 file's image.
    open("blob_48x40x32_float64.raw", "wb").write(struct.pack(f"<{len(values)}d", *values))
    _, _, as_float32 = render(index_render, ["blob_48x40x32_float32.raw"], "f32.png")
    code, err, as_float64 = render(index_render, ["blob_48x40x32_float64.raw"], "f64.png")
    d = max_difference(as_float32, as_float64) if code == 0 else 255
    check(code == 0 and d == 0, f"a float64 raw file renders as its float32 copy (exit {code}, max difference "
          f"{d}/255){'' if code == 0 else ': ' + err.strip()}")

    for what, args, text in cases:
        open("same.prj", "w").write(text)
        code, err, direct = render(index_render, args, "direct.png")
        check(code == 0 and "using the data range" in err, f"index-render {' '.join(args)}: exit {code}, "
              f"{'says' if 'using the data range' in err else 'does not say'} it uses the data range")
        if what.startswith("NRRD"):  # int16: the range is said in the file's own numbers too
            said = f"(stored values {min(ints)} to {max(ints)})"
            check(said in err, f"NRRD int16: index-render says the data range {said}")
        _, _, by_prj = render(index_render, ["same.prj"], "prj.png")
        d = max_difference(direct, by_prj)
        check(d == 0, f"{what}: the file opened directly gives the .prj's image (max difference {d}/255)")
        _, _, two = render(index_render, args, "two.png", ranks=2)
        d = max_difference(direct, two)
        check(d <= 1, f"{what}: 2 ranks give the 1-rank image (max difference {d}/255)")

    # A level set (signed distances: OpenVDB's sample models are such) shows its solid, not a box of
    # its outside's value: the domain runs from its inside to its surface, and its silhouette is that
    # of the fog sphere of the same size. Its inside is negative (read from inactive tiles). Seen
    # along z orthographically, 60 units across 80 pixels: a disc of radius 19.5 covers ~2100 pixels,
    # the box around the level set's band (42 units) would cover ~3100.
    down_z = ["--ortho", "--from", "20", "20", "200", "--dir", "0", "0", "-1", "--up", "0", "1", "0", "--aperture", "60"]
    if make_vdb:
        def opaque(image):
            w, h, c, px = image
            return sum(1 for i in range(c - 1, len(px), c) if px[i] > 127)
        subprocess.run([make_vdb, "fog40.vdb", "40"], check=True, capture_output=True)
        _, _, fog = render(index_render, ["fog40.vdb"] + down_z, "fog.png")
        for name in ("surface40.vdb", "surface40.nvdb"):
            subprocess.run([make_vdb, name, "40", "level-set"], check=True, capture_output=True)
            code, err, solid = render(index_render, [name] + down_z, "solid.png")
            said = "is a level set: using [-3, 0]" in err
            n, want = (opaque(solid), opaque(fog)) if solid and fog else (0, 1)
            check(code == 0 and said and abs(n - want) <= 0.1 * want,
                  f"{name}, a level set: exit {code}, {'says' if said else 'does not say'} it shows [-3, 0]; "
                  f"{n} opaque pixels, the fog sphere {want} (the box would be more)")
            _, _, two = render(index_render, [name] + down_z, "solid2.png", ranks=2)
            d = max_difference(solid, two)
            check(d <= 1, f"{name}: 2 ranks give the 1-rank image (max difference {d}/255)")

    # The data range, not [0, 1]: the float ball shows its whole gradient, not a saturated shell.
    _, _, fitted = render(index_render, ["blob_48x40x32_float32.raw"], "fitted.png")
    _, _, unit = render(index_render, ["blob_48x40x32_float32.raw", "--domain", "0", "1"], "unit.png")
    check(distinct_colours(fitted) > 3 * distinct_colours(unit),
          f"the data range shows the values: {distinct_colours(fitted)} colours, {distinct_colours(unit)} "
          "with the domain [0, 1]")

    # Two volumes on one grid in index-render: both drawn, mixed per sample. 1 - alpha of the mix is
    # the product of each volume's alone (no early termination: every sample counts), and 3 ranks
    # give the 1-rank image.
    def volume(name, preset, domain):
        return (f"app::scene::{name}_group::type = static_scene_group\n"
                f"app::scene::{name}_group::children = {name}_cmap {name}\n"
                f"app::scene::{name}_cmap::type = colormap\n"
                f"app::scene::{name}_cmap::preset = {preset}\n"
                f"app::scene::{name}_cmap::domain = {domain}\n"
                f"app::scene::{name}_cmap::domain_boundary_mode = clamp_to_transparent\n"
                f"app::scene::{name}::type = sparse_volume\n"
                f"app::scene::{name}::input_file = blob_48x40x32_float32.raw\n")
    head = "#! index_app_project 0\napp::libindex::view::early_termination = false\n"
    a, b = volume("a", "viridis", "-200 4000"), volume("b", "magma", "300 800")  # a faint: b shows through
    for name, text in (("mix.prj", "app::scene::root::children = a_group b_group\n" + a + b),
                       ("a.prj", "app::scene::root::children = a_group\n" + a),
                       ("b.prj", "app::scene::root::children = b_group\n" + b)):
        open(name, "w").write(head + text)
    code, err, mixed = render(index_render, ["mix.prj"], "mix.png")
    _, _, mixed3 = render(index_render, ["mix.prj"], "mix3.png", ranks=3)
    _, _, alone_a = render(index_render, ["a.prj"], "a.png")
    _, _, alone_b = render(index_render, ["b.prj"], "b.png")
    worst, both = 999, 0
    if mixed and alone_a and alone_b:
        c = mixed[2]
        alpha = lambda img, i: img[3][i] / 255.0  # noqa: E731
        pixels = range(c - 1, len(mixed[3]), c)
        worst = max(abs(alpha(mixed, i) - (1 - (1 - alpha(alone_a, i)) * (1 - alpha(alone_b, i)))) for i in pixels)
        both = sum(1 for i in pixels if alpha(alone_a, i) > 0.1 and alpha(alone_b, i) > 0.1)
    check(code == 0 and both > 100 and worst <= 2.5 / 255,
          f"index-render mixes two volumes on one grid: exit {code}, {both} pixels show both, "
          f"1 - alpha off the product by {worst * 255:.2f}/255 {err.strip()[-200:] if code else ''}")
    d = max_difference(mixed, mixed3)
    check(d <= 1, f"two mixed volumes: 3 ranks give the 1-rank image (max difference {d}/255)")
    d = max_difference(mixed, alone_a)
    check(d > 10, f"the second volume is drawn: the mix differs from the first alone by {d}/255")

    # --repeat N: N more renders of the same frame, their median printed; the picture is unchanged.
    cmd = [index_render, "blob_48x40x32_float32.raw", "--repeat", "3", "-o", "repeat.png"] + SIZE
    r = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)
    steady = [l for l in r.stdout.splitlines() if l.startswith("steady state: median")]
    times = steady[0].split("(")[-1].rstrip(")").split(", ") if steady else []
    repeated = decode_png(open("repeat.png", "rb").read()) if r.returncode == 0 else None
    check(r.returncode == 0 and len(times) == 3 and all(float(t) >= 0 for t in times)
          and max_difference(repeated, fitted) == 0,
          f"--repeat 3: exit {r.returncode}, {steady[0] if steady else r.stdout.strip()[-200:]!r}, "
          f"image difference {max_difference(repeated, fitted)}/255")

    # --help and --version need no MPI: with MPI unable to start (no such point-to-point layer) they
    # still answer, while a render in the same environment fails at MPI_Init.
    no_mpi = dict(ENV, OMPI_MCA_pml="nonexistent")
    for program in (index_render, viewer):
        for flag, words in (("--help", "Usage:"), ("--version", ".")):
            r = subprocess.run([program, flag], capture_output=True, text=True, env=no_mpi, timeout=60)
            check(r.returncode == 0 and words in r.stdout,
                  f"{os.path.basename(program)} {flag} without MPI: exit {r.returncode}, {r.stdout.strip()[:60]!r}")
    r = subprocess.run([index_render, "blob_48x40x32_float32.raw", "-o", "no_mpi.png"] + SIZE, capture_output=True,
                       text=True, env=no_mpi, timeout=60)
    check(r.returncode != 0, f"the same environment stops a render (exit {r.returncode}): MPI really cannot start")

    # Files nothing describes: one line, exit 1, no image.
    open("picture.png", "wb").write(b"\x89PNG\r\n\x1a\n" + bytes(64))
    open("empty_4x4x4_uint8.raw", "wb").close()
    for args, words in ((["blob.bin"], "needs its size and voxel type"),
                        (["blob.nrrd", "blob.bin", "--dims", "1", "2", "3", "--type", "uint8"], "one volume file at a time"),
                        (["--dims", "4", "4", "4", "--type", "uint8"], "describe a raw volume file"),
                        (["blob_48x40x32_float32.raw", "--dims", "48", "40", "31", "--type", "float32"],
                         "--dims 48x40x31 does not match the file name's 48x40x32"),
                        (["blob_48x40x32_float32.raw", "--type", "uint8"],
                         "--type uint8 does not match the file name's float32"),
                        (["picture.png"], "'picture.png': not a file libindex reads: a scene (.prj) or a volume"),
                        # The reader's own words: no line of the scene made around the file.
                        (["empty_4x4x4_uint8.raw"], "index-render: error: raw: '" + os.path.join(os.getcwd(), "empty_4x4x4_uint8.raw")
                         + "' is truncated: expected 64 bytes (4x4x4 uint8), the file has 0 bytes")):
        code, err, _ = render(index_render, args, "bad.png")
        lines = [l for l in err.splitlines() if l.startswith("index-render: error:")]
        check(code == 1 and len(lines) == 1 and words in lines[0],
              f"index-render {' '.join(args)}: exit {code}, {lines[0] if lines else err.strip()[-200:]!r}")

    # The viewer opens the same file and shows the same picture; scene.info has the values.
    tail = None
    try:
        for ranks in (1, 2):
            with running_viewer(viewer, ["blob_48x40x32_float32.raw", "--unit", "g/cm^3", "--output-root", work],
                                ranks=ranks) as (_, port, tail):
                c = Client(f"ws://127.0.0.1:{port}")
                shot = decode_png(c.snapshot(80, 64))
                _, _, direct = render(index_render, ["blob_48x40x32_float32.raw"], "direct.png")
                d = max_difference(shot, direct)
                check(d <= 1, f"[{ranks}] viewer FILE: the snapshot equals index-render FILE (max difference {d}/255)")
                shown = c.call("scene.info")["volumes"][0]
                check(shown["name"] == "blob_48x40x32_float32.raw" and shown["unit"] == "g/cm^3",
                      f"[{ranks}] the volume is named after its file, with the --unit given: "
                      f"{shown['name']!r} [{shown['unit']!r}]")
                st = shown["statistics"]
                lo, hi = min(values), max(values)
                check(abs(st["min"] - lo) < 1e-3 and abs(st["max"] - hi) < 1e-3 and st["count"] == len(values),
                      f"[{ranks}] scene.info: min {st['min']}, max {st['max']}, {st['count']} voxels")
                domain = c.call("colormap.get")["domain"]
                check(abs(domain[0] - lo) < 1e-3 and abs(domain[1] - hi) < 1e-3,
                      f"[{ranks}] colormap.get: the domain is the data range {domain}")
                # Keep the work: a changed view saved, then rendered by index-render, is what was shown.
                c.call("colormap.set", preset="inferno", opacity_points=[[0, 0], [0.5, 0.1], [1, 0.9]])
                c.call("render.set", shading=True, mode="dvr")
                c.call("camera.set", **{"from": [90, 60, 50]}, dir=[-0.8, -0.45, -0.4], up=[0, 0, 1])
                shown = decode_png(c.snapshot(80, 64))
                saved = c.call("session.save", path=f"saved{ranks}.prj")["path"]
                code, err, again = render(index_render, [saved], "saved.png")
                d = max_difference(shown, again)
                check(code == 0 and d <= 1,
                      f"[{ranks}] session.save, then index-render of the file: the picture shown (max difference {d}/255)")
    except Exception as e:  # noqa: BLE001
        check(False, f"viewer FILE raised {e!r}")
    if check.failed:
        print(f"the files are kept in {work}")
    else:
        os.chdir("/")
        shutil.rmtree(work, ignore_errors=True)
    return check.summary(tail)


if __name__ == "__main__":
    sys.exit(main())
