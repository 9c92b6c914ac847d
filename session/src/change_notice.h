// SPDX-License-Identifier: Apache-2.0
#pragma once
// Which calls of a message changed what every client sees: the served viewer and the in-situ
// publisher announce those (session.changed) so that other browsers refresh their controls.

#include <functional>
#include <string>

#include <nlohmann/json.hpp>

#include "libindex/view_state.h"

namespace libindex::detail {

/// Runs one call of a message (from RpcDispatcher's Invoke hook; the caller holds the state's lock)
/// and appends `method` to `changed` when it marked the view dirty or `changed_otherwise()` says it
/// changed something else clients show (the scene, a steering value). A call that throws is checked
/// too: it may have changed something before it failed. The dirty flag keeps a frame owed before.
template <class ChangedOtherwise>
nlohmann::json call_noting_change(ViewState& view, const std::string& method, nlohmann::json& changed,
                                  const std::function<nlohmann::json()>& call, ChangedOtherwise changed_otherwise) {
  const bool was_dirty = view.dirty;
  view.dirty = false;
  const auto note = [&] {
    if (view.dirty || changed_otherwise()) changed.push_back(method);
    view.dirty = view.dirty || was_dirty;
  };
  try {
    nlohmann::json result = call();
    note();
    return result;
  } catch (...) {
    note();
    throw;
  }
}

} // namespace libindex::detail
