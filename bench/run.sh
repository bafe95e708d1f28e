#!/usr/bin/env bash
# The peak benchmark: the packaged jar against the local RabbitMQ and an SMTP sink, driven as
# shops drive it. It measures what a peak needs (bench/README.md): start to ready, the first 30 s
# against steady state, CPU per event (app and broker, from /proc), capacity, open-loop runs at
# 0.5x, 1x and 3x that capacity with keep-alive connections and with a new connection per call
# (the readiness probe polled 10 times a second throughout), 500 slow-body connections, a route
# reload under load, peak RSS and the JIT's code cache.
#
#   bench/run.sh                      # about 12 minutes
#   JAVA_OPTS="-Xmx192m ..." bench/run.sh
#   SHORT=1 bench/run.sh              # every run 10 s: checks the script, measures nothing
set -euo pipefail
cd "$(dirname "$0")/.."

PORT=${PORT:-18080}
MGMT=${MGMT_PORT:-18081}
SMTP_PORT=${SMTP_PORT:-12525}
# a heap sized for the service (not a quarter of the machine), Serial GC: fewest threads on 2 cores
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx256m -Xmn128m -XX:+UseSerialGC"}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}   # glibc's per-thread arenas are RSS nobody uses here
KEY=local-dev-key-0123456789                      # the local profile's development key
BASE=http://127.0.0.1:$PORT
PROBE=http://127.0.0.1:$MGMT/actuator/health/readiness
S=${SHORT:+10}                                     # SHORT=1: every run 10 s
OUT=$(pwd)/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
RUNS=$OUT/runs.jsonl
: > "$RUNS"

log() { printf '\n== %s\n' "$*" >&2; }

command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
command -v node >/dev/null || { echo "node (18 or later) is needed for the open-loop runs" >&2; exit 1; }
JAR=$(ls target/shop-events-*.jar 2>/dev/null | head -n 1 || true)
if [ -z "$JAR" ]; then log "building the jar"; ./mvnw -q -B -DskipTests package; JAR=$(ls target/shop-events-*.jar | head -n 1); fi

queue_depth() {  # messages in the subscriptions' and retry queues, ready or unacknowledged
  rabbitmqctl list_queues -q --no-table-headers name messages \
    | awk '$1 ~ /^shop\.events\./ && $1 != "shop.events.dead" && $1 != "shop.events.archive" {n += $2} END {print n + 0}'
}
[ "$(queue_depth)" = "0" ] || { echo "the subscriptions' queues are not empty: stop other consumers first" >&2; exit 1; }

# --- the machine: its speed today (one core counting to 20 million in Python; this machine kind
# takes 1.1-3.3 s), its load, and who else uses the CPU
CPU_S=$( { TIMEFORMAT=%R; time python3 -c 's = 0
for i in range(20_000_000): s += i'; } 2>&1 )
{ echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"; ps -eo pcpu,pid,comm --sort=-pcpu | head -6; } > "$OUT/machine.txt"
BROKER=$(rabbitmqctl eval 'os:getpid().' | tr -d '"')

python3 -W ignore bench/smtp_sink.py 127.0.0.1:$SMTP_PORT > "$OUT/smtp.log" 2>&1 & SINK=$!
APP=""
cleanup() { [ -n "$APP" ] && kill "$APP" 2>/dev/null; kill "$SINK" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT

# route files reloaded from a copy, so that the reload run touches no file of the repository
cp -r routes "$OUT/routes"
log "starting $JAR ($JAVA_OPTS)"
started=$(date +%s%N)
SERVER_PORT=$PORT MANAGEMENT_SERVER_PORT=$MGMT MAIL_SMTP_PORT=$SMTP_PORT SHOP_DATADIR=$OUT/data SHOP_ROUTES_DIR=$OUT/routes \
  SERVER_TOMCAT_MAXKEEPALIVEREQUESTS=-1 java $JAVA_OPTS -jar "$JAR" > "$OUT/app.log" 2>&1 & APP=$!
until curl -sf -o /dev/null "$PROBE"; do
  kill -0 $APP 2>/dev/null || { echo "the app died; see $OUT/app.log" >&2; exit 1; }
  sleep 0.05
done
READY_MS=$(( ($(date +%s%N) - started) / 1000000 ))
log "ready in ${READY_MS} ms"

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # user + system CPU, in 1/100 s
busy() { awk '/^cpu /{print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6; exit}' /proc/stat | tr ' ' ':'; }  # machine busy:idle ticks
applied() {  # events the order-status subscription applied so far
  curl -s -H "X-API-Key: $KEY" "http://127.0.0.1:$MGMT/actuator/prometheus" \
    | awk '/^shop_subscription_events_total/ && /subscription="order-status"/ && /outcome="applied"/ {n += $2} END {print n + 0}'
}
snapshot() { python3 bench/metrics.py snapshot "http://127.0.0.1:$MGMT/actuator/prometheus" $KEY; }

# measure NAME KIND [RATE] [SECONDS] [MODE] [EXTRA...]: one run, the queues drained after it, a line in runs.jsonl.
# KIND wrk: 64 connections as fast as the app answers; KIND open: openloop.mjs at RATE calls/s.
measure() {
  local name=$1 kind=$2 rate=${3:-0} seconds=${S:-${4:-30}} mode=${5:-keepalive}; shift $(( $# < 5 ? $# : 5 ))
  log "$name: $kind ${rate}/s ${seconds}s $mode $*"
  snapshot > "$OUT/$name.before.json"
  local applied0 app0 broker0 busy0 t0
  applied0=$(applied); app0=$(ticks $APP); broker0=$(ticks $BROKER); busy0=$(busy); t0=$(date +%s%N)
  if [ "$kind" = wrk ]; then
    API_KEY=$KEY EVENTS=orders wrk -t2 -c64 -d${seconds}s --timeout 10s --latency -s bench/events.lua $BASE > "$OUT/$name.txt" & local gen=$!
  else
    node bench/openloop.mjs --url $BASE --key $KEY --rate "$rate" --duration "$seconds" --mode "$mode" \
      --probe "$PROBE" --prefix "$name-$$" "$@" > "$OUT/$name.txt" & local gen=$!
  fi
  wait $gen
  local app1 broker1 busy1 wall
  app1=$(ticks $APP); broker1=$(ticks $BROKER); busy1=$(busy); wall=$(( ($(date +%s%N) - t0) / 1000000 ))
  snapshot > "$OUT/$name.during.json"
  local depth; depth=$(queue_depth)
  until [ "$(queue_depth)" = "0" ]; do sleep 0.5; done
  # CPU of the drain counts too: an event's cost is its call and its processing
  local app2 broker2; app2=$(ticks $APP); broker2=$(ticks $BROKER)
  snapshot > "$OUT/$name.after.json"
  python3 bench/summarize.py run "$OUT" "$name" "$kind" "$rate" "$mode" "$wall" "$depth" \
    "$((app2 - app0))" "$((broker2 - broker0))" "$((app1 - app0))" "$applied0" "$(applied)" "$busy0" "$busy1" >> "$RUNS"
}

# --- warm-up as a peak meets it: load from the moment of ready
measure first-30s wrk 0 30
log "warm-up: 90 s more, not measured"
API_KEY=$KEY EVENTS=orders wrk -t2 -c64 -d${S:-90}s -s bench/events.lua $BASE > "$OUT/warmup.txt"
until [ "$(queue_depth)" = "0" ]; do sleep 0.5; done
measure steady wrk 0 60
CAPACITY=$(python3 bench/summarize.py capacity "$RUNS")
log "capacity (accepted calls/s, steady, 64 connections): $CAPACITY"

for mode in keepalive newconn; do
  for factor in 0.5 1 3; do
    rate=$(python3 -c "print(round($CAPACITY * $factor))")
    measure "$mode-${factor}x" open "$rate" "$([ "$factor" = 3 ] && echo 60 || echo 30)" $mode
  done
done
HALF=$(python3 -c "print(round($CAPACITY * 0.5))")
measure slow-bodies open "$HALF" 30 keepalive --slow 500
# a file with REST definitions reloads the whole set (the worst case); a subscription's file only itself
measure reload open 500 30 keepalive --at "10:$OUT/routes/rest-api.camel.yaml"

jcmd $APP Compiler.codecache > "$OUT/codecache.txt" 2>&1 || true
RSS_MIB=$(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$APP/status)
python3 bench/summarize.py table "$OUT" "$CPU_S" "$READY_MS" "$RSS_MIB" "$JAVA_OPTS" "$CAPACITY" | tee "$OUT/results.md"
