#!/usr/bin/env bash
# The servers the scaling-out tests run against, next to the local primaries, with Debian's own tools:
#   - a PostgreSQL streaming replica of 127.0.0.1:5432 on 127.0.0.1:5433 (pg_createcluster, pg_basebackup -R);
#   - a MariaDB GTID replica of 127.0.0.1:3306 on 127.0.0.1:3307 (mariadb-install-db, mariadb-dump --gtid);
#   - PgBouncer on 127.0.0.1:6432 in transaction mode in front of 127.0.0.1:5432 (scripts/cluster/pgbouncer.sh);
#   - a three-node MariaDB Galera cluster on 127.0.0.1:3311, 3312 and 3313 (scripts/cluster/galera.sh).
# The ports are fixed: tools outside the repository use them.
#
#   scripts/cluster.sh up       start what is missing and wait until every server serves (idempotent; fast when up)
#   scripts/cluster.sh down     stop them all (the primaries keep running)
#   scripts/cluster.sh status   say what runs, one line per server; exit 1 if something is not up
#
# `up` turns on what the primaries need to be replicated, once: a `replication` line in PostgreSQL's
# pg_hba.conf (a reload), and MariaDB's binary log with a server id (a restart of the MariaDB server).
set -euo pipefail

PG_VERSION="$(ls /etc/postgresql | sort -V | tail -1)"
PG_BIN="/usr/lib/postgresql/$PG_VERSION/bin"
PG_HBA="/etc/postgresql/$PG_VERSION/main/pg_hba.conf"
PG_REPLICA=replica
PG_REPLICA_PORT=5433
PG_SLOT=datalayer_replica

MY_CNF=/etc/mysql/my.cnf
MY_REPLICA_DIR=/var/lib/mysql-replica
MY_REPLICA_PORT=3307
MY_REPLICA_SOCKET=/run/mysqld/replica.sock
MY_REPLICA_PID=/run/mysqld/replica.pid
MY_REPLICA_LOG=/var/log/mysql/replica.err
MARK="# datalayer: scripts/cluster.sh"

log() { printf 'cluster: %s\n' "$*" >&2; }

psql_at() { psql -X -q -At -h 127.0.0.1 -p "$1" -U root -d "${3:-test}" -c "$2"; }
sql_at() { mariadb --protocol=tcp -h 127.0.0.1 -P "$1" -uroot -N -B -e "$2"; }
wait_until() {  # seconds, then a command: true once the command succeeds
  local limit=$1
  shift
  for _ in $(seq "$((limit * 5))"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# --- PostgreSQL -------------------------------------------------------------------------------------------

pg_primary_ready() {
  if ! grep -q "^host replication all 127.0.0.1/32 trust" "$PG_HBA"; then
    log "PostgreSQL: allowing replication connections from 127.0.0.1"
    printf '%s\nhost replication all 127.0.0.1/32 trust\n' "$MARK" >>"$PG_HBA"
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main reload
  fi
}

pg_replica_streaming() {
  [ "$(psql_at "$PG_REPLICA_PORT" 'select pg_is_in_recovery()')" = t ] &&
    [ "$(psql_at 5432 "select count(*) from pg_stat_replication where application_name = '$PG_REPLICA' and state = 'streaming'")" -ge 1 ]
}

pg_replica_caught_up() {
  local lsn
  lsn="$(psql_at 5432 'select pg_current_wal_lsn()')"
  [ "$(psql_at "$PG_REPLICA_PORT" "select pg_last_wal_replay_lsn() >= '$lsn'::pg_lsn")" = t ]
}

pg_build_replica() {
  log "PostgreSQL: building the replica on port $PG_REPLICA_PORT from a base backup"
  pg_dropcluster --stop "$PG_VERSION" "$PG_REPLICA" 2>/dev/null || true
  psql_at 5432 "select pg_drop_replication_slot('$PG_SLOT') from pg_replication_slots where slot_name = '$PG_SLOT'" >/dev/null
  pg_createcluster "$PG_VERSION" "$PG_REPLICA" -p "$PG_REPLICA_PORT" >/dev/null
  local conf="/etc/postgresql/$PG_VERSION/$PG_REPLICA" data="/var/lib/postgresql/$PG_VERSION/$PG_REPLICA"
  cp "$PG_HBA" "$conf/pg_hba.conf"
  {
    echo "$MARK"
    echo "listen_addresses = '127.0.0.1'"
    echo "hot_standby = on"
    echo "hot_standby_feedback = on"
    echo "cluster_name = '$PG_VERSION/$PG_REPLICA'"
  } >>"$conf/postgresql.conf"
  rm -rf "${data:?}"/*
  runuser -u postgres -- "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p 5432 -U root -D "$data" \
    -R -X stream -c fast -C -S "$PG_SLOT" -d "application_name=$PG_REPLICA"
  pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_REPLICA" start
}

pg_up() {
  pg_primary_ready
  if pg_lsclusters -h | awk '{print $2}' | grep -qx "$PG_REPLICA"; then
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_REPLICA" start >/dev/null 2>&1 || true
    if wait_until 15 pg_replica_streaming; then return 0; fi
    log "PostgreSQL: the replica does not stream; building it again"
  fi
  pg_build_replica
  wait_until 60 pg_replica_streaming || {
    log "PostgreSQL: the replica did not start streaming"
    return 1
  }
}

pg_down() {
  if pg_lsclusters -h | awk '{print $2}' | grep -qx "$PG_REPLICA"; then
    pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" "$PG_REPLICA" stop -m fast 2>/dev/null || true
  fi
}

# --- MariaDB ----------------------------------------------------------------------------------------------

my_primary_ready() {
  if [ "$(sql_at 3306 'select @@log_bin')" = 1 ]; then return 0; fi
  if ! grep -q "^$MARK" "$MY_CNF"; then
    log "MariaDB: turning on the binary log (server id 1)"
    printf '%s\nlog-bin = mariadb-bin\nserver-id = 1\nbinlog-format = ROW\nlog-slave-updates = 1\n' "$MARK" >>"$MY_CNF"
  fi
  log "MariaDB: restarting the server for its binary log"
  mysqladmin --protocol=tcp -h 127.0.0.1 -uroot shutdown
  wait_until 60 test ! -e /run/mysqld/mysqld.pid || true
  start-stop-daemon --start --oknodo --background --pidfile /run/mysqld/mysqld.pid --exec /usr/sbin/mariadbd
  wait_until 60 sql_at 3306 "select 1"
  [ "$(sql_at 3306 'select @@log_bin')" = 1 ]
}

my_replica_running() { sql_at "$MY_REPLICA_PORT" "select 1" >/dev/null 2>&1; }

my_replicating() {
  local status
  status="$(mariadb --protocol=tcp -h 127.0.0.1 -P "$MY_REPLICA_PORT" -uroot -e 'show slave status\G')"
  grep -q "Slave_IO_Running: Yes" <<<"$status" && grep -q "Slave_SQL_Running: Yes" <<<"$status"
}

my_caught_up() {
  local position
  position="$(sql_at 3306 'select @@gtid_binlog_pos')"
  [ "$(sql_at "$MY_REPLICA_PORT" "select master_gtid_wait('$position', 5)")" = 0 ]
}

my_start_replica() {
  start-stop-daemon --start --oknodo --background --pidfile "$MY_REPLICA_PID" --exec /usr/sbin/mariadbd -- \
    --no-defaults --user=mysql --datadir="$MY_REPLICA_DIR" --port="$MY_REPLICA_PORT" --bind-address=127.0.0.1 \
    --socket="$MY_REPLICA_SOCKET" --pid-file="$MY_REPLICA_PID" --log-error="$MY_REPLICA_LOG" \
    --skip-name-resolve --server-id=2 --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --read-only=1 --skip-log-bin
  wait_until 60 my_replica_running
}

my_build_replica() {
  log "MariaDB: building the replica on port $MY_REPLICA_PORT from a dump of the primary"
  my_down
  rm -rf "$MY_REPLICA_DIR"
  mariadb-install-db --user=mysql --datadir="$MY_REPLICA_DIR" --auth-root-authentication-method=normal \
    --skip-test-db >/dev/null
  my_start_replica
  mariadb --protocol=tcp -h 127.0.0.1 -P "$MY_REPLICA_PORT" -uroot <<'SQL'
CREATE USER IF NOT EXISTS 'root'@'127.0.0.1';
GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;
SQL
  # The primary's databases as of one GTID position, which the dump sets as where replication starts.
  local databases
  databases="$(sql_at 3306 "select group_concat(schema_name separator ' ') from information_schema.schemata
    where schema_name not in ('mysql', 'information_schema', 'performance_schema', 'sys')")"
  # shellcheck disable=SC2086  # one word per database
  mariadb-dump --protocol=tcp -h 127.0.0.1 -P 3306 -uroot --single-transaction --gtid --master-data=1 \
    --databases $databases | mariadb --protocol=tcp -h 127.0.0.1 -P "$MY_REPLICA_PORT" -uroot
  sql_at "$MY_REPLICA_PORT" "change master to master_host='127.0.0.1', master_port=3306, master_user='root',
    master_password='', master_use_gtid=slave_pos, master_connect_retry=1; start slave"
}

my_up() {
  my_primary_ready
  if [ -d "$MY_REPLICA_DIR" ]; then
    my_replica_running || my_start_replica || true
    sql_at "$MY_REPLICA_PORT" "start slave" 2>/dev/null || true
    if wait_until 15 my_replicating; then return 0; fi
    log "MariaDB: the replica does not replicate; building it again"
  fi
  my_build_replica
  wait_until 60 my_replicating || {
    log "MariaDB: the replica did not start replicating"
    return 1
  }
}

my_down() {
  if my_replica_running 2>/dev/null; then
    mysqladmin --protocol=tcp -h 127.0.0.1 -P "$MY_REPLICA_PORT" -uroot shutdown || true
  fi
  wait_until 30 test ! -e "$MY_REPLICA_PID" || true
}

# --- PgBouncer and Galera -------------------------------------------------------------------------------

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/cluster/pgbouncer.sh
. "$HERE/cluster/pgbouncer.sh"
# shellcheck source=scripts/cluster/galera.sh
. "$HERE/cluster/galera.sh"

# --- commands ---------------------------------------------------------------------------------------------

status() {
  local failed=0
  if wait_until 1 pg_replica_streaming && wait_until 10 pg_replica_caught_up; then
    echo "postgresql replica 127.0.0.1:$PG_REPLICA_PORT: streaming"
  else
    echo "postgresql replica 127.0.0.1:$PG_REPLICA_PORT: down"
    failed=1
  fi
  if wait_until 1 my_replicating && my_caught_up 2>/dev/null; then
    echo "mariadb replica 127.0.0.1:$MY_REPLICA_PORT: replicating"
  else
    echo "mariadb replica 127.0.0.1:$MY_REPLICA_PORT: down"
    failed=1
  fi
  pgb_status || failed=1
  ga_status || failed=1
  return "$failed"
}

case "${1:-}" in
up)
  pg_up
  my_up
  pgb_up
  ga_up
  status
  ;;
down)
  ga_down
  pgb_down
  pg_down
  my_down
  ;;
status) status ;;
*)
  echo "usage: $0 up|down|status" >&2
  exit 2
  ;;
esac
