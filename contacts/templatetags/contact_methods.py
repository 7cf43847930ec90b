"""`{% contact_method value method %}`: an address with the status of its contact method (Activated,
Waiting for Activation, and whether its activation message could not be sent), or a dash when
there is no method. A tag rather than an included template: the list of contacts shows it twice
per row, and an include cost a sixth of the page's rendering time."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from ..models import ContactMethod

register = template.Library()


@register.simple_tag
def contact_method(value, method: ContactMethod | None) -> SafeString:
    if not method:  # None, or a missing key of the template ("")
        return mark_safe('<span class="muted">—</span>')
    if method.is_activated:
        status = format_html('<span class="badge badge-ok">{}</span>', _("Activated"))
    else:
        status = format_html('<span class="badge badge-wait">{}</span>', _("Waiting for Activation"))
        if method.send_error:
            status += format_html(
                '<span class="badge badge-err" title="{}">{}</span>',
                method.send_error,
                _("Activation message not sent: resend"),
            )
    return format_html('<span class="method"><span class="value">{}</span>\n{}</span>', value, status)
