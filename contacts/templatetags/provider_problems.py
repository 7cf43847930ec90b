"""`{% provider_problems as problems %}`: the open problems of the providers' set-up, for the
banner of the admin index (templates/admin/index.html)."""

from django import template

from ..models import ProviderProblem
from ..provider_problems import provider_problems_open

register = template.Library()


@register.simple_tag
def provider_problems() -> list[ProviderProblem]:
    return provider_problems_open()
