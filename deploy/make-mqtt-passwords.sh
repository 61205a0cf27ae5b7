#!/usr/bin/env bash
# Writes deploy/secrets/mosquitto.passwd (hashed) for docker-compose.yml:
#
#   INGEST_MQTT_PASSWORD=… SIMULATOR_MQTT_PASSWORD=… deploy/make-mqtt-passwords.sh [tenant:password …]
#
# The variables default to the values in ./.env. Each tenant:password pair
# adds a device-side user (the username is the tenant: see mosquitto.acl).
# Uses mosquitto_passwd from the Debian package if present, else the one in
# the eclipse-mosquitto:2 image.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [[ -f .env ]]; then set -a; source .env; set +a; fi
: "${INGEST_MQTT_PASSWORD:?set INGEST_MQTT_PASSWORD (in .env or the environment)}"

out=deploy/secrets/mosquitto.passwd
mkdir -p deploy/secrets
rm -f "$out.new"
touch "$out.new"
chmod 600 "$out.new"

pairs=("ingest:$INGEST_MQTT_PASSWORD")
[[ -n "${SIMULATOR_MQTT_PASSWORD:-}" ]] && pairs+=("simulator:$SIMULATOR_MQTT_PASSWORD")
for p in "$@"; do
  [[ "$p" == *:?* && "${p%%:*}" =~ ^[A-Za-z0-9_-]+$ ]] || { echo "not tenant:password: $p" >&2; exit 1; }
  pairs+=("$p")
done

for p in "${pairs[@]}"; do
  user="${p%%:*}" pass="${p#*:}"
  if command -v mosquitto_passwd >/dev/null 2>&1; then
    mosquitto_passwd -b "$out.new" "$user" "$pass"
  else
    docker run --rm -v "$PWD/deploy/secrets:/s" eclipse-mosquitto:2 mosquitto_passwd -b "/s/$(basename "$out.new")" "$user" "$pass"
  fi
done
mv "$out.new" "$out"
# The container runs Mosquitto as uid 1883: it must be able to read the file.
chmod 644 "$out"
echo "wrote $out for: $(cut -d: -f1 "$out" | tr '\n' ' ')"
