"""The medical director invites a practitioner in Chromium; the practitioner opens the emailed
link, chooses a password, enrols the authenticator (its code computed here from the key the
page shows through the device), sees the backup codes once, and later signs in with the code."""

import datetime as dt
import re

from django.core import mail
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from patient_path_steps import sign_in, sign_out
from playwright.sync_api import expect

from needlepoint.bookings.models import Location

PASSWORD = "a long new secret 42"


def code(device, *, later=0):
    return f"{totp(device.bin_key, device.step, device.t0 - later, device.digits, device.drift):06d}"


def test_it_invites_a_practitioner_who_enrols_from_the_link_and_signs_in(
    page, shot, personas, transactional_db, settings, frozen_clock
):
    Location.objects.create(name="Harley Street", opening_hours="mon-sat 08:00-20:00")
    sign_in(page, "maria")
    page.get_by_role("link", name="Staff").click()
    page.get_by_role("link", name="Invite someone").click()
    page.get_by_label("First name").fill("Nadia")
    page.get_by_label("Last name").fill("Novak")
    page.get_by_label("Email").fill("nadia@example.org")
    page.get_by_label("Role").select_option(label="Practitioner")
    page.get_by_label("Working hours").fill("mon-fri 09:00-17:00")
    shot(page, "staff-01-invite")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to nadia@example.org.")).to_be_visible()
    expect(page.get_by_role("cell", name="Invitation pending")).to_be_visible()
    sign_out(page)

    link = re.search(r"(/accounts/invitation/[^/\s]+/)", mail.outbox[-1].body).group(1)
    page.goto(link)
    page.get_by_label("New password", exact=True).fill(PASSWORD)
    page.get_by_label("New password again").fill(PASSWORD)
    device = TOTPDevice.objects.get(user__username="nadia@example.org", confirmed=False)
    page.get_by_label("Six-digit code from your authenticator app").fill(code(device))
    shot(page, "staff-02-enrol")
    page.get_by_role("button", name="Save and sign in").click()
    expect(page.get_by_role("heading", name="Backup codes")).to_be_visible()
    expect(page.locator(".backup-codes li")).to_have_count(10)
    sign_out(page)

    settings.NEEDLEPOINT_REQUIRE_STAFF_2FA = True
    frozen_clock.shift(dt.timedelta(seconds=30))  # each code is accepted once: use the next one
    sign_in(page, "nadia@example.org", PASSWORD)
    expect(page.get_by_role("heading", name="Two-factor check")).to_be_visible()
    device.refresh_from_db()
    page.get_by_label("Code from your authenticator app, or a backup code").fill(code(device))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
