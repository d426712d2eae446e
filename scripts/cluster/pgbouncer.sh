# shellcheck shell=bash
# PgBouncer on 127.0.0.1:6432 in transaction mode, in front of the local PostgreSQL: sourced by scripts/cluster.sh.
# Every database of the server is served under its own name (the `*` line: the tests' scratch databases too), as
# the user who connects, trusted as PostgreSQL's pg_hba.conf trusts 127.0.0.1. It runs as the postgres user, with
# its own configuration, pid file and log: Debian's packaged service stays off. It holds at most 25 of the server's
# connections, and closes those idle for 5 s: the tests that connect directly need the rest.

PGB_PORT=6432
PGB_DIR=/etc/datalayer-cluster/pgbouncer
PGB_INI="$PGB_DIR/pgbouncer.ini"
PGB_PID=/run/postgresql/datalayer-pgbouncer.pid
PGB_LOG=/var/log/postgresql/datalayer-pgbouncer.log

pgb_config() {
  cat <<CONF
$MARK
[databases]
* = host=127.0.0.1 port=5432

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGB_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGB_DIR/userlist.txt
admin_users = root
pool_mode = transaction
max_client_conn = 1000
default_pool_size = 20
max_user_connections = 25
server_idle_timeout = 5
ignore_startup_parameters = extra_float_digits,options
pidfile = $PGB_PID
logfile = $PGB_LOG
log_connections = 0
log_disconnections = 0
CONF
}

pgb_running() {
  [ -s "$PGB_PID" ] && kill -0 "$(cat "$PGB_PID")" 2>/dev/null && psql_at "$PGB_PORT" "select 1" >/dev/null
}

pgb_write_config() {  # true when the configuration changed
  mkdir -p "$PGB_DIR"
  printf '"root" ""\n"postgres" ""\n' >"$PGB_DIR/userlist.txt"
  if [ -f "$PGB_INI" ] && [ "$(pgb_config)" = "$(cat "$PGB_INI")" ]; then return 1; fi
  pgb_config >"$PGB_INI"
  chown -R postgres:postgres "$PGB_DIR"
}

pgb_up() {
  if ! command -v pgbouncer >/dev/null; then
    log "PgBouncer: installing Debian's package"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null; }
  fi
  if pgb_write_config && [ -s "$PGB_PID" ]; then pgb_down; fi
  if pgb_running; then return 0; fi
  log "PgBouncer: starting on port $PGB_PORT (transaction mode)"
  mkdir -p /run/postgresql && chown postgres:postgres /run/postgresql
  runuser -u postgres -- pgbouncer -d -q "$PGB_INI"
  wait_until 15 pgb_running || {
    log "PgBouncer: did not start (see $PGB_LOG)"
    return 1
  }
}

pgb_down() {
  if [ -s "$PGB_PID" ]; then
    kill "$(cat "$PGB_PID")" 2>/dev/null || true
    wait_until 15 test ! -e "$PGB_PID" || true
  fi
}

pgb_status() {
  if pgb_running; then
    echo "pgbouncer 127.0.0.1:$PGB_PORT: transaction pooling in front of 127.0.0.1:5432"
  else
    echo "pgbouncer 127.0.0.1:$PGB_PORT: down"
    return 1
  fi
}
