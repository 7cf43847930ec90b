from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.http import FileResponse
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe

from alerts import oidc
from alerts import views as alert_views
from alerts.sign_in import SignInView
from contacts import views as contact_views

admin.site.site_header = _("Alert Contacts support")
admin.site.site_title = _("Alert Contacts support")


@require_safe
@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask every site for /favicon.ico, whatever the pages link to."""
    return FileResponse((settings.BASE_DIR / "static" / "favicon.ico").open("rb"), content_type="image/x-icon")


urlpatterns = [
    path("", alert_views.home, name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("health", never_cache(contact_views.health), name="health"),
    path("accounts/login/", SignInView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Sign in with Alibaba Cloud (OpenID Connect). The provider sends the browser back to
    # https://<the console's host>/oidc/callback/: register that URL with it. 404 while OIDC_CLIENT_ID is unset.
    path("oidc/authenticate/", oidc.AlibabaCloudSignIn.as_view(), name="oidc_authentication_init"),
    path("oidc/callback/", oidc.AlibabaCloudCallback.as_view(), name="oidc_authentication_callback"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("alerts.api_urls")),
    path("", include("alerts.urls")),
    path("", include("contacts.urls")),
]

handler403 = "alerts.views.permission_denied"
