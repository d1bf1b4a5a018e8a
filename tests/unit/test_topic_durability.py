"""Topics are as durable as the cluster allows: three replicas and two in sync on three or
more brokers (an acknowledged write survives the loss of any one broker), one on a single
broker, and the settings override both within what the cluster can hold."""

from __future__ import annotations

import pytest

from runtime.topics_tool import durability, topic_configs


@pytest.mark.parametrize(("brokers", "expected"), [(1, (1, 1)), (2, (2, 1)), (3, (3, 2)),
                                                    (5, (3, 2))])
def test_defaults_follow_the_cluster(brokers: int, expected: tuple[int, int]) -> None:
    assert durability(brokers) == expected


def test_settings_override_within_the_cluster() -> None:
    assert durability(5, replication=5, min_insync=3) == (5, 3)
    assert durability(3, min_insync=3) == (3, 3)
    with pytest.raises(ValueError, match="needs 3 brokers"):
        durability(1, replication=3)
    with pytest.raises(ValueError, match=r"min\.insync\.replicas 4"):
        durability(3, min_insync=4)


def test_every_topic_config_names_its_min_insync_replicas() -> None:
    assert topic_configs(-1, "delete", 2)["min.insync.replicas"] == "2"
