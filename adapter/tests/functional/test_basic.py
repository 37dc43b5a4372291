"""dbt's basic adapter suites, with only the connection settings changed (see conftest.py)."""

from __future__ import annotations

from dbt.tests.adapter.basic.test_base import BaseSimpleMaterializations


class TestSimpleMaterializations(BaseSimpleMaterializations):
    pass
