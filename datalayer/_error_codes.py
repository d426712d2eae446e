"""Driver errors classified by their codes, never by their messages.

SQLSTATE on PostgreSQL, the extended result code on SQLite, the server error
number on MariaDB/MySQL.
"""

from __future__ import annotations

import enum

__all__ = ["Kind", "constraint_name", "mysql_errno", "mysql_kind", "postgresql_kind", "sqlite_kind"]


class Kind(enum.Enum):
    """What a driver error means to a unit of work."""

    UNIQUE = "unique violation"
    SERIALIZATION = "serialization failure"
    DEADLOCK = "deadlock"
    LOCK_TIMEOUT = "lock timeout"
    READ_ONLY = "write in a read-only transaction"
    CONNECTION = "lost or refused connection"


_POSTGRESQL = {
    "23505": Kind.UNIQUE,
    "40001": Kind.SERIALIZATION,
    "40P01": Kind.DEADLOCK,
    "55P03": Kind.LOCK_TIMEOUT,
    "25006": Kind.READ_ONLY,
    "57P01": Kind.CONNECTION,  # admin_shutdown
    "57P02": Kind.CONNECTION,  # crash_shutdown
    "57P03": Kind.CONNECTION,  # cannot_connect_now (starting up)
}
_POSTGRESQL_CLASSES = {"08": Kind.CONNECTION}  # connection_exception
# Primary result codes (the low byte of the extended code), except for UNIQUE,
# whose extended codes tell it from the other constraint failures.
_SQLITE_EXTENDED = {1555: Kind.UNIQUE, 2067: Kind.UNIQUE}
_SQLITE_PRIMARY = {5: Kind.LOCK_TIMEOUT, 6: Kind.LOCK_TIMEOUT, 8: Kind.READ_ONLY}
_MYSQL = {
    1062: Kind.UNIQUE,  # ER_DUP_ENTRY
    1586: Kind.UNIQUE,  # ER_DUP_ENTRY_WITH_KEY_NAME
    1213: Kind.DEADLOCK,  # ER_LOCK_DEADLOCK
    1205: Kind.LOCK_TIMEOUT,  # ER_LOCK_WAIT_TIMEOUT
    1020: Kind.SERIALIZATION,  # ER_CHECKREAD: record changed since last read (snapshot isolation)
    1792: Kind.READ_ONLY,  # ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION
    1047: Kind.CONNECTION,  # Galera: the node is not serving (outside the primary component), SQLSTATE 08S01
    1053: Kind.CONNECTION,  # ER_SERVER_SHUTDOWN
    2002: Kind.CONNECTION,  # CR_CONNECTION_ERROR
    2003: Kind.CONNECTION,  # CR_CONN_HOST_ERROR
    2006: Kind.CONNECTION,  # CR_SERVER_GONE_ERROR
    2013: Kind.CONNECTION,  # CR_SERVER_LOST
}


def postgresql_kind(orig: BaseException) -> Kind | None:
    """What a PostgreSQL driver exception means, by its SQLSTATE."""
    code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    if not isinstance(code, str):
        return None
    return _POSTGRESQL.get(code) or _POSTGRESQL_CLASSES.get(code[:2])


def sqlite_kind(orig: BaseException) -> Kind | None:
    """What a SQLite driver exception means, by its extended result code."""
    code = getattr(orig, "sqlite_errorcode", None)
    if not isinstance(code, int):
        return None
    return _SQLITE_EXTENDED.get(code) or _SQLITE_PRIMARY.get(code & 0xFF)


def mysql_kind(orig: BaseException) -> Kind | None:
    """What a MariaDB/MySQL driver exception means, by its error number."""
    errno = mysql_errno(orig)
    return _MYSQL.get(errno) if errno is not None else None


def constraint_name(orig: BaseException | None) -> str | None:
    """The violated constraint's name when the driver reports it (PostgreSQL does)."""
    diag = getattr(orig, "diag", None)
    name = getattr(diag, "constraint_name", None)
    return name if isinstance(name, str) else None


def mysql_errno(orig: BaseException) -> int | None:
    """The MariaDB/MySQL error number of the driver exception ``orig``, or None."""
    errno = getattr(orig, "errno", None)  # mariadb connector
    if isinstance(errno, int):
        return errno
    if orig.args and isinstance(orig.args[0], int):  # PyMySQL, mysqlclient
        return orig.args[0]
    return None
