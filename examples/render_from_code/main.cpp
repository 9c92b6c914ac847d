// SPDX-License-Identifier: Apache-2.0
// A program of its own, built against the installed libindex: renders a volume it computes itself
// on every rank of MPI_COMM_WORLD and writes the head's image as PNG.
#include <mpi.h>

#include <cmath>
#include <cstdio>
#include <cstring>

#include "libindex/default_view.h"
#include "libindex/io/image_writer.h"
#include "libindex/io/synthetic.h"
#include "libindex/session.h"

int main(int argc, char** argv) {
  if (argc > 1 && (std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0)) {
    std::printf("usage: mpirun -np N %s [out.png=render_from_code.png]\n  renders a 64^3 Marschner-Lobb volume on "
                "every rank and writes the head's image\n",
                argv[0]);
    return 0;
  }
  if (argc > 2) {
    std::fprintf(stderr, "%s: error: expected one output file at most, got %d arguments (see --help)\n", argv[0],
                 argc - 1);
    return 2;
  }
  MPI_Init(&argc, &argv);
  int code = 0;
  try {
    libindex::SessionOptions options;
    options.log = false;
    libindex::Session session(MPI_COMM_WORLD, options);
    session.set_volume(libindex::io::make_synthetic("marschner-lobb", 64));
    libindex::FrameParams frame;
    frame.width = 256, frame.height = 192;
    frame.camera = libindex::default_camera({{0, 0, 0}, {64, 64, 64}}, 256.0f / 192.0f);
    frame.colormap = libindex::colormap_preset("viridis", 0.3f);
    const libindex::Image image = session.render_frame(frame, {0, 0, 0, 1});
    if (session.is_head()) {
      const char* path = argc > 1 ? argv[1] : "render_from_code.png";
      libindex::io::write_png(path, image);
      std::printf("rendered %dx%d on %d ranks, %lld samples -> %s\n", image.width(), image.height(), session.size(),
                  session.last_stats().samples, path);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "render_from_code: error: %s\n", e.what());
    code = 1;
  }
  MPI_Finalize();
  return code;
}
