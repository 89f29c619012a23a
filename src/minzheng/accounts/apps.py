from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "minzheng.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from minzheng.accounts import receivers  # noqa: F401  (login events → audit log)
