#!/usr/bin/env bash
# The machine's Postgres, Redis and RabbitMQ, as the fault suite stops and starts them.
#   bash tools/infra.sh ensure     start whichever of the three is not answering, wait until all answer
#   bash tools/infra.sh stop|start postgres|redis|rabbitmq
# Every later test run (and CI) uses these servers: the fault suite calls `ensure` after each
# fault and at its end whatever happened, and `npm test` calls it once more after the suite.
set -uo pipefail

pg_cluster() { ls /etc/postgresql | sort -V | tail -n 1; }
pg_up() { pg_isready -q -h 127.0.0.1 -p 5432; }
redis_up() { [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
rabbit_up() { timeout 15 rabbitmqctl -q await_startup >/dev/null 2>&1; }

start() {
  case $1 in
    postgres) pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster)" main start ;;
    redis) redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
             --dir /var/lib/redis --logfile /var/log/redis/ci.log ;;
    # start_app when the node runs but the app was stopped; the whole server when it is gone.
    rabbitmq) rabbitmqctl -q start_app 2>/dev/null || rabbitmq-server -detached ;;
  esac
}

stop() {
  case $1 in
    postgres) pg_ctlcluster --skip-systemctl-redirect "$(pg_cluster)" main stop -m fast ;;
    redis) redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true ;;
    rabbitmq) rabbitmqctl -q stop_app ;;
  esac
}

wait_up() { # name check: up to 60 s
  for _ in $(seq 1 120); do "$2" && return 0; sleep 0.5; done
  echo "infra: $1 did not come back" >&2
  return 1
}

ensure() {
  local status=0
  pg_up || { echo "infra: starting Postgres"; start postgres; }
  redis_up || { echo "infra: starting Redis"; start redis; }
  rabbit_up || { echo "infra: starting RabbitMQ"; start rabbitmq; }
  wait_up Postgres pg_up || status=1
  wait_up Redis redis_up || status=1
  wait_up RabbitMQ rabbit_up || status=1
  return $status
}

case ${1:-} in
  ensure) ensure ;;
  start|stop) [ -n "${2:-}" ] || { echo "usage: $0 start|stop postgres|redis|rabbitmq" >&2; exit 2; }; "$1" "$2" ;;
  up) case ${2:-} in postgres) pg_up ;; redis) redis_up ;; rabbitmq) rabbit_up ;; *) exit 2 ;; esac ;;
  *) echo "usage: $0 ensure | start|stop|up postgres|redis|rabbitmq" >&2; exit 2 ;;
esac
