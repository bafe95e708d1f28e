#!/usr/bin/env bash
# The shop-events benchmark: the packaged app against the local RabbitMQ and an SMTP sink,
# driven by wrk (as fast as it answers) and Gatling (open loop: a fixed arrival rate), side by
# side with RabbitMQ PerfTest on the same machine. See bench/README.md.
#
#   bench/run.sh                        # about 15 minutes
#   DURATION=60 RATES="500 1000" SUSTAINED_RATE=2000 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30}          # seconds per measured run
WARMUP=${WARMUP:-60}              # seconds of load before the first measured run (the JIT compiles for ~a minute)
CONNECTIONS=${CONNECTIONS:-64}    # wrk connections in the as-fast-as-possible runs
RATES=${RATES-"500 1000"}         # requests/s of the open-loop runs (Gatling); "" for none
SUSTAINED_RATE=${SUSTAINED_RATE-2000}   # requests/s of the sustained open-loop run, for 2 x DURATION; "" for none
MAIL_RATE=${MAIL_RATE:-500}       # requests/s of the mixed runs with the mail server up, then hung
BATCHES=${BATCHES-"100 1000"}     # events per call of the batch runs (POST /api/events); "" for none
MAX_RUNS=${MAX_RUNS:-yes}         # the as-fast-as-possible orders and mix runs (wrk)
PORT=${PORT:-18080}
# a heap sized for the service, not a quarter of the machine; Serial GC: fewest threads on 2 cores;
# a young generation large enough that a second of garbage at 2,000 calls/s dies in it (with 192m
# and the default third, full collections every ~10 s made the open-loop p99)
JAVA_OPTS=${JAVA_OPTS:-"-Xms256m -Xmx256m -Xmn128m -XX:+UseSerialGC -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m"}
# glibc's malloc arenas per thread are RSS nobody uses here
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}
SMTP_PORT=${SMTP_PORT:-12525}
KEY=local-dev-key-0123456789      # the local profile's development key
BASE=http://127.0.0.1:$PORT
OUT=$(pwd)/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

log() { printf '\n== %s\n' "$*" >&2; }

# --- tools: wrk (Debian), the jar (the build), Gatling and PerfTest (Maven Central)
command -v wrk >/dev/null || { apt-get install -y -qq wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }; }
JAR=$(ls target/shop-events-*.jar 2>/dev/null | head -n 1 || true)
if [ -z "$JAR" ]; then
  log "building the jar"
  ./mvnw -q -B -DskipTests package
  JAR=$(ls target/shop-events-*.jar | head -n 1)
fi
PERFTEST_LIB=bench/target/perftest
if [ ! -d "$PERFTEST_LIB" ]; then
  log "fetching RabbitMQ PerfTest (bench/perftest-pom.xml)"
  ./mvnw -q -B -f bench/perftest-pom.xml dependency:copy-dependencies -DoutputDirectory=target/perftest -DincludeScope=runtime
fi

GATLING_LIB=bench/gatling/target/lib
if [ ! -d "$GATLING_LIB" ]; then
  log "building the Gatling simulation (bench/gatling)"
  ./mvnw -q -B -f bench/gatling/pom.xml package dependency:copy-dependencies -DoutputDirectory=target/lib -DincludeScope=runtime
fi

# messages in the subscriptions' queues and the retry queues, ready or not yet acknowledged
queue_depth() {
  rabbitmqctl list_queues -q --no-table-headers name messages \
    | awk '$1 ~ /^shop\.events\./ && $1 != "shop.events.dead" && $1 != "shop.events.archive" {n += $2} END {print n + 0}'
}
if [ "$(queue_depth)" != "0" ]; then
  echo "the subscriptions' queues are not empty (another consumer or old messages): stop other consumers first" >&2
  exit 1
fi

# the machine's speed today: one core counting to 20 million in Python (machines of one kind
# differ from day to day; compare runs by this and by their ratios to PerfTest)
CPU_S=$( { TIMEFORMAT=%R; time python3 -c 's = 0
for i in range(20_000_000): s += i'; } 2>&1 )

# --- the SMTP sink and the app
python3 -W ignore bench/smtp_sink.py 127.0.0.1:$SMTP_PORT & SINK=$!
APP=""
cleanup() { if [ -n "$APP" ]; then kill "$APP" 2>/dev/null || true; fi; kill "$SINK" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

log "starting $JAR"
started=$(date +%s%N)
# keep-alive connections are not closed after 100 requests (Tomcat's default), which at 2,000
# requests/s made the load generator reconnect 20 times a second
SERVER_TOMCAT_MAXKEEPALIVEREQUESTS=-1 SERVER_PORT=$PORT MAIL_SMTP_PORT=$SMTP_PORT SHOP_DATADIR=$OUT/data SHOP_ROUTES_RELOAD=false \
  java ${JAVA_OPTS:-} -jar "$JAR" > "$OUT/app.log" 2>&1 & APP=$!
until curl -sf -o /dev/null $BASE/actuator/health/readiness; do
  kill -0 $APP 2>/dev/null || { echo "the app died; see $OUT/app.log" >&2; exit 1; }
  sleep 0.1
done
READY_S=$(awk -v s="$started" -v e="$(date +%s%N)" 'BEGIN{printf "%.1f", (e-s)/1e9}')
log "ready in ${READY_S}s"

snapshot() { python3 bench/metrics.py snapshot $BASE/actuator/prometheus $KEY; }
drain() {  # until the queue is empty and nothing is unacknowledged
  until [ "$(queue_depth)" = "0" ]; do sleep 0.5; done
}

# run NAME EVENTS [RATE [hung [BATCH]]]: one run, then the queues drained; appends a row to
# $OUT/rows.tsv. RATE 0: wrk, 64 connections, as fast as the app answers. RATE N: Gatling, open
# loop, N arrivals a second (each a new request whatever the earlier ones are doing), after a
# 10 s warm-up of Gatling's own JVM at the same rate that is not measured. With "hung", the SMTP
# sink hangs during the run (accepts connections, never answers) and answers again before the
# drain, so the welcome mails held back go out. BATCH: events per call (EVENTS batch).
run() {
  local name=$1 events=$2 rate=${3:-0} mail=${4:-up} batch=${5:-1} duration=${DURATION}
  if [ "$name" = "sustained-at-$SUSTAINED_RATE" ]; then duration=$(( DURATION * 2 )); fi
  if [ "$mail" = hung ]; then kill -USR1 $SINK; fi
  if [ "$rate" = 0 ]; then
    log "$name: wrk, $CONNECTIONS connections, ${duration}s"
    snapshot > "$OUT/$name.before.json"
    local from=$(date +%s%N)
    API_KEY=$KEY EVENTS=$events BATCH=$batch CONNECTIONS=$CONNECTIONS \
      wrk -t2 -c$CONNECTIONS -d${duration}s --timeout 10s --latency -s bench/events.lua $BASE > "$OUT/$name.wrk.txt"
  else
    log "$name: Gatling, open loop, $rate arrivals/s, ${duration}s (after 10 s not measured)"
    local gatling_out="$OUT/$name.gatling"
    java --add-opens java.base/java.lang=ALL-UNNAMED -Xmx512m -XX:+UseSerialGC \
      -Dbase=$BASE -Dkey=$KEY -Dkind=$events -Drate=$rate -Dduration=$duration -Dwarmup=10 -Dbatch=$batch -Drun="$name-$$" \
      -cp "bench/gatling/target/classes:$GATLING_LIB/*" io.gatling.app.Gatling -s ShopEventsSimulation -rf "$gatling_out" \
      > "$OUT/$name.gatling.txt" 2>&1 & local gatling=$!
    # the measured window starts when Gatling's warm-up ends
    until grep -q "Simulation ShopEventsSimulation started" "$OUT/$name.gatling.txt" 2>/dev/null; do
      kill -0 $gatling 2>/dev/null || break
      sleep 0.1
    done
    sleep 10
    snapshot > "$OUT/$name.before.json"
    local from=$(date +%s%N)
    wait $gatling || true
  fi
  local seconds=$(awk -v s="$from" -v e="$(date +%s%N)" 'BEGIN{printf "%.1f", (e-s)/1e9}')
  snapshot > "$OUT/$name.during.json"
  if [ "$mail" = hung ]; then kill -USR2 $SINK; fi
  local drained_from=$(date +%s%N)
  drain
  local drain_s=$(awk -v s="$drained_from" -v e="$(date +%s%N)" 'BEGIN{printf "%.1f", (e-s)/1e9}')
  snapshot > "$OUT/$name.after.json"
  python3 - "$OUT" "$name" "$seconds" "$rate" "$drain_s" "$batch" >> "$OUT/rows.tsv" <<'PY'
import json, math, os, re, sys
sys.path.insert(0, "bench")
from metrics import diff, gatling
out, name, seconds, rate, drain, batch = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5], int(sys.argv[6])
if rate == "0":
    wrk = open(f"{out}/{name}.wrk.txt").read()
    def ms(label):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), wrk, re.M)
        if not m: return float("nan")
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    total = int(re.search(r"(\d+) requests in", wrk).group(1))
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", wrk) or [0, 0])[1])
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk)
    errors = non2xx + (sum(int(x) for x in sock.groups()) if sock else 0)
    ok, p50, p99 = total - non2xx, ms("50%"), ms("99%")
else:
    g = gatling(f"{out}/{name}.gatling")
    ok, errors, p50, p99 = g["ok"], g["ko"], g["p50_ms"], g["p99_ms"]
b, d, a = (json.load(open(f"{out}/{name}.{s}.json")) for s in ("before", "during", "after"))
during, whole = diff(b, d, seconds), diff(b, a, seconds)
orders = diff(b, d, seconds, "order_placed")
def e2e(value):
    return "> 30000" if value == float("inf") else round(value, 1)
print("\t".join(str(x) for x in [name, rate, batch, round(ok * batch / seconds), round(p50, 1), round(p99, 1),
      round(during["processed_per_s"]), e2e(whole["e2e_p50_ms"]), e2e(whole["e2e_p99_ms"]), e2e(orders["e2e_p99_ms"]),
      errors, drain]))
PY
}

# ceiling NAME URL: as many GETs as the web stack answers (wrk, 64 connections); appends to $OUT/ceiling.tsv
ceiling() {
  local name=$1 url=$2
  log "$name: wrk GET, $CONNECTIONS connections, ${DURATION}s"
  wrk -t2 -c$CONNECTIONS -d${DURATION}s --latency -H "X-API-Key: $KEY" "$url" > "$OUT/$name.wrk.txt"
  python3 - "$OUT/$name.wrk.txt" "$name" >> "$OUT/ceiling.tsv" <<'PY'
import re, sys
wrk = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), wrk, re.M)
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else float("nan")
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", wrk).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", wrk) or [0, 0])[1])
print(f"{sys.argv[2]}\t{round(rps)}\t{round(ms('50%'), 1)}\t{round(ms('99%'), 1)}\t{non2xx}")
PY
}

log "warm-up (${WARMUP}s, not measured)"
API_KEY=$KEY wrk -t2 -c$CONNECTIONS -d${WARMUP}s -s bench/events.lua $BASE > "$OUT/warmup.wrk.txt"
drain

: > "$OUT/rows.tsv"
: > "$OUT/ceiling.tsv"
# the web stack's own ceiling: one order read (security, Camel platform-http, one H2 read), and
# the liveness probe (no Camel, no database)
curl -s -o /dev/null -H "X-API-Key: $KEY" -H 'Content-Type: application/json' \
  -d "{\"orderId\":\"bench-ceiling-$$\",\"userId\":\"u\",\"orderTotal\":1.00}" $BASE/api/orders
CEILING_ORDER=bench-ceiling-$$
until [ "$(curl -s -o /dev/null -w '%{http_code}' -H "X-API-Key: $KEY" $BASE/api/orders/$CEILING_ORDER)" = 200 ]; do sleep 0.1; done
ceiling get-order $BASE/api/orders/$CEILING_ORDER
ceiling liveness $BASE/actuator/health/liveness

if [ "$MAX_RUNS" = yes ]; then
  run orders orders
  run mix mix
fi
for size in $BATCHES; do run "batch-$size" batch 0 up "$size"; done
for rate in $RATES; do run "orders-at-$rate" orders "$rate"; done
if [ -n "$SUSTAINED_RATE" ]; then run "sustained-at-$SUSTAINED_RATE" orders "$SUSTAINED_RATE"; fi
# one subscription's downstream hangs: the others' latency must not follow it
run "mix-at-$MAIL_RATE" mix "$MAIL_RATE"
run "mail-down-at-$MAIL_RATE" mix "$MAIL_RATE" hung
RSS_MIB=$(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$APP/status)

# --- the broker's own ceiling: PerfTest, same message size, persistent, confirms, a quorum queue
SIZE=$(API_KEY=$KEY python3 -c "print(len('{\"specversion\":\"1.0\",\"id\":\"8f0c8a4e-2c33-4c55-9d2a-1f4b3c2d1e0f\",\"type\":\"order_placed\",\"source\":\"/api/orders\",\"time\":\"2026-11-25T12:00:00.123Z\",\"datacontenttype\":\"application/json\",\"data\":{\"orderId\":\"bench-123456789-1764000000-12345\",\"userId\":\"u-345\",\"orderTotal\":346.90}}'))")
kill $APP; wait $APP 2>/dev/null || true; APP=""
# perftest NAME ARGS...: one PerfTest run against a quorum queue of its own, deleted afterwards
perftest() {
  local name=$1; shift
  log "RabbitMQ PerfTest $name: ${SIZE}-byte persistent messages, quorum queue, ${DURATION}s: $*"
  java -cp "$PERFTEST_LIB/*" com.rabbitmq.perf.PerfTest --uri amqp://guest:guest@127.0.0.1:5672 --queue "bench-perftest-$name" \
    --quorum-queue --consumers 1 --size "$SIZE" --flag persistent --time "$DURATION" "$@" > "$OUT/perftest-$name.txt" 2>&1 || true
  rabbitmqctl delete_queue "bench-perftest-$name" >/dev/null 2>&1 || true
}
# what a batch faces: one producer, 64 confirms outstanding (pipelined)
perftest pipelined --producers 1 --confirm 64
# what single calls face: many producers, each waiting for its confirm before the next message
perftest one-confirm --producers 64 --confirm 1
pt() { grep -oE "$2 rate avg: [0-9]+" "$OUT/perftest-$1.txt" | grep -oE "[0-9]+$" || echo nan; }
PT_SEND=$(pt pipelined sending); PT_RECV=$(pt pipelined receiving)
PT1_SEND=$(pt one-confirm sending); PT1_RECV=$(pt one-confirm receiving)

# --- the table
{
  echo "shop-events benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
  echo "app, RabbitMQ $(rabbitmqctl version 2>/dev/null), wrk, Gatling and PerfTest on the same machine; ${DURATION}s per run; H2 file database; JAVA_OPTS=$JAVA_OPTS."
  echo
  echo "| web stack alone (wrk, $CONNECTIONS connections) | req/s | p50 ms | p99 ms | non-2xx |"
  echo "|---|---|---|---|---|"
  awk -F'\t' '{printf "| GET %s | %s | %s | %s | %s |\n", ($1=="get-order"?"/api/orders/{id}":"/actuator/health/liveness"), $2, $3, $4, $5}' "$OUT/ceiling.tsv"
  echo
  echo "| run | target req/s | events a call | accepted events/s | HTTP p50 ms | HTTP p99 ms | processed/s | e2e p50 ms | e2e p99 ms | orders e2e p99 ms | errors | drain s | accepted / PerfTest |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
  # single calls are set against PerfTest with one confirm per message, batches against pipelined PerfTest
  awk -F'\t' -v one="$PT1_SEND" -v piped="$PT_SEND" '{ref = ($3 > 1 ? piped : one);
    printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %.2f |\n", $1, ($2=="0"?"max":$2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, (ref > 0 ? $4 / ref : 0)}' "$OUT/rows.tsv"
  echo
  echo "| RabbitMQ PerfTest ($SIZE B, persistent, quorum queue, 1 consumer) | published msg/s | consumed msg/s |"
  echo "|---|---|---|"
  echo "| one confirm per message, 64 producers (what single calls face) | $PT1_SEND | $PT1_RECV |"
  echo "| 64 confirms outstanding, 1 producer (what a batch faces) | $PT_SEND | $PT_RECV |"
  echo
  UP=$(awk -F'\t' -v n="mix-at-$MAIL_RATE" '$1==n{print $10}' "$OUT/rows.tsv")
  DOWN=$(awk -F'\t' -v n="mail-down-at-$MAIL_RATE" '$1==n{print $10}' "$OUT/rows.tsv")
  echo "Orders' e2e p99 with the mail server hung / with it up ($MAIL_RATE req/s mixed): $DOWN / $UP ms = $(awk -v a="$DOWN" -v b="$UP" 'BEGIN{printf "%.2f", a/b}') (target: at most 1.5)"
  echo
  echo "App: ready ${READY_S}s after start; peak RSS ${RSS_MIB} MiB (VmHWM). CPU check: ${CPU_S}s (one core, Python, 20 million additions)"
  echo "Raw output: $OUT"
} | tee "$OUT/results.md"
