"""Bounded-memory sorting and the compact id set: the same order as an in-memory stable sort, runs cleaned up."""

from __future__ import annotations

import random

from toolsynth.artifacts import ExternalSorter, dumps, promote_sorted, read_artifact, stamp, write_artifact
from toolsynth.idset import IdSet


def _pairs(n: int, seed: int = 0) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    # Few distinct keys, so ties are many and stability is tested; odd characters in keys on purpose.
    keys = [
        f'k{rng.randrange(n // 3)}\t"é\n' if i % 7 == 0 else f"k{rng.randrange(n // 3)}" for i in range(n)
    ]
    return [(k, dumps({"id": k, "seq": i})) for i, k in enumerate(keys)]


def test_spilled_multi_level_merge_equals_stable_sort(tmp_path):
    pairs = _pairs(3000)
    with ExternalSorter(tmp_path, run_bytes=2000, fan_in=3) as s:
        for k, line in pairs:
            s.add(k, line)
        assert len(s._runs) > 9  # spilled into many runs, so the merge goes through several levels
        got = list(s)
    assert got == sorted(pairs, key=lambda kv: kv[0])
    assert not any(tmp_path.iterdir())  # run files and their directory are gone


def test_in_memory_path_and_cleanup_after_error(tmp_path):
    pairs = _pairs(50)
    with ExternalSorter(tmp_path) as s:
        for k, line in pairs:
            s.add(k, line)
        assert list(s) == sorted(pairs, key=lambda kv: kv[0]) and not s._runs
    try:
        with ExternalSorter(tmp_path, run_bytes=100) as s:
            for k, line in pairs:
                s.add(k, line)
            raise RuntimeError("killed")
    except RuntimeError:
        pass
    assert not any(tmp_path.iterdir())


def test_promote_sorted_keeps_first_of_each_id_and_only_kept_ids(tmp_path):
    src = tmp_path / "j.partial"
    recs = [{"id": f"d{i % 40:03d}", "n": i} for i in range(200)]
    write_artifact(src, "dialog", recs)
    keep = IdSet(f"d{i:03d}" for i in range(0, 40, 2))
    out = tmp_path / "out.jsonl"
    n = promote_sorted(src, out, "dialog", keep=keep, run_bytes=500)
    got = list(read_artifact(out, "dialog"))
    assert n == 20 and [r["id"] for r in got] == [f"d{i:03d}" for i in range(0, 40, 2)]
    assert [r["n"] for r in got] == list(range(0, 40, 2))  # the first journalled record of each id
    expected = b"".join(dumps(stamp(r, "dialog")) for r in sorted(recs[:40:2], key=lambda r: r["id"]))
    assert out.read_bytes() == expected


def test_idset_membership_across_batches():
    ids = [f"dialog-{i:08x}" for i in range(10_000)]
    s = IdSet()
    assert all(s.add(i) for i in ids)
    assert not s.add(ids[17]) and not s.add(ids[-1])
    assert len(s) == 10_000
    assert all(i in s for i in ids[::97])
    assert "dialog-nope" not in s and 3 not in s
