// Open-loop load, as shops really call: requests are sent at a fixed rate whatever the answers do,
// and each one's latency is measured from the time it was due (a request that waits for a free
// connection waits on the clock: coordinated omission counted). Node.js, no dependencies.
//
//   node bench/openloop.mjs --url http://127.0.0.1:18080 --key KEY --rate 1000 --duration 60 \
//        --mode keepalive|newconn [--connections 64] [--probe http://127.0.0.1:18081/actuator/health/readiness]
//        [--timeout 10] [--prefix run-1] [--path /api/orders] [--slow 500] [--at 10:touch-file]
//
// keepalive: a pool of --connections keep-alive connections, as an HTTP client library keeps them;
// newconn: a new connection per call, as a PHP shop makes them. The readiness probe, if given, is
// polled 10 times a second on a connection of its own throughout. --slow N first opens N
// connections that send a POST's headers (with the key) and then its body a byte every 2 s, and
// holds them through the run. --at S:FILE touches FILE S seconds into the run (a route reload).
// Prints one JSON summary: answers by status, when the first and last 503 came, latencies from
// each call's due time.
import http from "node:http";
import net from "node:net";
import { utimesSync } from "node:fs";

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) =>
  arg.startsWith("--") ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs, []));
const url = new URL(args.url ?? "http://127.0.0.1:18080");
const key = args.key ?? "local-dev-key-0123456789";
const rate = Number(args.rate ?? 100);
const duration = Number(args.duration ?? 10);
const mode = args.mode ?? "keepalive";
const connections = Number(args.connections ?? 64);
const timeoutMs = Number(args.timeout ?? 10) * 1000;
const prefix = args.prefix ?? `ol-${process.pid}-${Date.now()}`;
const path = args.path ?? "/api/orders";

const agent = mode === "keepalive"
  ? new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections })
  : new http.Agent({ keepAlive: false, maxSockets: Infinity });

const results = { sent: 0, answered: 0, status: {}, timeouts: 0, errors: {}, retryAfterMissing: 0, over2s: 0,
  refusedFrom: null, refusedUntil: null };
const latencies = { accepted: [], all: [] };
let within1s = 0;
let outstanding = 0;

function record(latency, status) {
  results.answered++;
  if (latency > 2000) results.over2s++;
  if (status === 503) {
    const at = (performance.now() - start) / 1000;
    results.refusedFrom = results.refusedFrom ?? at;
    results.refusedUntil = at;
  }
  results.status[status] = (results.status[status] ?? 0) + 1;
  latencies.all.push(latency);
  if (status === 202) latencies.accepted.push(latency);
  if (latency <= 1000) within1s++;
}

function call(n, due) {
  results.sent++;
  outstanding++;
  const body = JSON.stringify({ orderId: `${prefix}-${n}`, userId: `u-${n % 1000}`, orderTotal: (n % 500) + 1.9 });
  const request = http.request({
    hostname: url.hostname, port: url.port, path, method: "POST", agent,
    headers: { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body), "X-API-Key": key },
  }, response => {
    response.resume();
    response.on("end", () => {
      outstanding--;
      const latency = performance.now() - due;
      if (response.statusCode === 503 && !response.headers["retry-after"]) results.retryAfterMissing++;
      record(latency, response.statusCode);
    });
  });
  request.setTimeout(timeoutMs, () => request.destroy(new Error("timeout")));
  request.on("error", e => {
    outstanding--;
    if (e.message === "timeout") results.timeouts++;
    else results.errors[e.code ?? e.message] = (results.errors[e.code ?? e.message] ?? 0) + 1;
  });
  request.end(body);
}

// the readiness probe, on a connection of its own, every 100 ms
const probe = { polls: 0, answered: 0, unanswered: 0, latencies: [] };
let probing = null;
if (args.probe) {
  const probeUrl = new URL(args.probe);
  const probeAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  probing = setInterval(() => {
    probe.polls++;
    const started = performance.now();
    const request = http.get({ hostname: probeUrl.hostname, port: probeUrl.port, path: probeUrl.pathname, agent: probeAgent,
      timeout: 5000 }, response => {
      response.resume();
      response.on("end", () => { probe.answered++; probe.latencies.push(performance.now() - started); });
    });
    request.on("timeout", () => request.destroy(new Error("timeout")));
    request.on("error", () => probe.unanswered++);
  }, 100);
}

// slow-body connections, opened before the run and held through it
const slow = { opened: 0, closedByServer: 0, answers: {}, ending: false };
const slowSockets = [];
for (let i = 0; i < Number(args.slow ?? 0); i++) {
  const socket = net.connect({ host: url.hostname, port: Number(url.port) }, () => {
    slow.opened++;
    socket.write(`POST ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n`
      + `X-API-Key: ${key}\r\nContent-Length: 1000\r\n\r\n{`);
  });
  socket.on("data", data => {
    const status = String(data).match(/^HTTP\/1\.1 (\d+)/)?.[1] ?? "other";
    slow.answers[status] = (slow.answers[status] ?? 0) + 1;
  });
  socket.on("close", () => { if (!slow.ending) slow.closedByServer++; });
  socket.on("error", () => {});
  slowSockets.push(socket);
}
const dribble = slowSockets.length ? setInterval(() => slowSockets.forEach(s => s.writable && s.write(" ")), 2000) : null;
if (slowSockets.length) await new Promise(resolve => setTimeout(resolve, 3000));

// the schedule: request n is due at start + n / rate; a tick sends everything that is due
const start = performance.now();
if (args.at) {
  const [seconds, file] = args.at.split(":");
  setTimeout(() => { const now = new Date(); utimesSync(file, now, now); }, Number(seconds) * 1000);
}
const total = Math.round(rate * duration);
let n = 0;
const ticker = setInterval(() => {
  const now = performance.now();
  while (n < total && start + (n * 1000) / rate <= now) {
    call(n, start + (n * 1000) / rate);
    n++;
  }
  if (n >= total) {
    clearInterval(ticker);
    waitForAll();
  }
}, 1);

function waitForAll() {
  const deadline = performance.now() + timeoutMs + 2000;
  const check = setInterval(() => {
    if (outstanding <= 0 || performance.now() > deadline) {
      clearInterval(check);
      if (probing) clearInterval(probing);
      if (dribble) clearInterval(dribble);
      slow.ending = true;
      slowSockets.forEach(socket => socket.destroy());
      setTimeout(report, 200);
    }
  }, 50);
}

function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = Float64Array.from(values).sort();
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] * 10) / 10;
}

function report() {
  const elapsed = (performance.now() - start) / 1000;
  console.log(JSON.stringify({
    mode, rate, duration, connections: mode === "keepalive" ? connections : null, prefix,
    sent: results.sent, answered: results.answered, status: results.status, timeouts: results.timeouts,
    errors: results.errors, notAnswered: results.sent - results.answered,
    answeredWithin1s: within1s, answeredOver2s: results.over2s, retryAfterMissing: results.retryAfterMissing,
    refusedSeconds: results.refusedFrom === null ? null
      : { from: Math.round(results.refusedFrom * 10) / 10, until: Math.round(results.refusedUntil * 10) / 10 },
    slow: slowSockets.length ? { asked: slowSockets.length, opened: slow.opened, closedByServer: slow.closedByServer,
      answers: slow.answers } : null,
    acceptedPerSecond: Math.round((results.status[202] ?? 0) / duration),
    // the client's own CPU (one thread): near 1 core, it is the load generator that cannot keep up
    clientCores: Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1e6 / elapsed * 100) / 100,
    latencyMs: { p50: percentile(latencies.all, 50), p99: percentile(latencies.all, 99), max: percentile(latencies.all, 100) },
    acceptedLatencyMs: { p50: percentile(latencies.accepted, 50), p99: percentile(latencies.accepted, 99) },
    probe: args.probe ? { polls: probe.polls, answered: probe.answered, unanswered: probe.unanswered,
      p50: percentile(probe.latencies, 50), p99: percentile(probe.latencies, 99), max: percentile(probe.latencies, 100) } : null,
    elapsedSeconds: Math.round(elapsed * 10) / 10,
  }));
  process.exit(0);
}
