// SPDX-License-Identifier: Apache-2.0
#pragma once
/// \file Keeping the work: the view a session shows, written as an IndeX project file that loads
/// anywhere a .prj does (viewer, index-render, scene.load) and shows the same picture.

#include <string>

#include "libindex/view_state.h"

namespace libindex {

/// The project text that reproduces what `state` shows: its scene (every layer merged in order,
/// relative file names made absolute so the file can live anywhere), then the camera, canvas,
/// the shown volume's colormap (as a data table with its domain and boundary mode), the region of
/// interest, and the rendering settings and background as `app::libindex::view::*` keys.
std::string session_project(const ViewState& state);

} // namespace libindex
