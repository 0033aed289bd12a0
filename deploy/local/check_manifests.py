"""Checks of meaning on rendered Herald manifests, beyond what the schemas can say.

Run by deploy/local/check-manifests with the venv's python (PyYAML):
    check_manifests.py split RENDERED.yaml OUT_DIR
        writes OUT_DIR/core.yaml (the kinds kubernetes-validate knows) and
        OUT_DIR/scaledobject-N.yaml (one per KEDA ScaledObject); fails on any other kind.
    check_manifests.py check OVERLAY RENDERED.yaml BASE_CONFIG.json OUT_DIR
        the checks below; writes OUT_DIR/config.json and OUT_DIR/config.env (the config as the
        pod reads it and the environment it gets, with stand-ins for values only a cluster has)
        for `herald check-config`. Prints one line per failure; exit code 1 if any.

Each check stands for a mistake that renders and validates but breaks Herald in a cluster.
"""

import base64
import json
import re
import sys

import yaml

CORE_KINDS = {"ServiceAccount", "ConfigMap", "Secret", "Service", "Deployment", "StatefulSet",
              "PodDisruptionBudget", "HorizontalPodAutoscaler"}
DRAIN_DEFAULT_MS = 30000  # shutdown.drain_timeout_ms when the config does not set it
DRAIN_MARGIN_S = 25  # the producer's final flush (10 s) and leaving the group come after the drain
UID = 10001
PARTITIONS = "herald/events-topic-partitions"
HASHED = re.compile(r"^(?P<base>[a-z0-9-]+)-[a-z0-9]{10}$")
VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(:-[^}]*)?\}")

failures = []


def fail(message):
    failures.append(message)


def load(path):
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def split(rendered, out_dir):
    core, scaled = [], []
    for doc in load(rendered):
        kind = doc.get("kind")
        if kind in CORE_KINDS:
            core.append(doc)
        elif kind == "ScaledObject":
            scaled.append(doc)
        else:
            fail(f"{kind} {doc.get('metadata', {}).get('name')}: a kind nothing here validates")
    with open(f"{out_dir}/core.yaml", "w") as f:
        yaml.safe_dump_all(core, f, sort_keys=False)
    for i, doc in enumerate(scaled):
        with open(f"{out_dir}/scaledobject-{i}.yaml", "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)


def walk_strings(node, path=""):
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk_strings(v, f"{path}.{k}" if path else k)
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from walk_strings(v, f"{path}[{i}]")
    elif isinstance(node, str):
        yield path, node


def int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def check(overlay, rendered, base_config_path, out_dir):
    docs = load(rendered)
    by_kind = {}
    for d in docs:
        by_kind.setdefault(d["kind"], []).append(d)
    name = lambda d: d["metadata"]["name"]  # noqa: E731

    workloads = by_kind.get("Deployment", []) + by_kind.get("StatefulSet", [])
    if len(workloads) != 1:
        fail(f"expected one Deployment or StatefulSet, found {len(workloads)}")
        return
    workload = workloads[0]
    kind = workload["kind"]
    pod = workload["spec"]["template"]
    spec = pod["spec"]
    pod_labels = pod.get("metadata", {}).get("labels", {})
    containers = spec.get("containers", [])
    herald = next((c for c in containers if c["name"] == "herald"), None)
    if herald is None:
        fail(f"{kind} {name(workload)}: no container named herald")
        return

    # --- Generated ConfigMaps and Secrets: hash-suffixed, and referenced by the pod ---
    referenced = set()
    for v in spec.get("volumes", []):
        if "configMap" in v:
            referenced.add(("ConfigMap", v["configMap"]["name"]))
        if "secret" in v:
            referenced.add(("Secret", v["secret"]["secretName"]))
    for c in containers + spec.get("initContainers", []):
        for e in c.get("envFrom", []):
            if "configMapRef" in e:
                referenced.add(("ConfigMap", e["configMapRef"]["name"]))
            if "secretRef" in e:
                referenced.add(("Secret", e["secretRef"]["name"]))
        for e in c.get("env", []):
            ref = e.get("valueFrom", {})
            if "configMapKeyRef" in ref:
                referenced.add(("ConfigMap", ref["configMapKeyRef"]["name"]))
            if "secretKeyRef" in ref:
                referenced.add(("Secret", ref["secretKeyRef"]["name"]))
    rendered_data = {}
    for k in ("ConfigMap", "Secret"):
        for d in by_kind.get(k, []):
            if not HASHED.match(name(d)):
                fail(f"{k} {name(d)}: not hash-suffixed (a change to it would not roll the pods)")
            if (k, name(d)) not in referenced:
                fail(f"{k} {name(d)}: rendered but not referenced by the pod template")
            data = dict(d.get("data") or {})
            if k == "Secret":  # decoded, as the pod sees them
                data = {key: base64.b64decode(v).decode(errors="replace") for key, v in data.items()}
                data.update(d.get("stringData") or {})
            rendered_data[(k, name(d))] = data
    secret_names = {n for (k, n) in referenced if k == "Secret"}
    for n in secret_names:
        if ("Secret", n) not in rendered_data and HASHED.match(n):
            fail(f"Secret {n}: referenced with a hash suffix but not rendered")

    # --- The config as mounted ---
    config_mounts = [v for v in spec.get("volumes", []) if "configMap" in v
                     and any(m["name"] == v["name"] and m["mountPath"].rstrip("/") == "/etc/herald"
                             for m in herald.get("volumeMounts", []))]
    if len(config_mounts) != 1:
        fail("no configMap volume mounted at /etc/herald for the herald container")
        return
    cm_name = config_mounts[0]["configMap"]["name"]
    cm_data = rendered_data.get(("ConfigMap", cm_name))
    if cm_data is None or "config.json" not in cm_data:
        fail(f"ConfigMap {cm_name}: not rendered, or has no config.json")
        return
    for m in herald.get("volumeMounts", []):
        if m["name"] == config_mounts[0]["name"] and not m.get("readOnly"):
            fail("the config volume is not mounted readOnly")
    if herald.get("args", [])[-2:] != ["-c", "/etc/herald/config.json"]:
        fail(f"herald's args {herald.get('args')} do not end with -c /etc/herald/config.json")
    config = json.loads(cm_data["config.json"])
    kafka = config.get("kafka", {})
    consumer_props = kafka.get("consumer_properties", {})
    events_topics = kafka.get("topics", ["herald.events"])
    waiting_topics = {kafka.get("retry_topic", "herald.retry"), kafka.get("delay_topic", "herald.delay")}

    # --- Environment: every ${VAR} without a default has a source; the values for check-config ---
    env = {}
    env_sources = {}
    for e in herald.get("envFrom", []):
        if "configMapRef" in e:
            data = rendered_data.get(("ConfigMap", e["configMapRef"]["name"]))
            if data is None:
                fail(f"envFrom ConfigMap {e['configMapRef']['name']}: not rendered")
                continue
            for k, v in data.items():
                env[k] = str(v)
                env_sources[k] = "configMap"
    for e in herald.get("env", []):
        ref = e.get("valueFrom")
        if ref is None:
            env[e["name"]] = str(e.get("value", ""))
        elif "fieldRef" in ref:
            env[e["name"]] = "herald-0" if ref["fieldRef"]["fieldPath"] == "metadata.name" else "x"
        elif "secretKeyRef" in ref:
            s = ref["secretKeyRef"]
            data = rendered_data.get(("Secret", s["name"]))
            if data is not None and s["key"] not in data:
                if not s.get("optional"):
                    fail(f"env {e['name']}: key {s['key']} is not in the rendered Secret {s['name']}")
                continue
            if data is not None:
                env[e["name"]] = data[s["key"]]
            else:
                env[e["name"]] = "stand-in-for-the-operators-secret-0123456789"
        else:
            env[e["name"]] = "x"
        env_sources[e["name"]] = "env"
    pod_name = [e for e in herald.get("env", []) if e["name"] == "POD_NAME"]
    if not pod_name or pod_name[0].get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") != "metadata.name":
        fail("POD_NAME is not taken from the downward API (fieldRef metadata.name)")
    for path, text in walk_strings(config):
        for var, default in VAR.findall(text):
            if not default and var not in env:
                fail(f"config {path}: ${{{var}}} has no default and the herald container has no {var}")
    with open(f"{out_dir}/config.json", "w") as f:
        f.write(cm_data["config.json"])
    with open(f"{out_dir}/config.env", "w") as f:
        for k, v in sorted(env.items()):
            f.write(f"{k}={v}\n")

    # Secrets rendered into the repository's manifests are placeholders, visibly.
    for (k, n), data in rendered_data.items():
        if k != "Secret":
            continue
        for key, value in data.items():
            if "fake" not in value:
                fail(f"Secret {n}: {key} does not say it is fake: only placeholders belong in the repository")

    # --- Admin port, probes, scrape annotations, the Service ---
    listen = config.get("admin", {}).get("listen", "")
    port = int_or_none(listen.rsplit(":", 1)[-1]) if ":" in listen else None
    if port is None or not listen.startswith("0.0.0.0:"):
        fail(f"admin.listen {listen!r}: the probes and Prometheus need 0.0.0.0:<port>")
    ports = {p.get("name"): p["containerPort"] for p in herald.get("ports", [])}
    if ports.get("metrics") != port:
        fail(f"container port metrics {ports.get('metrics')} is not admin.listen's port {port}")
    for probe, path in (("startupProbe", "/healthz"), ("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = herald.get(probe, {}).get("httpGet")
        if not get:
            fail(f"no {probe} (httpGet {path})")
            continue
        if get.get("path") != path:
            fail(f"{probe} asks {get.get('path')}, not {path}")
        if get.get("port") not in ("metrics", port):
            fail(f"{probe} asks port {get.get('port')}, not the admin port")
    annotations = pod.get("metadata", {}).get("annotations", {})
    if annotations.get("prometheus.io/scrape") != "true" or int_or_none(annotations.get("prometheus.io/port")) != port:
        fail("the pod's prometheus.io/scrape and prometheus.io/port annotations do not name the admin port")
    services = by_kind.get("Service", [])
    if not services:
        fail("no Service for the metrics port")
    for svc in services:
        sel = svc["spec"].get("selector", {})
        if not sel or any(pod_labels.get(k) != v for k, v in sel.items()):
            fail(f"Service {name(svc)}: selector {sel} does not select the pods ({pod_labels})")
        if not any(p.get("targetPort") in ("metrics", port) for p in svc["spec"].get("ports", [])):
            fail(f"Service {name(svc)}: no port targets the admin port")

    # --- Drain: the kubelet's SIGKILL only after Herald's own drain timeout ---
    drain_ms = int_or_none(config.get("shutdown", {}).get("drain_timeout_ms", DRAIN_DEFAULT_MS))
    grace = spec.get("terminationGracePeriodSeconds", 30)
    if drain_ms is None or grace < drain_ms / 1000 + DRAIN_MARGIN_S:
        fail(f"terminationGracePeriodSeconds {grace} < drain {drain_ms} ms / 1000 + {DRAIN_MARGIN_S} s margin")

    # --- Security ---
    pod_sc = spec.get("securityContext", {})
    if spec.get("automountServiceAccountToken") is not False:
        fail("automountServiceAccountToken is not false in the pod spec")
    for sa in by_kind.get("ServiceAccount", []):
        if sa.get("automountServiceAccountToken") is not False:
            fail(f"ServiceAccount {name(sa)}: automountServiceAccountToken is not false")
    if spec.get("serviceAccountName") not in {name(sa) for sa in by_kind.get("ServiceAccount", [])}:
        fail(f"serviceAccountName {spec.get('serviceAccountName')} is not the rendered ServiceAccount")
    for c in containers + spec.get("initContainers", []):
        sc = c.get("securityContext", {})
        merged = lambda key: sc.get(key, pod_sc.get(key))  # noqa: E731
        where = f"container {c['name']}"
        if merged("runAsNonRoot") is not True:
            fail(f"{where}: runAsNonRoot is not true")
        if merged("runAsUser") != UID:
            fail(f"{where}: runAsUser {merged('runAsUser')}, not {UID} (the image's user)")
        if (merged("seccompProfile") or {}).get("type") != "RuntimeDefault":
            fail(f"{where}: seccompProfile is not RuntimeDefault")
        if sc.get("allowPrivilegeEscalation") is not False:
            fail(f"{where}: allowPrivilegeEscalation is not false")
        if sc.get("readOnlyRootFilesystem") is not True:
            fail(f"{where}: readOnlyRootFilesystem is not true")
        if sc.get("privileged"):
            fail(f"{where}: privileged")
        caps = sc.get("capabilities", {})
        if "ALL" not in caps.get("drop", []) or caps.get("add"):
            fail(f"{where}: capabilities do not drop ALL (or add some back)")
        res = c.get("resources", {})
        for side in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if r not in res.get(side, {}):
                    fail(f"{where}: no {side}.{r}")
        image = c.get("image", "")
        if ":" not in image.rsplit("/", 1)[-1] or image.endswith(":latest"):
            fail(f"{where}: image {image!r} has no pinned tag")

    # --- Rollout and disruptions ---
    if kind == "Deployment":
        ru = workload["spec"].get("strategy", {}).get("rollingUpdate", {})
        if workload["spec"].get("strategy", {}).get("type") != "RollingUpdate" or \
                str(ru.get("maxSurge")) != "1" or str(ru.get("maxUnavailable")) != "0":
            fail("the Deployment's strategy is not RollingUpdate with maxSurge 1, maxUnavailable 0")
    pdbs = by_kind.get("PodDisruptionBudget", [])
    if len(pdbs) != 1:
        fail(f"expected one PodDisruptionBudget, found {len(pdbs)}")
    for pdb in pdbs:
        sel = pdb["spec"].get("selector", {}).get("matchLabels", {})
        if not sel or any(pod_labels.get(k) != v for k, v in sel.items()):
            fail(f"PodDisruptionBudget {name(pdb)}: selector {sel} does not select the pods")
        if pdb["spec"].get("unhealthyPodEvictionPolicy") != "AlwaysAllow":
            fail(f"PodDisruptionBudget {name(pdb)}: unhealthyPodEvictionPolicy is not AlwaysAllow "
                 "(with Redis down every pod is unready and node drains would stall)")

    # --- Static membership only with stable pod names ---
    instance_id = consumer_props.get("group.instance.id")
    if kind == "StatefulSet":
        if instance_id != "${POD_NAME}":
            fail(f"StatefulSet: kafka.consumer_properties group.instance.id is {instance_id!r}, not \"${{POD_NAME}}\"")
        services_by_name = {name(s): s for s in services}
        governing = services_by_name.get(workload["spec"].get("serviceName"))
        if governing is None or governing["spec"].get("clusterIP") != "None":
            fail(f"StatefulSet: serviceName {workload['spec'].get('serviceName')} is not a rendered headless Service")
        with open(base_config_path) as f:
            base_config = json.load(f)
        ours = json.loads(cm_data["config.json"])
        ours.get("kafka", {}).get("consumer_properties", {}).pop("group.instance.id", None)
        if ours != base_config:
            fail("StatefulSet: its config.json differs from base/config.json in more than group.instance.id")
    elif instance_id is not None:
        fail("kafka.consumer_properties group.instance.id is set in a Deployment: its pods' names change at "
             "every rollout, and a static member that left holds its partitions for session_timeout_ms")

    # --- Scaling: never more pods than partitions; KEDA on the events topic only ---
    autoscalers = by_kind.get("ScaledObject", []) + by_kind.get("HorizontalPodAutoscaler", [])
    if len(autoscalers) > 1:
        fail(f"{len(autoscalers)} autoscalers for one workload")
    if autoscalers and "replicas" in workload["spec"]:
        fail(f"{kind} sets replicas although {autoscalers[0]['kind']} owns the count (every apply would reset it)")
    sized = autoscalers + ([workload] if kind == "StatefulSet" else [])
    for obj in sized:
        partitions = int_or_none(obj["metadata"].get("annotations", {}).get(PARTITIONS))
        top = {"ScaledObject": "maxReplicaCount", "HorizontalPodAutoscaler": "maxReplicas",
               "StatefulSet": "replicas"}[obj["kind"]]
        value = obj["spec"].get(top)
        if partitions is None:
            fail(f"{obj['kind']} {name(obj)}: no {PARTITIONS} annotation stating the events topic's partitions")
        elif value is None or value > partitions:
            fail(f"{obj['kind']} {name(obj)}: {top} {value} > {partitions} partitions (idle pods that only rebalance)")
        low = obj["spec"].get({"ScaledObject": "minReplicaCount", "HorizontalPodAutoscaler": "minReplicas"}
                              .get(obj["kind"], "replicas"))
        if low is not None and value is not None and low > value:
            fail(f"{obj['kind']} {name(obj)}: the minimum {low} is above the maximum {value}")
    for hpa in by_kind.get("HorizontalPodAutoscaler", []):
        ref = hpa["spec"]["scaleTargetRef"]
        if (ref.get("kind"), ref.get("name")) != (kind, name(workload)):
            fail(f"HorizontalPodAutoscaler {name(hpa)}: scales {ref.get('kind')}/{ref.get('name')}, not {kind}/{name(workload)}")
    for so in by_kind.get("ScaledObject", []):
        ref = so["spec"]["scaleTargetRef"]
        if (ref.get("kind", "Deployment"), ref.get("name")) != (kind, name(workload)):
            fail(f"ScaledObject {name(so)}: scales {ref.get('kind', 'Deployment')}/{ref.get('name')}, "
                 f"not {kind}/{name(workload)}")
        triggers = so["spec"].get("triggers", [])
        topics = []
        for t in triggers:
            meta = t.get("metadata", {})
            where = f"ScaledObject {name(so)} trigger {t.get('type')}"
            if t.get("type") != "kafka":
                fail(f"{where}: not a kafka trigger")
                continue
            topic = meta.get("topic")
            if not topic:
                fail(f"{where}: no topic: the lag of every topic of the group would count, the delay topic's too")
            elif topic in waiting_topics:
                fail(f"{where}: topic {topic} is a retry/delay topic, whose backlog waits for its time")
            elif topic not in events_topics:
                fail(f"{where}: topic {topic} is not in the config's kafka.topics {events_topics}")
            topics.append(topic)
            if meta.get("consumerGroup") != kafka.get("group_id", "herald"):
                fail(f"{where}: consumerGroup {meta.get('consumerGroup')} is not kafka.group_id "
                     f"{kafka.get('group_id', 'herald')}")
            brokers_env = meta.get("bootstrapServersFromEnv")
            if brokers_env is not None and brokers_env not in env:
                fail(f"{where}: bootstrapServersFromEnv {brokers_env} is not in the herald container's environment")
            if meta.get("allowIdleConsumers", "false") != "false":
                fail(f"{where}: allowIdleConsumers is not false (pods beyond the partitions would idle)")
            lag = int_or_none(meta.get("lagThreshold"))
            in_flight = kafka.get("max_in_flight", 20000)
            if lag is None or (isinstance(in_flight, int) and lag < in_flight):
                fail(f"{where}: lagThreshold {meta.get('lagThreshold')} < kafka.max_in_flight {in_flight} "
                     "(a pod's own in-flight events count as lag)")
            reset = {"smallest": "earliest", "beginning": "earliest", "largest": "latest", "end": "latest"}.get(
                consumer_props.get("auto.offset.reset", "latest"), consumer_props.get("auto.offset.reset", "latest"))
            if meta.get("offsetResetPolicy", "latest") != reset:
                fail(f"{where}: offsetResetPolicy {meta.get('offsetResetPolicy', 'latest')} is not the consumer's "
                     f"auto.offset.reset ({reset})")
        if sorted(t for t in topics if t) != sorted(events_topics):
            fail(f"ScaledObject {name(so)}: its triggers' topics {topics} are not kafka.topics {events_topics}")


def main():
    if sys.argv[1] == "split" and len(sys.argv) == 4:
        split(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "check" and len(sys.argv) == 6:
        check(*sys.argv[2:])
    else:
        sys.exit(__doc__)
    for f in failures:
        print(f"  {f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
