"""`scripts/topics create|show`: the topic catalogue on a Kafka cluster, with kafka-python's
admin client (a blocking client, so an operations tool and never a worker)."""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, TopicPartition
from kafka.admin import ConfigResource, ConfigResourceType

from runtime.settings import Settings
from schemas.topics import CATALOGUE, FOREVER_MS


def durability(brokers: int, replication: int = 0, min_insync: int = 0) -> tuple[int, int]:
    """The replication factor and `min.insync.replicas` of the catalogue's topics.

    By default every topic is on three brokers where there are three (one on a single
    broker), and an acknowledged write (`acks=all`) rests on all in-sync replicas, at least
    two of them: one broker may fail without losing or refusing a write. The settings
    (`VD_TOPIC_REPLICATION`, `VD_TOPIC_MIN_INSYNC`) override both; 0 means the default.
    """
    factor = replication or min(3, brokers)
    if factor > brokers:
        raise ValueError(f"replication {factor} needs {factor} brokers; the cluster has {brokers}")
    insync = min_insync or max(1, min(2, factor - 1))
    if not 1 <= insync <= factor:
        raise ValueError(f"min.insync.replicas {insync} must be 1..{factor}")
    return factor, insync


def topic_configs(retention_ms: int, cleanup_policy: str, min_insync: int,
                  extra: tuple[tuple[str, str], ...] = ()) -> dict[str, str]:
    return {"retention.ms": str(retention_ms), "cleanup.policy": cleanup_policy,
            "min.insync.replicas": str(min_insync), **dict(extra)}


def create(settings: Settings) -> dict[str, Any]:
    """Create every missing topic, and give existing ones the catalogue's configuration
    (retention, cleanup, min.insync.replicas); safe to run twice."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                             client_id="vdispatch-topics")
    try:
        brokers = len(admin.describe_cluster()["brokers"])
        factor, insync = durability(brokers, settings.topic_replication,
                                    settings.topic_min_insync)
        existing = set(admin.list_topics())
        configs = {settings.topic_name(t.name): topic_configs(t.retention_ms, t.cleanup_policy,
                                                              insync, t.configs)
                   for t in CATALOGUE}
        missing = {name: {"num_partitions": t.partitions, "replication_factor": factor,
                          "configs": configs[name]}
                   for t in CATALOGUE if (name := settings.topic_name(t.name)) not in existing}
        if missing:
            admin.create_topics(missing, timeout_ms=30_000, wait_for_metadata=True)
        kept = sorted(set(configs) - set(missing))
        drifted = [name for name in kept
                   if _configs_of(admin, name, configs[name]) != configs[name]]
        if drifted:
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name, configs[name])
                                 for name in drifted])
        return {"created": sorted(missing), "existing": kept, "reconfigured": drifted,
                "brokers": brokers, "replication_factor": factor, "min_insync_replicas": insync}
    finally:
        admin.close()


def _configs_of(admin: KafkaAdminClient, topic: str, wanted: dict[str, str]) -> dict[str, str]:
    """The topic's present values of the configuration keys we set."""
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, topic)],
                                       config_filter="all")
    found = described.get("topic", {}).get(topic, {})
    return {key: str(found[key]["value"]) for key in wanted if key in found}


def show(settings: Settings) -> dict[str, Any]:
    """Each catalogue topic with its partitions and end offsets; each group with its lag."""
    admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap,
                             client_id="vdispatch-topics")
    consumer = KafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                             client_id="vdispatch-topics", enable_auto_commit=False)
    try:
        names = {settings.topic_name(t.name): t for t in CATALOGUE}
        described = {t["name"]: t for t in admin.describe_topics(list(names))}
        tps = [TopicPartition(name, p["partition_index"])
               for name, t in described.items() for p in t.get("partitions", [])]
        ends: dict[TopicPartition, int] = consumer.end_offsets(tps) if tps else {}
        topics = []
        for name, topic in names.items():
            found = described.get(name)
            ok = found is not None and not found.get("error_code")
            topics.append({
                "name": name, "exists": ok,
                "partitions": len(found.get("partitions", [])) if ok and found else 0,
                "messages": sum(v for tp, v in ends.items() if tp.topic == name),
                "keep": "forever" if topic.retention_ms == FOREVER_MS
                else f"{topic.retention_ms // 86_400_000} days",
                "keyed_by": topic.keyed_by,
            })
        prefix = settings.group_id("")
        groups = [g["group_id"] if isinstance(g, dict) else g[0] for g in admin.list_groups()]
        lag: dict[str, dict[str, int]] = {}
        for group in sorted(g for g in groups if g.startswith(prefix)):
            offsets = admin.list_group_offsets({group: None}).get(group, {})
            per_topic: dict[str, int] = {}
            for tp, meta in offsets.items():
                if tp.topic in names and meta.offset >= 0:
                    end = ends.get(TopicPartition(tp.topic, tp.partition), meta.offset)
                    per_topic[tp.topic] = per_topic.get(tp.topic, 0) + max(0, end - meta.offset)
            lag[group] = per_topic
        return {"topics": topics, "consumer_lag": lag}
    finally:
        consumer.close()
        admin.close()


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("create", "show"):
        print("usage: scripts/topics create|show   (VD_KAFKA_BOOTSTRAP, VD_NAMESPACE)",
              file=sys.stderr)
        return 2
    logging.getLogger("kafka").setLevel(logging.WARNING)
    settings = Settings.from_env()
    result = create(settings) if argv[0] == "create" else show(settings)
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
