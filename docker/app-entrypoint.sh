#!/bin/sh
# First start on an empty data volume: build and score the DEMO world and index its evidence in Chroma.
set -e
if [ ! -f "$TRADESENTINEL_DATA_DIR/scores.parquet" ] && [ "${TRADESENTINEL_BUILD_DEMO:-1}" = "1" ]; then
  tradesentinel demo --scale "${TRADESENTINEL_DEMO_SCALE:-0.2}" --detectors "${TRADESENTINEL_DEMO_DETECTORS:-statistical,sanctions,lightgbm}"
  tradesentinel index
fi
exec tradesentinel serve "$@"
