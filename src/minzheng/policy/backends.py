"""Backends: DuckDB by default, PySpark when a province outgrows one machine.

PySpark runs in local mode unless told otherwise: `MINZHENG_SPARK_REMOTE` (a Spark Connect
URL, `sc://host:15002`) or `MINZHENG_SPARK_MASTER` (`spark://host:7077`, `yarn`,
`k8s://…`) point it at a cluster; under `spark-submit` the master given there is kept.
See docs/scale-out.md.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import ibis

from minzheng.lib.i18n import gettext_noop
from minzheng.policy.errors import BackendError

BACKENDS = ("duckdb", "pyspark")


def duckdb_memory() -> str:
    """The memory DuckDB may take before it spills (MINZHENG_DUCKDB_MEMORY, default 6GB)."""
    return os.environ.get("MINZHENG_DUCKDB_MEMORY", "6GB")


def connect(name: str = "duckdb", **options) -> ibis.BaseBackend:
    """An Ibis connection to a backend by name."""
    if name == "duckdb":
        # DuckDB takes 80% of the machine's memory by default; a platform shares the machine.
        # Beyond the limit it spills to a temporary folder; row order is never relied upon.
        options.setdefault("memory_limit", duckdb_memory())
        options.setdefault("temp_directory", str(Path(tempfile.gettempdir()) / "minzheng-duckdb"))
        options.setdefault("preserve_insertion_order", False)
        return ibis.duckdb.connect(**options)
    if name == "pyspark":
        return ibis.pyspark.connect(spark_session(**options))
    raise BackendError(
        "unknown_backend",
        gettext_noop("Unknown backend %(name)s; use duckdb or pyspark."),
        name=name,
    )


# Settings the results depend on, sent to every session: county partitions stay text (the
# lake's `county=330102` folders), dates and times are China's.
RESULT_CONF = {
    "spark.sql.sources.partitionColumnTypeInference.enabled": "false",
    "spark.sql.session.timeZone": "Asia/Shanghai",
}
# A session whose driver is this process (local mode, a master, spark-submit): parameter
# tables go to Spark through Arrow, so executors run no Python; the CLI draws its own bar.
DRIVER_CONF = {
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.ui.showConsoleProgress": "false",
}
# Local mode on a machine shared with other work. A cluster keeps its own configuration.
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.driver.memory": "4g",
    "spark.sql.shuffle.partitions": "8",
    # A screening task chains dozens of sorts and hash aggregations, each taking a page at
    # once; Spark's default page (up to 64 MB) ran the task out of memory at 0.6 million
    # residents with 4 GB.
    "spark.buffer.pageSize": "4m",
    # Listing the lake's county folders as a Spark job pays off on a cluster's storage,
    # not on one machine, where it costs a job per feed.
    "spark.sql.sources.parallelPartitionDiscovery.threshold": "10000",
}


def spark_session(**options: str):
    """A Spark session: Spark Connect, a cluster master, or local mode (see the module).

    Options: `remote`, `master` (instead of the environment), `driver_memory` and
    `shuffle_partitions` (set on a cluster too when given)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise BackendError(
            "no_pyspark",
            gettext_noop(
                "The pyspark backend needs the 'spark' extra (pip install minzheng[spark])."
            ),
        ) from None
    chosen = {
        "spark.driver.memory": options.get("driver_memory"),
        "spark.sql.shuffle.partitions": options.get("shuffle_partitions"),
    }
    chosen = {key: value for key, value in chosen.items() if value is not None}
    remote = options.get("remote") or os.environ.get("MINZHENG_SPARK_REMOTE")
    if remote:
        if not remote.startswith("sc://"):
            raise BackendError(
                "bad_spark_remote",
                gettext_noop(
                    "MINZHENG_SPARK_REMOTE must be a Spark Connect URL such as "
                    "sc://host:15002, not %(value)s."
                ),
                value=remote,
            )
        return _connect_remote(
            _configured(SparkSession.builder.remote(remote), RESULT_CONF | chosen), remote
        )
    master = options.get("master") or os.environ.get("MINZHENG_SPARK_MASTER")
    # Under spark-submit the JVM is already up with the master it was given (pyspark itself
    # tells the two cases apart by this variable): keep it. Otherwise, local mode.
    if master is None and "PYSPARK_GATEWAY_PORT" not in os.environ:
        master = "local[2]"
    builder = SparkSession.builder.appName("minzheng")
    if master is not None:
        builder = builder.master(master)
    local = LOCAL_CONF if master is not None and master.startswith("local") else {}
    session = _configured(builder, RESULT_CONF | DRIVER_CONF | local | chosen).getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def _configured(builder, conf: dict[str, str]):
    for key, value in conf.items():
        builder = builder.config(key, value)
    return builder


def _connect_remote(builder, remote: str):
    """The Spark Connect session, or a clear error when its client is not installed."""
    try:
        return builder.getOrCreate()
    except ImportError:  # pyspark's PySparkImportError names grpcio
        raise BackendError(
            "no_spark_connect",
            gettext_noop(
                "Spark Connect (%(remote)s) needs pyspark's connect client "
                "(pip install 'pyspark[connect]')."
            ),
            remote=remote,
        ) from None
