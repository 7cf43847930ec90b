"""The product's settings plus the framework floor of the API measurement (alerts/benchmarks/api.py):
gunicorn serves the API and the floor with this one settings module, so both sides are measured
under the same processes. The floor's token and workspace come from the environment the bench sets."""

from config.settings import *  # noqa: F403 - everything else is the product's
from config.settings import env

ROOT_URLCONF = "alerts.benchmarks.urls"
BENCH_FLOOR_TOKEN_SHA256 = env.str("BENCH_FLOOR_TOKEN_SHA256", default="")
BENCH_FLOOR_WORKSPACE_ID = env.int("BENCH_FLOOR_WORKSPACE_ID", default=0)
