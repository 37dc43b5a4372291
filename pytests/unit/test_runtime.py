"""Every Spark endpoint binds to loopback (the settings, read without starting Spark)."""

from __future__ import annotations

from btrnn.runtime import local_spark_conf


def test_every_spark_endpoint_binds_to_loopback():
    conf = local_spark_conf()
    assert conf["spark.driver.host"] == "127.0.0.1"
    assert conf["spark.driver.bindAddress"] == "127.0.0.1"
    assert conf["spark.ui.enabled"] == "false"
