"""Run jobs at once, each in its own thread and database connection (tests marked
django_db(transaction=True), so each thread sees what the others commit)."""

import threading
from functools import partial

from django.db import connection


def race(*jobs):
    """Start the jobs together; returns what each returned or raised, in order."""
    results, barrier = [None] * len(jobs), threading.Barrier(len(jobs))

    def run(i, job):
        barrier.wait()
        try:
            results[i] = job()
        except Exception as error:  # noqa: BLE001 - the test looks at what each raised
            results[i] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def race_many(count, work):
    """`count` copies of work(index) started together; returns their results in index order."""
    return race(*(partial(work, index) for index in range(count)))
