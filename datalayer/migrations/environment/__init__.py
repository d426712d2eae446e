"""Alembic's script location for :class:`datalayer.migrations.Migrations`: ``env.py`` and the template.

Alembic loads ``env.py`` from here by its path; the user's migrations directory
holds the revision files alone (``version_locations``). ``sqla_wrapper_script.py.mako``
is the template :class:`datalayer.migrations.Alembic` copies into its directory,
as sqla-wrapper did: its revisions are written from that copy.
"""
