"""Alembic's commands print the SQL of a range of revisions on Migrations' Config, reading nothing."""

from __future__ import annotations

import pytest
from alembic import command

from tests.migrations.conftest import Where, define_users


def test_an_upgrade_with_sql_prints_the_revisions_sql_and_leaves_the_database_alone(
    where: Where, capsys: pytest.CaptureFixture[str]
) -> None:
    define_users(where.db)
    migrations = where.migrations()
    first = migrations.revision("add users")
    before = where.tables()  # none, or on MariaDB an empty alembic_version that revision() made

    command.upgrade(migrations.config(), "base:head", sql=True)

    printed = capsys.readouterr().out
    assert "CREATE TABLE users" in printed
    assert f"INSERT INTO alembic_version (version_num) VALUES ('{first}')" in printed  # noqa: S608
    assert migrations.current() is None
    assert where.tables() == before <= {"alembic_version"}
