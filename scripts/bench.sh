#!/usr/bin/env bash
# npm run bench: installs and builds what is missing, then prints the pipeline figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure.sh
exec node --import tsx bench/pipeline.ts "$@"
