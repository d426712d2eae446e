"""Alembic's script location for :class:`datalayer.migrations.Migrations`: ``env.py`` and the template.

Alembic loads ``env.py`` from here by its path; the user's migrations directory
holds the revision files alone (``version_locations``).
"""
