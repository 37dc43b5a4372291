"""Which JIT compilers the tests' JVMs get (the `java` launcher reads JDK_JAVA_OPTIONS in every
process, so the root conftest.py sets it once for the whole session).

Every JVM a test starts (Spark drivers, the Connect and Thrift servers, the cluster) works on
small data for a minute or two, and on 2 cores the suite is CPU-bound: HotSpot's C2 compiler
costs such a JVM more CPU than its code saves (a dbt build of the sample's histories and windows:
69 CPU seconds with C1 alone, 114 with C2 too, with the class archive). C1 alone gets a 48 MB
code cache, which a long local-target dbt run filled (the JVM then stopped compiling and its
driver died): 256 MB, as tiered compilation has.

One exception: Spark ML's Word2Vec. Spark 4 runs its BLAS calls on the JDK's incubating Vector
API, which only C2 compiles to vector instructions; under C1 every call allocates. Word2Vec on
the bundled sample (5 passes, 100 dimensions) takes 87-96 s with C1 alone and 3-7 s with C2.
A JVM that fits it on the sample gets both compilers (`for_word2vec`).
"""

from __future__ import annotations

import pytest

JDK_JAVA_OPTIONS = "JDK_JAVA_OPTIONS"
FOR_SHORT_JVMS = "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=256m"


def for_word2vec(patch: pytest.MonkeyPatch) -> None:
    """HotSpot's default, tiered compilation (C1 then C2), for the JVMs started under `patch`."""
    patch.delenv(JDK_JAVA_OPTIONS, raising=False)
