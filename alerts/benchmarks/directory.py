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
            queries = queries_of(world.console, tab, params)
            queries_of(world.admin, changelist, admin_params)  # the admin's first request, not timed either
            ms, admin_ms = timed_pair(
                (world.console, tab, params), (world.admin, changelist, admin_params), world.repeat
            )
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


def queries_of(client, url, params) -> int:
    """The queries of one GET (which also warms up what the timed ones use)."""
    reset_queries()  # the log is a bounded deque: a full one would count nothing
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200, (url, response.status_code)
    # Counted now: the next request empties the log (request_started), and `captured` only slices it.
    return len(captured)


def timed_pair(page, floor, repeat) -> tuple[float, float]:
    """Median milliseconds of `repeat` GETs of `page` and of `floor` (each a client, a URL and its
    parameters), taken in turns: on a shared machine the load changes from one second to the
    next, and both medians should see the same."""
    timings: dict[int, list[float]] = {0: [], 1: []}
    for _ in range(repeat):
        for which, (client, url, params) in enumerate((page, floor)):
            start = time.perf_counter()
            client.get(url, params)
            timings[which].append((time.perf_counter() - start) * 1000)
    return statistics.median(timings[0]), statistics.median(timings[1])
