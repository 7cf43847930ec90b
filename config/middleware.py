"""Refuse form and query values that no database can store (NUL characters) with a clear 400,
once for every view, instead of letting one reach a query and fail there (E1)."""

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found


class RejectNulMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        api = request.path.startswith("/api/")
        if (
            "\x00" in request.path
            # The API reads one query value, `?token=`, and only compares it: a token with a NUL in
            # it is a wrong token (403), as the API's own guard answers.
            or (not api and self._has_nul(request.GET))
            or (request.method == "POST" and request.content_type != "application/json" and self._has_nul(request.POST))
        ):
            text = _("The request contains a NUL character, which is not allowed.")
            if api:  # every /api/ answer is JSON, errors included
                return JsonResponse({"error": text}, status=400)
            return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
        return self.get_response(request)

    @staticmethod
    def _has_nul(query):
        return any("\x00" in key or any("\x00" in value for value in values) for key, values in query.lists())


API_PREFIX = "/api/"


class OwnNotFoundMiddleware:
    """With DEBUG on (`make run`), Django answers a 404 with its debug page, which lists every URL
    of the site: show the console's own 404 page there too. The API keeps its JSON answers."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.DEBUG and not request.path_info.startswith(API_PREFIX):
            try:
                resolve(request.path_info)
            except Resolver404 as missing:
                return page_not_found(request, missing)
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if settings.DEBUG and isinstance(exception, Http404) and not request.path_info.startswith(API_PREFIX):
            return page_not_found(request, exception)
        return None
