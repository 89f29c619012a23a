from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from minzheng.api.router import api
from minzheng.discovery import views as discovery_views

admin.site.site_header = admin.site.site_title = _("minzheng administration")
# Admin texts that Django 5.2's Chinese catalogue lacks (the screen-reader headers of the model
# lists, the title prefix of a page with errors): named here, our catalogue translates them.
DJANGO_ADMIN_MESSAGES = [
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    gettext_noop("Error:"),
]

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("verification/", include("minzheng.verification.urls")),
    path("exchange/", include("minzheng.exchange.urls")),
    path("cases/", include("minzheng.cases.urls")),
    path("discovery/", include("minzheng.discovery.urls")),
    path("simulation/", include("minzheng.simulation.urls")),
    path("eldercare/", include("minzheng.eldercare.urls")),
    # the public reporting channel (一键报送): no login
    path("report/<str:township_code>/", discovery_views.report, name="report"),
    path("report/<str:township_code>/qr.svg", discovery_views.report_qr, name="report_qr"),
    path("", include("minzheng.web.urls")),
]

handler403 = "minzheng.web.views.permission_denied"
