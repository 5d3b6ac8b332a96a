"""Our signatures in datasketch's MinHashLSH with Redis storage, against a real redis-server on loopback.

Skipped when redis-server or the redis client is missing, except under CI (``CI`` set), where
``.ci/run`` installs both and a missing server is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator

import pytest

from dedup import lean_minhashes, signatures

redis = pytest.importorskip("redis")
datasketch = pytest.importorskip("datasketch")

if shutil.which("redis-server") is None:
    if os.environ.get("CI"):
        pytest.fail("redis-server is not installed, and CI must run this test (.ci/run installs it)",
                    pytrace=False)
    pytest.skip("redis-server is not installed", allow_module_level=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port = free_port()
    folder = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port)
    try:
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        else:
            pytest.fail("redis-server did not answer within 5 s")
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


PARAGRAPHS = [
    "Vietnam and Russia strengthen parliamentary cooperation to boost trade and strategic ties in energy.",
    "Vietnam and Russia strengthen parliamentary cooperation to boost trade and strategic ties in energy (VNA).",
    "The global economy is recovering slowly amid persistent risks, while protectionism impedes integration.",
]


@pytest.mark.parametrize("hashfunc", ["fast", "sha1"])
def test_signatures_work_in_redis_backed_minhashlsh(redis_port: int, hashfunc: str) -> None:
    sigs = signatures(PARAGRAPHS, hashfunc=hashfunc)
    storage = {"type": "redis", "basename": f"dedup-{hashfunc}".encode(),
               "redis": {"host": "127.0.0.1", "port": redis_port}}
    lsh = datasketch.MinHashLSH(threshold=0.5, num_perm=128, storage_config=storage)
    minhashes = lean_minhashes(sigs)
    for key, minhash in zip(["lede", "lede+credit", "other"], minhashes, strict=True):
        lsh.insert(key, minhash)
    assert sorted(lsh.query(minhashes[0])) == ["lede", "lede+credit"]
    assert lsh.query(minhashes[2]) == ["other"]
    assert redis.Redis(host="127.0.0.1", port=redis_port).dbsize() > 0  # the index really lives in Redis
