"""Order totals per customer, times the `multiplier` config: a Python model on both inputs."""

from typing import Any

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F


def model(dbt: Any, spark: SparkSession) -> DataFrame:
    multiplier = int(dbt.config.get("multiplier"))
    if multiplier <= 0:
        raise ValueError(f"multiplier must be positive, got {multiplier}")

    orders = dbt.ref("stg_shop__orders")
    customers = dbt.source("shop", "raw_customers")

    # A Python UDF: its code runs in the Python workers of whichever Spark runs the model.
    shout = F.udf(lambda name: name.upper(), "string")
    totals = orders.groupBy("customer_id").agg(F.sum("amount").alias("order_total"))
    return customers.join(totals, "customer_id").select(
        F.col("customer_id").cast("bigint").alias("customer_id"),
        shout("customer_name").alias("customer_label"),
        (F.col("order_total") * F.lit(multiplier)).cast("bigint").alias("multiplied_total"),
    )
