// SPDX-License-Identifier: Apache-2.0
#include "slab_stack.h"

#include <algorithm>
#include <cstring>

#include <tbb/parallel_for.h>

#include "libindex/error.h"
#include "libindex/io/progress.h"

namespace libindex::io::detail {
namespace {

class SlabStack final : public VolumeSource {
 public:
  explicit SlabStack(std::vector<std::unique_ptr<VolumeSource>> slabs) : slabs_(std::move(slabs)) {
    require(!slabs_.empty(), "a stack of slabs needs at least one");
    const Vec3i first = slabs_.front()->box().size();
    for (const auto& s : slabs_)
      if (s->box().size() != first || s->dtype() != slabs_.front()->dtype())
        throw Error("the files of one volume must have the same size and type: " + slabs_.front()->describe() +
                    ", but " + s->describe());
    slab_ = first;
  }

  Box3i box() const override { return {{0, 0, 0}, {slab_.x, slab_.y, slab_.z * int(slabs_.size())}}; }
  DType dtype() const override { return slabs_.front()->dtype(); }
  std::string describe() const override {
    const Vec3i s = box().size();
    return std::to_string(slabs_.size()) + " files from " + slabs_.front()->describe() + " to " +
           slabs_.back()->describe() + ", " + std::to_string(s.x) + "x" + std::to_string(s.y) + "x" +
           std::to_string(s.z) + " in all";
  }

  Brick read(const Box3i& wanted) const override {
    const Box3i region = intersect(wanted, box());
    Brick out(region, dtype());
    if (region.empty()) return out;
    const size_t slice = size_t(region.size().x) * size_t(region.size().y) * size_t(dtype_size(dtype()));
    const int first = region.lo.z / slab_.z, last = (region.hi.z - 1) / slab_.z; // the slabs the box reaches
    // One meter for the stack: a thousand one-slice files are each too small to report, not their sum.
    ProgressMeter meter(describe(), out.bytes.size());
    // One file per task: a file system serves several files at once, and a compressed slab's
    // inflating is the read's work. Each slab has its own reader, so the tasks share nothing but `out`,
    // whose slices they write apart.
    tbb::parallel_for(first, last + 1, [&](int k) {
      const int z0 = k * slab_.z; // the slab's first slice in the whole volume
      const Box3i local = {{region.lo.x, region.lo.y, std::max(region.lo.z - z0, 0)},
                           {region.hi.x, region.hi.y, std::min(region.hi.z - z0, slab_.z)}};
      const Brick part = slabs_[size_t(k)]->read(local);
      // Same rows, consecutive slices: the part is one run of the region's bytes.
      std::memcpy(out.bytes.data() + size_t(local.lo.z + z0 - region.lo.z) * slice, part.bytes.data(),
                  part.bytes.size());
      meter.add(part.bytes.size());
    });
    meter.finish();
    return out;
  }

 private:
  std::vector<std::unique_ptr<VolumeSource>> slabs_;
  Vec3i slab_; ///< every slab's size
};

} // namespace

std::unique_ptr<VolumeSource> stack_slabs(std::vector<std::unique_ptr<VolumeSource>> slabs) {
  if (slabs.size() == 1) return std::move(slabs.front());
  return std::make_unique<SlabStack>(std::move(slabs));
}

} // namespace libindex::io::detail
