# shellcheck shell=bash
# Shared helpers for scripts/kafka-local and scripts/redis-local.
# This file is sourced, never executed. Every message goes to stderr so that the
# callers can keep stdout for the single machine-readable line they print.

VD_PROG="${VD_PROG:-$(basename -- "$0")}"

vd_log() { printf '%s: %s\n' "$VD_PROG" "$*" >&2; }
vd_die() { printf '%s: error: %s\n' "$VD_PROG" "$*" >&2; exit 1; }

# vd_abspath PATH -> absolute, normalised path (the path need not exist).
vd_abspath() {
  local p="$1"
  [[ "$p" == /* ]] || p="$PWD/$p"
  if realpath -m / >/dev/null 2>&1; then
    realpath -m -- "$p"
  else
    printf '%s\n' "$p"
  fi
}

# vd_data_root -> absolute VD_DATA_DIR (default ./.vd-data, relative to the caller's cwd).
vd_data_root() { vd_abspath "${VD_DATA_DIR:-./.vd-data}"; }

# vd_prepare_dir DIR: create DIR; if DIR lives under the data root, make sure the data
# root carries a '*' .gitignore so that nothing in it is ever committed by accident.
vd_prepare_dir() {
  local dir="$1" root
  root="$(vd_data_root)"
  mkdir -p -- "$dir"
  if [[ "$dir" == "$root" || "$dir" == "$root"/* ]] && [[ ! -e "$root/.gitignore" ]]; then
    printf '# created by scripts/kafka-local / scripts/redis-local\n*\n' >"$root/.gitignore"
  fi
}

# vd_need CMD "how to get it": fail clearly if CMD is missing.
vd_need() {
  command -v "$1" >/dev/null 2>&1 || vd_die "'$1' not found on PATH. $2"
}

# vd_port_busy PORT: true if something on this machine already listens on PORT
# (on 127.0.0.1 or on a wildcard address).
vd_port_busy() {
  local port="$1"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    return 0
  fi
  if command -v ss >/dev/null 2>&1; then
    [[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]] && return 0
  fi
  return 1
}

# vd_port_open PORT: true if 127.0.0.1:PORT accepts TCP connections.
vd_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# vd_pick_port PREFERRED [EXCLUDED...]: print the first free port >= PREFERRED
# (scanning 200 ports) that is not in EXCLUDED.
vd_pick_port() {
  local port="$1" last ex skip
  shift
  last=$((port + 200))
  while ((port <= last && port <= 65535)); do
    skip=0
    for ex in "$@"; do [[ "$ex" == "$port" ]] && skip=1; done
    if ((skip == 0)) && ! vd_port_busy "$port"; then
      printf '%s\n' "$port"
      return 0
    fi
    port=$((port + 1))
  done
  return 1
}

vd_is_port_number() { [[ "$1" =~ ^[0-9]+$ ]] && (("$1" >= 1 && "$1" <= 65535)); }

# vd_pid_alive PID PATTERN: true if PID is a live (non-zombie) process whose command line
# contains PATTERN. Guards against stale pid files whose pid got reused.
vd_pid_alive() {
  local pid="$1" pattern="$2" cmdline
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
    [[ -n "$cmdline" && "$cmdline" == *"$pattern"* ]] || return 1
  else
    cmdline="$(ps -o args= -p "$pid" 2>/dev/null || true)"
    [[ -n "$cmdline" && "$cmdline" == *"$pattern"* ]] || return 1
  fi
  return 0
}

# vd_pid_exists PID: true while PID is a process that has not exited (not a zombie), whatever
# it runs. Right after `cmd &` the child may still be the forked shell, not yet the exec'd
# program, so a start-up wait must not insist on the command line.
vd_pid_exists() {
  local pid="$1" state
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ "$state" != "Z" ]] || return 1
  fi
  return 0
}

# vd_read_pid FILE: print the pid stored in FILE (empty if none).
vd_read_pid() {
  [[ -f "$1" ]] || return 0
  local pid
  pid="$(tr -dc '0-9' <"$1" 2>/dev/null || true)"
  printf '%s\n' "$pid"
}

# vd_wait_exit PID PATTERN SECONDS: wait until the process is gone; false on timeout.
vd_wait_exit() {
  local pid="$1" pattern="$2" deadline=$((SECONDS + $3))
  while vd_pid_alive "$pid" "$pattern"; do
    ((SECONDS >= deadline)) && return 1
    sleep 0.2
  done
  return 0
}

# vd_terminate PID PATTERN SECONDS: SIGTERM, wait up to SECONDS, then SIGKILL.
vd_terminate() {
  local pid="$1" pattern="$2" secs="$3"
  vd_pid_alive "$pid" "$pattern" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  if ! vd_wait_exit "$pid" "$pattern" "$secs"; then
    vd_log "pid $pid still running after ${secs}s, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    vd_wait_exit "$pid" "$pattern" 10 || vd_die "could not kill pid $pid"
  fi
}

# vd_lock FILE: serialise concurrent start/stop invocations on the same data dir
# (fd 9 stays open until the script exits).
vd_lock() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$1"
  flock -w 300 9 || vd_die "timed out waiting for lock $1"
}

# vd_tail_log FILE [LINES]: show the end of a log on stderr (used on failures).
vd_tail_log() {
  [[ -f "$1" ]] || return 0
  printf '%s: ---- last lines of %s ----\n' "$VD_PROG" "$1" >&2
  tail -n "${2:-40}" -- "$1" >&2 || true
  printf '%s: ----\n' "$VD_PROG" >&2
}
