from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from minzheng.api.router import api

admin.site.site_header = admin.site.site_title = _("minzheng administration")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("verification/", include("minzheng.verification.urls")),
    path("", include("minzheng.web.urls")),
]

handler403 = "minzheng.web.views.permission_denied"
