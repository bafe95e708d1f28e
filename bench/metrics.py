#!/usr/bin/env python3
"""Reads the app's Prometheus metrics: events processed and their end-to-end latency.

  metrics.py snapshot URL KEY > file.json           counts and histogram buckets of shop_events_latency_seconds,
                                                    in all and per event type
  metrics.py diff BEFORE.json AFTER.json SECS [TYPE] processed/s and p50/p99 (ms) between two snapshots
"""
import json
import re
import sys
import urllib.request

LINE = re.compile(r'^(shop_events_latency_seconds_(?:bucket|count))\{([^}]*)\}\s+(\S+)$')


def snapshot(url, key):
    request = urllib.request.Request(url, headers={"X-API-Key": key})
    text = urllib.request.urlopen(request, timeout=60).read().decode()
    whole = {"count": 0.0, "buckets": {}}
    types = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if not m:
            continue
        name, labels, value = m.groups()
        labels = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        for part in (whole, types.setdefault(labels.get("type", "?"), {"count": 0.0, "buckets": {}})):
            if name.endswith("_count"):
                part["count"] += float(value)
            else:
                le = labels["le"]
                part["buckets"][le] = part["buckets"].get(le, 0.0) + float(value)
    whole["types"] = types
    return whole


def quantile(q, deltas):
    """deltas: sorted [(upper bound in s, cumulative count)]; linear inside the bucket, as Prometheus does."""
    total = deltas[-1][1]
    if total <= 0:
        return float("nan")
    rank = q * total
    lower_bound, lower_count = 0.0, 0.0
    for bound, cumulative in deltas:
        if cumulative >= rank:
            if bound == float("inf"):
                return float("inf")  # beyond the histogram's last bucket (30 s)
            width = cumulative - lower_count
            return lower_bound + (bound - lower_bound) * ((rank - lower_count) / width if width else 1)
        lower_bound, lower_count = bound, cumulative
    return lower_bound


def diff(before, after, seconds, event_type=None):
    if event_type:
        empty = {"count": 0.0, "buckets": {}}
        before = before.get("types", {}).get(event_type, empty)
        after = after.get("types", {}).get(event_type, empty)
    processed = after["count"] - before["count"]
    deltas = sorted(((float(le), after["buckets"][le] - before["buckets"].get(le, 0.0)) for le in after["buckets"]),
                    key=lambda b: b[0])
    return {
        "processed": processed,
        "processed_per_s": processed / seconds if seconds else float("nan"),
        "e2e_p50_ms": quantile(0.50, deltas) * 1000 if deltas else float("nan"),
        "e2e_p99_ms": quantile(0.99, deltas) * 1000 if deltas else float("nan"),
    }


if __name__ == "__main__":
    if sys.argv[1] == "snapshot":
        print(json.dumps(snapshot(sys.argv[2], sys.argv[3])))
    elif sys.argv[1] == "diff":
        with open(sys.argv[2]) as b, open(sys.argv[3]) as a:
            print(json.dumps(diff(json.load(b), json.load(a), float(sys.argv[4]), sys.argv[5] if len(sys.argv) > 5 else None)))
