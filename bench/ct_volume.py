#!/usr/bin/python3
"""Writes a CT-like int16 volume in Hounsfield units: a torso of soft tissue and fat in air, two
lungs, a spine of vertebrae, ribs and a table under it, with scanner noise.

Most of it is air and soft tissue that a bone window (e.g. --domain 300 1500 in HU) shows as
transparent; the bone is opaque. That is the work a CT viewer does, and what bench/compare_vtk.sh
renders beside VTK's CPU ray caster. Deterministic (fixed seed). Needs python3-numpy.

  bench/ct_volume.py /tmp/ct_256x256x100_int16.raw            # the default 256 x 256 x 100
  bench/ct_volume.py OUT.raw --dims 512 512 200
"""
import argparse
import sys

try:
    import numpy as np
except ModuleNotFoundError:  # --help works without it; writing a volume does not
    np = None


def torso(dims, seed=7):
    X, Y, Z = dims
    rng = np.random.default_rng(seed)
    # Voxel centres in a frame where the torso's cross-section spans about [-1, 1].
    x = (np.arange(X) + 0.5) / X * 2.4 - 1.2
    y = (np.arange(Y) + 0.5) / Y * 2.4 - 1.2
    z = (np.arange(Z) + 0.5) / Z
    zz, yy, xx = np.meshgrid(z, y, x, indexing="ij")

    hu = np.full((Z, Y, X), -1000.0, dtype=np.float32)  # air
    body = (xx / 1.0) ** 2 + (yy / 0.7) ** 2 < 1.0
    hu[body] = -90.0  # fat under the skin
    muscle = (xx / 0.92) ** 2 + (yy / 0.62) ** 2 < 1.0
    hu[muscle] = 45.0  # soft tissue
    for side in (-1, 1):  # lungs
        lung = ((xx - side * 0.42) / 0.33) ** 2 + ((yy + 0.05) / 0.42) ** 2 < 1.0
        hu[lung] = -820.0
    # Ribs: a thin elliptical shell cut into bands along z.
    shell = (xx / 0.86) ** 2 + (yy / 0.57) ** 2
    band = np.sin(zz * 2 * np.pi * 7) > 0.55
    ribs = (shell > 0.88) & (shell < 1.0) & band & (yy > -0.45)
    hu[ribs] = 900.0
    # Spine: vertebral bodies (cortical rim, softer core) with discs between them.
    r_spine = np.hypot(xx, yy - 0.45)
    disc = np.sin(zz * 2 * np.pi * 6) < -0.8
    hu[(r_spine < 0.13) & ~disc] = 350.0
    hu[(r_spine >= 0.10) & (r_spine < 0.13) & ~disc] = 1200.0
    hu[(r_spine < 0.13) & disc] = 80.0
    # Sternum and a table under the patient.
    hu[(np.abs(xx) < 0.06) & (np.abs(yy + 0.6) < 0.04)] = 700.0
    hu[(np.abs(yy - 0.92) < 0.03) & (np.abs(xx) < 1.1)] = 300.0
    hu += rng.normal(0.0, 12.0, hu.shape).astype(np.float32)  # scanner noise
    return np.clip(np.rint(hu), -1024, 3071).astype("<i2")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("output", help="raw file to write (x fastest, little-endian int16)")
    p.add_argument("--dims", type=int, nargs=3, default=(256, 256, 100), metavar=("X", "Y", "Z"))
    a = p.parse_args()
    if np is None:
        sys.exit("ct_volume.py: error: needs numpy (apt-get install python3-numpy)")
    vol = torso(a.dims)
    vol.tofile(a.output)
    bone = np.count_nonzero(vol > 300) / vol.size
    print(f"{a.output}: {a.dims[0]}x{a.dims[1]}x{a.dims[2]} int16 HU, "
          f"{100 * np.count_nonzero(vol < -500) / vol.size:.0f} % air, {100 * bone:.1f} % bone")


if __name__ == "__main__":
    main()
