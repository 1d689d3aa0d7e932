"""URLs of sign-in, sign-out, the two-factor step and the one-time set-password link."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path, reverse_lazy

from needlepoint.accounts import lockouts, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("lockouts/", lockouts.lockouts, name="lockouts"),  # the medical director lifts a sign-in lock
    # The one-time link a new portal user (or someone who forgot their password) opens.
    path(
        "reset/<uidb64>/<token>/",
        login_not_required(
            auth_views.PasswordResetConfirmView.as_view(
                template_name="accounts/password_set.html",
                success_url=reverse_lazy("accounts:password_set_done"),
            )
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        login_not_required(
            auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_set_done.html")
        ),
        name="password_set_done",
    ),
]
