"""Sign up, log in, log out."""

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
