"""axe-core, from the npm package that `make install` puts in node_modules (npm ci with the lockfile),
injected into a page: the browser tests fail on a critical or serious violation."""

from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
FAILING_IMPACTS = ("critical", "serious")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core (WCAG 2.0/2.1/2.2 A and AA rules) on the page as it is now; return its violations."""
    if not AXE_JS.exists():
        raise RuntimeError(f"{AXE_JS} is missing: run `make install` (npm ci installs axe-core).")
    # Injected through the DevTools protocol, not a <script> element: the site's CSP would block one.
    page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: "tag",
             values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})"""
    )
    return result["violations"]


def serious(violations: list[dict[str, Any]]) -> list[str]:
    """One line per critical or serious violation: rule, impact, first offending elements."""
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
        if v["impact"] in FAILING_IMPACTS
    ]
