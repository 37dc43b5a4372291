"""btrnn: the Bought-Together RNN of next-purchase recommendation, on dbt, Spark and Keras."""

__version__ = "0.1.0"
