"""What a failed revision leaves behind, per backend; SQLite's foreign keys while tables are copied."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from datalayer.errors import MigrationError
from tests.migrations.conftest import Where, backends, write_revision

CREATE_FIRST = "op.create_table('first', sa.Column('id', sa.Integer, primary_key=True))"
CREATE_SECOND_THEN_FAIL = """
op.create_table('second', sa.Column('id', sa.Integer, primary_key=True))
op.execute('INSERT INTO second (id) VALUES (1)')
op.execute('SELECT * FROM no_such_table')
"""


def failing_history(where: Where) -> None:
    write_revision(where.directory, "aaa", None, CREATE_FIRST)
    write_revision(where.directory, "bbb", "aaa", CREATE_SECOND_THEN_FAIL)


@pytest.mark.parametrize("where", backends("sqlite", "postgresql"), indirect=True)
def test_a_revision_that_fails_half_way_leaves_nothing_of_it_applied(where: Where) -> None:
    failing_history(where)
    migrations = where.migrations()

    with pytest.raises(DBAPIError, match="no_such_table"):
        migrations.upgrade()

    assert "second" not in where.tables()
    assert "first" in where.tables()  # the revision before it committed on its own
    assert migrations.current() == "aaa"


@pytest.mark.parametrize("where", backends("mariadb"), indirect=True)
def test_on_mariadb_a_failed_revision_keeps_its_committed_ddl_and_the_version_before_it(where: Where) -> None:
    failing_history(where)
    migrations = where.migrations()

    with pytest.raises(DBAPIError, match="no_such_table"):
        migrations.upgrade()

    # Each DDL statement commits at once on MariaDB: the table the revision created stays,
    # while the rows it wrote after its last DDL statement are rolled back with it.
    assert {"first", "second"} <= where.tables()
    assert migrations.current() == "aaa"  # the failed revision is not recorded: fix it, drop what it left
    engine = create_engine(where.url)
    try:
        with engine.connect() as connection:
            assert connection.execute(text("SELECT COUNT(*) FROM second")).scalar() == 0
    finally:
        engine.dispose()


@pytest.mark.parametrize("where", backends("sqlite"), indirect=True)
def test_on_sqlite_a_revision_leaving_foreign_keys_pointing_nowhere_is_rolled_back(where: Where) -> None:
    write_revision(
        where.directory,
        "aaa",
        None,
        """
        op.create_table('parent', sa.Column('id', sa.Integer, primary_key=True))
        op.create_table(
            'child',
            sa.Column('id', sa.Integer, primary_key=True),
            sa.Column('parent_id', sa.Integer, sa.ForeignKey('parent.id')),
        )
        """,
    )
    write_revision(
        where.directory, "bbb", "aaa", "op.execute('INSERT INTO child (id, parent_id) VALUES (1, 99)')"
    )
    migrations = where.migrations()

    with pytest.raises(
        MigrationError, match=r"the upgrade of revision bbb leaves rows in child whose foreign"
    ):
        migrations.upgrade()

    assert migrations.current() == "aaa"
    with where.db.engine.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM child")).scalar() == 0


@pytest.mark.parametrize("where", backends("sqlite"), indirect=True)
def test_on_sqlite_a_referenced_table_is_copied_with_its_rows_and_foreign_keys_are_enforced_after(
    where: Where,
) -> None:
    write_revision(
        where.directory,
        "aaa",
        None,
        """
        op.create_table(
            'parent', sa.Column('id', sa.Integer, primary_key=True), sa.Column('name', sa.String(10))
        )
        op.create_table(
            'child',
            sa.Column('id', sa.Integer, primary_key=True),
            sa.Column('parent_id', sa.Integer, sa.ForeignKey('parent.id')),
        )
        op.execute("INSERT INTO parent (id, name) VALUES (1, 'p')")
        op.execute('INSERT INTO child (id, parent_id) VALUES (1, 1)')
        """,
    )
    write_revision(
        where.directory,
        "bbb",
        "aaa",
        """
        with op.batch_alter_table('parent', recreate='always') as batch:
            batch.alter_column('name', type_=sa.String(50))
        """,
    )

    where.migrations().upgrade()

    with where.db.engine.connect() as connection:
        assert connection.execute(text("SELECT parent_id FROM child")).scalar() == 1
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
