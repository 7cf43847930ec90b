"""Every rule id named in the code or the tests resolves in docs/rules.md (the product's rules in
the repository), and every rule there is proven by at least one test."""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
RULE = re.compile(r"\b([TACDIE](?:[1-9]|1[0-4]))\b")
DOCUMENTED = re.compile(r"^- \*\*([TACDIE]\d+)\*\*", re.M)


def ids_in(folders):
    found = set()
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            if "migrations" not in path.parts:
                found |= set(RULE.findall(path.read_text(encoding="utf-8")))
    return found


def test_every_rule_id_in_code_and_tests_is_documented():
    documented = set(DOCUMENTED.findall((ROOT / "docs" / "rules.md").read_text(encoding="utf-8")))
    assert len(documented) == 36
    assert ids_in(["alerts", "contacts", "config", "throttling", "tests"]) <= documented


def test_every_documented_rule_is_named_by_a_test():
    documented = set(DOCUMENTED.findall((ROOT / "docs" / "rules.md").read_text(encoding="utf-8")))
    assert documented <= ids_in(["tests"])
