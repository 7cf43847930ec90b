"""Two small guards for the console's sensitive actions.

`confirmation_required` asks before a destructive action: the first POST answers a page that states
the consequence and posts the same fields again with `confirmed=1` (no JavaScript needed, nothing
changes until then). `shown_once` carries a new secret across POST-redirect-GET: the POST puts it
in the session, the next GET takes it out and shows it once, so a reload creates nothing and
shows nothing; pages that may show a secret are never cached (`never_cache`).
"""

from django.shortcuts import render

CONFIRMED = "confirmed"
_SHOWN_ONCE = "shown-once"


def confirmation_required(request, *, title, consequence, button, cancel_url):
    """None when this POST confirms the action; otherwise the page that asks first."""
    if request.POST.get(CONFIRMED) == "1":
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        for value in values
        if name not in ("csrfmiddlewaretoken", CONFIRMED)
    ]
    context = {
        "title": title,
        "consequence": consequence,
        "button": button,
        "cancel_url": cancel_url,
        "fields": fields,
        "action": request.get_full_path(),
    }
    return render(request, "confirm.html", context)


def shown_once_put(request, key, value):
    request.session.setdefault(_SHOWN_ONCE, {})[key] = value
    request.session.modified = True


def shown_once_take(request, key):
    """The value put under `key`, once; None afterwards."""
    stored = request.session.get(_SHOWN_ONCE) or {}
    value = stored.pop(key, None)
    if value is not None:
        request.session[_SHOWN_ONCE] = stored
        request.session.modified = True
    return value


class ShownOnceMixin:
    """A page that shows a new secret once after its POST redirected here: GET takes the value
    stored under `shown_once_prefix:<workspace id>` and passes it to the template as
    `shown_once_context`."""

    shown_once_prefix = ""
    shown_once_context = ""

    @property
    def shown_once_key(self):
        return f"{self.shown_once_prefix}:{self.workspace.pk}"

    def get(self, request, *args, **kwargs):
        shown = shown_once_take(request, self.shown_once_key)
        return self.render_to_response(self.get_context_data(**{self.shown_once_context: shown}))
