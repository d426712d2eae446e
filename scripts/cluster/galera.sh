# shellcheck shell=bash
# A three-node MariaDB Galera cluster on 127.0.0.1:3311, 3312 and 3313: sourced by scripts/cluster.sh.
# Each node is a mariadbd of its own (the mysql user), with its own option file (--defaults-file: nothing of
# /etc/mysql/my.cnf), datadir, socket, pid file and log, and its own group communication (457N), incremental
# state transfer (458N) and rsync state transfer (459N) ports. The first node of an empty cluster is bootstrapped
# (--wsrep-new-cluster: `galera_new_cluster`'s semantics); the others join it and receive its state by rsync.
# Every server process is found by its pid file, never by name: other mariadbd processes run beside them.

GA_NODES="1 2 3"
GA_CONF_DIR=/etc/datalayer-cluster
GA_DATA_DIR=/var/lib/datalayer-galera

ga_port() { echo "$((3310 + $1))"; }
ga_conf() { echo "$GA_CONF_DIR/galera$1.cnf"; }
ga_pid() { echo "/run/mysqld/galera$1.pid"; }
ga_data() { echo "$GA_DATA_DIR/node$1"; }

ga_config() {  # node
  cat <<CONF
$MARK
[mysqld]
user = mysql
datadir = $(ga_data "$1")
port = $(ga_port "$1")
bind-address = 127.0.0.1
socket = /run/mysqld/galera$1.sock
pid-file = $(ga_pid "$1")
log-error = /var/log/mysql/galera$1.err
skip-name-resolve
server-id = $((10 + $1))
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
default-storage-engine = InnoDB
binlog-format = ROW
innodb-autoinc-lock-mode = 2
innodb-buffer-pool-size = 128M
innodb-flush-log-at-trx-commit = 2
wsrep-on = ON
wsrep-provider = /usr/lib/galera/libgalera_smm.so
wsrep-cluster-name = datalayer
wsrep-cluster-address = gcomm://127.0.0.1:4571,127.0.0.1:4572,127.0.0.1:4573
wsrep-node-name = galera$1
wsrep-node-address = 127.0.0.1
wsrep-node-incoming-address = 127.0.0.1:$(ga_port "$1")
wsrep-provider-options = "gmcast.listen_addr=tcp://127.0.0.1:457$1;ist.recv_addr=127.0.0.1:458$1;gcache.size=128M"
wsrep-sst-method = rsync
wsrep-sst-receive-address = 127.0.0.1:459$1
wsrep-slave-threads = 2
CONF
}

ga_state() {  # node: "<cluster size> <cluster status> <node state>", such as "3 Primary Synced"
  sql_at "$(ga_port "$1")" "select group_concat(variable_value order by variable_name separator ' ')
    from information_schema.global_status where variable_name in
    ('wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state_comment')" 2>/dev/null
}

ga_running() { [ -s "$(ga_pid "$1")" ] && kill -0 "$(cat "$(ga_pid "$1")")" 2>/dev/null; }
ga_in_primary() { [[ "$(ga_state "$1")" == *" Primary Synced" ]]; }
ga_all_synced() {
  local n
  for n in $GA_NODES; do [ "$(ga_state "$n")" = "3 Primary Synced" ] || return 1; done
}

ga_start() {  # node [bootstrap]
  local data
  data="$(ga_data "$1")"
  mkdir -p "$data"
  chown mysql:mysql "$data"
  start-stop-daemon --start --oknodo --background --pidfile "$(ga_pid "$1")" --exec /usr/sbin/mariadbd -- \
    --defaults-file="$(ga_conf "$1")" ${2:+--wsrep-new-cluster}
}

ga_stop() {  # node: a clean shutdown, else the process of its pid file is killed
  local pid
  ga_running "$1" || return 0
  pid="$(cat "$(ga_pid "$1")")"
  mysqladmin --protocol=tcp -h 127.0.0.1 -P "$(ga_port "$1")" -uroot shutdown 2>/dev/null || kill "$pid" 2>/dev/null || true
  wait_until 60 test ! -d "/proc/$pid" || kill -9 "$pid" 2>/dev/null || true
}

ga_bootstrap_node() {  # the node whose state the cluster restarts from
  local n best=1 best_seqno=-2 seqno
  for n in $GA_NODES; do
    if grep -q '^safe_to_bootstrap: 1' "$(ga_data "$n")/grastate.dat" 2>/dev/null; then
      echo "$n"
      return 0
    fi
    seqno="$(awk '/^seqno:/ {print $2}' "$(ga_data "$n")/grastate.dat" 2>/dev/null)"
    if [ -n "$seqno" ] && [ "$seqno" -gt "$best_seqno" ]; then best=$n best_seqno=$seqno; fi
  done
  # After a crash no node is marked safe: the one that committed the most (or the first) is made so.
  log "Galera: no node shut down last; bootstrapping node $best"
  sed -i 's/^safe_to_bootstrap: 0/safe_to_bootstrap: 1/' "$(ga_data "$best")/grastate.dat" 2>/dev/null || true
  echo "$best"
}

ga_bootstrap() {  # a new cluster from the first node's data, or from nothing
  local n first
  for n in $GA_NODES; do ga_stop "$n"; done  # nodes left outside any primary component
  if [ ! -d "$(ga_data 1)/mysql" ]; then
    log "Galera: building a new cluster on ports 3311-3313"
    rm -rf "$GA_DATA_DIR"
    mkdir -p "$GA_DATA_DIR"
    mariadb-install-db --no-defaults --user=mysql --datadir="$(ga_data 1)" \
      --auth-root-authentication-method=normal --skip-test-db >/dev/null
    first=1
  else
    first="$(ga_bootstrap_node)"
    log "Galera: restarting the cluster from node $first"
  fi
  ga_start "$first" bootstrap
  wait_until 60 ga_in_primary "$first" || {
    log "Galera: node $first did not start (see /var/log/mysql/galera$first.err)"
    return 1
  }
  sql_at "$(ga_port "$first")" "create user if not exists 'root'@'127.0.0.1';
    grant all privileges on *.* to 'root'@'127.0.0.1' with grant option; create database if not exists test"
}

ga_up() {
  local n primary=""
  mkdir -p "$GA_CONF_DIR"
  for n in $GA_NODES; do ga_config "$n" >"$(ga_conf "$n")"; done
  if ga_all_synced; then return 0; fi
  for n in $GA_NODES; do if ga_in_primary "$n"; then primary=$n; fi; done
  if [ -z "$primary" ]; then ga_bootstrap; fi
  for n in $GA_NODES; do ga_running "$n" || ga_start "$n"; done
  wait_until 120 ga_all_synced || {
    log "Galera: the cluster did not reach three synced nodes (see /var/log/mysql/galera*.err)"
    return 1
  }
}

ga_down() {
  local n
  for n in 3 2 1; do ga_stop "$n"; done  # the first node stops last: the cluster restarts from it
}

ga_status() {
  local n state failed=0
  for n in $GA_NODES; do
    state="$(ga_state "$n" || true)"
    if [ "$state" = "3 Primary Synced" ]; then
      echo "galera node 127.0.0.1:$(ga_port "$n"): synced, cluster of 3"
    else
      echo "galera node 127.0.0.1:$(ga_port "$n"): ${state:-down}"
      failed=1
    fi
  done
  return "$failed"
}
