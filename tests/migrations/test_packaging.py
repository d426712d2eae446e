"""Without Alembic, datalayer and its testing tools work, and migrations name the extra to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BLOCK_ALEMBIC = "import sys; sys.modules['alembic'] = None  # as if it were not installed\n"
EXTRA = 'datalayer.migrations needs Alembic: pip install "datalayer-sqla[migrations]"'


def run_python(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", BLOCK_ALEMBIC + code],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=cwd,
    )


def test_datalayer_and_its_testing_tools_import_without_alembic() -> None:
    done = run_python(
        "import datalayer, datalayer.testing, datalayer.cli\n"
        "print(datalayer.testing.assert_migrations_round_trip.__name__)\n"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["assert_migrations_round_trip"]


def test_importing_migrations_without_alembic_names_the_extra_to_install() -> None:
    done = run_python("try:\n    import datalayer.migrations\nexcept ImportError as exc:\n    print(exc)\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == EXTRA


def test_the_db_command_without_alembic_exits_2_naming_the_extra(tmp_path: Path) -> None:
    done = run_python(
        "from datalayer.cli import main\nraise SystemExit(main(['db', 'current', '--app', 'app:db']))\n",
        cwd=tmp_path,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == f"datalayer db: error: {EXTRA}"
