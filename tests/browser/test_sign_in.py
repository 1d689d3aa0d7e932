"""A person signs in through the real page in Chromium."""

from playwright.sync_api import expect


def test_it_signs_a_practitioner_in_and_out(page, shot, personas, transactional_db):
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill("correct horse battery")
    shot(page, "01-sign-in")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out paula")).to_be_visible()


def test_it_refuses_a_wrong_password_with_a_message(page, personas, transactional_db):
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("paula")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Please enter a correct username and password")).to_be_visible()
