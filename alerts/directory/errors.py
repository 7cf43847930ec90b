"""The named failures of a directory sync, mapped from the SDKs' exceptions by their code, and the
one way every Alibaba Cloud call of the sync is made (`cloud_call`): throttled calls are tried
again with backoff, everything else fails at once with a failure that says what to do."""

import logging
from collections.abc import Callable
from time import sleep
from typing import TYPE_CHECKING

from alibabacloud_credentials.exceptions import CredentialException
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from darabonba.exceptions import UnretryableException
from django.conf import settings
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:  # django-stubs (a development dependency) names lazy translations
    from django_stubs_ext import StrOrPromise

logger = logging.getLogger(__name__)


class DirectoryError(Exception):
    """A directory sync that could not read what it needs; nothing was written for the account.
    `text` says what happened and what to check; `code` and `request_id` are Alibaba Cloud's."""

    what: "StrOrPromise" = _("The directory could not be read")

    def __init__(self, detail: str = "", *, code: str = "", request_id: str = "") -> None:
        self.detail, self.code, self.request_id = detail, code, request_id
        super().__init__(detail or code)

    @property
    def text(self) -> str:
        """In the active language: what happened, then Alibaba Cloud's code and request id."""
        text = str(self.what)
        if self.detail:
            text += f" ({self.detail})"
        if self.request_id:
            text += f" [{self.request_id}]"
        return text


class WrongAccessKey(DirectoryError):
    what = _("Alibaba Cloud refused the AccessKey (unknown, disabled, or a wrong secret): check the credentials.")


class MissingCredentials(DirectoryError):
    what = _("No Alibaba Cloud credentials were found: configure the credentials chain or the account's profile.")


class MissingPermission(DirectoryError):
    what = _(
        "The AccessKey lacks a permission: it needs read-only access to RAM and to DataWorks' "
        "ListProjects and ListProjectMembers."
    )


class Throttled(DirectoryError):
    what = _("Alibaba Cloud kept throttling the requests: the sync gave up and tries again at its next run.")


class NetworkError(DirectoryError):
    what = _("Alibaba Cloud could not be reached (network error or timeout).")


class ServiceError(DirectoryError):
    what = _("Alibaba Cloud answered with an error.")


# Error codes as Alibaba Cloud's OpenAPI gateway and the RAM and DataWorks APIs name them.
WRONG_ACCESS_KEY = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSecurityToken", "IncompleteSignature")
MISSING_PERMISSION = ("NoPermission", "Forbidden", "AccessDenied", "NotAuthorized")
THROTTLED = ("Throttling", "ServiceUnavailable", "Flowlimit")


def _code_kind(code: str) -> type[DirectoryError]:
    if code.startswith(WRONG_ACCESS_KEY):
        return WrongAccessKey
    if code.startswith(MISSING_PERMISSION):
        return MissingPermission
    if code.startswith(THROTTLED):
        return Throttled
    return ServiceError


def error_from(error: Exception) -> DirectoryError:
    """The named failure for an exception raised by an SDK call."""
    if isinstance(error, DirectoryError):
        return error
    if isinstance(error, AlibabaCloudException):
        code = str(error.code or "")
        kind = Throttled if isinstance(error, ThrottlingException) else _code_kind(code)
        request_id = str(error.request_id or "")
        detail = code if kind is not ServiceError else f"{code} (HTTP {error.status_code})"
        return kind(detail, code=code, request_id="" if request_id == "None" else request_id)
    inner = getattr(error, "inner_exception", None)
    if isinstance(error, CredentialException) or isinstance(inner, CredentialException):
        return MissingCredentials(str(inner or error)[:200])
    if isinstance(error, UnretryableException):
        return NetworkError(type(inner).__name__ if inner is not None else "")
    if isinstance(error, OSError):
        return NetworkError(type(error).__name__)
    raise error


def cloud_call[T](call: Callable[[], T], *, what: str) -> T:
    """Make one SDK call. A throttled call is tried again after RETRY_BASE_SECONDS, then twice that
    and so on, DIRECTORY_SYNC_MAX_ATTEMPTS tries in all; any other failure is raised at once, named."""
    attempts = max(1, settings.DIRECTORY_SYNC_MAX_ATTEMPTS)
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Exception as raw:  # the SDKs raise many types; error_from names them or re-raises
            error = error_from(raw)
            if not isinstance(error, Throttled) or attempt == attempts:
                if isinstance(error, Throttled):
                    error.detail = f"{error.detail}, {attempts} tries ({what})"
                raise error from raw
            delay = settings.DIRECTORY_SYNC_RETRY_BASE_SECONDS * 2 ** (attempt - 1)
            logger.info("%s throttled (%s); trying again in %s s", what, error.code, delay)
            sleep(delay)
    raise AssertionError("unreachable")


class DirectorySyncOff(DirectoryError):
    """The account is not connected to Alibaba Cloud (the demo accounts): nothing is called."""

    what = _("Directory sync is off for this account: turn it on in the admin once its credentials are configured.")


class UnexpectedError(DirectoryError):
    what = _("The sync failed unexpectedly; the log has the details.")
