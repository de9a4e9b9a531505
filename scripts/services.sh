#!/usr/bin/env bash
# The throwaway Redis and PostgreSQL the scale-out tests and benchmarks use, on loopback
# only: `start` (idempotent: a service already up is left alone), `stop`, `status`.
# Installs nothing: Debian's redis-server and postgresql (install-system-deps.sh --services).
#   Redis       redis://127.0.0.1:6390             (DIE_INSPECT_REDIS_PORT)
#   PostgreSQL  postgres://postgres@127.0.0.1:5440/die_inspect   (DIE_INSPECT_PG_PORT)
# Data lives in $DIE_INSPECT_SERVICES_DIR (default /tmp/die-inspect-services); nothing is kept.
set -euo pipefail
DIR="${DIE_INSPECT_SERVICES_DIR:-/tmp/die-inspect-services}"
REDIS_PORT="${DIE_INSPECT_REDIS_PORT:-6390}"
PG_PORT="${DIE_INSPECT_PG_PORT:-5440}"
PG_BIN="${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}"
PGDATA="$DIR/pg"

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
pg_up() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" 2>/dev/null; }

start() {
  mkdir -p "$DIR"
  chmod 777 "$DIR"
  if ! redis_up; then
    command -v redis-server >/dev/null || { echo "redis-server is not installed (install-system-deps.sh --services)" >&2; exit 1; }
    mkdir -p "$DIR/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize yes --dir "$DIR/redis" \
      --save '' --appendonly no --logfile "$DIR/redis.log" --pidfile "$DIR/redis.pid"
    for _ in $(seq 50); do redis_up && break; sleep 0.1; done
    redis_up || { echo "redis-server did not start (see $DIR/redis.log)" >&2; exit 1; }
  fi
  if ! pg_up; then
    [ -x "$PG_BIN/initdb" ] || { echo "PostgreSQL is not installed (install-system-deps.sh --services)" >&2; exit 1; }
    if [ ! -f "$PGDATA/PG_VERSION" ]; then
      mkdir -p "$PGDATA"
      [ "$(id -u)" -ne 0 ] || chown postgres "$PGDATA"
      as_pg "$PG_BIN/initdb" -D "$PGDATA" -U postgres --auth=trust -E UTF8 >/dev/null
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$DIR/pg.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR -c fsync=off -c max_connections=200" start >/dev/null
    as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'die_inspect'" | grep -q 1 \
      || as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres die_inspect
  fi
  echo "redis://127.0.0.1:$REDIS_PORT postgres://postgres@127.0.0.1:$PG_PORT/die_inspect"
}

stop() {
  if redis_up; then redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true; fi
  if [ -f "$PGDATA/postmaster.pid" ]; then as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -m fast -w stop >/dev/null || true; fi
  echo "services stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) redis_up && echo "redis: up" || echo "redis: down"; pg_up && echo "postgresql: up" || echo "postgresql: down" ;;
  *) echo "usage: scripts/services.sh start|stop|status" >&2; exit 2 ;;
esac
