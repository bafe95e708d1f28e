#!/usr/bin/env bash
# A 3-node RabbitMQ cluster beside the broker on 5672, for ClusterIT (and by hand):
#   rabbit-cluster.sh start          nodes rabbit3@localhost, rabbit4@localhost, rabbit5@localhost on
#                                    AMQP ports 5673-5675 (distribution 25673-25675), clustered
#   rabbit-cluster.sh stop           stops them and removes their folders
#   rabbit-cluster.sh stop-node N    stop_app on rabbitN@localhost (its port refuses connections)
#   rabbit-cluster.sh start-node N   start_app on rabbitN@localhost and wait for it
# Each node has its own name, ports, config, data, log and pid file and plugins (none), in folders
# owned by the rabbitmq user (rabbitmq-server and rabbitmqctl run as that user when started as root).
set -euo pipefail
BASE=${SHOP_CLUSTER_DIR:-/tmp/shop-events-rabbit-cluster}
NODES="3 4 5"

node() { echo "rabbit$1@localhost"; }
ctl() { local n=$1; shift; timeout 120 rabbitmqctl -q -n "$(node "$n")" "$@"; }
# a node just started takes a moment to register with epmd: await_startup fails until it has
up() {
  for _ in $(seq 1 120); do
    if rabbitmqctl -q -n "$(node "$1")" ping >/dev/null 2>&1; then ctl "$1" await_startup; return; fi
    sleep 0.5
  done
  echo "$(node "$1") did not start; see $BASE/rabbit$1/log" >&2
  return 1
}

start() {
  stop >/dev/null 2>&1 || true
  for n in $NODES; do
    local dir=$BASE/rabbit$n
    mkdir -p "$dir/mnesia" "$dir/log"
    echo "listeners.tcp.local = 127.0.0.1:567$n" > "$dir/rabbitmq.conf"
    echo "[]." > "$dir/enabled_plugins"
  done
  chown -R rabbitmq:rabbitmq "$BASE"
  for n in $NODES; do
    local dir=$BASE/rabbit$n
    RABBITMQ_NODENAME=$(node "$n") RABBITMQ_NODE_PORT=567$n RABBITMQ_DIST_PORT=2567$n \
    RABBITMQ_CONFIG_FILE=$dir/rabbitmq.conf RABBITMQ_MNESIA_BASE=$dir/mnesia RABBITMQ_LOG_BASE=$dir/log \
    RABBITMQ_PID_FILE=$dir/pid RABBITMQ_ENABLED_PLUGINS_FILE=$dir/enabled_plugins \
      rabbitmq-server -detached
  done
  for n in $NODES; do up "$n"; done
  for n in 4 5; do
    ctl "$n" stop_app
    ctl "$n" reset
    ctl "$n" join_cluster "$(node 3)"
    ctl "$n" start_app
  done
  for n in $NODES; do up "$n"; done
  ctl 3 cluster_status
}

stop() {
  for n in $NODES; do ctl "$n" stop >/dev/null 2>&1 || true; done
  rm -rf "$BASE"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  stop-node) ctl "$2" stop_app ;;
  start-node) ctl "$2" start_app; up "$2" ;;
  *) echo "usage: $0 start|stop|stop-node N|start-node N" >&2; exit 2 ;;
esac
