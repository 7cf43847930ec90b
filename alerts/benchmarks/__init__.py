"""`make bench`: every measurement of the product's speed, each against a floor measured in the
same run (this machine and any shared one are noisy: the targets are ratios, never absolute times).

Each module measures one path and returns its results as dicts; the command
(alerts/management/commands/bench.py) prints them as one `BENCH {json}` line each, with the
`database` they ran on. `python manage.py bench --only directory,dispatch` runs a subset.

- directory: the RAM User tab and its search against the admin changelist (contacts_tab*).
- intake: one Alertmanager notification of 10,000 alerts against bulk_create (am_intake).
- api: the alert API under gunicorn with 8 clients against a floor view (api_intake).
- dispatch: one worker against the naive task per delivery, two workers against one, a worker's
  memory, and delivery while old history is pruned (dispatch_*, worker_rss).
"""

MEASUREMENTS = {
    "directory": "alerts.benchmarks.directory.measure",
    "intake": "alerts.benchmarks.intake.measure",
    "api": "alerts.benchmarks.api.measure",
    "dispatch": "alerts.benchmarks.dispatch.measure",
}
