from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "minzheng.verification"
    verbose_name = _("Economic-status verification")
