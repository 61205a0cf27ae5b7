#!/bin/sh
# Entry point of the compose "mosquitto" service (eclipse-mosquitto:2, run as
# root). The platform writes passwd and acl into the shared volume
# /mosquitto/auth-src as its own user's files, mode 0600; Mosquitto reads
# them, also on every SIGHUP, after it has dropped to the "mosquitto" user.
# So this script installs copies owned by that user (0600, replaced
# atomically) where mosquitto.conf names them, does the same for the TLS
# certificate and key, runs Mosquitto, and when the platform rewrites the
# files installs them again and sends SIGHUP: a credential issued, rotated or
# disabled takes effect within MOSQUITTO_AUTH_POLL_S seconds, no restart.
# A renewed TLS certificate needs a restart of the service.
set -eu
SRC=/mosquitto/auth-src
AUTH=/mosquitto/auth
TLS_SRC=/mosquitto/tls-src
TLS=/mosquitto/tls
POLL_S="${MOSQUITTO_AUTH_POLL_S:-5}"

say() { echo "mosquitto-run: $*" >&2; }
umask 077
mkdir -p "$AUTH" "$TLS" /mosquitto/data
chown mosquitto:mosquitto "$AUTH" "$TLS" /mosquitto/data

# SRC DST: DST becomes a copy of SRC owned by mosquitto, mode 0600.
install_copy() {
  cp "$1" "$2.new"
  chown mosquitto:mosquitto "$2.new"
  chmod 600 "$2.new"
  mv -f "$2.new" "$2"
}

# Until the platform has written them, empty files: nobody may connect.
install_auth() {
  for f in passwd acl; do
    if [ -f "$SRC/$f" ]; then
      install_copy "$SRC/$f" "$AUTH/$f"
    elif [ ! -f "$AUTH/$f" ]; then
      : >"$AUTH/$f"
      chown mosquitto:mosquitto "$AUTH/$f"
    fi
  done
}

# Changes whenever the platform replaces a file (it renames a new one in place).
stamp() { stat -c '%i %Y %s' "$SRC/passwd" "$SRC/acl" 2>/dev/null || true; }

for f in server.crt server.key; do
  [ -f "$TLS_SRC/$f" ] || { say "$TLS_SRC/$f is missing: put the broker's TLS certificate and key in MQTT_TLS_DIR (deploy/env.example)"; exit 1; }
  install_copy "$TLS_SRC/$f" "$TLS/$f"
done
last="$(stamp)"
install_auth
[ -s "$AUTH/passwd" ] || say "no credentials yet: every client is refused until the platform writes $SRC/passwd"

mosquitto -c /mosquitto/config/mosquitto.conf &
pid=$!
stopping=""
trap 'stopping=1; kill -TERM "$pid" 2>/dev/null || true' TERM INT
while [ -z "$stopping" ] && kill -0 "$pid" 2>/dev/null; do
  sleep "$POLL_S" &
  wait $! || true # returns early on a signal, so a stop is handled at once
  now="$(stamp)"
  if [ -z "$stopping" ] && [ "$now" != "$last" ]; then
    last="$now"
    install_auth
    kill -HUP "$pid" && say "credential files changed: Mosquitto reloads them"
  fi
done
set +e
wait "$pid"
rc=$?
# After the trap, the first wait returns early; wait again for Mosquitto's own exit.
while kill -0 "$pid" 2>/dev/null; do
  wait "$pid"
  rc=$?
done
exit "$rc"
