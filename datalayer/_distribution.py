"""The distribution that installs ``datalayer`` and ``repositories``: its name, version and extras.

The import packages keep their names; the distribution on the package index is
``datalayer-sqla`` (as ``beautifulsoup4`` installs ``bs4``). ``setup.cfg``
declares the same name and extras, which a test keeps in step.
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["NAME", "install_hint", "version"]

NAME = "datalayer-sqla"

# The extra that installs each driver module the demo may miss.
_EXTRAS = {"psycopg": "postgresql", "pymysql": "mariadb"}


def version() -> str:
    """The installed distribution's version, or a note that it is not installed."""
    try:
        return metadata.version(NAME)
    except metadata.PackageNotFoundError:
        return "unknown (the distribution is not installed)"


def install_hint(module: str | None) -> str | None:
    """The pip command that installs ``module`` through one of our extras, if one does."""
    extra = _EXTRAS.get((module or "").split(".")[0])
    return None if extra is None else f'pip install "{NAME}[{extra}]"'
