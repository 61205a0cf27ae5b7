#!/usr/bin/env bash
# What `npm test` runs: installs what is missing (with Chromium for the browser
# tests), builds, runs every test with vitest (extra arguments go to vitest,
# e.g. `npm test -- test/unit`), and ends with one line CI can read:
#
#   tests: N passed, M failed[, K skipped]
#
# Exits non-zero when anything failed or when no test ran at all.
# LIFELINE_SKIP_ENSURE=1 skips the install-and-build step (quick reruns).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LIFELINE_ROOT"

if [[ "${LIFELINE_SKIP_ENSURE:-}" == 1 ]]; then
  say "skipping scripts/ensure.sh (LIFELINE_SKIP_ENSURE=1)"
else
  bash scripts/ensure.sh --browser
fi

report=test-results/vitest.json
mkdir -p test-results
rm -f "$report"

# The linter and the formatter first: their findings fail the run like a test
# (counted as one failed test), but the tests still run.
say "linting (eslint, prettier --check) …"
lint_failed=0
if ! npm run --silent lint; then
  lint_failed=1
  say "lint failed: see above (npm run format fixes formatting)"
fi

say "running tests …"
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
rc=$?
set -e

# Counts from the JSON report. A file that failed to load has no tests in it
# but is a failure all the same, so it counts as one failed test.
summary="$(node -e '
  const fs = require("node:fs");
  let r;
  try { r = JSON.parse(fs.readFileSync(process.argv[1], "utf8")); } catch { console.log("0 0 0 none"); process.exit(0); }
  const files = r.testResults ?? [];
  const broken = files.filter((f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"));
  for (const f of broken) console.error(`lifeline: ${f.name} failed to run: ${(f.message ?? "").split("\n")[0]}`);
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(`${r.numPassedTests ?? 0} ${(r.numFailedTests ?? 0) + broken.length} ${skipped} ok`);
' "$report")"
read -r passed failed skipped state <<<"$summary"
failed=$((failed + lint_failed))

if [[ "$state" == none ]]; then
  say "vitest wrote no report ($report), exit code $rc"
  ((rc != 0)) || rc=1
  ((failed > 0)) || failed=1
fi

line="tests: $passed passed, $failed failed"
((skipped > 0)) && line+=", $skipped skipped"
echo
echo "$line"

if ((passed + failed == 0)); then
  say "no test ran"
  exit 1
fi
if ((failed > 0 || rc != 0)); then exit 1; fi
exit 0
