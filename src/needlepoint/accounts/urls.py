"""URLs of sign-in, sign-out, the two-factor step, "Forgot your password?" and the one-time
set-password link (always emailed, never shown)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from needlepoint.accounts import lockouts, password_links, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("lockouts/", lockouts.lockouts, name="lockouts"),  # the medical director lifts a sign-in lock
    # "Forgot your password?": an email form, then the same answer whatever the address.
    path("password-reset/", password_links.ForgottenPasswordView.as_view(), name="password_reset"),
    path(
        "password-reset/sent/", password_links.ForgottenPasswordSentView.as_view(), name="password_reset_done"
    ),
    # The one-time link a new portal user (or someone who forgot their password) opens.
    path("reset/<uidb64>/<token>/", password_links.SetPasswordView.as_view(), name="password_reset_confirm"),
    path(
        "reset/done/",
        login_not_required(
            auth_views.PasswordResetCompleteView.as_view(template_name="accounts/password_set_done.html")
        ),
        name="password_set_done",
    ),
]
