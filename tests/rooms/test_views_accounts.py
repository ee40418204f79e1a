"""Sign up, log in, log out, the throttles on them, names that mislead, and the password reset."""

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import UserFactory

User = get_user_model()
PASSWORD = "correct horse battery"


def signup_data(**changes):
    data = {
        "username": "newbie",
        "email": "newbie@example.com",
        "password1": "a quiet lake 42",
        "password2": "a quiet lake 42",
    }
    data.update(changes)
    return data


@pytest.fixture
def alice(db):
    return UserFactory(username="alice")


# --- sign up ------------------------------------------------------------------------------


def test_it_shows_the_signup_form(client, db):
    response = client.get(reverse("signup"))

    assert response.status_code == 200
    assert "Join Roundtable" in response.content.decode()


def test_it_creates_an_account_and_logs_in(client, db):
    response = client.post(reverse("signup"), signup_data())

    assert response.status_code == 302
    assert response.url == reverse("home")
    user = User.objects.get(username="newbie")
    assert user.email == "newbie@example.com"
    assert user.check_password("a quiet lake 42")
    assert client.session["_auth_user_id"] == str(user.pk)
    home = client.get(response.url)
    assert home.context["user"] == user
    assert "Welcome to Roundtable, newbie." in home.content.decode()


def test_it_accepts_a_signup_without_email(client, db):
    response = client.post(reverse("signup"), signup_data(email=""))

    assert response.status_code == 302
    assert User.objects.get(username="newbie").email == ""


@pytest.mark.parametrize(
    "changes",
    [
        {"password2": "something else 42"},
        {"username": ""},
        {"username": "alice"},
        {"password1": "123", "password2": "123"},
        {"email": "not-an-email"},
    ],
    ids=["mismatch", "no_username", "taken", "weak_password", "bad_email"],
)
def test_it_refuses_a_bad_signup(client, alice, changes):
    response = client.post(reverse("signup"), signup_data(**changes))

    assert response.status_code == 400
    assert response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()
    assert User.objects.count() == 1
    assert "_auth_user_id" not in client.session


def test_it_sends_a_logged_in_person_home_from_signup(client, alice):
    client.force_login(alice)

    response = client.get(reverse("signup"))

    assert response.status_code == 302
    assert response.url == reverse("home")


# --- log in and out --------------------------------------------------------------------------


def test_it_shows_the_login_form(client, db):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    assert "Welcome back" in response.content.decode()


def test_it_logs_in(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_goes_to_the_next_page_after_logging_in(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": PASSWORD, "next": "/search/"})

    assert response.status_code == 302
    assert response.url == "/search/"


def test_it_refuses_a_wrong_password(client, alice):
    response = client.post(reverse("login"), {"username": "alice", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_it_refuses_a_suspended_account(client, alice):
    User.objects.filter(pk=alice.pk).update(is_active=False)

    client.post(reverse("login"), {"username": "alice", "password": PASSWORD})

    assert "_auth_user_id" not in client.session


def test_it_logs_out(client, alice):
    client.force_login(alice)

    response = client.post(reverse("logout"))

    assert response.status_code == 302
    assert response.url == reverse("home")
    assert "_auth_user_id" not in client.session


def test_it_logs_out_only_by_post(client, alice):
    client.force_login(alice)

    response = client.get(reverse("logout"))

    assert response.status_code == 405
    assert client.session["_auth_user_id"] == str(alice.pk)


def test_it_links_the_login_page_to_the_password_reset(client, db):
    page = client.get(reverse("login")).content.decode()

    assert "Forgot your password?" in page
    assert reverse("password_reset") in page


# --- sign-in throttle ------------------------------------------------------------------------


def log_in(client, username, password, address="198.51.100.1"):
    return client.post(reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address)


def test_it_stops_checking_passwords_after_five_failures_on_one_account(client, alice):
    for _ in range(5):
        assert log_in(client, "alice", "wrong").status_code == 200

    # Even the right password is refused now: a guesser learns nothing more.
    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert response.context["form"].non_field_errors() == ["Too many failed sign-in attempts. Try again in 15 minutes."]
    assert "Too many failed sign-in attempts. Try again in 15 minutes." in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_counts_an_accounts_failures_from_every_address_and_however_the_name_is_typed(client, alice):
    for number, name in enumerate(["alice", "Alice", "ALICE", "ａｌｉｃｅ", "alice"]):
        log_in(client, name, "wrong", address=f"203.0.113.{number}")

    assert log_in(client, "alice", PASSWORD, address="192.0.2.99").status_code == 429


def test_it_stops_an_address_that_fails_on_many_accounts(client, alice):
    for number in range(20):
        assert log_in(client, f"someone{number}", "wrong").status_code == 200

    assert log_in(client, "alice", PASSWORD).status_code == 429
    # Another address is not held back by it.
    assert log_in(client, "alice", PASSWORD, address="192.0.2.7").status_code == 302


def test_a_login_from_another_address_does_not_reset_the_count(client, alice):
    for number in range(19):
        log_in(client, f"someone{number}", "wrong")
    assert log_in(client, "alice", PASSWORD, address="192.0.2.7").status_code == 302
    client.post(reverse("logout"))

    log_in(client, "someone19", "wrong")

    assert log_in(client, "alice", PASSWORD).status_code == 429


def test_it_reads_the_address_from_the_proxy_header_when_told(client, alice, settings):
    settings.AUTH_THROTTLE = {**settings.AUTH_THROTTLE, "CLIENT_ADDRESS_HEADER": "X-Forwarded-For"}
    for number in range(20):
        # The client's own claim (first entry) changes each time; the proxy's entry does not.
        client.post(
            reverse("login"),
            {"username": f"someone{number}", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"10.9.9.{number}, 198.51.100.50",
        )

    response = client.post(
        reverse("login"), {"username": "alice", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="198.51.100.50"
    )

    assert response.status_code == 429


def test_it_lets_the_account_try_again_once_the_window_has_passed(client, alice, settings, monkeypatch):
    # Memory cache here, whatever the tier: its entries expire by time.time(), which the test moves.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "window"}}
    for _ in range(5):
        log_in(client, "alice", "wrong")
    start = time.time()
    monkeypatch.setattr(time, "time", lambda: start + 10 * 60)
    assert "Try again in 5 minutes." in log_in(client, "alice", PASSWORD).content.decode()

    monkeypatch.setattr(time, "time", lambda: start + 15 * 60 + 1)

    assert log_in(client, "alice", PASSWORD).status_code == 302


def test_the_limits_come_from_settings(client, alice, settings):
    settings.AUTH_THROTTLE = {**settings.AUTH_THROTTLE, "LOGIN_FAILURES_PER_ACCOUNT": 2, "LOGIN_WINDOW_MINUTES": 1}
    log_in(client, "alice", "wrong")
    log_in(client, "alice", "wrong")

    response = log_in(client, "alice", PASSWORD)

    assert response.status_code == 429
    assert "Try again in 1 minute." in response.content.decode()


# --- sign-up throttle ------------------------------------------------------------------------


def test_it_allows_five_signups_per_address_then_says_when_to_come_back(client, db):
    for number in range(5):
        other = type(client)()
        response = other.post(reverse("signup"), signup_data(username=f"new{number}"), REMOTE_ADDR="198.51.100.3")
        assert response.status_code == 302

    response = client.post(reverse("signup"), signup_data(), REMOTE_ADDR="198.51.100.3")

    assert response.status_code == 429
    assert "Too many new accounts from your address. Try again in 60 minutes." in response.content.decode()
    assert not User.objects.filter(username="newbie").exists()
    assert client.post(reverse("signup"), signup_data(), REMOTE_ADDR="192.0.2.8").status_code == 302


def test_a_refused_signup_does_not_count_against_the_address(client, alice):
    for _ in range(6):
        client.post(reverse("signup"), signup_data(username="alice"), REMOTE_ADDR="198.51.100.3")

    assert client.post(reverse("signup"), signup_data(), REMOTE_ADDR="198.51.100.3").status_code == 302


# --- names -----------------------------------------------------------------------------------

HANA = "hana"


@pytest.mark.parametrize(
    "name",
    ["Hana", "HANA", "h\u0430na", "\u041d\u0410N\u0410", "ｈａｎａ", "hána"],
    ids=["capital", "shouting", "cyrillic_a", "cyrillic_capitals", "fullwidth", "accent"],
)
def test_it_refuses_a_username_that_looks_like_someone_elses(client, db, name):
    UserFactory(username=HANA)

    response = client.post(reverse("signup"), signup_data(username=name))

    assert response.status_code == 400
    assert response.context["form"].errors["username"]
    assert User.objects.count() == 1


@pytest.mark.parametrize(
    "name",
    ["ha\u200bna", "ha\u200dna", "\u202ehana", "hana\u2066", "ha\ufeffna", "ha\u2060na", "ha\u200ena"],
)
def test_it_refuses_a_username_with_characters_that_cannot_be_seen(client, db, name):
    response = client.post(reverse("signup"), signup_data(username=name))

    assert response.status_code == 400
    assert "cannot be seen" in " ".join(response.context["form"].errors["username"])
    assert not User.objects.exists()


def test_it_stores_the_username_in_nfkc(client, db):
    client.post(reverse("signup"), signup_data(username="ｎｅｗｂｉｅ"))

    assert User.objects.get().username == "newbie"


def test_it_keeps_a_display_name(client, db):
    client.post(reverse("signup"), signup_data(display_name="  Nina B. "))

    assert User.objects.get(username="newbie").get_full_name() == "Nina B."


@pytest.mark.parametrize(
    ("display_name", "error"),
    [("Hana", "looks too much like"), ("Ηana", "looks too much like"), ("Nina\u202e", "cannot be seen")],
    ids=["another_username", "greek_eta", "bidi_override"],
)
def test_it_refuses_a_display_name_that_misleads(client, db, display_name, error):
    UserFactory(username=HANA)

    response = client.post(reverse("signup"), signup_data(display_name=display_name))

    assert response.status_code == 400
    assert error in " ".join(response.context["form"].errors["display_name"])
    assert not User.objects.filter(username="newbie").exists()


def test_it_refuses_a_username_like_someones_display_name(client, db):
    UserFactory(username="hk42", first_name="Hana")

    response = client.post(reverse("signup"), signup_data(username="hana"))

    assert "looks too much like “Hana”" in " ".join(response.context["form"].errors["username"])


# --- password reset ------------------------------------------------------------------------


def ask_for_reset(client, email, address="198.51.100.1"):
    return client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=address)


def test_it_resets_a_password_by_email(client, alice, mailoutbox):
    response = ask_for_reset(client, "ALICE@example.com")

    assert response.status_code == 302
    assert response.url == reverse("password_reset_done")
    assert "Check your e-mail" in client.get(response.url).content.decode()
    (mail,) = mailoutbox
    assert mail.to == ["alice@example.com"]
    assert mail.subject == "Reset your Roundtable password"
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.body).group(1)
    # Django swaps the token for a session-held one, so the token never sits in the address bar.
    form_page = client.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": "a brand new tune 7", "new_password2": "a brand new tune 7"})
    assert done.status_code == 302
    assert done.url == reverse("password_reset_complete")
    assert "Password changed" in client.get(done.url).content.decode()

    assert log_in(client, "alice", PASSWORD).status_code == 200
    assert log_in(client, "alice", "a brand new tune 7").status_code == 302
    # The link works once.
    assert "This link does not work" in client.get(link, follow=True).content.decode()


def test_it_answers_an_unknown_address_as_a_known_one(client, alice, mailoutbox):
    known = ask_for_reset(client, "alice@example.com")
    unknown = ask_for_reset(client, "nobody@example.com")

    assert (unknown.status_code, unknown.url) == (known.status_code, known.url)
    assert len(mailoutbox) == 1


def test_it_refuses_a_reset_link_that_was_tampered_with(client, alice, mailoutbox):
    ask_for_reset(client, "alice@example.com")
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mailoutbox[0].body).group(1)

    page = client.get(link[:-3] + "xx/", follow=True)

    assert "This link does not work" in page.content.decode()


def test_it_limits_reset_requests_per_address(client, alice, mailoutbox):
    for _ in range(5):
        ask_for_reset(client, "alice@example.com")

    response = ask_for_reset(client, "alice@example.com")

    assert response.status_code == 429
    assert "Too many reset requests from your address. Try again in 60 minutes." in response.content.decode()
    assert len(mailoutbox) == 5
