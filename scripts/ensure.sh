#!/usr/bin/env bash
# Installs whatever is missing, and only that: Debian packages (mosquitto,
# influxdb, postgresql, and chromium with --browser), node_modules, then the
# build.
# Safe to run any number of times.
#
#   scripts/ensure.sh [--browser] [--no-build | --rebuild]
#
# The build is skipped when no source, manifest or tsconfig changed since the
# last successful one (--rebuild forces it).
#
# The Debian packages ship system services; Lifeline never uses them (its
# scripts start their own instances on their own ports and directories), and
# packages installed here are kept from starting them. (PostgreSQL's postinst
# still creates its stock "main" cluster, stopped; Lifeline never uses it.)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LIFELINE_ROOT"

browser=0
build=1
force_build=0
for arg in "$@"; do
  case "$arg" in
    --browser) browser=1 ;;
    --no-build) build=0 ;;
    --rebuild) force_build=1 ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"
      exit 0
      ;;
    *) die "ensure.sh: unknown option $arg (use --browser, --no-build, --rebuild)" ;;
  esac
done

# --- Debian packages -------------------------------------------------------
wanted=(mosquitto influxdb postgresql)
# A CJK font, or screenshots of the Chinese UI show empty boxes.
((browser)) && wanted+=(chromium fonts-wqy-microhei)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in "${wanted[@]}"; do installed "$p" || missing+=("$p"); done
else
  # Not Debian: accept the programs if they are on the machine anyway.
  declare -A binary=([mosquitto]=/usr/sbin/mosquitto [influxdb]=/usr/bin/influxd [postgresql]=/usr/lib/postgresql [chromium]=/usr/bin/chromium [fonts-wqy-microhei]=/usr/share/fonts/truetype/wqy/wqy-microhei.ttc)
  for p in "${wanted[@]}"; do [[ -e "${binary[$p]}" ]] || missing+=("$p"); done
  ((${#missing[@]} == 0)) || die "missing ${missing[*]} and this is not a Debian system (no dpkg): install them by hand"
fi

if ((${#missing[@]})); then
  command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and apt-get is not available"
  say "installing ${missing[*]} (Debian packages) …"
  # Keep the packages' own services from starting while they install: a
  # policy-rc.d answering 101 is what invoke-rc.d and deb-systemd-invoke obey.
  # Only add one when none exists, and always take ours away again.
  policy=/usr/sbin/policy-rc.d
  ours=0
  if [[ ! -e "$policy" ]]; then
    as_root sh -c "printf '#!/bin/sh\n# added by lifeline scripts/ensure.sh during apt-get install\nexit 101\n' > $policy && chmod 755 $policy"
    ours=1
    trap 'as_root rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  if ((ours)); then
    as_root rm -f "$policy"
    trap - EXIT
  fi
  say "installed ${missing[*]}"
fi

# --- node_modules ------------------------------------------------------------
if [[ ! -d node_modules ]] || [[ ! -f node_modules/.package-lock.json ]] ||
  { [[ -f package-lock.json ]] && [[ package-lock.json -nt node_modules/.package-lock.json ]]; }; then
  # `npm ci`: exactly what the committed lockfile pins, and a loud failure when
  # package.json and the lockfile disagree (a clean clone is checked before landing).
  say "installing node modules (npm ci) …"
  npm ci --no-audit --no-fund
  # Mark node_modules as matching the lockfile, so the next run skips this.
  if [[ -f node_modules/.package-lock.json ]]; then touch node_modules/.package-lock.json; fi
fi

# --- build -------------------------------------------------------------------
# Skipped when nothing it reads changed since the last successful build: the
# stamp is taken *before* building, so an edit made during a build still counts.
stamp=.run/build.stamp
build_is_current() {
  [[ -f "$stamp" && -f server/dist/main.js && -f web/dist/index.html ]] || return 1
  local changed
  changed="$(find core ingest server simulators web test bench package.json package-lock.json tsconfig*.json \
    \( -name node_modules -o -name dist \) -prune -o -type f -newer "$stamp" -print -quit 2>/dev/null)"
  [[ -z "$changed" ]]
}
if ((build)); then
  if [[ "$force_build" == 0 ]] && build_is_current; then
    say "build is up to date"
  else
    say "building (tsc -b, type-checking tests and benchmarks, the web app) …"
    mkdir -p .run
    touch "$stamp.next"
    if ! out="$(npm run build 2>&1)"; then
      printf '%s\n' "$out" >&2
      rm -f "$stamp.next"
      die "build failed (npm run build), see above"
    fi
    mv "$stamp.next" "$stamp"
    say "build done"
  fi
fi
