#!/usr/bin/env bash
# The fuzz harnesses (tests/fuzz), briefly: each runs once over the inputs
# that crashed it before, then fuzzes its corpus for FUZZ_CHECK_SECONDS
# (default 3). make fuzz runs them for longer.
cd "$(dirname "$0")/../.." || exit 1
exec tests/fuzz/run -t "${FUZZ_CHECK_SECONDS:-3}"
