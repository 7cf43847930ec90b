from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from alerts import views as alert_views

admin.site.site_header = _("Alert Contacts support")
admin.site.site_title = _("Alert Contacts support")

urlpatterns = [
    path("", alert_views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("alerts.api_urls")),
    path("", include("alerts.urls")),
    path("", include("contacts.urls")),
]

handler403 = "alerts.views.permission_denied"
