"""The scale-out deployment (README: Deploying) and how CI smoke-tests it: the gunicorn options the
bench and the smoke test run are the README's, and the smoke test's checks catch a message sent
twice or not at all (the smoke test itself runs in .ci/run, on PostgreSQL)."""

import json
import re
import shlex

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from alerts.benchmarks.scale_out import CHANNELS, SmokeFailed, _outbox_check
from alerts.benchmarks.serving import GUNICORN_OPTIONS

README = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")


def test_the_bench_and_the_smoke_test_run_gunicorn_as_the_readme_deploys_it():
    command = re.search(r"^gunicorn config\.wsgi .*?(?<!\\)$", README, flags=re.M | re.S).group(0)
    words = shlex.split(command.replace("\\\n", " "))
    assert words[:4] == ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000"]
    assert words[4:] == GUNICORN_OPTIONS


def test_ci_runs_the_scale_out_smoke_on_postgresql_after_the_tests():
    ci = (settings.BASE_DIR / ".ci" / "run").read_text(encoding="utf-8")
    smoke = re.search(r'^DATABASE_URL="postgres://[^"]+" \.venv/bin/python manage\.py smoke_scale_out$', ci, flags=re.M)
    tests = re.search(r'^DATABASE_URL="postgres://[^"]+" make test$', ci, flags=re.M)
    assert smoke and tests and tests.start() < smoke.start()


def outbox(tmp_path, records):
    path = tmp_path / "outbox.jsonl"
    lines = [
        {"channel": channel, "kind": "alert", "subject": f"[DataWorks alert] {title} (ws)", "body": f"{title} …"}
        for title, channel in records
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def test_D8_the_smoke_test_passes_each_message_sent_exactly_once(tmp_path):
    titles = ["smoke-00000", "smoke-00001"]
    said = []
    _outbox_check(titles, outbox(tmp_path, [(t, c) for t in titles for c in CHANNELS]), said.append)
    assert "duplicates 0, lost 0, unknown 0" in said[0]


@pytest.mark.parametrize(
    ("records", "named"),
    [
        ([("smoke-00000", "email"), ("smoke-00000", "sms"), ("smoke-00001", "email")], "lost [('smoke-00001', 'sms')]"),
        (
            [("smoke-00000", "email"), ("smoke-00000", "email"), ("smoke-00000", "sms"), ("smoke-00001", "email")]
            + [("smoke-00001", "sms")],
            "duplicates [('smoke-00000', 'email')]",
        ),
    ],
)
def test_D8_the_smoke_test_fails_on_a_message_lost_or_sent_twice(tmp_path, records, named):
    with pytest.raises(SmokeFailed, match=re.escape(named)):
        _outbox_check(["smoke-00000", "smoke-00001"], outbox(tmp_path, records), lambda line: None)


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the refusal of SQLite")
def test_the_smoke_test_refuses_sqlite_with_a_clear_message():
    with pytest.raises(CommandError, match="runs on PostgreSQL"):
        call_command("smoke_scale_out")
