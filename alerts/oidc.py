"""Sign in with Alibaba Cloud: OpenID Connect (authorization code flow with PKCE, state and nonce) on
mozilla-django-oidc, and the mapping of a cloud sign-in to a console identity (T2).

mozilla-django-oidc has no discovery: it reads the provider's endpoints from settings named OIDC_OP_*
and the client from OIDC_RP_CLIENT_ID / OIDC_RP_CLIENT_SECRET. Every class of it reads settings
through its own static `get_settings(name, *default)`, so the classes below answer those names from
the discovery document (fetched when a sign-in needs it, cached) and from OIDC_CLIENT_ID /
OIDC_CLIENT_SECRET. Nothing here touches the network before someone clicks the button.

The mapping: the account-id claim (`aid`) selects the Account by its ID; a user-id claim (`uid`)
equal to it is the account owner; any other is the principal whose RAM ID it is (a RAM user's
UserId, a RAM role's RoleId). A known owner or principal gets a Django user and an Identity at its
first sign-in (username `aliyun.<aid>.<uid>`), reused after; an unknown account or user is refused
with a page that says so, and nothing is created.
"""

import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
import requests
from django.conf import settings
from django.contrib import auth, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.translation import gettext as _
from django.views import View
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import import_from_settings
from mozilla_django_oidc.views import OIDCAuthenticationRequestView

from contacts.models import Account, Principal

from .models import Identity

logger = logging.getLogger(__name__)

BACKEND = "alerts.oidc.AlibabaCloudOIDCBackend"

# ---- settings and discovery ---------------------------------------------------------------------

_discovered: dict[str, tuple[float, dict[str, Any]]] = {}
_discovered_lock = threading.Lock()


def oidc_enabled() -> bool:
    """Sign in with Alibaba Cloud is on when a client ID is configured."""
    return bool(settings.OIDC_CLIENT_ID)


def provider_name() -> str:
    """The provider's name on the button and in messages: Alibaba Cloud unless OIDC_PROVIDER_NAME says."""
    return settings.OIDC_PROVIDER_NAME or _("Alibaba Cloud")


def discovery() -> dict[str, Any]:
    """The provider's metadata from OIDC_DISCOVERY_URL, cached OIDC_DISCOVERY_TTL_SECONDS per URL.
    Raises requests.RequestException, ValueError (not JSON) or ImproperlyConfigured (incomplete)."""
    url = settings.OIDC_DISCOVERY_URL
    if not url:
        raise ImproperlyConfigured("OIDC_DISCOVERY_URL is not set.")
    with _discovered_lock:
        hit = _discovered.get(url)
        if hit and hit[0] > time.monotonic():
            return hit[1]
    # Outbound requests never follow redirects (the house rule): the discovery URL is the final one.
    response = requests.get(url, timeout=settings.OIDC_TIMEOUT, allow_redirects=False)
    response.raise_for_status()
    document = response.json()
    if not isinstance(document, dict):
        raise ImproperlyConfigured(f"{url} is not an OpenID Provider configuration.")
    for key in ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not isinstance(document.get(key), str) or not document[key]:
            raise ImproperlyConfigured(f"{url} has no {key}.")
    with _discovered_lock:
        _discovered[url] = (time.monotonic() + settings.OIDC_DISCOVERY_TTL_SECONDS, document)
    return document


def discovery_forget() -> None:
    """Drop the cached discovery documents (tests, or after the provider moved)."""
    with _discovered_lock:
        _discovered.clear()


FROM_DISCOVERY = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
    # Alibaba Cloud's discovery document lists no userinfo endpoint: the claims are in the ID token.
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
}
RENAMED = {"OIDC_RP_CLIENT_ID": "OIDC_CLIENT_ID", "OIDC_RP_CLIENT_SECRET": "OIDC_CLIENT_SECRET"}


def oidc_setting(name: str, *default: Any) -> Any:
    """mozilla-django-oidc's settings: the endpoints from discovery, the client from our names."""
    if name in FROM_DISCOVERY:
        return discovery().get(FROM_DISCOVERY[name])
    return import_from_settings(RENAMED.get(name, name), *default)


# ---- the mapping (T2) ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CloudClaims:
    """What a verified ID token says about who signs in, read through OIDC_CLAIMS."""

    account_id: str
    user_id: str
    login_name: str
    name: str

    @classmethod
    def of(cls, claims: dict[str, Any]) -> "CloudClaims":
        def text(key: str) -> str:
            value = claims.get(settings.OIDC_CLAIMS[key])
            return "" if value is None else str(value).strip()

        return cls(text("account_id"), text("user_id"), text("login_name"), text("name"))

    @property
    def is_owner(self) -> bool:
        return self.user_id == self.account_id


class CloudSignInRefused(PermissionDenied):
    """A verified cloud sign-in the console does not let in: the account is not connected
    (ACCOUNT), the user is not one of its known principals (USER), or support staff turned the
    sign-in off (DISABLED). Nothing is created."""

    ACCOUNT, USER, DISABLED = "account", "user", "disabled"

    def __init__(self, reason: str, claims: CloudClaims) -> None:
        super().__init__(f"{reason} not connected: account {claims.account_id}, user {claims.user_id}")
        self.reason, self.claims = reason, claims


def cloud_identity_find(*, claims: CloudClaims) -> tuple[Account, Principal | None]:
    """The account and the principal (None for the owner) a cloud sign-in acts as, or
    CloudSignInRefused. A user ID that names several principals of the account is refused too:
    guessing would let one person act as another."""
    account = Account.objects.filter(uid=claims.account_id).first()
    if account is None:
        raise CloudSignInRefused(CloudSignInRefused.ACCOUNT, claims)
    if claims.is_owner:
        return account, None
    # A principal the directory sync marked removed from RAM is not let in either.
    principals = list(Principal.objects.filter(account=account, ram_id=claims.user_id, removed_at__isnull=True)[:2])
    if len(principals) != 1:
        if principals:
            logger.error("RAM ID %s names several principals of account %s", claims.user_id, account.uid)
        raise CloudSignInRefused(CloudSignInRefused.USER, claims)
    return account, principals[0]


_USERNAME_UNSAFE = re.compile(r"[^\w.@+-]")


def cloud_username(*, claims: CloudClaims) -> str:
    """The stable username of a cloud sign-in: `aliyun.<account ID>.<user ID>`, in the characters
    Django's username validator accepts (so support staff can edit the user in the admin)."""
    username = f"aliyun.{claims.account_id}.{_USERNAME_UNSAFE.sub('_', claims.user_id)}"
    if len(username) > 150:
        digest = hashlib.sha256(f"{claims.account_id}\0{claims.user_id}".encode()).hexdigest()
        username = f"aliyun.{claims.account_id[:60]}.{digest[:40]}"
    return username


def cloud_user_sign_in(*, claims: CloudClaims) -> User:
    """The Django user a cloud sign-in acts through, with its Identity: created at the first
    sign-in of a known owner or principal, reused (and pointed at the same identity) after."""
    account, principal = cloud_identity_find(claims=claims)
    User = get_user_model()
    with transaction.atomic():
        user, created = User.objects.get_or_create(username=cloud_username(claims=claims))
        if not user.is_active:
            raise CloudSignInRefused(CloudSignInRefused.DISABLED, claims)
        if created:
            user.set_unusable_password()  # never a password sign-in
        user.first_name = (claims.name or claims.login_name)[:150]  # what the top bar shows
        user.save()
        Identity.objects.update_or_create(user=user, defaults={"account": account, "principal": principal})
    logger.info(
        "Cloud sign-in of account %s user %s (%s) as %s%s",
        claims.account_id,
        claims.user_id,
        claims.login_name,
        principal or "the account owner",
        " (first sign-in)" if created else "",
    )
    return user


# ---- the authentication backend -----------------------------------------------------------------


class AlibabaCloudOIDCBackend(OIDCAuthenticationBackend):
    """mozilla-django-oidc's backend with the checks it leaves out and our mapping.

    Django instantiates every backend on every authenticate() (password sign-ins included) and the
    session's backend on every request (get_user). The library's __init__ reads the endpoints there;
    this one reads nothing, so the provider is reached only when an OIDC callback needs it. It
    answers only the callback's call (nonce and code_verifier), never a username and password."""

    get_settings = staticmethod(oidc_setting)
    OIDC_RP_SIGN_ALGO = "RS256"
    OIDC_RP_IDP_SIGN_KEY = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.UserModel = get_user_model()

    @property
    def OIDC_OP_TOKEN_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))

    @property
    def OIDC_OP_USER_ENDPOINT(self) -> str | None:
        return oidc_setting("OIDC_OP_USER_ENDPOINT")

    @property
    def OIDC_OP_JWKS_ENDPOINT(self) -> str:
        return str(oidc_setting("OIDC_OP_JWKS_ENDPOINT"))

    @property
    def OIDC_RP_CLIENT_ID(self) -> str:
        return str(settings.OIDC_CLIENT_ID)

    @property
    def OIDC_RP_CLIENT_SECRET(self) -> str:
        return str(settings.OIDC_CLIENT_SECRET)

    def authenticate(self, request: HttpRequest | None, **kwargs: Any) -> User | None:
        if request is None or set(kwargs) != {"nonce", "code_verifier"}:
            return None  # a password sign-in, or anything but our callback
        user: User | None = super().authenticate(request, **kwargs)
        return user

    def get_user(self, user_id: Any) -> User | None:
        """As Django's ModelBackend: a deactivated user is signed out at the next request (the
        library's own get_user would keep them signed in)."""
        user: User | None = ModelBackend.get_user(self, user_id)
        return user

    def _verify_jws(self, payload: bytes | str, key: Any) -> dict[str, Any]:
        """The ID token's signature (RS256 only), and, which the library skips, its issuer,
        audience, expiry and issue time (with OIDC_CLOCK_SKEW_SECONDS of leeway). Any failure
        refuses the sign-in."""
        try:
            claims: dict[str, Any] = jwt.decode(
                payload,
                key,
                algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID,
                issuer=discovery()["issuer"],
                leeway=settings.OIDC_CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "sub", "aud", "exp", "iat"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error
        return claims

    def get_userinfo(self, access_token: str, id_token: str, payload: dict[str, Any]) -> dict[str, Any]:
        """The verified ID token's claims: Alibaba Cloud puts the aliuid and profile claims there
        and has no userinfo endpoint."""
        return payload

    def verify_claims(self, claims: dict[str, Any]) -> bool:
        cloud = CloudClaims.of(claims)
        return bool(cloud.account_id and cloud.user_id)

    def get_or_create_user(self, access_token: str, id_token: str, payload: dict[str, Any]) -> User:
        claims = self.get_userinfo(access_token, id_token, payload)
        if not self.verify_claims(claims):
            names = settings.OIDC_CLAIMS["account_id"], settings.OIDC_CLAIMS["user_id"]
            raise SuspiciousOperation(f"The ID token has no {names[0]!r} or no {names[1]!r} claim.")
        return cloud_user_sign_in(claims=CloudClaims.of(claims))


# ---- the views ----------------------------------------------------------------------------------


def _sign_in_failed(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("login")


class AlibabaCloudSignIn(OIDCAuthenticationRequestView):
    """/oidc/authenticate/: sends the browser to the provider with state, nonce and a PKCE
    challenge (kept in the session), and the `next` page to return to."""

    get_settings = staticmethod(oidc_setting)

    def __init__(self, **kwargs: Any) -> None:
        View.__init__(self, **kwargs)  # not the library's: it would reach the provider here

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        try:
            self.OIDC_OP_AUTH_ENDPOINT = oidc_setting("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except (requests.RequestException, ValueError, ImproperlyConfigured) as error:
            logger.warning("OpenID provider configuration unavailable (%s): %s", settings.OIDC_DISCOVERY_URL, error)
            return _sign_in_failed(request, unavailable_message())
        self.OIDC_RP_CLIENT_ID = settings.OIDC_CLIENT_ID
        response: HttpResponse = super().get(request)
        return response


def unavailable_message() -> str:
    return _("Signing in with %(provider)s is not possible right now: it could not be reached. Try again later.") % {
        "provider": provider_name()
    }


def failed_message() -> str:
    return _("Signing in with %(provider)s did not succeed. Please try again.") % {"provider": provider_name()}


# What the provider's answer can fail with, past the refusals: a token or JWKS request that failed,
# an ID token that is refused, an answer of the wrong shape, a provider that is misconfigured.
SIGN_IN_ERRORS = (
    SuspiciousOperation,
    PermissionDenied,
    requests.RequestException,
    jwt.PyJWTError,
    ValueError,
    KeyError,
    TypeError,
    ImproperlyConfigured,
)


class AlibabaCloudCallback(View):
    """/oidc/callback/: where the provider sends the browser back. It checks the state against the
    session (one use each), exchanges the code (with the PKCE verifier), verifies the ID token and
    signs in as the mapped identity; every failure is a message on the sign-in page, never a 500
    (E1), and a refused account or user gets a page saying so.

    It calls the backend itself rather than django.contrib.auth.authenticate(), so django-axes
    neither counts nor blocks these sign-ins: no password reaches the console here (the provider
    throttles its own), and a refusal is not a guessed secret. Counting them would let a few
    not-connected colleagues behind one office address lock everyone there out."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        if not oidc_enabled():
            raise Http404
        entry = self._state_take(request)
        if request.GET.get("error"):
            logger.info("Sign-in at the OpenID provider ended: %s", request.GET.get("error"))
            return _sign_in_failed(
                request, _("Signing in with %(provider)s was cancelled.") % {"provider": provider_name()}
            )
        if entry is None or not request.GET.get("code"):
            # Back button, a second tab, a replayed or foreign callback, an expired session.
            logger.warning("OpenID callback without a state of this session: refused")
            return _sign_in_failed(request, failed_message())
        issuer = request.GET.get("iss")
        try:
            if issuer is not None and issuer != discovery()["issuer"]:  # RFC 9207: the answer is from our provider
                raise SuspiciousOperation(f"Callback from issuer {issuer!r}")
            # Read the session again after the slow token exchange would be too late: reload it now,
            # as the library does, so changes made meanwhile by other tabs are not overwritten.
            request.session = request.session.__class__(request.session.session_key)
            user = AlibabaCloudOIDCBackend().authenticate(
                request, nonce=entry.get("nonce"), code_verifier=entry.get("code_verifier")
            )
        except CloudSignInRefused as refused:
            logger.warning("Cloud sign-in refused (%s): %s", refused.reason, refused)
            return refused_page(request, refused)
        except SIGN_IN_ERRORS as error:
            logger.warning("Sign-in with the OpenID provider failed: %s", error)
            return _sign_in_failed(request, failed_message())
        if user is None or not user.is_active:
            return _sign_in_failed(request, failed_message())
        next_url = request.session.pop("oidc_login_next", None)
        auth.login(request, user, backend=BACKEND)
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))

    @staticmethod
    def _state_take(request: HttpRequest) -> dict[str, Any] | None:
        """The session's entry for the callback's state (nonce, PKCE verifier), removed so that it
        serves once; None when this session never sent that state."""
        states = request.session.get("oidc_states")
        state = request.GET.get("state")
        if not isinstance(states, dict) or not state or state not in states:
            return None
        entry = states.pop(state)
        request.session["oidc_states"] = states
        request.session.save()
        return entry if isinstance(entry, dict) else None


def refused_page(request: HttpRequest, refused: CloudSignInRefused) -> HttpResponse:
    """The page of a refused cloud sign-in: what is not connected and whom to ask (T2)."""
    context = {"reason": refused.reason, "claims": refused.claims, "provider": provider_name()}
    return render(request, "registration/cloud_sign_in_refused.html", context, status=403)
