#!/usr/bin/env bash
# The shop-events benchmark: the packaged app against the local RabbitMQ and an SMTP sink,
# driven by wrk, side by side with RabbitMQ PerfTest on the same machine. See bench/README.md.
#
#   bench/run.sh                        # about 8 minutes
#   DURATION=60 CONNECTIONS=64 RATES="500 1000 2000" bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-30}          # seconds per measured run
WARMUP=${WARMUP:-20}              # seconds of load before the first measured run (JIT)
CONNECTIONS=${CONNECTIONS:-64}    # wrk connections in the fixed-concurrency runs
RATES=${RATES:-"500 1000 2000"}   # requests/s of the paced runs
MAIL_RATE=${MAIL_RATE:-500}       # requests/s of the mixed runs with the mail server up, then hung
PORT=${PORT:-18080}
# a heap sized for the service, not a quarter of the machine; Serial GC: fewest threads on 2 cores
JAVA_OPTS=${JAVA_OPTS:-"-Xms192m -Xmx192m -XX:+UseSerialGC -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m"}
SMTP_PORT=${SMTP_PORT:-12525}
KEY=local-dev-key-0123456789      # the local profile's development key
BASE=http://127.0.0.1:$PORT
OUT=$(pwd)/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"

log() { printf '\n== %s\n' "$*" >&2; }

# --- tools: wrk (Debian), the jar (the build), PerfTest (Maven Central)
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

# messages in the subscriptions' queues and the retry queues, ready or not yet acknowledged
queue_depth() {
  rabbitmqctl list_queues -q --no-table-headers name messages \
    | awk '$1 ~ /^shop\.events\./ && $1 != "shop.events.dead" && $1 != "shop.events.archive" {n += $2} END {print n + 0}'
}
if [ "$(queue_depth)" != "0" ]; then
  echo "the subscriptions' queues are not empty (another consumer or old messages): stop other consumers first" >&2
  exit 1
fi

# --- the SMTP sink and the app
python3 -W ignore bench/smtp_sink.py 127.0.0.1:$SMTP_PORT & SINK=$!
APP=""
cleanup() { if [ -n "$APP" ]; then kill "$APP" 2>/dev/null || true; fi; kill "$SINK" 2>/dev/null || true; wait 2>/dev/null || true; }
trap cleanup EXIT

log "starting $JAR"
started=$(date +%s%N)
SERVER_PORT=$PORT MAIL_SMTP_PORT=$SMTP_PORT SHOP_DATADIR=$OUT/data SHOP_ROUTES_RELOAD=false \
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

# run NAME EVENTS [RATE [hung]]: one wrk run, then the queues drained; appends a row to $OUT/rows.tsv.
# With "hung", the SMTP sink hangs during the run (accepts connections, never answers) and answers
# again before the drain, so the welcome mails held back go out.
run() {
  local name=$1 events=$2 rate=${3:-0} mail=${4:-up} connections=$CONNECTIONS threads=2
  # paced: each connection sends 10 requests/s, waiting 100 ms after each answer, so the rate
  # holds while answers take a small part of that (the achieved rate is in the table)
  if [ "$rate" != 0 ]; then connections=$(( rate / 10 < 8 ? 8 : rate / 10 )); fi
  log "$name: $connections connections${3:+, paced at $rate requests/s}, ${DURATION}s"
  snapshot > "$OUT/$name.before.json"
  if [ "$mail" = hung ]; then kill -USR1 $SINK; fi
  API_KEY=$KEY EVENTS=$events RATE=$rate CONNECTIONS=$connections \
    wrk -t$threads -c$connections -d${DURATION}s --timeout 10s --latency -s bench/events.lua $BASE > "$OUT/$name.wrk.txt"
  snapshot > "$OUT/$name.during.json"
  if [ "$mail" = hung ]; then kill -USR2 $SINK; fi
  local drained_from=$(date +%s%N)
  drain
  local drain_s=$(awk -v s="$drained_from" -v e="$(date +%s%N)" 'BEGIN{printf "%.1f", (e-s)/1e9}')
  snapshot > "$OUT/$name.after.json"
  python3 - "$OUT" "$name" "$DURATION" "$rate" "$drain_s" >> "$OUT/rows.tsv" <<'PY'
import json, re, sys
sys.path.insert(0, "bench")
from metrics import diff
out, name, duration, rate, drain = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]
wrk = open(f"{out}/{name}.wrk.txt").read()
def ms(label):
    m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), wrk, re.M)
    if not m: return float("nan")
    return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
total = int(re.search(r"(\d+) requests in", wrk).group(1))
non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", wrk) or [0, 0])[1])
sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", wrk)
errors = non2xx + (sum(int(x) for x in sock.groups()) if sock else 0)
b, d, a = (json.load(open(f"{out}/{name}.{s}.json")) for s in ("before", "during", "after"))
during, whole = diff(b, d, duration), diff(b, a, duration)
# orders while the run lasted: what the mail-down scenario compares
orders = diff(b, d, duration, "order_placed")
def e2e(value):
    return "> 30000" if value == float("inf") else round(value, 1)
print("\t".join(str(x) for x in [name, rate, round((total - non2xx) / duration), round(ms("50%"), 1), round(ms("99%"), 1),
      round(during["processed_per_s"]), e2e(whole["e2e_p50_ms"]), e2e(whole["e2e_p99_ms"]), e2e(orders["e2e_p99_ms"]),
      errors, drain]))
PY
}

log "warm-up (${WARMUP}s, not measured)"
API_KEY=$KEY wrk -t2 -c$CONNECTIONS -d${WARMUP}s -s bench/events.lua $BASE > "$OUT/warmup.wrk.txt"
drain

: > "$OUT/rows.tsv"
run orders orders
run mix mix
for rate in $RATES; do run "orders-at-$rate" orders "$rate"; done
# one subscription's downstream hangs: the others' latency must not follow it
run "mix-at-$MAIL_RATE" mix "$MAIL_RATE"
run "mail-down-at-$MAIL_RATE" mix "$MAIL_RATE" hung
RSS_MIB=$(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$APP/status)

# --- the broker's own ceiling: PerfTest, same message size, persistent, confirms, a quorum queue
SIZE=$(API_KEY=$KEY python3 -c "print(len('{\"specversion\":\"1.0\",\"id\":\"8f0c8a4e-2c33-4c55-9d2a-1f4b3c2d1e0f\",\"type\":\"order_placed\",\"source\":\"/api/orders\",\"time\":\"2026-11-25T12:00:00.123Z\",\"datacontenttype\":\"application/json\",\"data\":{\"orderId\":\"bench-123456789-1764000000-12345\",\"userId\":\"u-345\",\"orderTotal\":346.90}}'))")
log "RabbitMQ PerfTest: ${SIZE}-byte persistent messages, confirms (64 outstanding), quorum queue, ${DURATION}s"
kill $APP; wait $APP 2>/dev/null || true; APP=""
java -cp "$PERFTEST_LIB/*" com.rabbitmq.perf.PerfTest --uri amqp://guest:guest@127.0.0.1:5672 --queue bench-perftest --quorum-queue \
  --producers 1 --consumers 1 --size "$SIZE" --flag persistent --confirm 64 --time "$DURATION" \
  > "$OUT/perftest.txt" 2>&1 || true
rabbitmqctl delete_queue bench-perftest >/dev/null 2>&1 || true
PT_SEND=$(grep -oE "sending rate avg: [0-9]+" "$OUT/perftest.txt" | grep -oE "[0-9]+$" || echo nan)
PT_RECV=$(grep -oE "receiving rate avg: [0-9]+" "$OUT/perftest.txt" | grep -oE "[0-9]+$" || echo nan)
PT_LAT=$(grep -E "consumer latency" "$OUT/perftest.txt" | tail -n 1 || true)

# --- the table
{
  echo "shop-events benchmark, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB", $2/1048576}' /proc/meminfo);"
  echo "app, RabbitMQ $(rabbitmqctl version 2>/dev/null) and wrk on the same machine; ${DURATION}s per run; H2 file database."
  echo
  echo "| run | target req/s | accepted req/s | HTTP p50 ms | HTTP p99 ms | processed/s | e2e p50 ms | e2e p99 ms | orders e2e p99 ms | errors | drain s |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, ($2=="0"?"max":$2), $3, $4, $5, $6, $7, $8, $9, $10, $11}' "$OUT/rows.tsv"
  echo
  ORDERS_ACCEPTED=$(awk -F'\t' '$1=="orders"{print $3}' "$OUT/rows.tsv")
  ORDERS_PROCESSED=$(awk -F'\t' '$1=="orders"{print $6}' "$OUT/rows.tsv")
  echo "| RabbitMQ PerfTest ($SIZE B, persistent, confirms, quorum queue) | published msg/s | consumed msg/s |"
  echo "|---|---|---|"
  echo "| PerfTest | $PT_SEND | $PT_RECV |"
  echo "| shop-events (orders run) | $ORDERS_ACCEPTED | $ORDERS_PROCESSED |"
  echo "| ratio shop-events / PerfTest | $(awk -v a="$ORDERS_ACCEPTED" -v b="$PT_SEND" 'BEGIN{printf "%.2f", a/b}') | $(awk -v a="$ORDERS_PROCESSED" -v b="$PT_RECV" 'BEGIN{printf "%.2f", a/b}') |"
  echo
  UP=$(awk -F'\t' -v n="mix-at-$MAIL_RATE" '$1==n{print $9}' "$OUT/rows.tsv")
  DOWN=$(awk -F'\t' -v n="mail-down-at-$MAIL_RATE" '$1==n{print $9}' "$OUT/rows.tsv")
  echo "Orders' e2e p99 with the mail server hung / with it up ($MAIL_RATE req/s mixed): $DOWN / $UP ms = $(awk -v a="$DOWN" -v b="$UP" 'BEGIN{printf "%.2f", a/b}') (target: at most 1.5)"
  echo
  echo "App: ready ${READY_S}s after start; peak RSS ${RSS_MIB} MiB (VmHWM). PerfTest ${PT_LAT:+$PT_LAT}"
  echo "Raw output: $OUT"
} | tee "$OUT/results.md"
