"""What happens when someone signs in to the console. The sign-in (a Django user) becomes an
identity of the tenancy here, so the hook lives with the tenancy and hands the principal to the
contacts app's own rules.

Also here: the password side of signing in (PASSWORD_SIGN_IN) and the sign-in page, which offers
Sign in with Alibaba Cloud (alerts.oidc) first.
"""

import logging
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import LoginView
from django.http import HttpRequest
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contacts.models import Principal, RamDirectoryEntry
from contacts.sync import contact_sync_at_sign_in

from .access import identity_of
from .directory.errors import DirectoryError
from .directory.ram import RamReader
from .oidc import BACKEND as CLOUD_BACKEND
from .oidc import oidc_enabled, provider_name

logger = logging.getLogger(__name__)


def on_sign_in(sender: Any, request: HttpRequest | None, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Sync at logon (C12): the principal the sign-in acts as takes what changed in the RAM
    directory since it was last applied. A RAM user signing in with Alibaba Cloud, of an account
    connected to Alibaba Cloud (its directory sync on), first has its directory entry refreshed from
    RAM (GetUser); if RAM cannot be asked, the sign-in goes on with the contact as it is, and the
    page says when it was last synced. The account owner has no contact of its own."""
    identity = identity_of(user)
    if identity is None or identity.principal is None:
        return
    principal = identity.principal
    signed_in_with_cloud = request is not None and request.session.get(BACKEND_SESSION_KEY) == CLOUD_BACKEND
    if signed_in_with_cloud and principal.kind == Principal.Kind.USER and identity.account.directory_sync_enabled:
        if not ram_user_refresh(principal=principal):
            if request is not None:
                _say_not_refreshed(request, principal)
            return
    contact_sync_at_sign_in(principal=principal)


def ram_user_refresh(*, principal: Principal) -> bool:
    """Write what RAM's GetUser says about a RAM user (MobilePhone in RAM's `86-139…` form, Email,
    DisplayName) into its RAM directory entry, for contact_sync_at_sign_in to apply (C12). Returns
    False, having logged why, when RAM could not tell: any failure of the SDK, the credentials or
    the network, no such user, or a user name that now belongs to another RAM user. Never raises."""
    account = principal.account
    try:
        user = RamReader(account).user(principal.name)
    except Exception as error:  # whatever goes wrong with RAM, the sign-in goes on
        text = error.text if isinstance(error, DirectoryError) else f"{type(error).__name__}: {error}"
        logger.warning(
            "RAM GetUser %s of account %s failed; contact not refreshed: %s", principal.name, account.uid, text
        )
        return False
    if user is None:
        logger.warning("RAM has no user %s in account %s; contact not refreshed", principal.name, account.uid)
        return False
    if principal.ram_id and user.user_id and user.user_id != principal.ram_id:
        # The name was deleted and given to someone else: never copy another person's phone number.
        logger.warning(
            "RAM user %s of account %s is now UserId %s, not %s; contact not refreshed",
            principal.name,
            account.uid,
            user.user_id,
            principal.ram_id,
        )
        return False
    display_name = user.display_name[:128]
    RamDirectoryEntry.objects.update_or_create(
        account=account,
        kind=Principal.Kind.USER,
        name=principal.name,
        defaults={"display_name": display_name, "phone": user.mobile_phone[:40], "email": user.email[:254]},
    )
    if display_name and display_name != principal.display_name:
        Principal.objects.filter(pk=principal.pk).update(display_name=display_name)
    return True


def _say_not_refreshed(request: HttpRequest, principal: Principal) -> None:
    synced = principal.last_synced_at
    when = date_format(timezone.localtime(synced), "Y-m-d H:i") if synced else _("never")
    text = _(
        "Your contact details could not be refreshed from Alibaba Cloud RAM just now, so they stay as they were "
        "(last synced: %(when)s). Signing in again tries again."
    )
    messages.warning(request, text % {"when": when}, fail_silently=True)


class PasswordBackend(ModelBackend):
    """Django's username and password sign-in, within PASSWORD_SIGN_IN. When it is off, only staff
    users' passwords are accepted (support staff keep the admin's sign-in); anyone else's, even the
    right one, is refused exactly like a wrong one, so it is counted by the sign-in throttling and
    tells nothing about the password. Sessions that began with a password end at their next
    request too, unless they are staff's."""

    def user_can_authenticate(self, user: User | AnonymousUser | None) -> bool:
        allowed = settings.PASSWORD_SIGN_IN or bool(getattr(user, "is_staff", False))
        return allowed and super().user_can_authenticate(user)


class SignInForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "password_sign_in_off": gettext_lazy(
            "Password sign-in is turned off for this console: use the button above to sign in. "
            "Support staff sign in to the support admin."
        ),
    }

    def get_invalid_login_error(self) -> forms.ValidationError:
        if not settings.PASSWORD_SIGN_IN:
            return forms.ValidationError(self.error_messages["password_sign_in_off"], code="password_sign_in_off")
        return super().get_invalid_login_error()


class SignInView(LoginView):
    """The console's sign-in page: Sign in with Alibaba Cloud first (a link, since the CSP's
    form-action would stop a form from going on to the provider), then the password form unless
    PASSWORD_SIGN_IN is off."""

    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context: dict[str, Any] = super().get_context_data(**kwargs)
        context.update(
            password_sign_in=settings.PASSWORD_SIGN_IN,
            cloud_sign_in=oidc_enabled(),
            cloud_sign_in_label=_("Sign in with %(provider)s") % {"provider": provider_name()},
        )
        return context
