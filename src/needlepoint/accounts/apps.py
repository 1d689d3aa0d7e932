"""The accounts app's configuration: users, roles, sign-in and two-factor ("People and access")."""

from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "needlepoint.accounts"
    label = "accounts"
    verbose_name = "People and access"

    def ready(self) -> None:
        # Connects the sign-in signal that records each user's sessions.
        from needlepoint.accounts.services import sessions  # noqa: F401
