#!/usr/bin/env bash
# npm run bench [-- FLAGS]: installs and builds what is missing, then runs
# bench/pipeline.ts against private Mosquitto, InfluxDB and PostgreSQL
# instances: throughput interleaved with the bare baseline, the paced
# sustained rate, crash and outage, alert latency (--part picks; --help lists
# every flag). Progress on stderr; figures on stdout as `name: value` lines.
# --part city runs bench/city-dashboard.ts instead: the dashboard in headless
# Chromium and the platform at 10k/100k/200k devices (--part city --help).
# --part stats runs bench/stats-scale.ts: /api/stats over a year of alert
# history at city scale (--part stats --help).
set -euo pipefail
cd "$(dirname "$0")/.."
for ((i = 1; i <= $#; i++)); do
  j=$((i + 1))
  if [[ ${!i} == --part=city ]] || [[ ${!i} == --part && ${!j:-} == city ]]; then
    bash scripts/ensure.sh --browser
    exec node --import tsx bench/city-dashboard.ts "$@"
  fi
  if [[ ${!i} == --part=stats ]] || [[ ${!i} == --part && ${!j:-} == stats ]]; then
    bash scripts/ensure.sh
    exec node --import tsx bench/stats-scale.ts "$@"
  fi
done
bash scripts/ensure.sh
exec node --import tsx bench/pipeline.ts "$@"
