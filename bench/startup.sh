#!/usr/bin/env bash
# Start-up and warm-up of one JVM setting: start to ready, calls/s in the first 30 s after ready
# (wrk, 64 connections), app CPU meanwhile, peak RSS; STEADY=1 adds 60 s of warm-up and 60 s
# measured (calls/s, app CPU per call, the drain not counted). Against the local RabbitMQ and an
# SMTP sink, like run.sh; nothing else should run meanwhile.
#
#   bench/startup.sh base "-Xms256m -Xmx256m -Xmn128m -XX:+UseSerialGC"
#   bench/startup.sh c1   "-Xms256m -Xmx256m -Xmn128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1"
#   # with a CDS archive (Spring Boot's extracted layout, one training run):
#   java -Djarmode=tools -jar target/shop-events-*.jar extract --destination /tmp/cds/app
#   cp -r schemas /tmp/cds/app/ && (cd /tmp/cds/app && java -XX:ArchiveClassesAtExit=/tmp/cds/app.jsa \
#       -Dspring.context.exit=onRefresh -jar shop-events-0.1.0-SNAPSHOT.jar)
#   bench/startup.sh cds "... -XX:SharedArchiveFile=/tmp/cds/app.jsa -Xlog:cds=off" /tmp/cds/app/shop-events-0.1.0-SNAPSHOT.jar
set -euo pipefail
cd "$(dirname "$0")/.."
NAME=$1; OPTS=$2; JAR=${3:-$(ls target/shop-events-*.jar | head -n 1)}
KEY=local-dev-key-0123456789
OUT=$(pwd)/bench/results/startup-$NAME-$(date -u +%Y%m%dT%H%M%SZ); mkdir -p "$OUT"
cp -r routes "$OUT/routes"
python3 -W ignore bench/smtp_sink.py 127.0.0.1:12525 > "$OUT/smtp.log" 2>&1 & SINK=$!
APP=""
cleanup() { [ -n "$APP" ] && kill "$APP" 2>/dev/null; kill "$SINK" 2>/dev/null; wait 2>/dev/null || true; }
trap cleanup EXIT
ticks() { awk '{print $14 + $15}' "/proc/$APP/stat"; }
accepted() { local t n; t=$(grep -oE '[0-9]+ requests in' "$1" | cut -d' ' -f1); n=$(grep -oE 'Non-2xx or 3xx responses: [0-9]+' "$1" | grep -oE '[0-9]+$' || true); echo $(( t - ${n:-0} )); }
load() { API_KEY=$KEY EVENTS=orders wrk -t2 -c64 -d"$1" --timeout 10s -s bench/events.lua http://127.0.0.1:18080 > "$2"; }

started=$(date +%s%N)
SERVER_PORT=18080 MANAGEMENT_SERVER_PORT=18081 MAIL_SMTP_PORT=12525 SHOP_DATADIR=$OUT/data SHOP_ROUTES_DIR=$OUT/routes \
  SERVER_TOMCAT_MAXKEEPALIVEREQUESTS=-1 MALLOC_ARENA_MAX=2 java $OPTS -jar "$JAR" > "$OUT/app.log" 2>&1 & APP=$!
until curl -sf -o /dev/null http://127.0.0.1:18081/actuator/health/readiness; do
  kill -0 $APP 2>/dev/null || { echo "the app died; see $OUT/app.log" >&2; exit 1; }
  sleep 0.05
done
READY=$(( ($(date +%s%N) - started) / 1000000 ))
t0=$(ticks); load 30s "$OUT/first-30s.txt"; t1=$(ticks)
echo "$NAME: ready in $READY ms; first 30 s $(( $(accepted "$OUT/first-30s.txt") / 30 )) calls/s accepted, app CPU $(( (t1 - t0) / 100 )) s"
if [ -n "${STEADY:-}" ]; then
  load 60s "$OUT/warm-up.txt"
  s0=$(ticks); load 60s "$OUT/steady.txt"; s1=$(ticks)
  n=$(accepted "$OUT/steady.txt")
  echo "$NAME: steady $(( n / 60 )) calls/s accepted, app $(( (s1 - s0) * 10000 / n )) µs of CPU a call (drain not counted)"
fi
echo "$NAME: peak RSS $(awk '/VmHWM/{printf "%.0f", $2/1024}' /proc/$APP/status) MiB; JAVA_OPTS=$OPTS"
