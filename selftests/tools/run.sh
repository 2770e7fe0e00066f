#!/bin/bash
# Tests of xshm-info, xshm-ring, xshm-logd, xshm-bench and xshm-rtsim on
# plain files: every subcommand, every documented error exit, and
# xshm-logd's promises (batching, rotation, restarts of either side without
# duplicates or silent loss, SIGTERM, a full disk, corrupt records).  The
# tools are built with ASan and UBSan; a sanitizer report makes the tool
# exit 86/87, which no test expects.  Prints TAP.
#
# One file per tool or topic, sourced in this order (later files use
# regions earlier ones made: info.sh reads ring.sh's $R and blank.shm).
set -eu
cd "$(dirname "$0")/../.."
T=selftests/tools
# shellcheck source=selftests/tools/lib.sh
. "$T/lib.sh"
# shellcheck source=selftests/tools/help.sh
. "$T/help.sh"
# shellcheck source=selftests/tools/bench.sh
. "$T/bench.sh"
# shellcheck source=selftests/tools/ring.sh
. "$T/ring.sh"
# shellcheck source=selftests/tools/info.sh
. "$T/info.sh"
# shellcheck source=selftests/tools/logd.sh
. "$T/logd.sh"
# shellcheck source=selftests/tools/logd-format.sh
. "$T/logd-format.sh"
# shellcheck source=selftests/tools/logd-loss.sh
. "$T/logd-loss.sh"
# shellcheck source=selftests/tools/logd-rotate.sh
. "$T/logd-rotate.sh"
# shellcheck source=selftests/tools/cli.sh
. "$T/cli.sh"
# shellcheck source=selftests/tools/json.sh
. "$T/json.sh"
# shellcheck source=selftests/tools/values.sh
. "$T/values.sh"
# shellcheck source=selftests/tools/packaging.sh
. "$T/packaging.sh"
# shellcheck source=selftests/tools/messages.sh
. "$T/messages.sh"
# shellcheck source=selftests/tools/drops.sh
. "$T/drops.sh"
# shellcheck source=selftests/tools/rtsim.sh
. "$T/rtsim.sh"
# shellcheck source=selftests/tools/guest.sh
. "$T/guest.sh"

echo "1..$n"
[ "$failed" -eq 0 ]
