"""The README's commands work as written (README: Two commands, Using the console)."""

import re
import shlex

from django.conf import settings
from django.core.management import call_command

from contacts.models import Principal, RamDirectoryEntry

README = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")


def shell_lines():
    """Command lines of the README's ```sh blocks (comments and continuation lines included)."""
    blocks = re.findall(r"```sh\n(.*?)```", README, flags=re.S)
    return [line for block in blocks for line in block.splitlines() if line.strip()]


def test_C12_readme_import_commands_load_the_example_files(demo, monkeypatch):
    """C12: the README's `import_ram_directory` commands, run as written from the repository
    root, load the example RAM API answers in docs/examples/ into the demo account."""
    prefix = ".venv/bin/python manage.py "
    commands = [line[len(prefix) :] for line in shell_lines() if line.startswith(prefix + "import_ram_directory ")]
    assert len(commands) == 2, commands
    monkeypatch.chdir(settings.BASE_DIR)
    for command in commands:
        arguments = shlex.split(command)
        assert all((settings.BASE_DIR / a).is_file() for a in arguments if a.endswith(".json")), command
        assert all(a.startswith("docs/examples/") for a in arguments if a.endswith(".json")), command
        call_command(*arguments, verbosity=0)
    entries = {(e.kind, e.name): e for e in RamDirectoryEntry.objects.filter(account__name="demo-intl")}
    assert set(entries) == {
        ("user", "alice"),
        ("user", "bob"),
        ("user", "carol"),
        ("user", "erin"),
        ("role", "OnCallBackup"),
        ("role", "DataOpsRole"),
    }
    assert entries[("user", "alice")].email == "alice.wang@example.com"
    assert entries[("user", "alice")].phone == "86-13912345678"
    assert Principal.objects.filter(account__name="demo-intl", name="erin", display_name="Erin Zhao").exists()


def test_T1_readme_commands_use_the_port_of_make_run():
    """T1: the commands to copy reach the console where `make run` serves it (PORT), not a fixed
    8000."""
    urls = [line for line in shell_lines() if "http://127.0.0.1" in line and not line.lstrip().startswith("#")]
    assert urls, "the README shows no command with the console's address"
    for line in urls:
        assert re.findall(r"http://127\.0\.0\.1:([^/\s\"']+)", line) == ["${PORT:-8000}"] * line.count(
            "http://127.0.0.1:"
        ), line


def test_C10_readme_says_how_many_activation_messages_as_the_rule_counts():
    """C10: 'at most 3 per 10 minutes' counts the first message too (ACTIVATION_RESEND_LIMIT
    messages per ACTIVATION_RESEND_WINDOW_SECONDS, see contacts.services.activation_resend), so the
    README must not promise 3 resends."""
    assert settings.ACTIVATION_RESEND_LIMIT == 3 and settings.ACTIVATION_RESEND_WINDOW_SECONDS == 600
    text = " ".join(README.split())
    assert "the first one sent at **Confirm** included: at most 3 to one number or address" in text
    assert "at most 3 per method per 10 minutes" not in text
