"""An async unit that cannot reach its server raises ConnectionLostError, and never shows the password.

asyncpg raises the socket's own OSError when it cannot connect, which SQLAlchemy lets
through unwrapped; datalayer raises it as the driver's OperationalError, so the unit
translates it as on every other driver.
"""

from __future__ import annotations

import pytest
from sqlalchemy import URL

from datalayer.asyncio import AsyncDatabase, AsyncUnitOfWork, run
from datalayer.errors import ConnectionLostError
from tests._outsider import closed_port
from tests.test_credentials import (
    FORMS_OF_URL,
    assert_no_password,
    debug_logs,
    everything_about,
    with_password,
)

__all__ = ["debug_logs"]  # the fixture, used by name

DRIVERS = ["postgresql+asyncpg", "postgresql+psycopg", "mysql+aiomysql"]


@pytest.mark.parametrize("form", FORMS_OF_URL)
@pytest.mark.parametrize("where", ["closed port", "unknown host"])
@pytest.mark.parametrize("driver", DRIVERS)
async def test_an_unreachable_server_is_a_lost_connection_that_never_shows_the_password(
    driver: str, where: str, form: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    host, port = ("127.0.0.1", closed_port()) if where == "closed port" else ("db.invalid", None)
    adb = AsyncDatabase(
        with_password(URL.create(driver, username="scott", host=host, port=port, database="app"), form)
    )
    try:
        with pytest.raises(ConnectionLostError) as in_unit:
            async with AsyncUnitOfWork(adb) as uow:
                await uow.session.connection()
        with pytest.raises(ConnectionLostError) as in_run:
            await run(
                lambda: AsyncUnitOfWork(adb), lambda uow: uow.session.connection(), attempts=2, backoff=0
            )
    finally:
        await adb.dispose()
    for raised in (in_unit, in_run):
        assert_no_password(everything_about(raised.value), f"the error of an async unit ({where})")
