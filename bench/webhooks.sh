#!/usr/bin/env bash
# What a webhook subscription's options cost (bench/README.md, "Webhook subscriptions"): the same
# signed-webhook subscription of order_placed in several modes, each on a fresh app:
#   unordered  as it is (2 consumers), the delivery log on (the default)
#   nolog      the same with shop.subscriptions.delivery-log: false
#   ordered    orderBy: subject (one active consumer)
# Per mode: a 30 s warm-up with the webhook delivering; then its route file is taken out (its
# queue stays and collects), 60 s of calls fill the queue, the file is put back, and the drain is
# timed: webhook deliveries per second with nothing else to do, and the app's CPU per delivery
# (from /proc) to a local receiver (bench/receiver.mjs) that answers at once.
#
#   bench/webhooks.sh                                  # the three modes, about 12 minutes
#   MODES="unordered nolog unordered nolog" bench/webhooks.sh   # what the delivery log costs, twice
#   SHORT=1 bench/webhooks.sh                          # 10 s runs: checks the script, measures nothing
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18080}
MGMT=${MGMT_PORT:-18081}
HOOK_PORT=${HOOK_PORT:-18095}
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx256m -Xmn128m -XX:+UseSerialGC"}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
KEY=local-dev-key-0123456789
BASE=http://127.0.0.1:$PORT
PROBE=http://127.0.0.1:$MGMT/actuator/health/readiness
WARM=${SHORT:+10}; WARM=${WARM:-30}
LOAD=${SHORT:+10}; LOAD=${LOAD:-60}
MODES=${MODES:-"unordered nolog ordered"}
OUT=$(pwd)/bench/results/webhooks-$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
log() { printf '\n== %s\n' "$*" >&2; }

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
JAR=$(ls target/shop-events-*.jar 2>/dev/null | head -n 1 || true)
if [ -z "$JAR" ]; then log "building the jar"; ./mvnw -q -B -DskipTests package; JAR=$(ls target/shop-events-*.jar | head -n 1); fi

depth() {  # messages in one queue, ready or unacknowledged
  rabbitmqctl list_queues -q --no-table-headers name messages | awk -v q="$1" '$1 == q {print $2}'
}
consumers() { rabbitmqctl list_queues -q --no-table-headers name consumers | awk -v q="$1" '$1 == q {print $2}'; }
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
calls() { curl -s "http://127.0.0.1:$HOOK_PORT/count" | python3 -c 'import json,sys; c = json.load(sys.stdin); print(c["calls"], c["distinct"])'; }
distinct() { curl -s "http://127.0.0.1:$HOOK_PORT/count" | sed 's/.*"distinct":\([0-9]*\).*/\1/'; }
settled() {  # a quorum queue's count as rabbitmqctl reports it lags up to its 5 s stats tick: read it until it holds
  local before now; now=$(depth "$1")
  while :; do before=$now; sleep 6; now=$(depth "$1"); [ "$now" = "$before" ] && break; done
  echo "$now"
}

CPU_S=$( { TIMEFORMAT=%R; time python3 -c 's = 0
for i in range(20_000_000): s += i'; } 2>&1 )
echo "CPU check ${CPU_S} s; load average $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$OUT/machine.txt"

node bench/receiver.mjs $HOOK_PORT > "$OUT/receiver.log" 2>&1 & HOOK=$!
APP=""
cleanup() { [ -n "$APP" ] && kill "$APP" 2>/dev/null; kill "$HOOK" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

printf '| mode | events drained | deliveries/s | app µs/delivery | delivered twice |\n|---|---|---|---|---|\n' > "$OUT/results.md"
run=0
for mode in $MODES; do
  run=$((run + 1))
  name=bench-hook-$mode
  deliverylog=true; [ "$mode" = nolog ] && deliverylog=false
  queue=shop.events.$name
  routes=$OUT/routes-$run
  cp -r routes "$routes"
  cat > "$OUT/$name.camel.yaml" <<YAML
- route:
    id: $name
    from:
      uri: subscription:$name
      parameters:
        types: order_placed
$([ $mode = ordered ] && echo "        orderBy: subject")
      steps:
        - to:
            uri: signed-webhook:bench
            parameters:
              url: http://127.0.0.1:$HOOK_PORT/hook
              secretProperty: shop.webhooks.bench.secret
YAML
  cp "$OUT/$name.camel.yaml" "$routes/"
  log "$mode: starting $JAR"
  SERVER_PORT=$PORT MANAGEMENT_SERVER_PORT=$MGMT SHOP_DATADIR=$OUT/data-$run SHOP_ROUTES_DIR=$routes \
    SHOP_WEBHOOKS_BENCH_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw SERVER_TOMCAT_MAXKEEPALIVEREQUESTS=-1 \
    SHOP_SUBSCRIPTIONS_DELIVERYLOG=$deliverylog \
    java $JAVA_OPTS -jar "$JAR" > "$OUT/app-$run-$mode.log" 2>&1 & APP=$!
  until curl -sf -o /dev/null "$PROBE"; do kill -0 $APP 2>/dev/null || { echo "the app died; see $OUT/app-$run-$mode.log" >&2; exit 1; }; sleep 0.1; done
  log "$mode: warm-up ${WARM} s with the webhook delivering, not measured"
  API_KEY=$KEY EVENTS=orders wrk -t2 -c64 -d${WARM}s -s bench/events.lua $BASE > "$OUT/warmup-$run-$mode.txt"
  until [ "$(depth $queue)" = "0" ]; do sleep 0.5; done
  # the subscription's file out: its queue stays and collects, nobody consumes it
  rm "$routes/$name.camel.yaml"
  until [ "$(consumers $queue)" = "0" ]; do sleep 0.2; done
  log "$mode: ${LOAD} s of calls fill its queue"
  API_KEY=$KEY EVENTS=orders wrk -t2 -c64 -d${LOAD}s -s bench/events.lua $BASE > "$OUT/load-$run-$mode.txt"
  # the other subscriptions of order_placed done first: the drain has the machine to itself
  until [ "$(depth shop.events.order-status)" = "0" ]; do sleep 0.5; done
  backlog=$(settled $queue)
  log "$mode: $backlog events wait; the file back, the drain measured"
  calls0=$(calls); app0=$(ticks $APP); t0=$(date +%s%N)
  cp "$OUT/$name.camel.yaml" "$routes/"
  # drained when the receiver has had every event (a cheap poll: rabbitmqctl costs 0.4 s of CPU a call)
  until [ $(( $(distinct) - ${calls0#* } )) -ge "$backlog" ]; do
    [ $(( $(date +%s) - t0 / 1000000000 )) -lt 900 ] || { echo "not drained in 15 min; see $OUT/app-$run-$mode.log" >&2; exit 1; }
    sleep 0.1
  done
  t1=$(date +%s%N); app1=$(ticks $APP); calls1=$(calls)
  python3 - "$mode" "$backlog" $calls0 $calls1 "$t0" "$t1" "$app0" "$app1" >> "$OUT/results.md" <<'PY'
import sys
mode, backlog, c0, d0, c1, d1, t0, t1, a0, a1 = sys.argv[1:]
delivered = int(c1) - int(c0)
twice = delivered - (int(d1) - int(d0))
seconds = (int(t1) - int(t0)) / 1e9
print(f"| {mode} | {delivered:,} of {int(backlog):,} | {delivered / seconds:,.0f}"
      f" | {(int(a1) - int(a0)) * 10_000 / max(delivered, 1):,.0f} | {twice} |")
PY
  tail -n 1 "$OUT/results.md" >&2
  until [ "$(depth $queue)" = "0" ]; do sleep 1; done
  kill $APP; wait $APP 2>/dev/null || true; APP=""
  # what the database file holds after the run (the delivery log's rows among the rest)
  echo "$run $mode: data $(du -sk "$OUT/data-$run" | cut -f1) KiB" >> "$OUT/machine.txt"
  rabbitmqctl delete_queue "$queue" >/dev/null 2>&1 || true
done
cat "$OUT/results.md"
