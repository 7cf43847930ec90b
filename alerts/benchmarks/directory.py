"""The RAM User tab (first page, and a search) against the Django admin changelist of the same
principals at the same page size, measured in the same run, at each size of the directory."""

import statistics
import time

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .world import World, principals_grow

SIZES = [(1_000, 100), (10_000, 1_000)]  # (RAM users, RAM roles)


def measure(world: World) -> list[dict]:
    tab = reverse("contacts:ram_users", args=[world.workspace.pk])
    changelist = reverse("admin:contacts_principal_changelist")
    results = []
    for users, roles in SIZES:
        principals_grow(world, users=users, roles=roles)
        for name, params, admin_params in [
            ("contacts_tab", {}, {"kind__exact": "user"}),
            ("contacts_tab_search", {"q": "user-000042"}, {"kind__exact": "user", "q": "user-000042"}),
        ]:
            queries, ms = timed_get(world.console, tab, params, world.repeat)
            _, admin_ms = timed_get(world.admin, changelist, admin_params, world.repeat)
            results.append(
                {
                    "name": name,
                    "principals": users + roles,
                    "queries": queries,
                    "ms_median": round(ms, 2),
                    "admin_ms_median": round(admin_ms, 2),
                }
            )
    return results


def timed_get(client, url, params, repeat):
    """(queries of one GET, median milliseconds of `repeat` more)."""
    reset_queries()  # the log is a bounded deque: a full one would count nothing
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - start) * 1000)
    return len(captured), statistics.median(timings)
