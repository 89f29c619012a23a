"""Backends: DuckDB by default, PySpark (local mode here) when a province outgrows one machine."""

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
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise BackendError(
                "no_pyspark",
                gettext_noop(
                    "The pyspark backend needs the 'spark' extra (pip install minzheng[spark])."
                ),
            ) from None
        session = (
            SparkSession.builder.master(options.get("master", "local[2]"))
            .appName("minzheng")
            .config("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
            .config("spark.sql.session.timeZone", "Asia/Shanghai")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", options.get("driver_memory", "4g"))
            .config("spark.sql.shuffle.partitions", options.get("shuffle_partitions", "8"))
            .getOrCreate()
        )
        session.sparkContext.setLogLevel("ERROR")
        return ibis.pyspark.connect(session)
    raise BackendError(
        "unknown_backend",
        gettext_noop("Unknown backend %(name)s; use duckdb or pyspark."),
        name=name,
    )
