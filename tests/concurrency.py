"""Run the same work in several threads at once, each with its own database connection, as
several web or worker processes would."""

import threading

from django.db import close_old_connections, connection


def race(count, work):
    """Start `count` threads together (a barrier), each calling work(index); return the results in
    index order. An exception in a thread is returned in its place, so a test can assert on it."""
    results, barrier = [None] * count, threading.Barrier(count)

    def run(index):
        barrier.wait()
        try:
            results[index] = work(index)
        except Exception as error:  # noqa: BLE001 - handed back to the test
            results[index] = error
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
