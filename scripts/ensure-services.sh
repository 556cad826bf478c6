#!/usr/bin/env bash
# Makes sure the Redis, NATS (JetStream) and PostgreSQL servers that the engine and source tests
# use answer on 127.0.0.1:6379, 127.0.0.1:4222 and 127.0.0.1:5432. Starts whichever does not
# answer, installing its Debian package first if it is missing; installs nginx for the deploy test.
# Called by scripts/test.sh; safe to run any number of times.
set -euo pipefail

answers() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {
  for _ in $(seq 1 100); do
    if answers "$2"; then return 0; fi
    sleep 0.1
  done
  echo "ensure-services: $1 did not start on 127.0.0.1:$2 (see its log)" >&2
  exit 1
}

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

need() { # need <binary path> <Debian package>
  if [ -x "$1" ]; then return 0; fi
  echo "ensure-services: installing $2" >&2
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

if ! answers 6379; then
  need /usr/bin/redis-server redis-server
  as_root mkdir -p /var/lib/redis /var/log/redis
  as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
  wait_for redis-server 6379
fi

if ! answers 4222; then
  need /usr/sbin/nats-server nats-server
  as_root mkdir -p /var/lib/nats-server
  as_root start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
  wait_for nats-server 4222
fi

if ! answers 5432; then
  if ! compgen -G '/etc/postgresql/*/main' >/dev/null; then
    echo "ensure-services: installing postgresql" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
    fresh=1
  fi
  version=$(ls /etc/postgresql | sort -V | tail -1)
  if [ "${fresh:-0}" = 1 ]; then
    # As on the CI machines: the postgres user without a password over loopback, a database `test`.
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    as_root sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$hba"
  fi
  # The package may have started the cluster already (then it rereads pg_hba.conf).
  if answers 5432; then
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  else
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_for postgresql 5432
  if [ "${fresh:-0}" = 1 ]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qc 'CREATE DATABASE test' >/dev/null
  fi
fi

# nginx is only installed, never started here: the deploy/nginx.conf test runs its own on a free port.
need /usr/sbin/nginx nginx

# RabbitMQ (127.0.0.1:5672, guest/guest) and Mosquitto (127.0.0.1:1883) for the broker source
# tests (packages/server/src/sources/rabbitmq.test.ts, mqtt.test.ts), started the way the CI
# machines start them. RabbitMQ's Erlang VM takes a while to answer.
if ! answers 5672; then
  need /usr/sbin/rabbitmq-server rabbitmq-server
  as_root rabbitmq-server -detached
  for _ in $(seq 1 600); do answers 5672 && break; sleep 0.1; done
  wait_for rabbitmq-server 5672
fi

if ! answers 1883; then
  need /usr/sbin/mosquitto mosquitto
  as_root mkdir -p /run/mosquitto /var/lib/mosquitto /var/log/mosquitto
  as_root chown mosquitto: /run/mosquitto /var/lib/mosquitto /var/log/mosquitto 2>/dev/null || true
  as_root mosquitto -d -c /etc/mosquitto/mosquitto.conf
  wait_for mosquitto 1883
fi
