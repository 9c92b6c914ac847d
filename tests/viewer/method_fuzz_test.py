#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A seeded JSON-RPC fuzzer of the real viewer, every method, at 1 and 2 ranks.

For each message it sends (single calls built from rpc.discover's schema: valid, boundary, wrong
type, missing, extra and array params; raw-text mutations; odd ids; batches; notifications; the
IndeX nv::index:: methods with random element ids, classes and args) it checks the reply: valid
JSON-RPC 2.0 (jsonrpc, id matching the request, exactly one of result/error, an integer code and a
string message), a code in {-32700, -32600, -32601, -32602, -32000, -32029}, no reply to a
notification. Every --check-every messages: the viewer's ranks are alive, a fresh client's
camera.get is answered, a fresh video client gets a frame and, after camera.orbit by 0, a newer one
(all within --hang-s: the last good frame alone does not show a renderer that is stuck), and no line
the viewer printed looks like an assertion, a sanitizer report, an escaped exception or an MPI error.
Deterministic given --seed (the messages; not the server's timing).

Before the random messages, each rank count sends TARGETED (the reproducers this fuzzer found), each
followed by a health check with a 20 s limit. Each kind of problem is one FAIL line (later ones of the
same kind print 'again'); a viewer that died or stalls is restarted and the run goes on.

usage: method_fuzz_test.py [VIEWER] [--ranks 1,2] [--seed S] [--count N] [--check-every 50] [--hang-s 60]
                      [--allow-programs] [--attach-ranks N] [--no-targeted] [--log DIR] [--summary FILE]
       --count: generated messages per rank count (the driver adds ~40 % probes: scene.info,
       get_scene_graph, plane.list and cluster.status every 10 messages, a cheap view every 97).
       prints PASS/FAIL lines and 'N passed, N failed' last; exit 1 on failure
"""
import argparse, collections, contextlib, json, math, os, random, re, shutil, struct, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "python"))
import websocket  # noqa: E402
from harness import Checks, running_viewer, viewer_pids  # noqa: E402
from libindex_client import parse_frame  # noqa: E402

INDEX = "nv::index::app::scene_management_center::scene_management_center_command_receiver."
PERF = "nv::index::app::perflab.get_performance_value"
ALLOWED_CODES = {-32700, -32600, -32601, -32602, -32000, -32029}
SUSPICIOUS = re.compile(r"assert|sanitizer|runtime error:|terminate called|what\(\)|uncaught|segmentation|"
                        r"sigsegv|sigabrt|aborted|core dumped|mpi_err|mpi_abort|pmix error|\bprte|\borte\b|"
                        r"exited on signal|signal \d|stack smashing|double free|corrupted|bad_alloc|"
                        r"std::|json\.exception|invalid pointer|free\(\)|malloc\(\)|mpirun noticed|"
                        r"killed|exception", re.I)
# Lines the viewer prints in normal operation, not worth a look.
ROUTINE = re.compile(r"^\[viewer\] (Application layer viewer server is running|session )|^\[libindex\] backend:")

# An IndeX volume sample program that compiles (from scenes/xac_edges.prj, trimmed).
PROGRAM = """NV_IDX_XAC_VERSION_1_0

class Volume_sample_program
{
    NV_IDX_VOLUME_SAMPLE_PROGRAM
public:
    NV_IDX_DEVICE_INLINE_MEMBER
    void initialize() {}

    NV_IDX_DEVICE_INLINE_MEMBER
    int execute(const Sample_info_self& sample_info, Sample_output& sample_output)
    {
        const float v = state.self.sample<float>(sample_info.sample_position_object_space);
        sample_output.set_color(make_float4(v, 0.5f, 1.0f - v, v * 0.5f));
        return NV_IDX_PROG_OK;
    }
};
"""


# --------------------------------------------------------------------------------------------
# The data and output roots: small real volumes and scenes, written from the seed-free recipe.

def write_data_root(root):
    rnd = random.Random(12345)
    os.makedirs(os.path.join(root, "sub"), exist_ok=True)
    os.makedirs(os.path.join(root, "steps"), exist_ok=True)
    with open(os.path.join(root, "vol_32x32x32_uint8.raw"), "wb") as f:
        f.write(bytes(rnd.randrange(256) for _ in range(32 ** 3)))
    vals = [rnd.random() for _ in range(20 * 24 * 16)]
    vals[0], vals[7] = float("nan"), float("inf")
    with open(os.path.join(root, "f_20x24x16_float32.raw"), "wb") as f:
        f.write(struct.pack("<%df" % len(vals), *vals))
    with open(os.path.join(root, "sub", "small.nrrd"), "wb") as f:
        f.write(b"NRRD0004\ntype: uint16\ndimension: 3\nsizes: 16 16 16\nencoding: raw\nendian: little\n\n"
                + struct.pack("<4096H", *range(4096)))
    with open(os.path.join(root, "bad.nrrd"), "wb") as f:
        f.write(b"NRRD0004\ntype: uint16\ndimension: 3\nsizes: 16 16 16\nencoding: raw\n\n" + b"\0" * 100)
    with open(os.path.join(root, "short_64x64x64_uint8.raw"), "wb") as f:
        f.write(b"\1" * 1000)  # too short for its name
    for step in range(3):
        with open(os.path.join(root, "steps", f"d_{step:02d}.raw"), "wb") as f:
            f.write(bytes((x * 7 + step * 40) % 256 for x in range(16 ** 3)))
    scenes = {
        "empty.prj": "app::scene::info::name = Empty\nindex::canvas_resolution = 128 128\napp::scene::root::children =\n",
        "supernova.prj": """app::scene::info::name = Supernova small
index::canvas_resolution = 128 128
index::camera::from = 64 64 200
index::camera::dir = -0.2 -0.1 -1
index::camera::up = 0 1 0
app::scene::root::children = g
app::scene::g::type = static_scene_group
app::scene::g::children = props cmap sn
app::scene::props::type = sparse_volume_rendering_properties
app::scene::props::sampling_distance = 0.5
app::scene::cmap::type = colormap
app::scene::cmap::preset = supernova
app::scene::cmap::domain = 0.1 1
app::scene::sn::type = sparse_volume
app::scene::sn::importer = synthetic
app::scene::sn::generator = supernova
app::scene::sn::size = 32
""",
        "slices.prj": """app::scene::info::name = slices small
index::canvas_resolution = 128 128
app::scene::root::children = cmap props vol across
app::scene::cmap::type = colormap
app::scene::cmap::map_type = data
app::scene::cmap::size = 2
app::scene::cmap::domain = 0 1
app::scene::cmap::data << (END)
0 0 0 0
1 1 1 0.1
(END)
app::scene::props::type = sparse_volume_rendering_properties
app::scene::props::sampling_distance = 0.5
app::scene::vol::type = sparse_volume
app::scene::vol::importer = synthetic
app::scene::vol::generator = marschner-lobb
app::scene::vol::size = 32 32 32
app::scene::across::type = plane
app::scene::across::point = 0 0 16
app::scene::across::normal = 0 0 1
app::scene::across::up = 0 1 0
app::scene::across::extent = 32 32
""",
        "two_fields.prj": """app::scene::info::name = two fields small
index::canvas_resolution = 128 128
app::scene::root::children = a_group b_group
app::scene::a_group::type = static_scene_group
app::scene::a_group::children = a_cmap a
app::scene::a_cmap::type = colormap
app::scene::a_cmap::preset = magma
app::scene::a::type = sparse_volume
app::scene::a::importer = synthetic
app::scene::a::generator = supernova
app::scene::a::bbox = 0 0 0 32 32 32
app::scene::b_group::type = static_scene_group
app::scene::b_group::children = b_cmap b
app::scene::b_cmap::type = colormap
app::scene::b_cmap::preset = cool-warm
app::scene::b::type = sparse_volume
app::scene::b::importer = synthetic
app::scene::b::generator = marschner-lobb
app::scene::b::bbox = 0 0 0 32 32 32
""",
        "series.prj": """app::scene::info::name = series
index::canvas_resolution = 64 64
app::scene::root::children = cmap vol
app::scene::cmap::type = colormap
app::scene::cmap::preset = grayscale
app::scene::vol::type = sparse_volume
app::scene::vol::importer = raw
app::scene::vol::voxel_format = uint8
app::scene::vol::bbox = 0 0 0 16 16 16
app::scene::vol::input_directory = steps
app::scene::vol::input_file_base_name = d_%02d
app::scene::vol::input_file_extension = .raw
app::scene::vol::time_steps = 0 2
""",
        "broken.prj": "app::scene::root::children = nothere\napp::scene::x::type = sparse_volume\n",
        "outside.prj": "app::scene::root::children = v\napp::scene::v::type = sparse_volume\n"
                       "app::scene::v::importer = raw\napp::scene::v::input_file = /etc/passwd\napp::scene::v::voxel_format = uint8\n"
                       "app::scene::v::bbox = 0 0 0 2 2 2\n",
    }
    for name, text in scenes.items():
        with open(os.path.join(root, name), "w") as f:
            f.write("#! index_app_project 0\n" + text)


# --------------------------------------------------------------------------------------------
# What a reply must look like, from the text sent.

class Unparsable(Exception):
    pass


def strict_loads(text):
    """Parses as nlohmann::json would: no NaN/Infinity, no lone surrogates; a leading BOM is skipped."""
    if text.startswith("\ufeff"):
        text = text[1:]

    def bad_constant(c):
        raise Unparsable(c)

    try:
        value = json.loads(text, parse_constant=bad_constant)
    except (ValueError, Unparsable, RecursionError):
        raise Unparsable(text[:40])

    def walk(v):
        if isinstance(v, str):
            if any(0xD800 <= ord(ch) <= 0xDFFF for ch in v):
                raise Unparsable("surrogate")
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, dict):
            for k, x in v.items():
                walk(k)
                walk(x)
        elif isinstance(v, float) and math.isinf(v):
            raise Unparsable("out of range")  # 1e400: -32600, id null

    walk(value)
    return value


def valid_id(i):
    if i is None or isinstance(i, str):
        return True
    return isinstance(i, int) and not isinstance(i, bool) and -2 ** 63 <= i < 2 ** 64


def expected_one(call):
    """The reply one batch member (or a single message) gets: ('reply', id), or None (notification)."""
    if not isinstance(call, dict):
        return ("reply", None)
    if "id" in call and not valid_id(call["id"]):
        return ("reply", None)
    rid = call.get("id")
    if call.get("jsonrpc") != "2.0" or not isinstance(call.get("method"), str) or \
            ("params" in call and not isinstance(call["params"], (dict, list))):
        return ("reply", rid if "id" in call else None)
    if "id" not in call:
        return None
    return ("reply", rid)


def nesting_depth(text):
    """The deepest nesting of arrays and objects, as the server counts it before it parses."""
    depth = deepest = 0
    in_string = escaped = False
    for c in text:
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
        elif c == '"':
            in_string = True
        elif c in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif c in "]}":
            depth -= 1
    return deepest


def expectation(text, max_batch=100, max_bytes=1 << 20, max_depth=128):
    """('one', id, why): a single reply with that id; ('batch', [ids]); ('none',)."""
    if len(text.encode("utf-8")) > max_bytes or nesting_depth(text) > max_depth:
        return ("one", None, "batch")  # refused before parsing: -32600, id null
    try:
        msg = strict_loads(text)
    except Unparsable:
        return ("one", None, "parse")
    if isinstance(msg, list):
        if not msg or len(msg) > max_batch:
            return ("one", None, "batch")
        ids = [e[1] for e in map(expected_one, msg) if e]
        return ("batch", ids) if ids else ("none",)
    e = expected_one(msg)
    return ("one", e[1], "call") if e else ("none",)


def same_id(a, b):
    return type(a) is type(b) and a == b


def reply_problems(r):
    """What is wrong with one reply object (empty: nothing)."""
    p = []
    if not isinstance(r, dict):
        return [f"reply is a {type(r).__name__}, not an object"]
    if r.get("jsonrpc") != "2.0":
        p.append("jsonrpc is not '2.0'")
    if "id" not in r:
        p.append("no id")
    if ("result" in r) == ("error" in r):
        p.append("both or neither of result/error")
    if "error" in r:
        e = r["error"]
        if not isinstance(e, dict) or not isinstance(e.get("code"), int) or not isinstance(e.get("message"), str):
            p.append(f"malformed error object {str(e)[:200]}")
        elif e["code"] not in ALLOWED_CODES:
            p.append(f"error code {e['code']} not allowed")
    extra = set(r) - {"jsonrpc", "id", "result", "error"}
    if extra:
        p.append(f"extra members {sorted(extra)}")
    return p


# --------------------------------------------------------------------------------------------
# The generator.

BOUNDARY = [0, -1, 1, 2, 3, 4, 5, 2 ** 31 - 1, 2 ** 31, -2 ** 31, -2 ** 31 - 1, 2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63,
            2 ** 64 - 1, 2 ** 64, 2 ** 70, 1e308, -1e308, 5e-324, -0.0, 0.0, 1e-45, 1e-38, 1e38, 3.5e38, 1e39, 1e15,
            1e16, 0.5, -0.5, 1.5, 4096, 4097, 65536, 65537, 16384, 3600, 3601, 240, 241, 1000, 1000.0001,
            "", " ", "x", "0", "1e3", "NaN", "true", "null", "\u0000", "a\u0000b", "line\nbreak", "\r\n", "\t",
            "../../etc/passwd", "/etc/passwd", "/", ".", "..", "file:///etc/passwd", "file://", "~",
            "\u00e9\u4e2d\U0001F600", "\\", "\"", "%s%s%n", "${HOME}", "scene_root", "root", "vol",
            True, False, None, [], {}, [[]], [1], [1, 2], [1, 2, 3], [1, 2, 3, 4], [[1, 2, 3, 4]], [None, None, None],
            ["1", "2", "3"], [1e308, 1e308, 1e308], [-0.0, 0.0, -0.0], {"a": 1}, [[0.5, 0], [0.5, 1]],
            [[1, 0, 0, 1]] * 3, [[0, 0, 0]]]


class Gen:
    def __init__(self, rnd, methods, allow_programs, data_root):
        self.r = rnd
        self.methods = methods  # name -> {param: {type, required}}
        self.names = sorted(methods)
        self.allow_programs = allow_programs
        self.data_root = data_root
        self.n = 0
        # What the generator believes the scene holds; refreshed by the driver.
        self.volumes = ["vol"]
        self.nodes = {"vol": "sparse_volume", "cmap": "colormap", "props": "sparse_volume_rendering_properties"}
        self.groups = ["scene_root"]
        self.children = {"scene_root": ["props", "cmap", "vol"]}
        self.planes = 0
        self.jobs = []
        self.box = [0, 0, 0, 64, 64, 64]
        self.time = (0, 0)
        self.presets = ["viridis", "magma", "inferno", "plasma", "cool-warm", "grayscale", "supernova", "jet"]

    # -- value helpers
    def num(self, lo, hi):
        return self.r.uniform(lo, hi)

    def vec(self, n, lo=-1, hi=1):
        return [round(self.num(lo, hi), 4) for _ in range(n)]

    def word(self, k=None):
        k = k or self.r.randint(1, 12)
        return "".join(self.r.choice("abcdefghijklmnopqrstuvwxyz0123456789_-.") for _ in range(k))

    def odd_string(self):
        c = self.r.randrange(8)
        if c == 0:
            return "x" * self.r.choice([1000, 70000, 300000])
        if c == 1:
            return "".join(chr(self.r.randrange(1, 0x3000)) for _ in range(self.r.randint(1, 40)))
        if c == 2:
            return self.r.choice(["\u0000", "a\u0000", "\n", "a\nb = c", "\u2028", "\ufeff", "\u007f"])
        if c == 3:
            return self.r.choice(["../" * 20 + "etc/passwd", "/proc/self/environ", "/dev/zero", "/dev/urandom",
                                  "sub/../../", "sub/", "sub//small.nrrd", "./sub/./small.nrrd", "steps",
                                  "file:///dev/zero", "file://" + self.data_root + "/sub/small.nrrd"])
        if c == 4:
            return self.word()
        return self.r.choice([s for s in BOUNDARY if isinstance(s, str)])

    def boundary(self):
        c = self.r.randrange(10)
        if c == 0:
            return self.odd_string()
        if c == 1:  # nested arrays where numbers are expected
            v = self.r.random()
            for _ in range(self.r.choice([1, 2, 5, 60, 200])):
                v = [v]
            return v
        if c == 2:
            return [self.r.random() for _ in range(self.r.choice([0, 5, 100, 20000]))]
        return self.r.choice(BOUNDARY)

    def wrong_type(self, typ):
        options = [True, False, None, "1", "0.5", 1, 0.5, [], {}, [1, 2, 3], {"x": 1}, "[1,2,3]", -1]
        if typ == "number" or typ == "integer":
            options = [o for o in options if not (isinstance(o, (int, float)) and not isinstance(o, bool))]
        elif typ == "string":
            options = [o for o in options if not isinstance(o, str)]
        elif typ == "boolean":
            options = [o for o in options if not isinstance(o, bool)] + ["true", 0, 1]
        elif typ == "object":
            options = [o for o in options if not isinstance(o, dict)]
        elif typ.startswith("number["):
            options = [o for o in options if not isinstance(o, list)] + [[1, 2], [1, 2, 3, 4, 5], ["a", 1, 2],
                                                                         [[1, 2, 3]], [1, None, 2]]
        return self.r.choice(options)

    # -- valid params, by method
    def valid(self, m):
        r, P = self.r, {}
        vols = self.volumes or ["vol"]
        lo, hi = self.box[:3], self.box[3:]
        if m == "camera.orbit":
            P = {k: round(self.num(-720, 720), 3) for k in ("azimuth", "elevation") if r.random() < 0.7}
        elif m == "camera.pan":
            P = {k: round(self.num(-1.5, 1.5), 3) for k in ("dx", "dy") if r.random() < 0.7}
        elif m == "camera.set":
            cand = {"from": [round(self.num(-300, 300), 2) for _ in range(3)], "dir": self.vec(3),
                    "up": self.vec(3), "aperture": round(self.num(0.01, 2), 3), "focal": round(self.num(0.01, 5), 3),
                    "orthographic": r.random() < 0.3}
            P = {k: v for k, v in cand.items() if r.random() < 0.4}
        elif m == "camera.zoom":
            P = {"factor": round(self.num(0.2, 5), 3)}
        elif m == "cluster.detach":
            P = {"job": r.choice(self.jobs + [self.word(), ""])}
        elif m in ("colormap.get", "program.get", "program.remove", "volume.info"):
            P = {"volume": r.choice(vols)} if r.random() < 0.5 else {}
        elif m == "colormap.set":
            cand = {"preset": r.choice(self.presets),
                    "entries": [[round(r.random(), 3) for _ in range(4)] for _ in range(r.choice([1, 2, 4, 256, 700]))],
                    "domain": sorted(self.vec(2, -1, 2)) if r.random() < 0.8 else self.vec(2, -1, 2),
                    "boundary_mode": r.choice(["clamp_to_edge", "clamp_to_transparent"]),
                    "nan_color": None if r.random() < 0.3 else [round(r.random(), 3) for _ in range(4)],
                    "opacity_points": sorted([[round(r.random(), 3), round(r.random(), 3)]
                                              for _ in range(r.randint(0, 8))]),
                    "volume": r.choice(vols)}
            P = {k: v for k, v in cand.items() if r.random() < 0.35}
        elif m == "data.list":
            if r.random() < 0.7:
                P = {"path": r.choice([".", "sub", "steps", "", self.data_root, "file://" + self.data_root])}
        elif m == "movie.record":
            P = {"path": f"movie_{self.n}_{self.word(4)}" + r.choice([".mp4", ".mkv", ".mov", ".avi"]),
                 "frames": r.choice([2, 3]), "fps": r.choice([1, 24, 240])}
        elif m == PERF:
            if r.random() < 0.5:
                P["query_performance_key_list"] = r.random() < 0.5
            if r.random() < 0.7:
                P["query_performance_value"] = r.sample(["nb_subcubes_rendered", "frames_per_second",
                                                         "time_total_rendering", "time_total_compositing",
                                                         "nb_horizontal_spans"], r.randint(0, 5))
        elif m == INDEX + "get_scene_graph":
            if r.random() < 0.5:
                P = {"scene_graph_representation_type": "tree"}
        elif m == INDEX + "create_scene_element":
            P = self.index_create()
        elif m == INDEX + "set_scene_element":
            P = self.index_set()
        elif m == "plane.set":
            P = {"index": r.randint(0, min(self.planes, 3)),
                 "point": [round(self.num(lo[i], hi[i]), 2) for i in range(3)],
                 "normal": r.choice([[0, 0, 1], [1, 0, 0], [0, 1, 0], self.vec(3)]),
                 "up": r.choice([[0, 1, 0], [0, 0, 1], self.vec(3)]),
                 "extent": [round(self.num(1, 100), 2), round(self.num(1, 100), 2)]}
        elif m == "plane.remove":
            P = {"index": r.randint(0, max(0, self.planes - 1))}
        elif m == "program.set":
            P = {"source": PROGRAM if r.random() < 0.7 else PROGRAM.replace("0.5f", "oops")}
            if r.random() < 0.5:
                P["volume"] = r.choice(vols)
            if r.random() < 0.3:
                P["buffers"] = {str(r.randint(0, 3)): r.choice(["0.5 2i 7u", "1", "", "x"])}
        elif m == "render.set":
            cand = {"sampling_distance": round(self.num(0.25, 2), 3), "shading": r.random() < 0.5,
                    "jitter": r.random() < 0.5, "mode": r.choice(["dvr", "mip"]), "skipping": r.random() < 0.5,
                    "early_termination": r.random() < 0.5, "backend": r.choice(["auto", "cpu", "cpu", "cuda"]),
                    "width": r.choice([16, 64, 128, 200, 256]), "height": r.choice([16, 64, 128, 200, 256])}
            P = {k: v for k, v in cand.items() if r.random() < 0.3}
        elif m == "roi.set":
            a = [round(self.num(lo[i], hi[i]), 2) for i in range(3)]
            b = [round(self.num(lo[i], hi[i]), 2) for i in range(3)]
            P = {"min": [min(x, y) for x, y in zip(a, b)], "max": [max(x, y) for x, y in zip(a, b)]}
        elif m in ("scene.load", "session.load"):
            P = {"path": r.choice(["supernova.prj", "slices.prj", "two_fields.prj", "series.prj", "empty.prj",
                                   "vol_32x32x32_uint8.raw", "f_20x24x16_float32.raw", "sub/small.nrrd",
                                   "broken.prj", "outside.prj", "bad.nrrd", "short_64x64x64_uint8.raw",
                                   "file://" + self.data_root + "/supernova.prj", "nothere.prj",
                                   "../out/session_x.prj"])}
        elif m == "session.save":
            if r.random() < 0.5:
                P = {"path": f"session_{self.n}_{self.word(4)}.prj"}
        elif m == "snapshot":
            cand = {"width": r.choice([16, 64, 128, 333, 512]), "height": r.choice([16, 64, 128, 301, 512]),
                    "background": [round(r.random(), 3) for _ in range(4)],
                    "path": f"snap_{self.n}_{self.word(4)}.png"}
            P = {k: v for k, v in cand.items() if r.random() < 0.4}
        elif m == "time.play":
            P = {"playing": r.random() < 0.5}
            if r.random() < 0.5:
                P["fps"] = round(self.num(0.5, 30), 2)
        elif m == "time.set":
            P = {"step": r.randint(self.time[0] - 1, self.time[1] + 1)}
        elif m == "view.interaction":
            P = {"active": r.random() < 0.5}
        return P

    def attr_value(self, typ, key):
        r = self.r
        if key == "enabled":
            return r.choice(["true", "false", "yes", "0", "1", "maybe"])
        table = {
            "children": lambda: " ".join(r.sample(sorted(self.nodes), min(len(self.nodes), r.randint(0, 3)))),
            "generator": lambda: r.choice(["sphere", "supernova", "marschner-lobb", "nope"]),
            "size": lambda: r.choice(["8", "16", "24", "32", "16 16 16", "0", "-4", "8 9 10", "abc", "1"]),
            "bbox": lambda: r.choice(["0 0 0 16 16 16", "0 0 0 32 32 32", "5 5 5 4 4 4", "0 0 0 0 0 0", "1 2 3",
                                      "-8 -8 -8 8 8 8", "0 0 0 16 16 16", "0 0 0 6400000 6400000 6400000"]),
            "voxel_format": lambda: r.choice(["uint8", "uint16", "sint16", "float32", "int8", "float64", "bad"]),
            "importer": lambda: r.choice(["raw", "synthetic", "nrrd", "openvdb", "nanovdb",
                                          "nv::index::plugin::base_importer.Sparse_volume_importer_raw", "x"]),
            "input_directory": lambda: r.choice([self.data_root, self.data_root + "/sub", ".", "sub", "/etc"]),
            "input_file_base_name": lambda: r.choice(["vol_32x32x32_uint8", "small", "d_%02d", "nope", "../x"]),
            "input_file_extension": lambda: r.choice([".raw", ".nrrd", "", ".prj"]),
            "input_file": lambda: r.choice(["vol_32x32x32_uint8.raw", "sub/small.nrrd", "f_20x24x16_float32.raw",
                                            self.data_root + "/vol_32x32x32_uint8.raw", "/etc/passwd", "nothere.raw"]),
            "time_steps": lambda: r.choice(["0 2", "0 0", "2 0", "0 100000", "-1 1"]),
            "endian": lambda: r.choice(["little", "big", "middle"]),
            "convert_zyx_to_xyz": lambda: r.choice(["true", "false", "2"]),
            "map_type": lambda: r.choice(["data", "lookup_table", "preset", "x"]),
            "map_index": lambda: r.choice(["0", "1", "99", "-1"]),
            "domain": lambda: r.choice(["0 1", "1 0", "0 0", "-1e30 1e30", "nan 1", "0", "0 1 2"]),
            "domain_boundary_mode": lambda: r.choice(["clamp_to_edge", "clamp_to_transparent", "x"]),
            "data": lambda: r.choice(["0 0 0 0\n1 1 1 1\n", "1 1 1", "", "0 0 0 0\n" * 300, "nan nan nan nan\n"]),
            "preset": lambda: r.choice(self.presets + ["nope"]),
            "nan_color": lambda: r.choice(["1 0 0 1", "2 2 2 2", "", "1 0 0"]),
            "sampling_distance": lambda: r.choice(["0.5", "1", "0", "-1", "1e-9", "1e30", "x", "0.25", "1e-5"]),
            "sampling_distance_reference": lambda: r.choice(["1", "24", "0", "-3"]),
            "filter_mode": lambda: r.choice(["trilinear", "nearest", "cubic", "x"]),
            "direction": lambda: r.choice(["0 0 -1", "0 0 0", "1 1"]),
            "intensity": lambda: r.choice(["1", "0", "-1", "1e30"]),
            "point": lambda: r.choice(["0 0 16", "1e30 0 0", "a b c"]),
            "normal": lambda: r.choice(["0 0 1", "0 0 0", "1 0 0"]),
            "up": lambda: r.choice(["0 1 0", "0 0 1", "0 0 0"]),
            "extent": lambda: r.choice(["32 32", "0 0", "-1 5", "1e30 1e30"]),
            "target": lambda: r.choice(["volume_sample_program", "surface_sample_program", "x"]),
            "source_string": lambda: r.choice([PROGRAM, "garbage", ""]),
            "program": lambda: r.choice([PROGRAM, "garbage"]),
            "scale": lambda: r.choice(["1 1 1", "0 0 0", "2 2 2", "1e30 1 1"]),
            "rotate": lambda: r.choice(["0 0 1 45", "0 0 0 0", "1 0 0 1e30"]),
            "translate": lambda: r.choice(["1 2 3", "1e30 0 0"]),
            "transform": lambda: r.choice(["1 0 0 0 0 1 0 0 0 0 1 0 0 0 0 1", "0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0",
                                           "1 2 3"]),
            "name": lambda: self.word(),
            "unit": lambda: r.choice(["m", "kg/m^3", ""]),
            "grid": lambda: r.choice(["density", "x"]),
            "clip_region": lambda: r.choice(sorted(self.nodes) or ["x"]),
            "nb_time_steps": lambda: r.choice(["1", "3", "1000000", "-1"]),
            "input_time_step_enum_length": lambda: r.choice(["2", "0", "100"]),
            "input_time_step_enum_stride": lambda: r.choice(["1", "0", "-1"]),
            "input_time_step_enum_offset": lambda: r.choice(["0", "5", "-5"]),
            "source_file": lambda: r.choice(["nothere.cu", "/etc/passwd", "supernova.prj"]),
            "description_file": lambda: r.choice(["supernova.prj", "/etc/passwd"]),
            "size_cmap": lambda: "2",
        }
        if typ == "colormap" and key == "size":
            return r.choice(["2", "4", "0", "300", "-1"])
        if key.startswith("buffer_"):
            return r.choice(["0.5 2i 7u", "1", "x", ""])
        if typ == "rendering_kernel_program_scene_element_mapping":
            return r.choice(sorted(self.nodes) + ["nope"])
        f = table.get(key)
        return f() if f else self.word()

    ATTRS = {
        "IColormap": ("colormap", ["enabled", "map_type", "map_index", "size", "domain", "domain_boundary_mode",
                                   "data", "preset", "nan_color", "file_name", "map_name", "map_size"]),
        "ISparse_volume_scene_element": ("sparse_volume", ["importer", "generator", "size", "voxel_format", "bbox",
                                                           "input_directory", "input_file_base_name",
                                                           "input_file_extension", "input_file", "name", "endian",
                                                           "time_steps", "unit", "enabled", "clip_region",
                                                           "convert_zyx_to_xyz", "nb_time_steps", "grid"]),
        "ISparse_volume_rendering_properties": ("sparse_volume_rendering_properties",
                                                ["enabled", "sampling_distance", "sampling_distance_reference",
                                                 "filter_mode"]),
        "IDirectional_headlight": ("directional_headlight", ["enabled", "direction", "intensity"]),
        "IStatic_scene_group": ("static_scene_group", ["enabled", "children"]),
        "IVolume_sample_program": ("rendering_kernel_program", ["enabled", "target", "source_string", "program",
                                                                "source_file"]),
        "ISurface_sample_program": ("rendering_kernel_program", ["enabled", "source_string"]),
        "IRendering_kernel_program_parameters": ("rendering_kernel_program_parameters",
                                                 ["enabled", "buffer_0", "buffer_1", "buffer_99", "buffer_x"]),
        "IRendering_kernel_program_scene_element_mapping": ("rendering_kernel_program_scene_element_mapping",
                                                            ["enabled", "1", "slot_2", "99", "slot_x"]),
        "IClip_region": ("clip_region", ["enabled", "bbox"]),
        "IPlane": ("plane", ["enabled", "point", "normal", "up", "extent"]),
    }

    def volume_args(self):
        r = self.r
        c = r.randrange(5)
        if c == 0:
            return {"importer": "synthetic", "generator": r.choice(["sphere", "supernova", "marschner-lobb"]),
                    "size": r.choice(["8", "16", "24", "32"])}
        if c == 1:
            return {"input_file": r.choice(["vol_32x32x32_uint8.raw", "sub/small.nrrd", "f_20x24x16_float32.raw"])}
        if c == 2:
            return {"importer": "raw", "input_directory": self.data_root, "input_file_base_name": "vol_32x32x32_uint8",
                    "input_file_extension": ".raw", "voxel_format": "uint8", "bbox": "0 0 0 32 32 32"}
        if c == 3:
            return {"importer": "raw", "input_directory": self.data_root + "/steps", "input_file_base_name": "d_%02d",
                    "input_file_extension": ".raw", "voxel_format": "uint8", "bbox": "0 0 0 16 16 16",
                    "time_steps": "0 2"}
        return {"generator": "sphere", "size": "16", "bbox": "0 0 0 16 16 16"}

    def index_create(self):
        r = self.r
        cls = r.choice(sorted(self.ATTRS) + ["INope", "", "ISparse_volume_scene_element"])
        typ, keys = self.ATTRS.get(cls, ("x", ["enabled", "x"]))
        if cls == "ISparse_volume_scene_element" and r.random() < 0.7:
            args = self.volume_args()
        elif cls == "IColormap" and r.random() < 0.5:
            args = {"preset": r.choice(self.presets), "domain": "0 1"}
        elif cls in ("IVolume_sample_program", "ISurface_sample_program") and r.random() < 0.5:
            args = {"source_string": PROGRAM}
        else:
            args = {k: self.attr_value(typ, k) for k in r.sample(keys, r.randint(0, min(4, len(keys))))}
        new_id = self.word() if r.random() < 0.8 else r.choice(["vol", "scene_root", "", "a" * 129, "bad id", "x/y",
                                                                 "a" * 128, "..", "-"])
        return {"parent_group_id": r.choice(self.groups + ["scene_root", "root", "nothere", "vol"]),
                "new_scene_element_id": new_id, "class_name": cls, "args": args}

    def index_set(self):
        r = self.r
        ids = sorted(self.nodes)
        c = r.randrange(6)
        if c == 0 and self.children:
            parent = r.choice(sorted(self.children))
            kids = self.children[parent]
            return {"id": parent, "args": {"remove.id": r.choice(kids + ["nothere"]) if kids else "x"}}
        node = r.choice(ids + ["scene_root", "nothere"]) if ids else "scene_root"
        typ = self.nodes.get(node, "x")
        keys = next((k for t, k in self.ATTRS.values() if t == typ), ["enabled"])
        if c == 1:
            return {"id": node, "args": {"enabled": r.choice(["true", "false"])}}
        if c == 2 and typ == "static_scene_group":  # cycles and re-parenting
            return {"id": node, "args": {"children": " ".join(r.sample(ids + [node], min(len(ids) + 1, 3)))}}
        args = {k: self.attr_value(typ, k) for k in r.sample(keys, r.randint(1, min(3, len(keys))))}
        return {"id": node, "args": args}

    # -- one message: (text, kind, method)
    def call_obj(self, method, params, rid=True):
        o = {"jsonrpc": "2.0", "method": method}
        if params is not None:
            o["params"] = params
        if rid:
            o["id"] = self.next_id()
        return o

    def next_id(self):
        self.n += 1
        r = self.r.random()
        if r < 0.75:
            return self.n
        if r < 0.9:
            return f"id-{self.n}"
        return self.r.choice([0, -1, -2 ** 63, 2 ** 63 - 1, 2 ** 64 - 1, "", "\u0000", "\U0001F600", None,
                              f"x{self.n}" * 50])

    def pick_method(self):
        m = self.r.choice(self.names)
        if m == "program.set" and not self.allow_programs and self.r.random() < 0.8:
            m = "program.get"
        return m

    def cap(self, m, P):
        """Keeps a call from legitimately running for minutes (a few single calls excepted)."""
        if not isinstance(P, dict):
            return P
        if m == "movie.record" and isinstance(P.get("frames"), (int, float)) and not isinstance(P["frames"], bool) \
                and 3 < P["frames"] <= 3600:
            P["frames"] = 3
        if m == "snapshot":
            for k in ("width", "height"):
                if isinstance(P.get(k), (int, float)) and not isinstance(P[k], bool) and 512 < P[k] <= 4096 and \
                        self.r.random() < 0.95:
                    P[k] = 512
        if m == "render.set":
            for k in ("width", "height"):
                if isinstance(P.get(k), (int, float)) and not isinstance(P[k], bool) and 512 < P[k] <= 4096:
                    P[k] = 512
            sd = P.get("sampling_distance")
            if isinstance(sd, (int, float)) and not isinstance(sd, bool) and 0 < sd < 0.05 and self.r.random() < 0.97:
                P["sampling_distance"] = 0.05
        return P

    def params_for(self, m):
        """(params, kind)."""
        r = self.r
        spec = self.methods[m]
        P = self.valid(m)
        kind = r.choices(["valid", "boundary", "wrong_type", "missing", "extra", "array", "null", "none"],
                         [40, 20, 12, 6, 6, 5, 2, 3])[0]
        names = sorted(spec)
        if kind == "boundary" and names:
            k = r.choice(names)
            P[k] = self.boundary()
            if m.startswith("nv::index::") and k == "args" and r.random() < 0.5:
                P[k] = {self.r.choice(["enabled", "remove.id", "size", "x", "", "a\u0000"]): self.boundary()}
        elif kind == "wrong_type" and names:
            k = r.choice(names)
            P[k] = self.wrong_type(spec[k]["type"])
        elif kind == "missing":
            req = [k for k in names if spec[k]["required"]]
            for k in (r.sample(req, r.randint(1, len(req))) if req else []):
                P.pop(k, None)
        elif kind == "extra":
            P[r.choice(["extra", "x", "", "params", "id", "azimth", "Volume", "__proto__", "volume "])] = r.random()
        elif kind == "array":
            P = list(P.values()) if r.random() < 0.7 else [P]
        elif kind == "null":
            P = None
        elif kind == "none":
            return "__absent__", kind
        return self.cap(m, P), kind

    def message(self):
        """(text, kind, methods): one WebSocket text message."""
        r = self.r
        c = r.choices(["call", "note", "batch", "raw", "id", "index", "unknown", "envelope"],
                      [55, 5, 7, 8, 5, 12, 3, 5])[0]
        if c in ("call", "note", "index"):
            m = self.pick_method() if c != "index" else r.choice(
                [INDEX + "create_scene_element", INDEX + "set_scene_element", INDEX + "get_scene_graph", PERF])
            P, kind = self.params_for(m)
            o = self.call_obj(m, None if P == "__absent__" else P, rid=c != "note")
            if P is None:
                o["params"] = None  # params: null (-32600) vs no params
            return json.dumps(o), f"{c}:{kind}", [m]
        if c == "batch":
            calls, ms = [], []
            for _ in range(r.choice([1, 2, 3, 5, 8, 20, 101])):
                x = r.random()
                if x < 0.08:
                    calls.append(r.choice([1, "x", None, [], {}, [1, 2]]))
                    continue
                m = self.pick_method() if x < 0.9 else r.choice(["nope", "rpc.nope", ""])
                if m in ("movie.record", "snapshot", "scene.load", "session.load") and r.random() < 0.7:
                    m = "camera.get"
                P, _ = self.params_for(m) if m in self.methods else ({}, "")
                calls.append(self.call_obj(m, None if P == "__absent__" else P, rid=r.random() < 0.75))
                ms.append(m)
            if r.random() < 0.05:
                calls = []
            return json.dumps(calls), "batch", ms
        if c == "raw":
            return self.raw_mutation()
        if c == "id":
            idv = r.choice([1.5, 1e400, 1.0, True, False, {}, [], [1], "x", None, 2 ** 64, 2 ** 63, -2 ** 63 - 1,
                            -0.0, 1e3, 0])
            m = self.pick_method() if r.random() < 0.3 else "camera.get"
            o = {"jsonrpc": "2.0", "method": m, "params": self.cap(m, self.valid(m))}
            text = json.dumps(o)[:-1] + ', "id": ' + (json.dumps(idv) if idv != 1e400 else "1e400") + "}"
            return text, "id", [m]
        if c == "unknown":
            m = r.choice(["", " ", "camera.GET", "camera.get ", "Camera.get", "rpc.discover.x", "rpc.", "rpc.x",
                          "nv::index::", INDEX, INDEX + "nope", "nv::index::app::perflab.", "camera", "camera.",
                          "a\u0000b", "camera.get\u0000", "\U0001F600", "x" * 5000, "__proto__", "constructor",
                          "toString", "hasOwnProperty"])
            return json.dumps(self.call_obj(m, {})), "unknown", [m]
        # envelope: the request object's own members
        m = self.pick_method()
        o = self.call_obj(m, self.cap(m, self.valid(m)))
        e = r.randrange(9)
        if e == 0:
            o["jsonrpc"] = r.choice(["1.0", "2", 2.0, 2, None, "2.0 ", ""])
        elif e == 1:
            del o["jsonrpc"]
        elif e == 2:
            o["method"] = r.choice([1, None, [], {}, True])
        elif e == 3:
            del o["method"]
        elif e == 4:
            o["params"] = r.choice([1, "x", True, 0.5])
        elif e == 5:
            o["extra"] = 1
        elif e == 6:
            o["result"] = 1
        elif e == 7:
            o = [o]
        else:
            o["error"] = {"code": 1}
        return json.dumps(o), "envelope", [m]

    def raw_mutation(self):
        r = self.r
        m = self.pick_method()
        P = self.cap(m, self.valid(m))
        o = self.call_obj(m, P)
        text = json.dumps(o)
        e = r.randrange(16)
        if e == 0:  # a bare NaN/Infinity where a number goes
            tok = r.choice(["NaN", "Infinity", "-Infinity", "nan", "inf"])
            text = re.sub(r"(?<=[\[:, ])-?\d+(\.\d+)?(e[-+]?\d+)?(?=[,\]}])", tok, text, count=1) \
                if re.search(r"[\[:, ]-?\d", text) else text[:-1] + ', "p": ' + tok + "}"
        elif e == 1:
            text = text[: r.randrange(len(text))]
        elif e == 2:
            i = r.randrange(len(text))
            text = text[:i] + text[i + 1:]
        elif e == 3:
            text = text + r.choice([" ", "\n", "x", "{}", ",", "]", "\u0000"])
        elif e == 4:
            text = "\ufeff" + text
        elif e == 5:  # duplicate keys
            text = text[:-1] + ', "method": "camera.get"}' if r.random() < 0.5 else text[:-1] + ', "id": "dup"}'
        elif e == 6:  # big numbers as literals
            tok = r.choice(["1e400", "-1e400", "1e308", "123456789012345678901234567890", "-0", "-0.0", "0e0",
                            "1E+2", "4.9e-324", "2e-400", "18446744073709551616", "-9223372036854775809"])
            text = re.sub(r"(?<=[\[:, ])-?\d+(\.\d+)?(e[-+]?\d+)?(?=[,\]}])", tok, text, count=1) \
                if re.search(r"[\[:, ]-?\d", text) else text
        elif e == 7:  # deep nesting
            d = r.choice([100, 127, 128, 129, 256, 1000, 100000])
            text = text[:-1] + ', "deep": ' + "[" * d + "]" * d + "}"
        elif e == 8:
            text = r.choice(["", " ", "null", "1", "\"x\"", "true", "[]", "{}", "[[]]", "[{}]", "[1,2]", "{\"a\"}",
                             "[" * 5000, "{" * 5000, "\"" + "\\" * 3, "\"\\ud800\"", "{\"jsonrpc\":\"2.0\"}"])
        elif e == 9:  # lone surrogate / odd escapes in a string
            text = text.replace('"2.0"', '"2.0"', 1)[:-1] + ', "s": "' + r.choice(["\\ud800", "\\udfff", "\\u0000",
                                                                                    "\\x41", "\\'", "\\/"]) + '"}'
        elif e == 10:  # over the size limit
            text = text[:-1] + ', "pad": "' + "x" * r.choice([1024 * 1024, 1024 * 1024 + 10, 2 * 1024 * 1024]) + '"}'
        elif e == 11:  # comments, single quotes
            text = r.choice(["/*c*/", "// c\n", ""]) + text.replace('"', "'", r.choice([0, 2]))
        elif e == 12:  # a control character inside a string
            text = text.replace('"2.0"', '"2.0\u0001"', 1) if r.random() < 0.5 else text.replace('"method": "',
                                                                                                 '"method": "\t', 1)
        elif e == 13:  # a wide batch
            text = json.dumps(self.call_obj(self.r.choice(["camera.get", "render.get", "nope", "roi.set"]), {}))
            text = "[" + ",".join([text] * r.choice([99, 100, 101, 1000])) + "]"
        elif e == 14:  # many members
            text = text[:-1] + "," + ",".join(f'"k{i}": {i}' for i in range(r.choice([10, 5000]))) + "}"
        else:  # whitespace everywhere
            text = " \t\r\n".join(text.split(" ")) + "\r\n"
        return text, "raw", [m]


# --------------------------------------------------------------------------------------------
# Targeted messages: each once, before the random ones, each followed by a health check. They are
# the reproducers of what this fuzzer found; a fixed server refuses them or keeps rendering.

TARGETED = [
    # nlohmann's parser took a NUL byte for the end of the message: the call before it ran.
    ("nul", '{"jsonrpc":"2.0","id":"t-nul","method":"camera.get"}\u0000garbage'),
    # The samples-per-ray limit (--max-samples-per-ray) held for render.set but not for scene edits:
    # each of these left a frame that never ended.
    ("props sampling_distance 1e-6",
     json.dumps({"jsonrpc": "2.0", "id": "t-sd", "method": INDEX + "set_scene_element",
                 "params": {"id": "props", "args": {"sampling_distance": "1e-6"}}})),
    ("volume bbox stretched 1e5 times",
     json.dumps({"jsonrpc": "2.0", "id": "t-bbox", "method": INDEX + "set_scene_element",
                 "params": {"id": "vol", "args": {"bbox": "0 0 0 6400000 6400000 6400000"}}})),
    # A volume no rank can hold was taken, and every frame then failed with session.frame_failed (or,
    # under overcommit, the OOM killer ended a rank): now refused by the ranks' memory (-32602).
    ("volume of 65536^3 voxels",
     json.dumps({"jsonrpc": "2.0", "id": "t-huge", "method": INDEX + "set_scene_element",
                 "params": {"id": "vol", "args": {"size": "65536"}}})),
    # A volume of fewer voxels than ranks could not be split: every frame failed "use fewer ranks".
    # Now the ranks beyond the voxels render nothing; the second message gives the volume back.
    ("volume of one voxel",
     json.dumps({"jsonrpc": "2.0", "id": "t-one", "method": INDEX + "set_scene_element",
                 "params": {"id": "vol", "args": {"size": "1"}}})),
    ("volume of 32^3 voxels again",
     json.dumps({"jsonrpc": "2.0", "id": "t-back", "method": INDEX + "set_scene_element",
                 "params": {"id": "vol", "args": {"size": "32 32 32"}}})),
]


# --------------------------------------------------------------------------------------------
# The driver.

class Viewer:
    """One viewer job (launch_viewer.py via harness.running_viewer), restartable; with attach_ranks, a
    second job (index-slurm -a) attached to its session."""

    def __init__(self, viewer, ranks, args, attach_ranks=0):
        self.viewer, self.ranks, self.args = viewer, ranks, args
        self.attach_ranks = attach_ranks
        self.stack = None
        self.lines = []
        self.seen = 0
        self.starts = 0
        self.job = None
        self.attaches = 0
        self.runtime = tempfile.mkdtemp(prefix="fuzz-runtime-")

    def start(self):
        self.stack = contextlib.ExitStack()
        self.lines = []
        self.seen = 0
        os.environ["LIBINDEX_RUNTIME_DIR"] = self.runtime  # the launcher passes it on; so does attach()
        self.proc, self.port, self.tail = self.stack.enter_context(
            running_viewer(self.viewer, self.args, ranks=self.ranks, timeout=120, lines=self.lines))
        self.url = f"ws://127.0.0.1:{self.port}"
        self.starts += 1
        self.pids = viewer_pids(self.proc.pid)
        m = re.search(r"\[viewer\] session (\S+): record", "".join(self.tail))
        self.session_id = m.group(1) if m else None
        if self.attach_ranks:
            self.attach()

    def attach(self):
        """Starts a job of attach_ranks ranks that joins this session (as index-slurm -a does)."""
        import subprocess, threading
        self.detach_job()
        tool = os.path.join(os.path.dirname(self.viewer), "index-slurm")
        env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
                   OMPI_MCA_rmaps_base_oversubscribe="1", LIBINDEX_RUNTIME_DIR=self.runtime)
        job = subprocess.Popen(["mpirun", "-np", str(self.attach_ranks), "--oversubscribe", tool, "-a",
                                self.session_id, self.viewer], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, errors="replace", start_new_session=True)
        self.job, self.job_lines = job, []
        ready = threading.Event()

        def drain():
            for line in job.stdout:
                self.job_lines.append(line)
                if "attached to the session" in line:
                    ready.set()
            ready.set()

        threading.Thread(target=drain, daemon=True).start()
        ready.wait(120)
        self.attaches += 1
        return job.poll() is None

    def detach_job(self):
        import signal
        if self.job is None:
            return
        for pid in viewer_pids(self.job.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if self.job.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.job.pid, signal.SIGKILL)
        self.job.wait()
        self.job = None

    def stop(self):
        self.detach_job()
        if self.stack:
            self.stack.close()
            self.stack = None
        return self.proc.returncode

    def alive(self):
        if self.proc.poll() is not None:
            return False, f"the job ended (launcher status {self.proc.returncode})"
        gone = [p for p in self.pids if not os.path.exists(f"/proc/{p}")]
        if gone:
            return False, f"viewer pids {gone} are gone"
        zombies = []
        for p in self.pids:
            try:
                with open(f"/proc/{p}/stat") as f:
                    if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                        zombies.append(p)
            except OSError:
                zombies.append(p)
        if zombies:
            return False, f"viewer pids {zombies} are zombies"
        return True, ""

    def new_lines(self):
        out = self.lines[self.seen:]
        self.seen += len(out)
        return out


class BadReply(Exception):
    pass


class Conn:
    """A raw command socket: sends text, reads replies and server notifications."""

    def __init__(self, url, timeout):
        self.ws = websocket.create_connection(url + "/index_command_client?notify=1", timeout=timeout,
                                              enable_multithread=True)
        self.notes = collections.Counter()
        self.failed_frames = []

    def recv(self, timeout):
        """The next message that is not a server notification, parsed; raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            self.ws.settimeout(min(left, 5))
            try:
                # control_frame: the server pings idle sockets; without it recv_data() answers them and
                # reads on, and a timeout would never expire while pings keep coming.
                op, data = self.ws.recv_data(control_frame=True)
            except websocket.WebSocketTimeoutException:
                continue
            if op == websocket.ABNF.OPCODE_CLOSE:
                raise ConnectionError(f"server closed the socket ({int.from_bytes(data[:2], 'big') if data else ''})")
            if op != websocket.ABNF.OPCODE_TEXT:
                continue
            text = data.decode("utf-8")
            try:
                msg = strict_loads(text)
            except Unparsable:
                raise BadReply(text) from None
            if isinstance(msg, dict) and "method" in msg and "id" not in msg:
                self.notes[msg["method"]] += 1
                if msg["method"] == "session.frame_failed":
                    self.failed_frames.append(msg.get("params"))
                continue
            return msg, text

    def close(self):
        with contextlib.suppress(Exception):
            self.ws.close()


def read_frame(video, deadline, after=None):
    """The next video frame (numbered above `after`) before `deadline` (time.monotonic()); TimeoutError."""
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("no video frame" + (f" after frame {after}" if after is not None else ""))
        video.settimeout(min(left, 5))
        try:
            op, data = video.recv_data(control_frame=True)
        except websocket.WebSocketTimeoutException:
            continue
        if op == websocket.ABNF.OPCODE_CLOSE:
            raise ConnectionError("the video socket closed")
        if op != websocket.ABNF.OPCODE_BINARY:
            continue
        f = parse_frame(data)
        if after is None or f.frame > after:
            return f


def describe_methods(discovered):
    out = {}
    for m in discovered["methods"]:
        out[m["name"]] = {p["name"]: {"type": p.get("schema", {}).get("type", "any"), "required": p["required"]}
                          for p in m["params"]}
    return out


class Run:
    def __init__(self, a, ranks, seed, check, log):
        self.a, self.ranks, self.seed, self.check, self.log = a, ranks, seed, check, log
        self.tag = f"[{ranks} rank{'s' if ranks > 1 else ''}, seed {seed}]"
        self.codes = collections.Counter()
        self.codes_by_method = collections.defaultdict(collections.Counter)
        self.ok_methods = collections.Counter()
        self.err_msgs = collections.defaultdict(collections.Counter)
        self.kinds = collections.Counter()
        self.problems = []
        self.history = collections.deque(maxlen=60)
        self.sent = 0
        self.restarts = 0
        self.odd_lines = []
        self.slow = []
        self.signatures = collections.Counter()
        self.reattached = 0

    def problem(self, what, text=None):
        """Each kind of problem is a FAIL line once (the first message that showed it); later ones count."""
        sig = re.sub(r"-?\d+(\.\d+)?(e[-+]?\d+)?", "N", re.sub(r"'[^']*'", "'S'", what))[:120]
        self.signatures[sig] += 1
        self.problems.append({"what": what, "text": (text or "")[:3000], "n": self.sent, "sig": sig})
        if self.signatures[sig] > 1:
            print(f"     {self.tag} #{self.sent} again: {what[:200]}", flush=True)
            return
        self.check(False, f"{self.tag} #{self.sent} {what} :: {(text or '')[:600]}")
        if self.log:
            with open(os.path.join(self.log, f"problem_r{self.ranks}_s{self.seed}_{len(self.problems)}.json"),
                      "w") as f:
                json.dump({"what": what, "text": text, "recent": list(self.history),
                           "viewer_tail": list(self.viewer.lines[-80:])}, f, indent=1)

    def scan_lines(self):
        for line in self.viewer.new_lines():
            s = line.rstrip("\n")
            if ROUTINE.search(s):
                continue
            self.odd_lines.append((self.sent, s))
            if SUSPICIOUS.search(s):
                self.problem(f"viewer printed: {s[:300]}", self.history[-1]["text"] if self.history else "")

    def connect(self):
        self.conn = Conn(self.viewer.url, self.a.hang_s)

    def restart(self, why):
        self.restarts += 1
        with contextlib.suppress(Exception):
            self.conn.close()
        status = self.viewer.stop()
        self.scan_lines()
        print(f"     {self.tag} restarting the viewer ({why}); launcher exit status {status}", flush=True)
        self.viewer.start()
        self.connect()

    def refresh(self, gen):
        """What the scene holds now, for the generator (these calls count as messages too)."""
        c = self.conn
        try:
            info = self.plain("scene.info")
            graph = self.plain(INDEX + "get_scene_graph")
            planes = self.plain("plane.list")
            status = self.plain("cluster.status")
        except Exception:  # noqa: BLE001 - the next message finds out
            return
        if isinstance(info, dict):
            gen.volumes = [v["id"] for v in info.get("volumes", [])] + [v["id"] for v in info.get("hidden_volumes", [])]
            if info.get("volumes"):
                gen.box = info["volumes"][0]["box"]
            t = info.get("time") or {}
            gen.time = (t.get("first", 0), t.get("last", 0))
        if isinstance(graph, dict):
            nodes, groups, children = {}, ["scene_root"], {}

            def walk(n):
                kids = [k["id"] for k in n.get("children", [])]
                if n["id"] != "scene_root":
                    nodes[n["id"]] = n.get("type", "?")
                if n.get("type") in ("static_scene_group", "transformed_scene_group") or n["id"] == "scene_root":
                    children[n["id"]] = kids
                    if n["id"] not in groups:
                        groups.append(n["id"])
                for k in n.get("children", []):
                    if k["id"] not in nodes:
                        walk(k)

            walk(graph.get("tree", {"id": "scene_root"}))
            gen.nodes, gen.groups, gen.children = nodes, groups, children
        if isinstance(planes, dict):
            gen.planes = len(planes.get("planes", []))
        if isinstance(status, dict):
            gen.jobs = [j["id"] for j in status.get("jobs", [])]
            if self.viewer.attach_ranks and len(gen.jobs) < 2:
                code = self.viewer.job.poll() if self.viewer.job else None
                print(f"     {self.tag} #{self.sent} the attached job left (exit {code}); attaching again",
                      flush=True)
                self.reattached += 1
                self.viewer.attach()
        del c

    def plain(self, method, params=None):
        text = json.dumps({"jsonrpc": "2.0", "id": f"probe-{self.sent}", "method": method, "params": params or {}})
        r = self.exchange(text, "probe", [method])
        if isinstance(r, dict) and "result" in r:
            return r["result"]
        return None

    def exchange(self, text, kind, methods):
        """Sends one message, checks what comes back; returns the reply (or None)."""
        self.sent += 1
        self.kinds[kind.split(":")[0]] += 1
        entry = {"n": self.sent, "kind": kind, "text": text if len(text) < 4000 else text[:4000] + "...(cut)",
                 "bytes": len(text)}
        self.history.append(entry)
        if self.log:
            self.logf.write(json.dumps(entry) + "\n")
        expect = expectation(text)
        t0 = time.monotonic()
        try:
            self.conn.ws.send(text)
            if expect[0] == "none":
                sentinel = f"sentinel-{self.sent}"
                self.conn.ws.send(json.dumps({"jsonrpc": "2.0", "id": sentinel, "method": "camera.get"}))
                msg, raw = self.conn.recv(self.a.hang_s)
                if not (isinstance(msg, dict) and msg.get("id") == sentinel):
                    self.problem("a reply to a message that needs none (notification)", text + "\n<- " + raw[:1500])
                    msg, raw = self.conn.recv(self.a.hang_s)
                entry["reply"] = "(none)"
                return None
            msg, raw = self.conn.recv(self.a.hang_s)
        except BadReply as e:
            self.problem("a reply that is not JSON", text + "\n<- " + str(e)[:1500])
            return None
        except TimeoutError:
            self.problem(f"no reply within {self.a.hang_s} s", text)
            ok, why = self.viewer.alive()
            self.restart(why or "hang")
            return None
        except (ConnectionError, websocket.WebSocketException, OSError) as e:
            self.scan_lines()
            ok, why = self.viewer.alive()
            if ok:
                # The server may close a socket by design (non-UTF-8 text, ...): not here, we send UTF-8.
                self.problem(f"the command socket closed: {e!r}", text)
                self.connect()
            else:
                self.problem(f"the viewer died: {why}", text)
                self.restart(why)
            return None
        dt = time.monotonic() - t0
        if dt > 10:
            self.slow.append((round(dt, 1), text[:200]))
        entry["reply"] = raw[:600]
        entry["ms"] = round(dt * 1000)
        self.check_reply(text, expect, msg, raw, methods)
        return msg

    def note_reply(self, r, method):
        if not isinstance(r, dict):
            return
        if "error" in r and isinstance(r["error"], dict):
            code = r["error"].get("code")
            self.codes[code] += 1
            self.codes_by_method[method][code] += 1
            msg = str(r["error"].get("message"))
            self.err_msgs[method][re.sub(r"\d+", "N", msg)[:160]] += 1
            if code not in ALLOWED_CODES:
                pass  # reply_problems reports it
            if "json.exception" in msg or "basic_string" in msg or "std::" in msg or "vector" in msg:
                self.problem(f"library exception text leaks in an error of {method}: {msg[:200]}",
                             self.history[-1]["text"])
        elif "result" in r:
            self.codes["ok"] += 1
            self.codes_by_method[method]["ok"] += 1
            self.ok_methods[method] += 1

    def check_reply(self, text, expect, msg, raw, methods):
        if expect[0] == "one" and expect[2] == "parse" and "\x00" in text and isinstance(msg, dict) and \
                "result" in msg or (isinstance(msg, dict) and msg.get("error", {}).get("code") not in (-32700, -32600)
                                    and expect[0] == "one" and expect[2] == "parse" and "\x00" in text):
            cut = expectation(text[:text.index("\x00")])
            if cut[0] == "one" and same_id(msg.get("id"), cut[1]):
                self.problem("a NUL character ends the message: the invalid text after it is ignored and the call "
                             "before it runs (expected -32700)", text + "\n<- " + raw[:600])
                self.note_reply(msg, methods[0] if methods else "(envelope)")
                return
        if expect[0] == "one":
            probs = reply_problems(msg)
            if isinstance(msg, dict) and "id" in msg and not same_id(msg["id"], expect[1]):
                probs.append(f"id {msg['id']!r} does not match {expect[1]!r}")
            if expect[2] in ("parse", "batch") and isinstance(msg, dict) and "error" in msg and \
                    msg["error"].get("code") not in (-32700, -32600):
                probs.append("unparsable text/empty or oversized batch not answered with -32700/-32600")
            if expect[2] in ("parse", "batch") and isinstance(msg, dict) and "result" in msg:
                probs.append("unparsable text answered with a result")
            method = methods[0] if methods and expect[2] == "call" else "(envelope)"
            if isinstance(msg, dict) and msg.get("error", {}).get("code") in (-32700, -32600):
                method = "(envelope)"
            self.note_reply(msg, method)
            if probs:
                self.problem("; ".join(probs), text + "\n<- " + raw[:1500])
            return
        # a batch
        if not isinstance(msg, list):
            self.problem(f"a batch answered with a {type(msg).__name__}", text + "\n<- " + raw[:1500])
            self.note_reply(msg, "(batch)")
            return
        probs = []
        got = [r.get("id") if isinstance(r, dict) else object() for r in msg]
        want = list(expect[1])
        if len(got) != len(want) or any(not same_id(g, w) for g, w in zip(got, want)):
            probs.append(f"batch reply ids {got[:30]} != expected {want[:30]}")
        for i, r in enumerate(msg):
            probs += [f"[{i}] {p}" for p in reply_problems(r)]
        try:
            calls = strict_loads(text)
            by_id = {json.dumps(c.get("id")): c.get("method") for c in calls if isinstance(c, dict) and "id" in c}
        except Exception:  # noqa: BLE001
            by_id = {}
        for r in msg:
            m = by_id.get(json.dumps(r.get("id")) if isinstance(r, dict) else "", "(batch)")
            if isinstance(r, dict) and r.get("error", {}).get("code") in (-32600,):
                m = "(envelope)"
            self.note_reply(r, m if isinstance(m, str) else "(batch)")
        if probs:
            self.problem("; ".join(probs[:6]), text + "\n<- " + raw[:1500])

    def health(self, hang_s=None):
        """The viewer lives, a fresh client's camera.get is answered, its video socket gets a frame, and
        after a change (camera.orbit by 0) a newer frame: all within --hang-s."""
        self.scan_lines()
        ok, why = self.viewer.alive()
        if not ok:
            self.problem(f"the viewer died: {why}", self.history[-1]["text"] if self.history else "")
            self.restart(why)
            return
        hang_s = hang_s or self.a.hang_s
        t0 = time.monotonic()
        step = "connect"
        fresh = None
        try:
            fresh = Conn(self.viewer.url, hang_s)
            video = websocket.create_connection(self.viewer.url + "/index_video_client", timeout=10)
            try:
                step = "camera.get"
                fresh.ws.send(json.dumps({"jsonrpc": "2.0", "id": "health-1", "method": "camera.get"}))
                r, _ = fresh.recv(hang_s)
                if "result" not in r:
                    raise RuntimeError(f"camera.get answered {r}")
                step = "first frame"
                first = read_frame(video, t0 + hang_s)
                step = "camera.orbit"
                fresh.ws.send(json.dumps({"jsonrpc": "2.0", "id": "health-2", "method": "camera.orbit",
                                          "params": {"azimuth": 0.0}}))
                r, _ = fresh.recv(max(1.0, t0 + hang_s - time.monotonic()))
                step = "a newer frame after a change"
                frame = read_frame(video, t0 + hang_s, after=first.frame)
                if frame.width <= 0 or frame.height <= 0:
                    raise RuntimeError(f"frame of {frame.width}x{frame.height}")
            finally:
                fresh.close()  # its failed_frames stay readable
                with contextlib.suppress(Exception):
                    video.close(timeout=1)
        except Exception as e:  # noqa: BLE001
            why = self.diagnose(fresh)
            self.problem(f"health check failed at '{step}' after {time.monotonic() - t0:.1f} s ({why}): {e!r}",
                         "\n".join(h["text"][:1000] for h in list(self.history)[-5:]))
            ok, dead = self.viewer.alive()
            if ok and why.startswith("frames fail"):
                self.recover()
            else:
                self.restart(dead or f"health check failed at {step}")
            return
        self.healthy += 1

    def diagnose(self, fresh):
        """Why no new frame came: a frame that never ends, or frames that fail (session.frame_failed)."""
        try:
            c = Conn(self.viewer.url, 10)
            c.ws.send(json.dumps({"jsonrpc": "2.0", "id": "diag", "method": "session.stats"}))
            st, _ = c.recv(10)
            c.close()
            in_progress = st.get("result", {}).get("frame_in_progress")
        except Exception as e:  # noqa: BLE001
            return f"session.stats failed too: {e!r}"
        with contextlib.suppress(Exception):  # reads the notices the main socket has waiting
            self.conn.ws.send(json.dumps({"jsonrpc": "2.0", "id": "diag-2", "method": "camera.get"}))
            self.conn.recv(10)
        failed = (fresh.failed_frames if fresh else []) + self.conn.failed_frames[-1:]
        if in_progress:
            return "a frame has been in progress all that time"
        if failed:
            return f"frames fail: {str(failed[-1])[:200]}"
        return "no frame in progress, none failed"

    def recover(self):
        """A scene that cannot render (frames fail): load a good one and go on."""
        self.exchange(json.dumps({"jsonrpc": "2.0", "id": "recover", "method": "scene.load",
                                  "params": {"path": "supernova.prj"}}), "probe", ["scene.load"])

    def reset_view(self):
        """Back to a cheap view now and then, so that the frames stay quick."""
        for text in (json.dumps({"jsonrpc": "2.0", "id": "reset-1", "method": "render.set",
                                 "params": {"sampling_distance": 0.5, "width": 128, "height": 128}}),
                     json.dumps({"jsonrpc": "2.0", "id": "reset-2", "method": "view.interaction",
                                 "params": {"active": False}})):
            self.exchange(text, "probe", ["render.set"])

    def go(self):
        a = self.a
        work = tempfile.mkdtemp(prefix="method_fuzz-")
        data, out = os.path.join(work, "data"), os.path.join(work, "out")
        os.makedirs(out)
        write_data_root(data)
        args = ["--synthetic", "sphere", "--size", "64", "--data-root", data, "--data-root", out,
                "--output-root", out, "-index::canvas_resolution", "128 128"]
        if a.allow_programs:
            args.append("--allow-programs")
        self.viewer = Viewer(a.viewer, self.ranks, args, attach_ranks=a.attach_ranks)
        self.logf = open(os.path.join(self.log, f"messages_r{self.ranks}_s{self.seed}.jsonl"), "w") if self.log \
            else None
        self.healthy = 0
        t_start = time.monotonic()
        self.viewer.start()
        try:
            self.connect()
            d = self.conn
            d.ws.send(json.dumps({"jsonrpc": "2.0", "id": 0, "method": "rpc.discover"}))
            discovered, _ = d.recv(a.hang_s)
            methods = describe_methods(discovered["result"])
            self.methods_seen = sorted(methods)
            gen = Gen(random.Random(self.seed), methods, a.allow_programs, data)
            if a.targeted:
                for name, text in TARGETED:
                    before = len(self.problems)
                    self.exchange(text, "targeted", ["(targeted)"])
                    self.health(min(self.a.hang_s, 20))
                    if len(self.problems) == before:
                        self.check(True, f"{self.tag} targeted '{name}': answered, and the viewer still renders")
                    else:
                        print(f"     {self.tag} targeted '{name}': see the FAIL above", flush=True)
            self.refresh(gen)
            i = 0
            while i < a.count:
                text, kind, ms = gen.message()
                self.exchange(text, kind, ms)
                i += 1
                if i % 10 == 0:
                    self.refresh(gen)
                if i % 97 == 0:
                    self.reset_view()
                if i % a.check_every == 0:
                    self.health()
            self.health()
            self.conn.close()
        finally:
            status = self.viewer.stop()
            self.scan_lines()
            if self.logf:
                self.logf.close()
            shutil.rmtree(work, ignore_errors=True)
        self.seconds = time.monotonic() - t_start
        self.check(not self.problems, f"{self.tag} {self.sent} messages, {self.healthy} health checks passed, "
                                      f"{len(self.problems)} problems, {self.restarts} restarts, {self.reattached} re-attaches, "
                                      f"{self.seconds:.0f} s (launcher exit {status})")
        return self


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--viewer", default=os.path.join(REPO, "build", "apps", "viewer"))
    ap.add_argument("viewer_pos", nargs="?", help="the viewer binary (as the project's tests take it)")
    ap.add_argument("--ranks", default="1,2")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--count", type=int, default=750, help="messages per rank count")
    ap.add_argument("--check-every", type=int, default=50)
    ap.add_argument("--hang-s", type=float, default=60)
    ap.add_argument("--allow-programs", action="store_true")
    ap.add_argument("--attach-ranks", type=int, default=0,
                    help="also attach a job of this many ranks to the session (index-slurm -a); "
                         "cluster.detach then has a real target, and the job is attached again after it")
    ap.add_argument("--no-targeted", dest="targeted", action="store_false",
                    help="skip the targeted reproducers run before the random messages")
    ap.add_argument("--log", default="", help="a folder for the messages sent and the problems found")
    ap.add_argument("--summary", default="", help="write the counts as JSON here")
    a = ap.parse_args()
    if a.viewer_pos:
        a.viewer = a.viewer_pos
    if a.log:
        os.makedirs(a.log, exist_ok=True)
    check = Checks()
    runs = []
    for ranks in [int(x) for x in a.ranks.split(",")]:
        try:
            runs.append(Run(a, ranks, a.seed, check, a.log).go())
        except Exception as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            check(False, f"[{ranks}] raised {e!r}")
    for r in runs:
        print(f"{r.tag} codes: {dict(r.codes)}; kinds: {dict(r.kinds)}; server notes: {dict(r.conn.notes)}")
        never = [m for m in r.methods_seen if not r.ok_methods[m]]
        print(f"{r.tag} methods never answered with a result: {never}")
        for m in never:
            print(f"    {m}: {r.err_msgs[m].most_common(3)}")
        if r.conn.failed_frames:
            print(f"{r.tag} session.frame_failed: {r.conn.failed_frames[:5]}")
        if r.slow:
            print(f"{r.tag} calls over 10 s: {r.slow[:10]}")
        odd = [l for l in r.odd_lines]
        if odd:
            print(f"{r.tag} {len(odd)} other viewer lines, e.g.: " + " | ".join(s[:160] for _, s in odd[:8]))
    if a.summary:
        with open(a.summary, "w") as f:
            json.dump([{"ranks": r.ranks, "seed": r.seed, "sent": r.sent, "codes": {str(k): v for k, v in r.codes.items()},
                        "codes_by_method": {m: {str(k): v for k, v in c.items()} for m, c in r.codes_by_method.items()},
                        "err_msgs": {m: dict(c.most_common(12)) for m, c in r.err_msgs.items()},
                        "ok": dict(r.ok_methods), "kinds": dict(r.kinds), "problems": r.problems,
                        "restarts": r.restarts, "seconds": r.seconds, "notes": dict(r.conn.notes),
                        "failed_frames": r.conn.failed_frames[:50], "slow": r.slow,
                        "odd_lines": r.odd_lines[:300]} for r in runs], f, indent=1)
    return check.summary()


if __name__ == "__main__":
    sys.exit(main())
