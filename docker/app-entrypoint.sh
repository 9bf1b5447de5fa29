#!/bin/sh
# Build (and score) the DEMO world on the first start when the data volume holds no scores, then serve.
set -e
if [ ! -f "$TRADESENTINEL_DATA_DIR/scores.parquet" ] && [ "${TRADESENTINEL_BUILD_DEMO:-1}" = "1" ]; then
  tradesentinel demo --scale "${TRADESENTINEL_DEMO_SCALE:-0.2}" --detectors "${TRADESENTINEL_DEMO_DETECTORS:-statistical,sanctions,lightgbm}"
fi
exec tradesentinel serve "$@"
