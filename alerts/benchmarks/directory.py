"""The RAM User tab (first page, and a search) against the Django admin changelist of the same
principals at the same page size, measured in the same run, at each size of the directory: the
tab's time must not grow with the directory (its count stops at a limit, its search uses trigram
indexes on PostgreSQL), the admin's does."""

import statistics
import time

from django.db import connection, reset_queries
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .world import World, principals_grow, principals_trim

SIZES = [(1_000, 100), (10_000, 1_000), (100_000, 10_000)]  # (RAM users, RAM roles)
# What the measurements after this one start from (intake and dispatch grow to it themselves):
# the biggest size is taken away again, so they measure the same directory run alone or together.
LEAVE = (10_000, 1_000)


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
    principals_trim(world, users=LEAVE[0], roles=LEAVE[1])
    return results


def timed_get(client, url, params, repeat):
    """(queries of one GET, median milliseconds of `repeat` more)."""
    reset_queries()  # the log is a bounded deque: a full one would count nothing
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    # Counted now: the next request empties the log (request_started), and `captured` only slices it.
    queries = len(captured)
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        client.get(url, params)
        timings.append((time.perf_counter() - start) * 1000)
    return queries, statistics.median(timings)
