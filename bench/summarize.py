#!/usr/bin/env python3
"""bench/run.sh's arithmetic: one JSON line per run, the capacity, the results table.

  summarize.py run OUT NAME KIND RATE MODE WALL_MS DEPTH APP_TICKS BROKER_TICKS APP_TICKS_IN_RUN APPLIED0 APPLIED1 BUSY0 BUSY1
  summarize.py capacity RUNS.jsonl
  summarize.py table OUT CPU_CHECK_S READY_MS RSS_MIB JAVA_OPTS CAPACITY

CPU ticks are 1/100 s (/proc/<pid>/stat utime + stime); an event's CPU is its call's and its
processing's (the drain after the run is counted), divided by the calls answered 202.
"""
import json
import re
import sys

sys.path.insert(0, "bench")
from metrics import diff  # noqa: E402

TICK_US = 10_000


def wrk(text):
    def ms(label):
        m = re.search(r"^\s+%s\s+([\d.]+)(us|ms|s)\s*$" % re.escape(label), text, re.M)
        return float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else None
    total = int(re.search(r"(\d+) requests in", text).group(1))
    non2xx = int((re.search(r"Non-2xx or 3xx responses: (\d+)", text) or [0, 0])[1])
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    return {"answered": total, "accepted": total - non2xx, "refused": non2xx,
            "timeouts": int(sock.group(4)) if sock else 0,
            "errors": sum(int(x) for x in sock.groups()[:3]) if sock else 0,
            "p50": ms("50%"), "p99": ms("99%")}


def openloop(text):
    r = json.loads(text)
    status = {int(k): v for k, v in r["status"].items()}
    return {"sent": r["sent"], "answered": r["answered"], "accepted": status.get(202, 0), "refused": status.get(503, 0),
            "other": {k: v for k, v in status.items() if k not in (202, 503)}, "timeouts": r["timeouts"],
            "errors": sum(r["errors"].values()), "notAnswered": r["notAnswered"], "within1s": r["answeredWithin1s"],
            "over2s": r["answeredOver2s"], "retryAfterMissing": r["retryAfterMissing"], "p50": r["latencyMs"]["p50"],
            "p99": r["latencyMs"]["p99"], "max": r["latencyMs"]["max"], "probe": r["probe"],
            "refusedSeconds": r["refusedSeconds"], "slow": r["slow"], "clientCores": r.get("clientCores")}


def run(out, name, kind, rate, mode, wall_ms, depth, app, broker, app_in_run, applied0, applied1, busy0, busy1):
    text = open(f"{out}/{name}.txt").read()
    row = wrk(text) if kind == "wrk" else openloop(text)
    seconds = int(wall_ms) / 1000
    before, during, after = (json.load(open(f"{out}/{name}.{s}.json")) for s in ("before", "during", "after"))
    whole = diff(before, after, seconds)
    busy = [int(x) for x in busy1.split(":")]
    idle = [int(x) for x in busy0.split(":")]
    machine = (busy[0] - idle[0]) / max(1, (busy[0] - idle[0]) + (busy[1] - idle[1]))
    accepted = row["accepted"]
    row.update(name=name, kind=kind, mode=mode, rate=int(rate), seconds=round(seconds, 1),
               acceptedPerSecond=round(accepted / seconds), queuedAtEnd=int(depth),
               appUsPerEvent=round(int(app) * TICK_US / accepted) if accepted else None,
               brokerUsPerEvent=round(int(broker) * TICK_US / accepted) if accepted else None,
               appCoresInRun=round(int(app_in_run) / 100 / seconds, 2), machineBusy=round(machine * 100),
               processedPerSecond=round(diff(before, during, seconds)["processed_per_s"]),
               e2eP50=round(whole["e2e_p50_ms"], 1), e2eP99=round(whole["e2e_p99_ms"], 1),
               # wrk counts only the answers inside its window; an open-loop run waits for every answer
               acceptedNotApplied=None if kind == "wrk" else accepted - (int(float(applied1)) - int(float(applied0))))
    print(json.dumps(row))


def runs(path):
    return {r["name"]: r for r in map(json.loads, open(path))}


def fmt(value, unit=""):
    return "-" if value is None else f"{value}{unit}"


def table(out, cpu, ready, rss, opts, capacity):
    r = runs(f"{out}/runs.jsonl")
    print(f"CPU check {cpu} s (one core, 20 million additions in Python); app, RabbitMQ, load generator and probe on "
          f"the same 2 cores; JAVA_OPTS={opts}; capacity {capacity} calls/s (steady, 64 connections)\n")
    print("| run | offered/s | 202/s | 503 | other | timeouts, errors, unanswered | p50 ms | p99 ms | within 1 s | over 2 s "
          "| probe p99/max ms, unanswered | app µs/event | broker µs/event | machine busy | client cores | e2e p99 ms | 202 not applied |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, x in r.items():
        offered = "max (wrk, 64 conn.)" if x["kind"] == "wrk" else f'{x["rate"]} {x["mode"]}'
        answered = x.get("answered") or 0
        within = f'{100 * x["within1s"] / x["sent"]:.1f} %' if x.get("within1s") is not None and x.get("sent") else "-"
        probe = x.get("probe")
        probe_text = f'{probe["p99"]}/{probe["max"]}, {probe["polls"] - probe["answered"]}' if probe else "-"
        failures = f'{x["timeouts"]}, {x["errors"]}, {x.get("notAnswered", 0)}'
        print(f'| {name} | {offered} | {x["acceptedPerSecond"]} | {x["refused"]} | {fmt(x.get("other") or None)} | {failures} '
              f'| {fmt(x["p50"])} | {fmt(x["p99"])} | {within} | {fmt(x.get("over2s"))} | {probe_text} '
              f'| {fmt(x["appUsPerEvent"])} | {fmt(x["brokerUsPerEvent"])} | {x["machineBusy"]} % | {fmt(x.get("clientCores"))} '
              f'| {x["e2eP99"]} '
              f'| {fmt(x["acceptedNotApplied"])} |')
    first, steady = r.get("first-30s"), r.get("steady")
    print()
    if first and steady:
        print(f'First 30 s after ready: {first["acceptedPerSecond"]} calls/s against {steady["acceptedPerSecond"]} steady '
              f'({100 * first["acceptedPerSecond"] / steady["acceptedPerSecond"]:.0f} %); start to ready {ready} ms; '
              f'peak RSS {rss} MiB (VmHWM).')
    if "reload" in r and r["reload"].get("refusedSeconds"):
        s = r["reload"]["refusedSeconds"]
        print(f'Reload under load: 503s from {s["from"]} s to {s["until"]} s of the run ({s["until"] - s["from"]:.1f} s).')
    if "slow-bodies" in r and r["slow-bodies"].get("slow"):
        print(f'Slow bodies: {json.dumps(r["slow-bodies"]["slow"])}.')


if __name__ == "__main__":
    verb = sys.argv[1]
    if verb == "run":
        run(*sys.argv[2:])
    elif verb == "capacity":
        print(runs(sys.argv[2])["steady"]["acceptedPerSecond"])
    elif verb == "table":
        table(*sys.argv[2:])
