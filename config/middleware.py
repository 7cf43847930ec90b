"""Refuse form and query values that no database can store (NUL characters) with a clear 400,
once for every view, instead of letting one reach a query and fail there (E1)."""

from django.http import HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _


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
