# Generates membership.jsonl: a lab-like session with the inventory's
# service membership recorded, three faults, Sentinels announcing +sdown
# three times, and a Kafka canary flapping around its threshold all along.
# Run: python3 gen_membership.py > membership.jsonl
import json, datetime
t0 = datetime.datetime(2026, 11, 25, 10, 0, 0, tzinfo=datetime.timezone.utc)
seq = 0
out = []
def ts(s):
    return (t0 + datetime.timedelta(seconds=s)).strftime('%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'
def ev(s, kind, source, summary, data=None, host=None, by=None):
    global seq
    seq += 1
    e = {"seq": seq, "time": ts(s), "kind": kind, "source": source}
    if host: e["host"] = host
    e["summary"] = summary
    if by: e["by"] = by
    if data is not None: e["data"] = data
    out.append((s, seq, e))
ev(0, "session.start", "tui", "session started", {"format": 2, "inventory": "lab", "title": "Lab game day", "services": [
    {"kind": "redis", "name": "cache", "hosts": ["redis-1", "redis-2", "redis-3"], "probes": ["redis.latency cache", "sentinel.master cache"], "sentinels": 3},
    {"kind": "kafka", "name": "bus", "hosts": ["kafka-1", "kafka-2", "kafka-3"], "probes": ["kafka.lag bus g/orders", "kafka.latency bus gameday-canary"]},
    {"kind": "cassandra", "name": "shop", "hosts": ["cassandra-1", "cassandra-2", "cassandra-3"], "probes": ["cassandra.quorum shop"]}]})
status = {}
def window(s, probe, target, st, value, unit, p99=None):
    name = probe + " " + target
    d = {"time": ts(s), "probe": probe, "target": target, "status": st, "value": value, "unit": unit, "window": "1s"}
    if p99 is not None: d["p99"] = p99
    ev(s, "probe.window", "probe:" + probe, "%s %s %s" % (name, st, value), d)
    prev = status.get(name, "pending")
    if st != prev:
        kind = {"breach": "probe.breach", "error": "probe.error", "ok": "probe.recovered"}[st]
        if not (st == "ok" and prev == "pending"):
            ev(s, kind, "probe:" + probe, "%s %s" % (name, {"breach": "breached", "error": "cannot measure", "ok": "recovered"}[st]), d)
    status[name] = st
def fault(s, kind, fid, fkind, hosts, summary, params=None, error=None):
    d = {"fault_id": fid, "kind": fkind, "hosts": hosts, "ttl": "5m0s"}
    if params: d["params"] = params
    if error: d["error"] = error
    ev(s, kind, "inject", summary, d, host=hosts[0])
for i in range(1, 161):
    s = float(i)
    # redis.latency: down from 31.2 until 33.4 (kill of the master, failover)
    if 31 <= i <= 33:
        window(s + 0.2 if i == 31 else s, "redis.latency", "cache", "error", 0, "ms")
    else:
        window(s, "redis.latency", "cache", "ok", 1.2 + (i % 5) * 0.1, "ms", 1.2 + (i % 5) * 0.1)
    # kafka.latency canary: flaps around its threshold every 7 s, all session
    if i % 7 == 3:
        window(s, "kafka.latency", "bus gameday-canary", "breach", 260, "ms", 260)
    else:
        window(s, "kafka.latency", "bus gameday-canary", "ok", 180, "ms", 180)
    # kafka.lag: rises during the kafka-1 latency fault
    lag = 20
    if 123 <= i <= 139:
        lag = {123: 600, 124: 900, 125: 1500, 126: 2500, 127: 3500, 128: 4200, 129: 4800, 130: 5000,
               131: 4000, 132: 3000, 133: 2000, 134: 1200, 135: 800, 136: 400, 137: 200, 138: 90, 139: 40}[i]
    window(s, "kafka.lag", "bus g/orders", "breach" if lag > 1000 else "ok", lag, "messages")
    # cassandra.quorum: dips while cassandra-3 is partitioned
    q = 97.0 if 82 <= i <= 90 else 100.0
    window(s, "cassandra.quorum", "shop", "breach" if q < 99 else "ok", q, "%", 3.1)
    if i == 30:
        fault(30.0, "fault.arming", "f-1", "process-kill", ["redis-1"], "arming process-kill on redis-1", {"signal": "KILL"})
        fault(30.2, "fault.armed", "f-1", "process-kill", ["redis-1"], "process-kill armed on redis-1 (TTL 5m0s)", {"signal": "KILL"})
    if i == 32:
        for k, sen in enumerate(["127.0.0.1:26379", "127.0.0.1:26380", "127.0.0.1:26381"]):
            ev(32.0 + k * 0.01, "sentinel.event", "probe:sentinel.master", "cache +sdown master mymaster 127.0.0.1 16379 (from sentinel %s)" % sen,
               {"service": "cache", "event": "+sdown", "payload": "master mymaster 127.0.0.1 16379", "sentinel": sen})
        ev(32.9, "sentinel.switch", "probe:sentinel.master", "cache master mymaster switched 127.0.0.1:16379 → 127.0.0.1:16380 (seen by sentinel 127.0.0.1:26379)",
           {"service": "cache", "master_name": "mymaster", "old": "127.0.0.1:16379", "new": "127.0.0.1:16380", "sentinel": "127.0.0.1:26379"})
    if i == 60:
        fault(60.0, "fault.reverted", "f-1", "process-kill", ["redis-1"], "process-kill reverted on redis-1", {"signal": "KILL"})
    if i == 80:
        fault(80.0, "fault.arming", "f-2", "partition", ["cassandra-3"], "arming partition on cassandra-3")
        fault(80.5, "fault.armed", "f-2", "partition", ["cassandra-3"], "partition armed on cassandra-3 (TTL 5m0s)")
    if i == 100:
        fault(100.0, "fault.reverted", "f-2", "partition", ["cassandra-3"], "partition reverted on cassandra-3")
    if i == 120:
        fault(120.0, "fault.arming", "f-3", "latency", ["kafka-1"], "arming latency on kafka-1", {"delay": "500ms", "password": "hunter2"})
        fault(120.3, "fault.armed", "f-3", "latency", ["kafka-1"], "latency armed on kafka-1 (TTL 5m0s)", {"delay": "500ms"})
    if i == 121:
        ev(121.5, "kafka.leader", "probe:kafka.latency", "bus gameday-canary partition 0 leader 1 → 2",
           {"service": "bus", "topic": "gameday-canary", "partition": 0, "old": 1, "new": 2})
    if i == 132:
        fault(132.0, "fault.reverted", "f-3", "latency", ["kafka-1"], "latency reverted on kafka-1")
    if i == 150:
        ev(150.0, "note", "tui", "lag drained; next time try two brokers", by="ana")
ev(160.5, "session.end", "gameday", "session ended: quit", {"reason": "quit"})
for _, _, e in out:
    print(json.dumps(e, ensure_ascii=False, separators=(',', ':')))
