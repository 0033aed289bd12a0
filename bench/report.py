#!/usr/bin/env python3
"""Turns a bench/run output folder into report.json and report.md (figures from this one run)."""
import csv
import json
import os
import sys

out, events, rate_events, rate = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale_report  # noqa: E402  (bench/scale_report.py, next to this file)

scaling, scaling_lines = scale_report.section(out)
if not os.path.exists(os.path.join(out, "fast.stat.json")):
    # bench/run --scenarios without the throughput scenarios (fast, slow, rate): the scaling alone.
    json.dump({"scaling": scaling}, open(os.path.join(out, "report.json"), "w"), indent=2)
    open(os.path.join(out, "report.md"), "w").write("# Herald benchmark (one run)\n" + "\n".join(scaling_lines) + "\n")
    sys.exit(0)


def load(name):
    with open(os.path.join(out, name)) as f:
        return json.load(f)


def kafka_limit():
    # ConsumerPerformance CSV: start.time, end.time, data.consumed.in.MB, MB.sec,
    # data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
    row = next(csv.reader(open(os.path.join(out, "kafka-consumer-perf.csv"))))
    return {"messages": int(row[4]), "msgs_per_second": float(row[5]), "fetch_msgs_per_second": float(row[9])}


def redis_limit(name):
    row = next(csv.reader(open(os.path.join(out, name))))
    calls = float(row[1])
    return {"script_calls_per_second": calls, "items_per_call": 100, "items_per_second": calls * 100}


report = {"events": events, "scenarios": {}, "machine": {"kafka_consume": kafka_limit(),
                                                         "redis_ledger_script": redis_limit("redis-benchmark.csv")}}
if os.path.exists(os.path.join(out, "redis-benchmark-settle.csv")):
    # HSETs pipelined 100 a round trip: redis-benchmark counts each command, an item each.
    row = next(csv.reader(open(os.path.join(out, "redis-benchmark-settle.csv"))))
    settle = {"commands_per_second": float(row[1]), "items_per_second": float(row[1])}
    report["machine"]["redis_settle"] = settle
    # Every event costs one reserve item and one settle item of the same single-threaded Redis,
    # and, from the write mark on, one item of its call's write script (measured when the build
    # has it: bench/run leaves the file out for older builds).
    per_event = 1 / report["machine"]["redis_ledger_script"]["items_per_second"] + 1 / settle["items_per_second"]
    if os.path.exists(os.path.join(out, "redis-benchmark-write.csv")):
        report["machine"]["redis_write"] = redis_limit("redis-benchmark-write.csv")
        per_event += 1 / report["machine"]["redis_write"]["items_per_second"]
    report["machine"]["redis_ledger_events_per_second"] = 1 / per_event
def iso_ms(text):
    from datetime import datetime, timezone
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


for name in ("fast", "slow", "rate"):
    s = {"stat": load(f"{name}.stat.json"), "process": load(f"{name}.process.json")}
    # End-to-end throughput: from Herald's first consumed event to its last outcome.
    elapsed = (s["stat"]["last_settled_ms"] - iso_ms(s["process"]["first_consumed_at"])) / 1000
    s["stat"]["first_consume_to_last_outcome_seconds"] = elapsed
    s["stat"]["events_per_second"] = s["stat"]["outcomes"] / max(elapsed, 0.001)
    report["scenarios"][name] = s
lower = min(report["machine"]["kafka_consume"]["fetch_msgs_per_second"],
            report["machine"]["redis_ledger_script"]["items_per_second"])
fast = report["scenarios"]["fast"]
report["herald_fraction_of_machine_limit"] = fast["stat"]["events_per_second"] / lower
if "redis_ledger_events_per_second" in report["machine"]:
    report["herald_fraction_of_ledger_limit"] = (fast["stat"]["events_per_second"] /
                                                 report["machine"]["redis_ledger_events_per_second"])
targets = {
    "throughput_events_per_second >= 50000": fast["stat"]["events_per_second"] >= 50000,
    "cpu_us_per_event <= 10": fast["process"]["cpu_us_per_event"] <= 10,
    "redis_round_trips_per_event <= 0.05": fast["process"]["redis_round_trips_per_event"] <= 0.05,
    "peak_rss_mb <= 150": fast["process"]["peak_rss_mb"] <= 150,
    "redis_bytes_per_ledger_entry <= 100": (fast["process"]["redis_bytes_per_ledger_entry"] or 1e9) <= 100,
    "p99_latency_ms <= 250 at 10k/s, 20 ms gateway": report["scenarios"]["rate"]["stat"]["latency_ms"]["p99"] <= 250,
    "fraction_of_machine_limit >= 0.5": report["herald_fraction_of_machine_limit"] >= 0.5,
}
report["targets"] = targets
# The whole machine's CPU per event: Herald's own plus Redis's, the broker's and the simulator's.
for s in report["scenarios"].values():
    o = s["process"].get("other_processes_cpu_us_per_event")
    if o:
        s["process"]["machine_cpu_us_per_event"] = s["process"]["cpu_us_per_event"] + sum(o.values())
if scaling:
    report["scaling"] = scaling
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=2)

m = report["machine"]
lines = [
    f"# Herald benchmark ({events:,} events, 12 partitions, one run)",
    "",
    "| scenario | events/s (first consume → last outcome) | CPU µs/event | peak RSS MB | Redis round trips/event | Redis commands/event | Redis B/ledger entry | latency p50/p99/max ms |",
    "|---|---|---|---|---|---|---|---|",
]
titles = {"fast": "gateway answers at once", "slow": "gateway answers after 20 ms",
          "rate": f"fixed {rate:,}/s, 20 ms gateway ({rate_events:,} events)"}
for name, s in report["scenarios"].items():
    st, pr = s["stat"], s["process"]
    lat = st["latency_ms"]
    per_entry = pr["redis_bytes_per_ledger_entry"]
    lines.append(f"| {titles[name]} | {st['events_per_second']:,.0f} | {pr['cpu_us_per_event']:.1f} | {pr['peak_rss_mb']:.0f} | "
                 f"{pr['redis_round_trips_per_event']:.4f} | {pr.get('redis_commands_per_event', 0):.2f} | {per_entry if per_entry is None else round(per_entry)} | "
                 f"{lat['p50']}/{lat['p99']}/{lat['max']} |")
lines += [
    "",
    "CPU µs per event by process (the whole machine's work; 2 cores = 2,000,000 µs a second):",
    "",
    "| scenario | Herald | Redis | Kafka broker | simulator | total | 2 cores at 100 % carry |",
    "|---|---|---|---|---|---|---|",
]
for name, s in report["scenarios"].items():
    pr = s["process"]
    o = pr.get("other_processes_cpu_us_per_event")
    if o:
        lines.append(f"| {titles[name]} | {pr['cpu_us_per_event']:.1f} | {o['redis']:.1f} | {o['kafka_broker']:.1f} | "
                     f"{o['simulator']:.1f} | {pr['machine_cpu_us_per_event']:.1f} | "
                     f"{2e6 / pr['machine_cpu_us_per_event']:,.0f} events/s |")
lines += [
    "",
] + ([
    "Fixed-rate latency as a read_committed reader of the results topic sees it (CreateTime → the record read: "
    "with Kafka transactions it waits for its transaction's commit, which `settled_at` does not): "
    "{p50}/{p99}/{max} ms p50/p99/max".format(**report["scenarios"]["rate"]["stat"]["visible_ms"]),
    "",
] if "visible_ms" in report["scenarios"]["rate"]["stat"] else []) + [
    "Outcomes (fast): " + ", ".join(f"{k} {v:,}" for k, v in fast["stat"]["by_status"].items()),
    "",
    "Herald's minor page faults per event (getrusage; memory freed and taken again): " +
    ", ".join(f"{name} {s['process'].get('minor_page_faults_per_event', 0):.3f}" for name, s in report["scenarios"].items()),
    "",
    "## The machine's own limits, same run",
    "",
    f"- Raw Kafka consume rate of the same topic (ConsumerPerformance, fetch rate): {m['kafka_consume']['fetch_msgs_per_second']:,.0f} msgs/s",
    f"- Redis rate of the ledger's reserve script (redis-benchmark, 100 items a call): "
    f"{m['redis_ledger_script']['script_calls_per_second']:,.0f} calls/s = {m['redis_ledger_script']['items_per_second']:,.0f} items/s",
    f"- Herald (fast) as a fraction of the lower limit: {report['herald_fraction_of_machine_limit']:.2f}",
] + ([
    f"- Redis rate of the ledger's settle (redis-benchmark, HSET pipelined 100 a round trip): "
    f"{m['redis_settle']['items_per_second']:,.0f} items/s" + (
        f"; of the write mark (the write script, 100 items a call): {m['redis_write']['items_per_second']:,.0f} items/s; "
        "one event needs a reserve, a write and a settle item: " if "redis_write" in m else
        "; one event needs a reserve and a settle item: ") + f"{m['redis_ledger_events_per_second']:,.0f} events/s",
    f"- Herald (fast) as a fraction of that ledger limit per event: {report['herald_fraction_of_ledger_limit']:.2f}",
] if "redis_settle" in m else []) + [
    "",
    "## Targets",
    "",
]
lines += [f"- {'met' if ok else 'NOT met'}: {t}" for t, ok in targets.items()]
lines += ["", "Plots: throughput.png (outcomes per second), latency.png (fixed-rate latency distribution)."]
lines += scaling_lines
open(os.path.join(out, "report.md"), "w").write("\n".join(lines) + "\n")
