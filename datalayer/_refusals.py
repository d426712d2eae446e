"""PostgreSQL connections the server refused for good, told from the transient failures to connect.

libpq reports every failure to connect without a SQLSTATE, and psycopg (2 and 3)
has nothing else to offer: ``sqlstate`` and ``diag`` are empty, and the
``pgconn`` of the error is already finished, keeping only its status and error
message. libpq does read the server's SQLSTATE, but only for ``PQping``, which
would open a second connection, race with a server coming up, and send the
credentials again. So here, and only here, the message decides.

The rule leans towards retrying. A failure counts as final only when the
message is the server's own refusal (``FATAL:`` as libpq prints the server's
severity) of a kind that no retry can fix: an unknown database or role, a role
that may not log in, a failed authentication, no ``pg_hba.conf`` entry, no
CONNECT privilege, a database that takes no connections; or libpq's own "no
password supplied". Anything else, among it a server that is starting up or
shutting down (57P03), too many clients (53300), a refused or timed-out socket,
stays a lost connection, retried. A server whose messages are translated
(``lc_messages``) is not recognised and falls back to being retried, as before.
"""

from __future__ import annotations

import re

__all__ = ["refused_for_good"]

_FINAL = re.compile(
    r"FATAL:  (?:"
    r'database ".*" does not exist'  # 3D000
    r'|role ".*" does not exist'  # 28000
    r'|role ".*" is not permitted to log in'  # 28000
    r"|.*authentication failed for user"  # 28P01 password, 28000 peer, ident, ldap...
    r"|no pg_hba\.conf entry for"  # 28000
    r"|pg_hba\.conf rejects connection for"  # 28000
    r'|permission denied for database ".*"'  # 42501: no CONNECT privilege
    r'|database ".*" is not currently accepting connections'  # 55000: datallowconn is false
    r")"
    r"|fe_sendauth: no password supplied"  # the server asked for a password and there is none
)


def refused_for_good(orig: BaseException | None) -> bool:
    """Whether the driver error ``orig``, a failure to connect, is the server refusing us for good."""
    return orig is not None and _FINAL.search(str(orig)) is not None
