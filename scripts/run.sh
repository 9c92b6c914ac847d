#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The main job: install what is missing, build, and start a multi-rank viewer on the built-in
# synthetic scene. It prints the URL to open. Extra arguments go to the viewer (e.g. --port 9000).
#   ./scripts/run.sh [VIEWER OPTION...]      as root on Debian 12; the viewer's own: build/apps/viewer --help
[[ "${1:-}" == -h || "${1:-}" == --help ]] && { awk 'NR > 1 && !/^#/ {exit} NR > 1 && !/SPDX/ {sub(/^# ?/, ""); print}' "$0"; exit 0; }
set -euo pipefail
cd "$(dirname "$0")/.."
LIBINDEX_WITH_BROWSER=0 ./scripts/install-deps.sh
./scripts/build.sh
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
ranks=${LIBINDEX_RANKS:-2}
if [ -x build/apps/viewer ]; then
  exec mpirun -np "$ranks" build/apps/viewer "$@"
else
  exec mpirun -np "$ranks" build/apps/index-render -o out.png "$@"
fi
