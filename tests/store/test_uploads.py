"""The ledger of stored evidence files (``store.uploads``), on SQLite and on PostgreSQL: one charge
per file kept, none past the quota, even for charges at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine

from store.principals import create_key
from store.uploads import OverQuota, charge, discharge

QUOTA = 100


def principal(engine: Engine) -> int:
    created, _ = create_key(engine, name="王执法", agency="EPB-DEMO", role="officer")
    return created.id


def test_a_file_is_charged_once_and_never_past_the_quota(engine: Engine) -> None:
    me, other = principal(engine), principal(engine)
    assert charge(engine, me, "EPB-DEMO.1", "a" * 64, 60, QUOTA)
    assert not charge(engine, me, "EPB-DEMO.1", "a" * 64, 60, QUOTA)  # the case holds it
    assert not charge(engine, other, "EPB-DEMO.1", "a" * 64, 60, QUOTA)  # charged to the first
    with pytest.raises(OverQuota) as over:
        charge(engine, me, "EPB-DEMO.2", "a" * 64, 60, QUOTA)  # another case: another file
    assert (over.value.used, over.value.needed, over.value.allowed) == (60, 60, QUOTA)
    assert charge(engine, other, "EPB-DEMO.2", "a" * 64, 60, QUOTA)  # nothing was kept
    discharge(engine, "EPB-DEMO.1", "a" * 64)  # its step was refused: the file is gone
    assert charge(engine, me, "EPB-DEMO.3", "b" * 64, 100, QUOTA)  # all of it again


def test_charges_at_the_same_moment_do_not_pass_the_quota(engine: Engine) -> None:
    me = principal(engine)

    def attempt(i: int) -> bool:
        try:
            return charge(engine, me, "EPB-DEMO.1", f"{i:064d}", 30, QUOTA)
        except OverQuota:
            return False

    with ThreadPoolExecutor(max_workers=6) as pool:
        charged = list(pool.map(attempt, range(6)))
    assert sum(charged) == 3  # 3 × 30 of 100
