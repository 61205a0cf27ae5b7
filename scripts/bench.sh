#!/usr/bin/env bash
# npm run bench [-- FLAGS]: installs and builds what is missing, then runs
# bench/pipeline.ts against private Mosquitto, InfluxDB and PostgreSQL
# instances: throughput interleaved with the bare baseline, the paced
# sustained rate, crash and outage, alert latency (--part picks; --help lists
# every flag). Progress on stderr; figures on stdout as `name: value` lines.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
exec node --import tsx bench/pipeline.ts "$@"
