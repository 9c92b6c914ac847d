// SPDX-License-Identifier: Apache-2.0
#include "libindex/follower.h"

#include <algorithm>

#include "cluster/job_image.h"
#include "libindex/error.h"
#include "libindex/kernels/mix.h"
#include "libindex/mpi/agreement.h"

namespace libindex {

static_assert(io::kMostMixedVolumes == kernels::kMaxMixedVolumes);

Box3i Follower::part_of(size_t index) const {
  if (index >= on_first_grid_.size()) return {}; // a scene without volumes (yet): nothing to divide
  if (on_first_grid_[index] && !part_.empty()) return part_;
  if (mix_lead_.at(index) != index) return {}; // mixed into another volume: its own partition for MIP
  const Box3i box = io::partition_box(view_.scene, index);
  return box == view_.scene.volumes[index].source->box() ? Box3i{} : box;
}

Session& Follower::volume_session(size_t index) { return index == 0 ? session_ : *others_[index - 1]; }

Image Follower::render_volumes(const Op& op) {
  const size_t n = view_.scene.volumes.size();
  std::vector<FrameParams>& frames = frames_;
  frames.assign(n, {});
  frames[0] = op.frame;                                                          // with the fitted domain
  frames[0].program = view_.programs.empty() ? nullptr : view_.programs.front(); // ops carry no program
  // With a part, the first grid's images stay unfinished for compositing over the jobs; the other
  // grids are drawn whole by the session's own job only (an attached job never reads them).
  const bool parted = !part_.empty();
  const bool mixing = op.frame.settings.mode == RenderMode::direct_volume;
  // A volume on another grid mixed into the first volume's samples is drawn by every job, with them.
  const auto draws = [&](size_t i) {
    return !parted || on_first_grid_[i] || op.other_grids || (mixing && mix_lead_[i] == 0) ||
           (mixing && drawn_by_program(i));
  };
  other_statistics_.resize(n);
  for (size_t i = 1; i < n; ++i) {
    if (!draws(i) && !view_.scene.volumes[i].read_by_planes) continue; // a plane's program may read it
    frames[i] = volume_frame(view_, i, op.frame);
    other_statistics_[i] = volume_session(i).statistics(frames[i]); // once per volume: kept by its session
    const auto edited =
        std::find_if(op.other_colormaps.begin(), op.other_colormaps.end(), [i](const auto& c) { return c.first == i; });
    if (edited != op.other_colormaps.end())
      frames[i].colormap = edited->second;         // a client's, with its domain
    else if (!view_.scene.volumes[i].domain_given) // its own data range, as the first volume's
      if (const auto d = data_domain_of(view_, i, other_statistics_[i]))
        frames[i].colormap.domain_min = d->first, frames[i].colormap.domain_max = d->second;
    set_plane_appearance(view_, i, frames[i]);
  }
  // Each group of overlapping volumes renders as one image, mixed per sample (MIP: each its own).
  volume_images_.assign(n, {});
  part_leads_.clear(), part_images_.clear();
  for (size_t lead = 0; lead < n; ++lead) {
    if (mixing && mix_lead_[lead] != lead) continue;
    if (!view_.scene.volumes[lead].enabled) continue; // kept for a program's slot: drawn by it alone
    if (mixing && drawn_by_program(lead)) continue;   // drawn as that program says
    if (!draws(lead)) continue;
    const bool in_part = parted && on_first_grid_[lead];
    std::vector<Session::MixPartner> partners;
    for (size_t j = lead + 1; j < n && mixing; ++j)
      if (mix_lead_[j] == lead) partners.push_back({&volume_session(j), frames[j]});
    if (mixing && frames[lead].program) map_program_slots(lead, frames, partners);
    map_plane_slots(lead, frames, partners); // also where volumes mix: the mix's planes run programs too
    // Finished (MIP classified, no background) unless it is a part's.
    Image image = partners.empty()
                      ? volume_session(lead).render_frame(frames[lead], {0, 0, 0, 0}, !in_part)
                      : volume_session(lead).render_mixed_frame(frames[lead], partners, {0, 0, 0, 0}, !in_part);
    if (in_part) {
      part_leads_.push_back(lead);
      if (session_.is_head()) part_images_.push_back(std::move(image));
    } else {
      volume_images_[lead] = std::move(image);
    }
  }
  if (!session_.is_head() || parted) return {};
  return blend_volumes(op);
}

Image Follower::blend_volumes(const Op& op) {
  Image result;
  const bool mixing = op.frame.settings.mode == RenderMode::direct_volume;
  for (size_t i :
       volume_order(view_, op.frame.camera, mixing ? std::span<const size_t>(mix_lead_) : std::span<const size_t>())) {
    if (volume_images_[i].width() == 0) continue; // mixed into its group's image
    if (result.width() == 0)
      result = std::move(volume_images_[i]);
    else
      cluster::blend_behind(result, volume_images_[i], /*maximum=*/false); // finished images: `over`, also for MIP
  }
  apply_background(result, op.background);
  return result;
}

Image Follower::finish_parted_frame(const Op& op, std::vector<Image> first_grid) {
  if (first_grid.size() != part_leads_.size())
    throw Error("the jobs' frame holds " + std::to_string(first_grid.size()) + " images of the first grid, " +
                std::to_string(part_leads_.size()) + " expected");
  for (size_t k = 0; k < part_leads_.size(); ++k) {
    const size_t lead = part_leads_[k];
    finish_image(first_grid[k], frames_[lead], {0, 0, 0, 0}); // MIP: the maxima of every job, classified
    volume_images_[lead] = std::move(first_grid[k]);
  }
  return blend_volumes(op);
}

bool Follower::drawn_by_program(size_t index) const {
  const auto& by = view_.scene.volumes.at(index).drawn_by_program;
  return by && *by < view_.programs.size() && view_.programs[*by]; // a program that did not compile draws nothing
}

void Follower::map_program_slots(size_t index, std::vector<FrameParams>& frames,
                                 std::vector<Session::MixPartner>& partners) {
  for (const io::ProgramSlotDesc& slot : view_.scene.volumes.at(index).program_slots) {
    if (slot.volume)
      partners.push_back({&volume_session(*slot.volume), frames.at(*slot.volume), slot.slot});
    else
      frames.at(index).program_slots.push_back({slot.slot, BrickView{}, slot.colormap});
  }
}

void Follower::map_plane_slots(size_t index, std::vector<FrameParams>& frames,
                               std::vector<Session::MixPartner>& partners) {
  const FrameParams& frame = frames.at(index);
  for (int plane = 0; plane < frame.settings.plane_count; ++plane) {
    const auto which = surface_program_of(view_, size_t(plane));
    if (!which) continue;
    for (const io::ProgramSlotDesc& slot : view_.scene.surface_programs.at(*which).slots)
      if (slot.volume && *slot.volume != index)
        partners.push_back({&volume_session(*slot.volume), frames.at(*slot.volume), slot.slot, plane});
  }
}

std::shared_ptr<const SampleProgram> Follower::first_program() const {
  return view_.programs.empty() ? nullptr : view_.programs.front(); // each rank's own: ops carry none
}

bool Follower::is_time_series() const {
  const auto& volumes = view_.scene.volumes;
  return !volumes.empty() && volumes.front().time_last > volumes.front().time_first;
}

void Follower::sync_scene(const Op& op) {
  if (op.scene_version == scene_version_) return;
  std::string error;
  try {
    if (!op.scene) throw Error("op for scene version " + std::to_string(op.scene_version) + " without its spec");
    view_ = build_scene(*op.scene, false);
  } catch (const std::exception& e) {
    error = e.what();
  }
  mpi::agree_on_errors(session_.comm(), error);
  source_ = view_.volume, part_ = op.part;
  const auto& volumes = view_.scene.volumes;
  // Overlapping volumes mix per sample into the first of them (io::mix_leads).
  mix_lead_ = volumes.empty() ? std::vector<size_t>{} : io::mix_leads(view_.scene);
  // While other jobs are attached, a part divides the volumes on the first volume's grid (and the
  // hull of its mix); the session's own job draws the others whole.
  on_first_grid_.assign(volumes.size(), true);
  for (size_t i = 1; i < volumes.size(); ++i) on_first_grid_[i] = io::share_grid(view_.scene, 0, i);
  session_.set_volume(source_, part_of(0));
  // The other volumes of the scene, each over every rank.
  others_.clear();
  other_statistics_.clear();
  for (size_t i = 1; i < volumes.size(); ++i) {
    SessionOptions quiet;
    quiet.backend = backend_, quiet.log = false;
    others_.push_back(std::make_unique<Session>(session_.comm(), quiet));
    others_.back()->set_volume(volumes[i].source, part_of(i));
  }
  scene_version_ = op.scene_version;
  step_ = is_time_series() ? view_.scene.volumes.front().time_first : 0;
  next_step_ = -1;
  next_source_.reset();
}

void Follower::sync_time(int step) {
  if (!is_time_series() || step == step_) return;
  const auto& volumes = view_.scene.volumes;
  std::shared_ptr<io::VolumeSource> source;
  // The other volumes that are series too show the same step when they have it (else they stay).
  std::vector<std::shared_ptr<io::VolumeSource>> other_sources(others_.size());
  std::string error;
  try {
    source = step == next_step_ && next_source_ ? next_source_ : volumes.front().open_step(step);
    for (size_t i = 0; i < others_.size(); ++i) {
      const io::VolumeDesc& v = volumes[i + 1];
      if (v.time_last > v.time_first && step >= v.time_first && step <= v.time_last)
        other_sources[i] = v.open_step(step);
    }
  } catch (const std::exception& e) {
    error = e.what();
  }
  mpi::agree_on_errors(session_.comm(), error);
  source_ = source;
  session_.set_volume(source_, part_of(0));
  for (size_t i = 0; i < others_.size(); ++i)
    if (other_sources[i]) others_[i]->set_volume(other_sources[i], part_of(i + 1));
  step_ = step;
}

void Follower::sync_part(const Box3i& part) {
  if (part == part_) return;
  part_ = part;
  session_.set_part(part_of(0));
  for (size_t i = 0; i < others_.size(); ++i)
    if (on_first_grid_[i + 1]) others_[i]->set_part(part_of(i + 1));
}

void Follower::read_ahead(int next) {
  if (!is_time_series() || next < 0 || next == next_step_) return;
  try {
    next_source_ = view_.scene.volumes.front().open_step(next);
    next_step_ = next;
    session_.prefetch(next_source_);
  } catch (const std::exception&) {
    next_step_ = -1; // reported when that step is shown
  }
}

Image Follower::follow(const Op& received, bool* rebalanced) {
  if (received.has_colormap) colormap_ = received.frame.colormap;
  Op op = received; // with the colormap every rank keeps
  if (!op.has_colormap) op.frame.colormap = colormap_;
  switch (op.kind) {
  case Op::Kind::quit:
    return {};
  case Op::Kind::statistics: // of the part this job renders: bring in scene, step and part first
  case Op::Kind::statistics_over:
    sync_scene(op);
    op.frame.program = first_program();
    sync_time(op.time_step);
    sync_part(op.part);
    statistics_ = op.kind == Op::Kind::statistics
                      ? session_.statistics(op.frame)
                      : session_.statistics_over(op.frame, op.value_range[0], op.value_range[1]);
    return {};
  case Op::Kind::rank_info: // the leaves of the current scene, so bring it in first
    sync_scene(op);
    sync_time(op.time_step);
    sync_part(op.part);
    rank_info_ = session_.gather_rank_info();
    return {};
  case Op::Kind::rebalance: {
    sync_scene(op);
    op.frame.program = first_program();
    sync_time(op.time_step);
    sync_part(op.part);
    const bool moved = session_.rebalance(op.frame);
    if (rebalanced) *rebalanced = moved;
    return {};
  }
  case Op::Kind::frame:
    break;
  }
  sync_scene(op);
  op.frame.program = first_program();
  sync_time(op.time_step);
  sync_part(op.part);
  if (op.backend != backend_) {
    session_.set_backend(op.backend);
    for (auto& other : others_) other->set_backend(op.backend);
    backend_ = op.backend;
  }
  statistics_ = session_.statistics(op.frame); // computed once per volume and step
  fitted_domain_.reset();
  if (op.fit_domain) {
    fitted_domain_ = data_domain_of(view_, 0, statistics_);
    if (fitted_domain_)
      op.frame.colormap.domain_min = fitted_domain_->first, op.frame.colormap.domain_max = fitted_domain_->second;
  }
  if (!view_.scene.volumes.empty()) set_plane_appearance(view_, 0, op.frame); // ops carry neither
  set_scene_placement(view_, op.frame);                                       // nor this
  Image image = others_.empty() && part_.empty() ? session_.render_frame(op.frame, op.background) : render_volumes(op);
  // Only now: the session reads ahead for the leaf and ghost width this frame used, and a read
  // ahead started before the frame would replace the one the frame was to use.
  read_ahead(op.next_step);
  return image;
}

} // namespace libindex
