"""Processes started together upgrade one after the other: each revision is applied once."""

from __future__ import annotations

import multiprocessing

from sqlalchemy import create_engine, text

from tests.migrations import _workers
from tests.migrations.conftest import Where, write_revision

PROCESSES = 4


def test_four_processes_upgrading_at_once_apply_each_revision_once(where: Where) -> None:
    write_revision(
        where.directory,
        "aaa",
        None,
        """
        op.create_table('first', sa.Column('id', sa.Integer, primary_key=True))
        import time; time.sleep(0.5)  # long enough for the others to read the revision too, unlocked
        """,
    )
    write_revision(
        where.directory,
        "bbb",
        "aaa",
        """
        op.create_table('second', sa.Column('id', sa.Integer, primary_key=True))
        op.execute('INSERT INTO second (id) VALUES (1)')
        """,
    )
    write_revision(
        where.directory,
        "ccc",
        "bbb",
        "op.create_table('third', sa.Column('id', sa.Integer, primary_key=True))",
    )
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(target=_workers.upgrade, args=(where.url, str(where.directory), barrier, results))
        for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=30)

    assert outcomes == ["ok"] * PROCESSES, "\n".join(outcomes)
    engine = create_engine(where.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT id FROM second")).all() == [(1,)]
            assert connection.execute(text("SELECT version_num FROM alembic_version")).all() == [("ccc",)]
    finally:
        engine.dispose()
    assert {"first", "second", "third"} <= where.tables()
