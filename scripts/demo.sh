#!/usr/bin/env bash
# What `npm run demo` runs: installs what is missing, starts InfluxDB (under
# .run/demo), the platform (with its embedded MQTT broker) and the district
# simulator, prints the URLs and stays in the foreground. Ctrl-C, or the
# platform exiting, stops everything it started.
#
# Ports: PORT (HTTP, default 8080), MQTT_PORT (embedded broker, default 1883),
# INFLUX_PORT (default 8086). A default port that is busy is replaced by a free
# one; a port you set yourself must be free. MQTT_URL or INFLUX_URL, when set,
# use that broker or InfluxDB instead of starting one.
#
# Run it again at any time: a demo still running is stopped first, and what a
# killed demo left behind (processes, pid files) is cleaned up.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$LIFELINE_ROOT"

run="$LIFELINE_ROOT/.run/demo"
mkdir -p "$run"
platform_log="$run/platform.log"
sim_log="$run/simulator.log"

# Stops what a demo that was killed (so could not clean up) left running.
clean_stale() {
  local pair name match pid
  for pair in "simulator:simulators/dist/cli.js" "platform:server/dist/main.js"; do
    name="${pair%%:*}" match="${pair#*:}"
    if pid="$(live_pid "$run/$name.pid" "$match")"; then
      say "stopping the $name a previous demo left running (pid $pid)"
      stop_pid "$pid"
    fi
    rm -f "$run/$name.pid"
  done
  bash scripts/services.sh stop --dir "$run/services" 8>&- || true
}

# --- one demo at a time --------------------------------------------------------
# Every child below gets "8>&-" so that only this script holds the lock.
exec 8>"$run/lock"
if ! flock -n 8; then
  prev="$(tr -dc '0-9' <"$run/demo.pid" 2>/dev/null || true)"
  if [[ -n "$prev" ]] && pid_is "$prev" demo.sh; then
    say "a demo is already running (pid $prev): stopping it first …"
    kill -TERM "$prev" 2>/dev/null || true
  else
    # A killed demo whose children still hold the lock: stop them.
    clean_stale
  fi
  flock -w 60 8 || die "the previous demo did not stop within 60s; stop it (kill ${prev:-its processes}) and try again"
fi
echo $$ >"$run/demo.pid"
clean_stale

# --- install and build what is missing ---------------------------------------
bash scripts/ensure.sh 8>&-
[[ -f server/dist/main.js ]] || die "server/dist/main.js is missing after the build: the platform cannot start"

# --- ports -------------------------------------------------------------------
# choose NAME VALUE-FROM-ENV DEFAULT: an explicit port must be free; a default may move.
choose() {
  local name="$1" given="$2" default="$3"
  if [[ -n "$given" ]]; then
    [[ "$given" =~ ^[0-9]+$ ]] || die "$name must be a port number, got \"$given\""
    port_free "$given" || die "$name=$given is in use by another program; choose another port or stop it"
    echo "$given"
  else
    port_or_free "$default" "$name"
  fi
}
http_port="$(choose PORT "${PORT:-}" 8080)"

external_mqtt="${MQTT_URL:-}"
if [[ -n "$external_mqtt" ]]; then
  mqtt_url="$external_mqtt"
  mqtt_port=""
else
  mqtt_port="$(choose MQTT_PORT "${MQTT_PORT:-}" 1883)"
  [[ "$mqtt_port" != "$http_port" ]] || mqtt_port="$(pick_free_port)"
  mqtt_url="mqtt://127.0.0.1:$mqtt_port"
fi

# --- stop everything we started, however we leave ------------------------------
platform_pid=""
sim_pid=""
started_influx=0
cleaning=0
cleanup() {
  local rc=$?
  ((cleaning)) && return
  cleaning=1
  trap '' INT TERM
  echo >&2
  say "stopping the demo …"
  if [[ -n "$sim_pid" ]]; then stop_pid "$sim_pid" 5; fi
  # The platform flushes buffered writes to InfluxDB on SIGTERM: give it time.
  if [[ -n "$platform_pid" ]]; then stop_pid "$platform_pid" 20; fi
  rm -f "$run/simulator.pid" "$run/platform.pid"
  if ((started_influx)); then bash scripts/services.sh stop --dir "$run/services" 8>&- || true; fi
  rm -f "$run/demo.pid"
  say "demo stopped"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# --- InfluxDB and PostgreSQL ---------------------------------------------------
# Both from one services.sh call (each only when not given by INFLUX_URL / DATABASE_URL).
svc_args=()
if [[ -n "${INFLUX_URL:-}" ]]; then
  influx_url="${INFLUX_URL%/}"
  say "using InfluxDB at $influx_url (INFLUX_URL)"
else
  influx_port="$(choose INFLUX_PORT "${INFLUX_PORT:-}" 8086)"
  if [[ -n "$mqtt_port" && "$influx_port" == "$mqtt_port" ]] || [[ "$influx_port" == "$http_port" ]]; then
    influx_port="$(pick_free_port)"
  fi
  svc_args+=(--influx-port "$influx_port")
fi
if [[ -n "${DATABASE_URL:-}" ]]; then
  database_url="$DATABASE_URL"
  say "using PostgreSQL at ${database_url%%@*}@… (DATABASE_URL)"
else
  pg_port="$(choose PG_PORT "${PG_PORT:-}" 5432)"
  for p in "$http_port" "${mqtt_port:-}" "${influx_port:-}"; do [[ "$pg_port" != "$p" ]] || pg_port="$(pick_free_port)"; done
  svc_args+=(--pg-port "$pg_port")
fi
if ((${#svc_args[@]})); then
  # services.sh starts InfluxDB unless told otherwise; an external INFLUX_URL with a local PostgreSQL still works.
  [[ -n "${influx_port:-}" ]] || svc_args+=(--influx-port "$(pick_free_port)")
  say "starting InfluxDB and PostgreSQL …"
  started_influx=1
  out="$(bash scripts/services.sh start --no-mqtt --dir "$run/services" "${svc_args[@]}" 8>&-)"
  [[ -n "${INFLUX_URL:-}" ]] || influx_url="$(sed -n 's/^INFLUX_URL=//p' <<<"$out")"
  [[ -n "${DATABASE_URL:-}" ]] || database_url="$(sed -n 's/^DATABASE_URL=//p' <<<"$out")"
  [[ -n "$influx_url" ]] || die "services.sh did not report INFLUX_URL"
  [[ -n "$database_url" ]] || die "services.sh did not report DATABASE_URL"
fi
export DATABASE_URL="$database_url" LIFELINE_DEMO=1

# --- demo accounts and device credentials -------------------------------------
# One password per account, made once and kept in a 0600 file; every start
# makes sure each account exists with it (so the printed logins always work).
accounts="$run/accounts.txt"
if [[ ! -s "$accounts" ]]; then
  (
    umask 077
    for role in admin supervisor duty enterprise; do
      printf '%s %s\n' "$role" "$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 16)"
    done >"$accounts"
  )
fi
ent_tenant=ent-01
users() { node server/dist/cli/users.js "$@" 8>&-; }
existing="$(users list 2>/dev/null | cut -f1 || true)"
while read -r role password; do
  name="demo-$role"
  if grep -qx "$name" <<<"$existing"; then
    printf '%s\n' "$password" | users reset "$name" >/dev/null
  else
    extra=()
    [[ "$role" == enterprise ]] && extra=(--tenant "$ent_tenant")
    printf '%s\n' "$password" | users add "$name" --role "$role" "${extra[@]}" >/dev/null
  fi
done <"$accounts"
say "demo accounts ready (admin, supervisor, duty officer, enterprise user of $ent_tenant)"
creds="$run/device-credentials.json"
users credentials issue --all --out "$creds" >/dev/null
say "device credentials issued, one per device (${creds#"$LIFELINE_ROOT"/}, mode 0600)"

# --- the platform --------------------------------------------------------------
say "starting the platform (log: ${platform_log#"$LIFELINE_ROOT"/}) …"
: >"$platform_log"
if [[ -n "$mqtt_port" ]]; then
  PORT="$http_port" MQTT_PORT="$mqtt_port" INFLUX_URL="$influx_url" node server/dist/main.js >>"$platform_log" 2>&1 8>&- &
else
  PORT="$http_port" MQTT_URL="$mqtt_url" INFLUX_URL="$influx_url" node server/dist/main.js >>"$platform_log" 2>&1 8>&- &
fi
platform_pid=$!
echo "$platform_pid" >"$run/platform.pid"

# Up once /api/health answers at all; ready once it answers 200 (its
# dependencies connect a moment after the HTTP server listens).
answered_at=""
for ((i = 0; ; i++)); do
  if ! kill -0 "$platform_pid" 2>/dev/null; then
    tail -n 30 "$platform_log" >&2
    die "the platform exited during start-up (log: $platform_log)"
  fi
  status="$(http_status "$http_port" /api/health || true)"
  [[ "$status" == 200 ]] && break
  if [[ -n "$status" ]]; then
    [[ -n "$answered_at" ]] || answered_at=$i
    if ((i - answered_at >= 200)); then
      say "warning: /api/health still answers $status (a dependency is down; see http://localhost:$http_port/api/health)"
      break
    fi
  elif ((i >= 600)); then
    tail -n 30 "$platform_log" >&2
    die "the platform did not answer GET /api/health on port $http_port within 60s (log: $platform_log)"
  fi
  sleep 0.1
done

# --- the simulator -------------------------------------------------------------
if [[ -f simulators/dist/cli.js ]]; then
  say "starting the simulator (scripted: a gas leak at minute 2, production under an ordered shutdown from minute 3, a fire at minute 5) …"
  # Its output goes to the terminal and to a log; $! is node itself.
  node simulators/dist/cli.js --url "$mqtt_url" --credentials "$creds" --incident-minute 2 --violation-minute 3 --fire-minute 5 > >(exec 8>&- tee "$sim_log") 2>&1 8>&- &
  sim_pid=$!
  echo "$sim_pid" >"$run/simulator.pid"
else
  say "warning: simulators/dist/cli.js is missing: no simulated devices will publish"
fi

broker_note=""
[[ -z "$mqtt_port" ]] || broker_note="  (embedded broker)"
cat <<EOF

  Lifeline demo is running
    dashboard   http://localhost:$http_port/
    health      http://localhost:$http_port/api/health
    MQTT        $mqtt_url$broker_note
    InfluxDB    $influx_url  (database lifeline)
    PostgreSQL  ${database_url%%:*}://…@${database_url##*@}
    logs        ${platform_log#"$LIFELINE_ROOT"/}

  Logins (demo only; kept in ${accounts#"$LIFELINE_ROOT"/}):
$(while read -r role password; do printf '    %-12s demo-%-12s %s\n' "$role" "$role" "$password"; done <"$accounts")
  Press Ctrl-C to stop everything.

EOF

# --- stay in the foreground until the platform exits ----------------------------
while kill -0 "$platform_pid" 2>/dev/null; do
  if [[ -n "$sim_pid" ]] && ! kill -0 "$sim_pid" 2>/dev/null; then
    say "the simulator has exited (see ${sim_log#"$LIFELINE_ROOT"/}); the platform keeps running"
    sim_pid=""
    rm -f "$run/simulator.pid"
  fi
  sleep 1 8>&- &
  wait $! || true
done
set +e
wait "$platform_pid"
code=$?
set -e
platform_pid=""
say "the platform exited (code $code, log: $platform_log)"
exit "$code"
