"""Alembic's environment script: runs datalayer's in-process runner with the Database of the Config."""

from __future__ import annotations

from datalayer.migrations._runner import run_environment

run_environment()
