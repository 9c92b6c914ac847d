// SPDX-License-Identifier: Apache-2.0
#include "libindex/colormap.h"

#include <array>
#include <cmath>
#include <string>

#include "libindex/error.h"

namespace libindex {
namespace {

using Poly = std::array<Vec3f, 7>;

// Degree-6 polynomial fits of matplotlib's perceptual maps (after Matt Zucker's public fits);
// within about 3/255 of the published tables, and 3 KiB smaller than shipping them.
constexpr Poly kViridis{{{0.2777273272f, 0.0054073445f, 0.3340998053f},
                         {0.1050930431f, 1.4046135299f, 1.3845901626f},
                         {-0.3308618287f, 0.2148475595f, 0.0950951630f},
                         {-4.6342304990f, -5.7991009736f, -19.3324409563f},
                         {6.2282699363f, 14.1799333668f, 56.6905526007f},
                         {4.7763849977f, -13.7451453777f, -65.3530326334f},
                         {-5.4354558559f, 4.6458526122f, 26.3124352496f}}};
constexpr Poly kPlasma{{{0.0587323439f, 0.0233367089f, 0.5433401827f},
                        {2.1765146342f, 0.2383834171f, 0.7539604600f},
                        {-2.6894604765f, -7.4558511357f, 3.1107999397f},
                        {6.1303483459f, 42.3461881477f, -28.5188546533f},
                        {-11.1074361906f, -82.6663110943f, 60.1398476742f},
                        {10.0230655765f, 71.4136177010f, -54.0721865556f},
                        {-3.6587138428f, -22.9315346546f, 18.1919077854f}}};
constexpr Poly kMagma{{{-0.0021364851f, -0.0007496551f, -0.0053861279f},
                       {0.2516605407f, 0.6775232437f, 2.4940265993f},
                       {8.3537172792f, -3.5777195150f, 0.3144679030f},
                       {-27.6687330858f, 14.2647307810f, -13.6492131881f},
                       {52.1761398123f, -27.9436060717f, 12.9441694424f},
                       {-50.7685253647f, 29.0465828213f, 4.2341529938f},
                       {18.6557050659f, -11.4897735200f, -5.6019615087f}}};
constexpr Poly kInferno{{{0.0002189404f, 0.0016510046f, -0.0194808984f},
                         {0.1065134195f, 0.5639564368f, 3.9327123889f},
                         {11.6024930825f, -3.9728539657f, -15.9423941063f},
                         {-41.7039961314f, 17.4363988821f, 44.3541451987f},
                         {77.1629356994f, -33.4023589421f, -81.8073092574f},
                         {-71.3194282450f, 32.6260642640f, 73.2095198580f},
                         {25.1311262248f, -12.2426689524f, -23.0703250029f}}};

Vec3f eval_poly(const Poly& c, float t) {
  Vec3f r = c[6];
  for (int i = 5; i >= 0; --i) r = r * t + c[i];
  return {clampf(r.x, 0, 1), clampf(r.y, 0, 1), clampf(r.z, 0, 1)};
}

// Piecewise-linear maps through evenly spaced control colors.
Vec3f eval_stops(const std::vector<Vec3f>& stops, float t) {
  float x = t * float(stops.size() - 1);
  int i = std::min(int(x), int(stops.size()) - 2);
  float f = x - float(i);
  return stops[i] * (1 - f) + stops[i + 1] * f;
}

const std::vector<Vec3f> kCoolWarm{{0.230f, 0.299f, 0.754f},
                                   {0.552f, 0.690f, 0.996f},
                                   {0.867f, 0.867f, 0.867f},
                                   {0.957f, 0.604f, 0.482f},
                                   {0.706f, 0.016f, 0.150f}};
// MATLAB's jet (blue, cyan, yellow, red): the one map IndeX's procedural colormaps offer.
Vec3f jet(float t) {
  const auto ramp = [t](float centre) { return clampf(1.5f - std::fabs(4.0f * t - centre), 0, 1); };
  return {ramp(3), ramp(2), ramp(1)};
}

const std::vector<Vec3f> kSupernova{
    {0.05f, 0.0f, 0.15f}, {0.55f, 0.05f, 0.25f}, {0.95f, 0.35f, 0.1f}, {1.0f, 0.75f, 0.3f}, {1.0f, 1.0f, 0.9f}};

} // namespace

std::vector<std::string> colormap_preset_names() {
  return {"viridis", "magma", "inferno", "plasma", "cool-warm", "grayscale", "supernova", "jet"};
}

Colormap colormap_preset(const std::string& name, float max_alpha) {
  Colormap map;
  map.entries.resize(256);
  for (int i = 0; i < 256; ++i) {
    const float t = float(i) / 255.0f;
    Vec3f c;
    if (name == "viridis")
      c = eval_poly(kViridis, t);
    else if (name == "magma")
      c = eval_poly(kMagma, t);
    else if (name == "inferno")
      c = eval_poly(kInferno, t);
    else if (name == "plasma")
      c = eval_poly(kPlasma, t);
    else if (name == "cool-warm" || name == "coolwarm")
      c = eval_stops(kCoolWarm, t);
    else if (name == "grayscale" || name == "gray")
      c = {t, t, t};
    else if (name == "supernova")
      c = eval_stops(kSupernova, t);
    else if (name == "jet")
      c = jet(t);
    else
      throw Error("unknown colormap preset '" + name +
                  "' (known: viridis, magma, inferno, plasma, cool-warm, grayscale, supernova, jet)");
    map.entries[i] = {c.x, c.y, c.z, t * max_alpha};
  }
  return map;
}

Colormap colormap_jet(int size) {
  if (size < 2) throw Error("a colormap needs at least 2 entries, got " + std::to_string(size));
  Colormap map;
  map.entries.resize(size_t(size));
  for (int i = 0; i < size; ++i) {
    const Vec3f c = jet((float(i) + 0.5f) / float(size));
    map.entries[size_t(i)] = {c.x, c.y, c.z, 1.0f};
  }
  return map;
}

BoundaryMode parse_boundary_mode(const std::string& text) {
  if (text == "clamp_to_edge") return BoundaryMode::clamp_to_edge;
  if (text == "clamp_to_transparent") return BoundaryMode::clamp_to_transparent;
  throw Error("unknown domain boundary mode '" + text + "' (expected clamp_to_edge or clamp_to_transparent)");
}

std::string to_string(BoundaryMode m) {
  return m == BoundaryMode::clamp_to_edge ? "clamp_to_edge" : "clamp_to_transparent";
}

} // namespace libindex
