// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file A job's composited images on the wire (one per image of its part the frame blends: the
/// first grid's mix, or each of its volumes in MIP): premultiplied float RGBA, each only the
/// rectangle that holds any non-zero pixel (a job's share of the volume covers part of the screen),
/// and the front-to-back blend of job images on the session's head.

#include <cstdint>
#include <span>
#include <vector>

#include "libindex/image.h"

namespace libindex::cluster {

/// The count, then per image: width, height, the non-zero rectangle and its pixels.
std::vector<uint8_t> encode_job_images(std::span<const Image> images);
/// Throws libindex::Error for a malformed message or an image of another size than width x height.
std::vector<Image> decode_job_images(std::span<const uint8_t> bytes, int width, int height);

/// `back` under `front` in place: front = front + (1 - front.alpha) * back (premultiplied), or the
/// per-channel maximum for MIP values.
void blend_behind(Image& front, const Image& back, bool maximum);

} // namespace libindex::cluster
