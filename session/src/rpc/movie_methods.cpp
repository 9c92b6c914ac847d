// SPDX-License-Identifier: Apache-2.0
// movie.record: an orbit of the current view, encoded as a video file under --output-root.
#include <filesystem>

#include "libindex/default_view.h"
#include "libindex/error.h"
#include "libindex/io/movie_writer.h"
#include "libindex/rpc_methods.h"
#include "rpc_json.h"

namespace libindex::rpc {
using nlohmann::json;
using streaming::param;
using streaming::param_or;

void add_movie_methods(streaming::RpcDispatcher& rpc, Head& head) {
  ViewState& s = head.state();
  rpc.add({"movie.record",
           "Renders `frames` views on a circle around the region-of-interest centre (the current camera's distance "
           "and elevation) and writes them as a video (H.264 when available) to a new file under --output-root. "
           "Frames are the canvas size (rounded down to even sides) over the background, transparent as black.",
           {{"path", param_doc("string", "a new .mp4, .mkv, .mov or .avi file inside --output-root", true)},
            {"frames", param_doc("integer", "views around the circle, 2..3600 (default 72)")},
            {"fps", param_doc("integer", "frames per second, 1..240 (default 24)")}},
           {{"type", "object"}, {"description", "path, frames, fps, codec"}},
           {"-32602 for no --output-root, a path outside it, of another type or existing; frames or fps out of range",
            "-32000 when a frame or the encoder fails"},
           /*waits_for_frame=*/true},
          [&head, &s](const json& q) {
            const int frames = param_or<int>(q, "frames", 72), fps = param_or<int>(q, "fps", 24);
            if (frames < 2 || frames > 3600) bad("'frames' must be 2..3600");
            if (fps < 1 || fps > 240) bad("'fps' must be 1..240");
            const std::string asked = param<std::string>(q, "path");
            std::string path;
            FrameParams f;
            Vec3f centre;
            {
              // Other clients are answered while the movie renders (waits_for_frame): the state's
              // lock for reading it, not for the frames. They may move the camera meanwhile; the
              // movie keeps the view it started from.
              std::lock_guard lock(head.state_mutex());
              for (const char* extension : {".mp4", ".mkv", ".mov", ".avi"}) {
                try {
                  path = s.output_path(asked, extension, "");
                  break;
                } catch (const Error& e) {
                  const std::string why = e.what();
                  if (why.find("must end in") == std::string::npos) bad(std::string("'path': ") + why);
                }
              }
              if (path.empty()) bad("'path': '" + asked + "' must end in .mp4, .mkv, .mov or .avi");
              f = s.frame;
              f.width &= ~1, f.height &= ~1; // yuv420p video has even sides
              if (f.width < 2 || f.height < 2) bad("the canvas is too small for a movie");
              f.camera = s.camera_for(f.width, f.height);
              centre = view_centre(s.view.volume_box, f.settings);
            }
            const Camera start = f.camera;
            bool created = false; // by this call: output_path refused a name that existed
            struct SeriesDone {   // frame.progress says which frame of the movie renders, until it ends
              Head& head;
              ~SeriesDone() { head.set_series_progress(0, 0); }
            } series_done{head};
            try {
              io::MovieWriter movie(path, f.width, f.height, fps);
              created = true;
              for (int i = 0; i < frames; ++i) {
                head.set_series_progress(i, frames);
                f.camera = orbit_camera(start, centre, 360.0f * float(i) / float(frames), 0.0f);
                Image image = head.render(f);
                apply_background(image, {0, 0, 0, 1}); // video has no alpha
                movie.add(to_rgba8_premultiplied(image));
              }
              movie.finish();
              return json{{"path", path}, {"frames", frames}, {"fps", fps}, {"codec", movie.codec()}};
            } catch (const Error& e) {
              // A part of a movie (a full disk, a failed frame) is no movie: the name stays free to retry.
              std::error_code ignored;
              if (created) std::filesystem::remove(path, ignored);
              throw streaming::RpcError(streaming::server_error, std::string("movie.record: ") + e.what());
            }
          });
}

} // namespace libindex::rpc
