#!/usr/bin/env python3
"""The scaling scenarios' figures (bench/scale, bench/README.md "Session 8: scaling").

`scale_report.py collect OUT NAME VARIANT PODS MODE COUNT OTHERS0 OTHERS1` turns one run's files
(pod logs, benchstat's stat.json and gaps, the Redis samples) into <NAME>.scale.json;
report.py calls section(OUT) for report.json's "scaling" and report.md's section.
"""
import glob
import json
import math
import os
import statistics
import sys
from datetime import datetime, timezone


def iso_ms(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc).timestamp() * 1000)


def log_lines(path):
    out = []
    for line in open(path):
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass  # a line cut by the kill: not one the figures use
    return out


def redis_sample(path):
    nodes = {}
    for line in open(path):
        node, cpu, commands = line.split()
        nodes[node] = (int(cpu), int(commands))
    return nodes


def pods_sample(path):
    """pod -> (CPU µs, outcomes, Redis round trips, records consumed, {op: round trips}) (bench/scale's pods_sample)."""
    rows = {}
    for line in open(path):
        fields = line.split()
        pod, cpu, outcomes, trips, consumed = (int(x) for x in fields[:5])
        rows[pod] = (cpu, outcomes, trips, consumed, {op: int(n) for op, n in (f.split("=") for f in fields[5:])})
    return rows


def collect(out, name, variant, pods, mode, count, others0, others1):
    base = os.path.join(out, name)
    stat = json.load(open(base + ".stat.json"))
    starts = {int(i): int(ms) for i, ms in (l.split() for l in open(base + ".starts"))}
    # Per pod over the measured window (bench/scale's pods_sample: from the settled group to the
    # last outcome); a pod started later (the join run) counts from its start.
    w0, w1 = pods_sample(base + ".pods0"), pods_sample(base + ".pods1")
    pod_rows = []
    for i in sorted(starts):
        lines = log_lines(f"{base}.pod{i}.log")
        stopped = [l for l in lines if l["msg"] == "herald stopped"][-1]
        first = [iso_ms(l["ts"]) for l in lines if l["msg"] == "first event consumed"]
        # The first assignment that gave the pod partitions (a cooperative join's first round is empty).
        assigned = [iso_ms(l["ts"]) for l in lines if l["msg"] == "kafka partitions assigned" and l.get("count")]
        # Partitions given up while running (a join took them), not at the stop's drain.
        stop_at = next((iso_ms(l["ts"]) for l in lines if l["msg"] == "signal received, draining"), None)
        revoked = [iso_ms(l["ts"]) for l in lines if l["msg"] == "kafka partitions revoked" and l.get("count")
                   and (stop_at is None or iso_ms(l["ts"]) < stop_at)]
        before = w0.get(i, (0, 0, 0, 0, {}))
        cpu, outcomes, trips, consumed = (a - b for a, b in zip(w1[i][:4], before[:4]))
        ops = {op: n - before[4].get(op, 0) for op, n in w1[i][4].items()}
        whole_cpu = stopped["cpu_user_us"] + stopped["cpu_system_us"]
        pod_rows.append({
            "pod": i, "outcomes": outcomes, "share_of_events": outcomes / count, "cpu_us": cpu,
            "cpu_us_per_event": cpu / outcomes if outcomes else None,
            "redis_round_trips": trips,
            "redis_round_trips_per_event": trips / outcomes if outcomes else None,
            "redis_round_trips_by_op": ops, "records_consumed": consumed,
            "whole_process": {"consumed": stopped["consumed"], "cpu_us": whole_cpu,
                              "redis_round_trips": stopped["redis_round_trips"]},
            "peak_rss_mb": stopped["max_rss_kb"] / 1024, "unsettled_at_stop": stopped["unsettled"],
            "started_ms": starts[i], "first_consumed_ms": first[0] if first else None,
            "start_to_assigned_ms": assigned[0] - starts[i] if assigned else None,
            "assigned_ms": assigned, "revoked_ms": revoked})
    firsts = [p["first_consumed_ms"] for p in pod_rows if p["first_consumed_ms"]]
    elapsed = (stat["last_settled_ms"] - min(firsts)) / 1000
    r0, r1 = redis_sample(base + ".redis0"), redis_sample(base + ".redis1")
    # The window's outcomes: every figure per event divides by them (in a steady run all `count`;
    # in the join run the few the first pod wrote before its group settled are left out).
    settled = sum(p["outcomes"] for p in pod_rows)
    per = max(settled, 1)
    primaries = {node: {"cpu_us_per_event": (r1[node][0] - r0[node][0]) / per,
                        "commands_per_event": (r1[node][1] - r0[node][1]) / per} for node in r1 if node in r0}
    ops = {}
    for p in pod_rows:
        for op, n in p["redis_round_trips_by_op"].items():
            ops[op] = ops.get(op, 0) + n
    o0, o1 = [int(x) for x in others0.split()], [int(x) for x in others1.split()]
    run = {
        "variant": variant, "pods": pods, "mode": mode, "events": count, "outcomes": stat["outcomes"],
        "distinct_sources": stat.get("distinct_sources"),
        "by_status": stat["by_status"], "seconds": elapsed, "events_per_second": stat["outcomes"] / max(elapsed, 0.001),
        "pod": pod_rows,
        "window_outcomes": settled,
        # Records consumed per outcome beyond one: events that went through the retry topic again
        # (deferred, retried); near 0 for the figures per event to be the plain path's.
        "reconsumed_per_outcome": sum(p["records_consumed"] for p in pod_rows) / per - 1,
        "herald_cpu_us_per_event": sum(p["cpu_us"] for p in pod_rows) / per,
        "herald_cpu_us_per_event_median_pod": statistics.median(
            p["cpu_us_per_event"] for p in pod_rows if p["cpu_us_per_event"]),
        "redis_round_trips_per_event": sum(p["redis_round_trips"] for p in pod_rows) / per,
        "redis_round_trips_per_event_by_op": {op: n / per for op, n in sorted(ops.items())},
        "redis_primaries": primaries,
        "redis_cpu_us_per_event": sum(p["cpu_us_per_event"] for p in primaries.values()),
        "redis_commands_per_event": sum(p["commands_per_event"] for p in primaries.values()),
        "kafka_broker_cpu_us_per_event": (o1[0] - o0[0]) / per,
        "simulator_cpu_us_per_event": (o1[1] - o0[1]) / per,
    }
    run["machine_cpu_us_per_event"] = (run["herald_cpu_us_per_event"] + run["redis_cpu_us_per_event"] +
                                       run["kafka_broker_cpu_us_per_event"] + run["simulator_cpu_us_per_event"])
    gaps = [tuple(int(x) for x in l.split()) for l in open(base + ".gaps.tsv")] if os.path.exists(base + ".gaps.tsv") else []
    series = {int(s): int(n) for s, n in (l.split() for l in open(base + ".series.tsv"))}
    full = sorted(series)[1:-1]  # the first and last seconds are partial

    def longest_gap(start, end, among=gaps):
        inside = [g for g in among if g[0] + g[1] > start and g[0] < end]
        return max(inside, key=lambda g: g[1]) if inside else None

    # Per source partition: a partition moved to the joining pod waits for its new owner.
    pgaps_path = base + ".partition-gaps.tsv"
    pgaps = [tuple(int(x) for x in l.split())[1:] for l in open(pgaps_path)] if os.path.exists(pgaps_path) else []
    run["longest_partition_gap_ms"] = max((g[1] for g in pgaps), default=0)

    run["longest_gap_ms"] = max((g[1] for g in gaps), default=0)
    if mode == "join":
        # A join, as the outcomes show it: the pod starts; the group's first round gives it nothing
        # and has an older pod give up the partitions that move (the revoke: Herald settles or
        # drops their in-flight events first); a later round assigns them to the new pod. Those
        # partitions have no outcome from their last one before the revoke to the new owner's
        # first: the gap of one partition's outcomes that spans the revoke, the longest of them
        # being the join's pause. Whether the other partitions stopped too shows in the longest
        # gap with no outcome at all.
        order = sorted(starts.items(), key=lambda kv: kv[1])
        before = [series[s] for s in full if s * 1000 + 999 < order[1][1]] if len(order) > 1 else []
        baseline = longest_gap(stat["first_settled_ms"] + 1000, order[1][1]) if len(order) > 1 else None
        pbaseline = longest_gap(stat["first_settled_ms"] + 1000, order[1][1], pgaps) if len(order) > 1 else None
        joins = []
        for k in range(1, len(order)):
            pod, at = order[k]
            end = order[k + 1][1] if k + 1 < len(order) else stat["last_settled_ms"]
            row = next(p for p in pod_rows if p["pod"] == pod)
            revokes = sorted(t for p in pod_rows if p["pod"] != pod for t in p["revoked_ms"] if at <= t < end)
            revoke = revokes[0] if revokes else None
            assigned = next((t for t in row["assigned_ms"] if t >= at), None)
            spanning = [g for g in pgaps if revoke is not None and at <= g[0] <= revoke + 100 and g[0] + g[1] >= revoke]
            moved = max(spanning, key=lambda g: g[1]) if spanning else None
            gap = longest_gap(at, end)
            after = [series[s] for s in full if at // 1000 <= s <= at // 1000 + 5]
            joins.append({"pod": pod, "pods_after": k + 1, "started_ms": at,
                          "start_to_assigned_ms": row["start_to_assigned_ms"],
                          "start_to_revoke_ms": revoke - at if revoke is not None else None,
                          "revoke_to_assigned_ms": assigned - revoke if revoke is not None and assigned else None,
                          "moved_partitions_pause_ms": moved[1] if moved else None,
                          "partitions_paused_over_100ms": sum(1 for g in spanning if g[1] >= 100),
                          "longest_gap_ms": gap[1] if gap else 0,
                          "longest_gap_starts_after_start_ms": gap[0] - at if gap else None,
                          "lowest_outcomes_per_second_after": min(after) if after else None})
        run["joins"] = joins
        load = json.load(open(base + ".loadgen.json"))
        run["produced_per_second"] = load["produced"] / max(load["seconds"], 0.001)
        run["longest_gap_before_any_join_ms"] = baseline[1] if baseline else 0
        run["longest_partition_gap_before_any_join_ms"] = pbaseline[1] if pbaseline else 0
        run["median_outcomes_per_second_before_join"] = statistics.median(before) if before else None
    return run


def shown(value):
    """A figure for the table, "–" when the run was too short to have it (a pod never assigned)."""
    return "–" if value is None else f"{value:,.0f}"


def by_op(run):
    """The round trips per event by operation, the ones that happened: "reserve 0.0101, settle …"."""
    return ", ".join(f"{op} {n:.4f}" for op, n in run.get("redis_round_trips_per_event_by_op", {}).items() if n)


def model(steady, utilisation=0.7, rates=(100_000, 500_000, 1_000_000), account_cap=5000):
    """The sizing model from the cluster runs' costs per event (medians over the pod counts): the
    pods, Redis primaries and broker cores that keep each at `utilisation` of one core, and what
    the round trips and the gateway's per-account cap come to. None without a cluster run."""
    cluster = [r for r in steady if r["variant"] == "cluster" and r["redis_primaries"]]
    if not cluster:
        return None
    herald = statistics.median(r["herald_cpu_us_per_event"] for r in cluster)
    redis = statistics.median(r["redis_cpu_us_per_event"] for r in cluster)
    broker = statistics.median(r["kafka_broker_cpu_us_per_event"] for r in cluster)
    trips_per_primary = statistics.median(r["redis_round_trips_per_event"] / len(r["redis_primaries"]) for r in cluster)
    core = utilisation * 1e6
    rows = []
    for x in rates:
        pods, primaries = math.ceil(x * herald / core), math.ceil(x * redis / core)
        rows.append({"events_per_second": x, "pods": pods, "redis_primaries": primaries,
                     "broker_cores": math.ceil(x * broker / core), "min_event_partitions": pods,
                     "redis_requests_per_second_per_primary": x * trips_per_primary,
                     "redis_round_trips_per_event": trips_per_primary * primaries,
                     "items_per_mark_or_settle_request": 100 / primaries,
                     "accounts_at_cap": math.ceil(x / account_cap)})
    return {"utilisation": utilisation, "herald_cpu_us_per_event": herald, "redis_cpu_us_per_event": redis,
            "broker_cpu_us_per_event": broker, "redis_round_trips_per_event_per_primary": trips_per_primary,
            "rows": rows}


def section(out):
    """report.json's "scaling" and report.md's lines, from the runs found in OUT (None: none ran)."""
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "scale-*.scale.json")))]
    skipped = {os.path.basename(p).split(".")[0]: json.load(open(p))["skipped"]
               for p in glob.glob(os.path.join(out, "scale-*.skipped.json"))}
    if not runs and not skipped:
        return None, []
    result = {"runs": runs, "skipped": skipped}
    lines = ["", "## Scaling: pods in one consumer group (12 partitions), one ledger", ""]
    steady = [r for r in runs if r["mode"] == "steady"]
    if steady:
        lines += [
            "| Redis | pods | events | events/s | Herald CPU µs/event, each pod (its share of the events) | Herald µs/event, all pods | "
            "Redis CPU µs/event, each primary | Redis µs/event, all | Redis round trips/event (by op) | Redis commands/event | "
            "broker µs/event | simulator µs/event | machine µs/event | longest gap with no outcome ms | records consumed again per outcome |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for r in sorted(steady, key=lambda r: (r["variant"], r["pods"])):
            per_pod = " / ".join(f"{p['cpu_us_per_event']:.1f} ({p['share_of_events']:.0%})"
                                 for p in r["pod"] if p["cpu_us_per_event"])
            per_primary = " / ".join(f"{p['cpu_us_per_event']:.1f}" for p in r["redis_primaries"].values())
            lines.append(
                f"| {r['variant']} | {r['pods']} | {r['events']:,} | {r['events_per_second']:,.0f} | {per_pod} | "
                f"{r['herald_cpu_us_per_event']:.1f} | {per_primary} | {r['redis_cpu_us_per_event']:.1f} | "
                f"{r['redis_round_trips_per_event']:.4f} ({by_op(r)}) | {r['redis_commands_per_event']:.2f} | "
                f"{r['kafka_broker_cpu_us_per_event']:.1f} | {r['simulator_cpu_us_per_event']:.1f} | "
                f"{r['machine_cpu_us_per_event']:.1f} | {r['longest_gap_ms']:,} | {r['reconsumed_per_outcome']:.3f} |")
        lines += ["", "Ratios to the same variant's 1-pod run (median pod's Herald CPU per event, Redis CPU per "
                  "event, round trips per event):", ""]
        for variant in sorted({r["variant"] for r in steady}):
            one = [r for r in steady if r["variant"] == variant and r["pods"] == 1]
            if not one:
                continue
            one = one[0]
            for r in sorted((r for r in steady if r["variant"] == variant and r["pods"] > 1), key=lambda r: r["pods"]):
                lines.append(
                    f"- {variant}, {r['pods']} pods: Herald "
                    f"{r['herald_cpu_us_per_event_median_pod'] / one['herald_cpu_us_per_event_median_pod']:.2f}, Redis "
                    f"{r['redis_cpu_us_per_event'] / one['redis_cpu_us_per_event']:.2f}, round trips "
                    f"{r['redis_round_trips_per_event'] / one['redis_round_trips_per_event']:.2f}")
    for r in (r for r in runs if r["mode"] == "join"):
        lines += ["", f"Rebalance pause when a pod joins ({r['variant']} Redis, {r['events']:,} events produced at "
                  f"{r['produced_per_second']:,.0f}/s while the pods ran; before "
                  f"any join the longest gap between consecutive outcomes was {r['longest_gap_before_any_join_ms']:,} ms, "
                  f"of one partition's {r['longest_partition_gap_before_any_join_ms']:,} ms; median "
                  f"outcomes/s before: {shown(r['median_outcomes_per_second_before_join'])}):", "",
                  "| join | pod start → an older pod's revoke ms | revoke → the new pod's assignment ms | moved partitions' "
                  "pause ms (longest gap of one partition's outcomes spanning the revoke; partitions ≥ 100 ms) | "
                  "longest gap with no outcome at all ms (began ms after the start) | lowest outcomes/s in the 5 s after |",
                  "|---|---|---|---|---|---|"]
        for j in r["joins"]:
            lines.append(f"| {j['pods_after'] - 1} → {j['pods_after']} pods | {shown(j['start_to_revoke_ms'])} | "
                         f"{shown(j['revoke_to_assigned_ms'])} | {shown(j['moved_partitions_pause_ms'])} "
                         f"({j['partitions_paused_over_100ms']}) | {j['longest_gap_ms']:,} "
                         f"({shown(j['longest_gap_starts_after_start_ms'])}) | "
                         f"{shown(j['lowest_outcomes_per_second_after'])} |")
        lines += ["", "The join run's pods (a joining pod counted from its start): " + "; ".join(
            f"pod {p['pod']} {p['outcomes']:,} outcomes, {p['cpu_us_per_event']:.1f} µs/event" if p["cpu_us_per_event"]
            else f"pod {p['pod']} no outcomes" for p in r["pod"]) +
            f"; all: {r['events_per_second']:,.0f} events/s, Redis round trips/event {r['redis_round_trips_per_event']:.4f}; "
            f"outcomes written {r['window_outcomes']:,} (some twice: a revoke drops its partitions' unfinished events, "
            f"and their new owner does them again), committed {r['outcomes']:,} for "
            f"{shown(r.get('distinct_sources'))} distinct events."]
    sizing = model(steady)
    if sizing:
        result["model"] = sizing
        lines += ["", f"Sizing from this run's cluster costs (medians over the pod counts: Herald "
                  f"{sizing['herald_cpu_us_per_event']:.1f} µs/event, Redis {sizing['redis_cpu_us_per_event']:.1f} "
                  f"summed over the primaries, broker {sizing['broker_cpu_us_per_event']:.1f}; round trips "
                  f"{sizing['redis_round_trips_per_event_per_primary']:.4f} per event and primary), each process "
                  f"at {sizing['utilisation']:.0%} of one core:", "",
                  "| events/s | pods (one core each) | Redis primaries | broker cores | events topic partitions ≥ | "
                  "requests/s at each primary | round trips/event | items per write-mark / settle request | "
                  "accounts at 5,000/s |", "|---|---|---|---|---|---|---|---|---|"]
        for m in sizing["rows"]:
            lines.append(f"| {m['events_per_second']:,} | {m['pods']} | {m['redis_primaries']} | {m['broker_cores']} | "
                         f"{m['min_event_partitions']} | {m['redis_requests_per_second_per_primary']:,.0f} | "
                         f"{m['redis_round_trips_per_event']:.2f} | {m['items_per_mark_or_settle_request']:.1f} | "
                         f"{m['accounts_at_cap']} |")
    for name, why in sorted(skipped.items()):
        lines += ["", f"{name}: not run: {why}"]
    return result, lines


if __name__ == "__main__":
    if len(sys.argv) == 10 and sys.argv[1] == "collect":
        o, name, variant, pods, mode, count, others0, others1 = sys.argv[2:10]
        print(json.dumps(collect(o, name, variant, int(pods), mode, int(count), others0, others1)))
    else:
        sys.exit("usage: scale_report.py collect OUT NAME VARIANT PODS MODE COUNT OTHERS0 OTHERS1")
