"""dbt's seed suites that do not need Postgres, with only the connection settings changed."""

from __future__ import annotations

from dbt.tests.adapter.simple_seed.test_seed import BaseTestEmptySeed


class TestEmptySeed(BaseTestEmptySeed):
    pass
