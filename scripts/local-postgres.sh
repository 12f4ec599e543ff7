#!/usr/bin/env bash
# Starts or stops a throwaway PostgreSQL cluster for tests and development, on 127.0.0.1 and a free port.
#   scripts/local-postgres.sh start DIR   -> prints a connection string on stdout
#   scripts/local-postgres.sh stop DIR
# initdb refuses to run as root, so as root the cluster runs as the 'postgres' user.
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?cluster directory}
bin=${PG_BIN:-}
if [[ -z "$bin" ]]; then
  for v in 17 16 15 14; do
    [[ -x /usr/lib/postgresql/$v/bin/initdb ]] && { bin=/usr/lib/postgresql/$v/bin; break; }
  done
fi
[[ -n "$bin" ]] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }

ensure_owner() {
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then useradd --system --no-create-home postgres; fi
}

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$cmd" in
  start)
    ensure_owner
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    [[ $(id -u) -eq 0 ]] && chown postgres:postgres "$dir"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      as_owner "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1
    fi
    # A random port below Linux's ephemeral range (32768–60999), so that while a cluster is stopped its port is not
    # handed to some outgoing connection; if something already listens there, PostgreSQL fails to start and we try
    # another. A cluster started again comes back on its previous port first (clients reconnect to the address they know).
    started=""
    for attempt in 1 2 3 4 5 6 7 8 9 10; do
      if [[ $attempt -eq 1 && -f "$dir/port" ]]; then port=$(cat "$dir/port"); else port=$((20000 + RANDOM % 12000)); fi
      if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start \
           -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" >/dev/null; then
        started=1
        break
      fi
    done
    [[ -n "$started" ]] || { echo "PostgreSQL did not start; see $dir/postgres.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=100"
    ;;
  stop)
    [[ -d "$dir/data" ]] && as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
