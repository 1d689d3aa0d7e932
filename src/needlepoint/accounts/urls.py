"""URLs of sign-in, sign-out, the two-factor step, "Forgot your password?" and the one-time
set-password link (always emailed, never shown)."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import path

from needlepoint.accounts import enrol_views, lockouts, password_links, staff_views, views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-factor/", views.two_factor, name="two_factor"),
    path("lockouts/", lockouts.lockouts, name="lockouts"),  # the medical director lifts a sign-in lock
    path("backup-codes/", enrol_views.backup_codes_page, name="backup_codes"),
    # The one-time link a new staff member (or one whose second factor was reset) opens.
    path("invitation/<str:token>/", enrol_views.invitation, name="invitation"),
    # The medical director's staff pages.
    path("staff/", staff_views.staff_list, name="staff_list"),
    path("staff/invite/", staff_views.staff_invite, name="staff_invite"),
    path("staff/<int:pk>/", staff_views.staff_detail, name="staff_detail"),
    path("staff/<int:pk>/send-link/", staff_views.staff_link_send, name="staff_link_send"),
    path("staff/<int:pk>/deactivate/", staff_views.staff_deactivate, name="staff_deactivate"),
    path("staff/<int:pk>/reactivate/", staff_views.staff_reactivate, name="staff_reactivate"),
    path("staff/<int:pk>/role/", staff_views.staff_role, name="staff_role"),
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
