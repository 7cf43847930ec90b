"""The product's URLs plus the framework floor of the API measurement: a view that checks a bearer
token and stores one row, as little as honest code can do for an alert."""

import hashlib
import json

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt

from alerts.models import Alert
from config.urls import handler403  # noqa: F401 - the product's error pages
from config.urls import urlpatterns as product_urlpatterns


@csrf_exempt
def floor(request: HttpRequest) -> HttpResponse:
    """The token compared in constant time with the SHA-256 kept in settings, then one Alert row."""
    scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
    digest = hashlib.sha256(raw.strip().encode()).hexdigest()
    expected = settings.BENCH_FLOOR_TOKEN_SHA256
    if request.method != "POST" or scheme.lower() != "bearer" or not expected:
        return JsonResponse({"error": "POST with a bearer token"}, status=401)
    if not constant_time_compare(digest, expected):
        return JsonResponse({"error": "wrong token"}, status=401)
    data = json.loads(request.body)
    alert = Alert.objects.create(workspace_id=settings.BENCH_FLOOR_WORKSPACE_ID, title=data["title"], source="floor")
    return JsonResponse({"id": alert.pk}, status=202)


urlpatterns = [path("bench/floor", floor, name="bench_floor"), *product_urlpatterns]
