# Shared helpers for the Lifeline scripts. Source it; it defines functions only.
# Progress goes to stderr prefixed "lifeline:", so stdout stays machine-readable.

LIFELINE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

say() { printf 'lifeline: %s\n' "$*" >&2; }
die() {
  printf 'lifeline: error: %s\n' "$*" >&2
  exit 1
}

# True when something accepts TCP connections on 127.0.0.1:$1.
port_accepting() {
  timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# True when nothing listens on port $1 on any local address: a listener on
# 0.0.0.0, :: or 127.0.0.1 all make the bind below fail with EADDRINUSE.
port_free() {
  port_accepting "$1" && return 1
  node -e '
    const net = require("node:net");
    const s = net.createServer();
    s.once("error", () => process.exit(1));
    s.listen({ port: Number(process.argv[1]), host: "0.0.0.0", exclusive: true }, () => s.close(() => process.exit(0)));
  ' "$1" 2>/dev/null
}

# An ephemeral port that was free a moment ago.
pick_free_port() {
  node -e '
    const s = require("node:net").createServer();
    s.listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => console.log(p)); });
  '
}

# $1 if free, otherwise an ephemeral free port (said on stderr as $2).
port_or_free() {
  if port_free "$1"; then
    echo "$1"
  else
    local p
    p="$(pick_free_port)"
    say "port $1 is busy, using $p for ${2:-it}"
    echo "$p"
  fi
}

# HTTP status code of GET http://127.0.0.1:$1$2, without curl (fresh machines may lack it).
http_status() {
  timeout 2 bash -c '
    exec 3<>/dev/tcp/127.0.0.1/$0 || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n" "$1" >&3
    IFS=" " read -r _ code _ <&3 && printf "%s\n" "$code"
  ' "$1" "$2" 2>/dev/null
}

# True while process $1 is alive and its command line mentions $2 (guards against pid reuse).
pid_is() {
  local pid="$1" want="$2"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 0
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$want"
}

# The pid in file $1 if that process is alive and is $2; empty otherwise.
live_pid() {
  local file="$1" want="$2" pid
  [[ -f "$file" ]] || return 1
  pid="$(tr -dc '0-9' <"$file")"
  pid_is "$pid" "$want" && echo "$pid"
}

# Sends SIGTERM to $1, waits up to $2 seconds (default 15), then SIGKILL.
stop_pid() {
  local pid="$1" secs="${2:-15}" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < secs * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    # A zombie child of ours counts as stopped.
    [[ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" == Z ]] && return 0
    sleep 0.1
  done
  say "pid $pid did not stop within ${secs}s, killing it"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

# Runs "$@" as root: directly, through sudo, or fails saying what to do.
as_root() {
  if [[ "$(id -u)" == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root to run: $* — run as root or install sudo"
  fi
}
