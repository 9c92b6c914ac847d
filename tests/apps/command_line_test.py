#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""What a user's mistake on the command line gives: one line on stderr, "<program>: error: ...", and
exit code 2 (a usage error; index-slurm: 1, as its documentation says), never the argument parser's
two lines; no empty image left behind by a run that fails after checking its output; a port in use
is one line, not libwebsockets' three as well.

usage: command_line_test.py INDEX_RENDER VIEWER INDEX_SLURM [MAKE_VDB_SPHERE]   (prints 'N passed, N failed' last)
"""
import os, resource, socket, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "viewer"))
from harness import Checks  # noqa: E402

ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")


def run(cmd, limit_memory=False, cwd=None):
    def cap():  # 4 GB of address space: a 32768^2 float frame (16 GiB) cannot be allocated
        resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=120, cwd=cwd,
                          preexec_fn=cap if limit_memory else None)


def main():
    index_render, viewer, index_slurm = (os.path.abspath(p) for p in sys.argv[1:4])
    checks = Checks()
    work = tempfile.mkdtemp(prefix="libindex_cli_")

    def one_error_line(r, program, code, *words):
        lines = [l for l in r.stderr.splitlines() if l.strip() and not l.startswith("[libindex] backend")]
        ok = (r.returncode == code and len(lines) == 1 and lines[0].startswith(program + ": error: ")
              and all(w in lines[0] for w in words))
        return ok, f"rc {r.returncode}, stderr {r.stderr!r}"

    for args, words in [(["--frobnicate"], ["--frobnicate", "(see --help)"]),
                        (["--add", os.path.join(work, "missing.prj")], ["missing.prj"]),
                        ([work], ["directory"]),
                        (["--dims", "1", "2"], ["--dims"]),
                        (["--width", "0"], ["--width"]),
                        (["--movie", "m.mp4"], ["--movie requires --orbit"]),
                        (["--synthetic", "sphere", "--size", "8", "-o", os.path.join(work, "x.jpg")],
                         ["name the file .png, not .jpg"])]:
        ok, why = one_error_line(run([index_render] + args, cwd=work), "index-render", 2, *words)
        checks(ok, f"index-render {' '.join(args)}: one line, exit 2 ({why})")
    ok, why = one_error_line(run([viewer, "--nope"]), "viewer", 2, "--nope")
    checks(ok, f"viewer --nope: one line, exit 2 ({why})")
    ok, why = one_error_line(run([viewer, "--data-root", os.path.join(work, "nowhere")]), "viewer", 2, "nowhere")
    checks(ok, f"viewer --data-root of a missing folder: one line, exit 2 ({why})")
    ok, why = one_error_line(run([index_slurm, "--bogus"]), "index-slurm", 1, "unknown option --bogus")
    checks(ok, f"index-slurm --bogus: an unknown option, not a program ({why})")
    # A volume no rank can hold (65536^3 bytes = 256 TiB): said at once, not by every frame.
    r = run([viewer, "--synthetic", "sphere", "--size", "65536", "--port", "0", "--no-session-record"])
    ok, why = one_error_line(r, "viewer", 1, "the scene needs at least 256 TiB on its one rank",
                             "use more ranks, or a smaller volume")
    checks(ok, f"viewer --size 65536: one line, exit 1 ({why})")
    r = run([index_render, "--synthetic", "sphere", "--size", "65536", "-o", os.path.join(work, "huge.png")])
    ok, why = one_error_line(r, "index-render", 1, "the scene needs at least 256 TiB on its one rank")
    checks(ok and not os.path.exists(os.path.join(work, "huge.png")), f"index-render --size 65536: one line, exit 1 "
           f"before any frame ({why})")
    r = run([index_render, "--help"])
    checks(r.returncode == 0 and "Usage:" in r.stdout, f"index-render --help: the text, exit 0 (rc {r.returncode})")

    # A frame too big for memory fails after the output was checked: no empty PNG stays behind.
    big = os.path.join(work, "big.png")
    r = run([index_render, "--synthetic", "sphere", "--size", "8", "--width", "32768", "--height", "32768", "-o", big],
            limit_memory=True)
    checks(r.returncode == 1 and "out of memory" in r.stderr and not os.path.exists(big),
                 f"an out-of-memory frame leaves no {os.path.basename(big)} (rc {r.returncode}, "
                 f"exists {os.path.exists(big)}, stderr {r.stderr[-300:]!r})")

    # An output named through a link to a file not yet made: the link stays and the image is written
    # where it points, also when the run fails (then nothing is left where it points).
    os.makedirs(os.path.join(work, "target"))
    link = os.path.join(work, "out.png")
    os.symlink(os.path.join(work, "target", "render.png"), link)
    r = run([index_render, "--synthetic", "sphere", "--size", "8", "--width", "16", "--height", "16", "-o", link])
    target = os.path.join(work, "target", "render.png")
    checks(r.returncode == 0 and os.path.islink(link) and os.path.getsize(target) > 0,
           f"-o through a link: the link stays, the image is its target (rc {r.returncode})")
    os.remove(target)
    r = run([index_render, "--synthetic", "sphere", "--size", "8", "--width", "32768", "--height", "32768", "-o", link],
            limit_memory=True)
    checks(r.returncode == 1 and os.path.islink(link) and not os.path.exists(target),
           f"a failed run through a link leaves the link and no empty target (rc {r.returncode})")
    # Numbered frames: the number goes before the file's extension, never into a folder's name.
    os.makedirs(os.path.join(work, "run.1"))
    r = run([index_render, "--synthetic", "sphere", "--size", "8", "--width", "16", "--height", "16", "--orbit", "2",
             "-o", os.path.join(work, "run.1", "frame")])
    checks(r.returncode == 0 and sorted(os.listdir(os.path.join(work, "run.1"))) == ["frame_0000", "frame_0001"],
           f"--orbit 2 -o run.1/frame: {sorted(os.listdir(os.path.join(work, 'run.1')))} (rc {r.returncode}, "
           f"{r.stderr[-200:]!r})")

    # A port in use: the viewer's own line only.
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run([viewer, "--synthetic", "sphere", "--size", "8", "--port", str(port), "--no-session-record"])
        ok, why = one_error_line(r, "viewer", 1, f"cannot listen on 127.0.0.1:{port}", "Address already in use")
        checks(ok, f"a port in use: one line ({why})")

    if len(sys.argv) > 4:  # the tool that writes VDB spheres (built with OpenVDB only)
        make_vdb_sphere = os.path.abspath(sys.argv[4])
        r = run([make_vdb_sphere, "--help"], cwd=work)
        checks(r.returncode == 0 and r.stdout.startswith("usage: make_vdb_sphere") and
               not os.path.exists(os.path.join(work, "--help")),
               f"make_vdb_sphere --help: its usage, exit 0, no file named --help (rc {r.returncode}, {r.stdout[:80]!r})")
        for args, words in [(["--frobnicate"], ["unknown option '--frobnicate'"]),
                            (["s.vdb", "64x"], ["voxels_across", "'64x'"]),
                            (["s.vdb", "2"], ["from 4 to 4096", "'2'"]),
                            (["s.vdb", "64", "fog"], ["'level-set', not 'fog'"])]:
            ok, why = one_error_line(run([make_vdb_sphere] + args, cwd=work), "make_vdb_sphere", 2, *words)
            checks(ok and not os.path.exists(os.path.join(work, "s.vdb")),
                   f"make_vdb_sphere {' '.join(args)}: one line, exit 2, no file ({why})")
    return checks.summary()


if __name__ == "__main__":
    sys.exit(main())
