"""The Makefile's own targets (README: Two commands)."""

import os
import subprocess

import pytest
from django.conf import settings

pytestmark = pytest.mark.skipif(
    not (settings.BASE_DIR / ".venv" / ".installed").exists(), reason="needs `make install`"
)


def make(*arguments):
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(
        ["make", "--no-print-directory", "-s", "-o", ".venv/.installed", *arguments],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_T3_messages_compiles_only_the_projects_catalogue():
    """T3: `make messages` (run by `make run` and `make test`) compiles locale/zh_Hans and looks
    at no other catalogue: it never walks .venv, where Django's own hundred catalogues live."""
    result = make("messages", "MESSAGES_VERBOSITY=1")
    assert result.returncode == 0, result.stderr
    looked_at = [line for line in result.stdout.splitlines() if "django.po" in line]
    assert len(looked_at) == 1, result.stdout
    assert str(settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES") in looked_at[0]
    assert (settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists()
