"""Account pages: sign up, log in (throttled), log out, and the password reset by e-mail.

A throttled request is answered 429 with the form and a message saying when to try again;
a wrong password stays a 200 with the form's error, as Django answers it."""

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.shortcuts import redirect, render

from rooms import throttle
from rooms.forms import LoginForm, SignupForm

TOO_MANY = 429


def signup(request):
    if request.user.is_authenticated:
        return redirect("home")
    form = SignupForm(request.POST or None)
    per_address = throttle.signup_per_address()
    address = throttle.client_address(request)
    if request.method == "POST":
        # Checked before the form, so a throttled address learns nothing about names in use.
        wait = per_address.wait(address)
        if wait:
            kept = {name: request.POST.get(name, "") for name in ("username", "display_name", "email")}
            context = {
                "form": SignupForm(initial=kept),
                "error": throttle.retry_message("Too many new accounts from your address.", wait),
            }
            return render(request, "registration/signup.html", context, status=TOO_MANY)
        if form.is_valid():
            user = form.save()
            per_address.note(address)
            login(request, user)
            messages.success(request, f"Welcome to Roundtable, {user.username}.")
            return redirect("home")
    return render(request, "registration/signup.html", {"form": form}, status=400 if form.is_bound else 200)


class LoginView(auth_views.LoginView):
    form_class = LoginForm

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.throttled:
            response.status_code = TOO_MANY
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Asking for a reset link: the same answer whether or not an account has the address,
    so the page tells nobody who is registered; a few requests per address per window, so
    it cannot be used to flood someone's inbox."""

    def form_valid(self, form):
        per_address = throttle.password_reset_per_address()
        address = throttle.client_address(self.request)
        wait = per_address.wait(address)
        if wait:
            form.add_error(None, throttle.retry_message("Too many reset requests from your address.", wait))
            response = self.form_invalid(form)
            response.status_code = TOO_MANY
            return response
        per_address.note(address)
        return super().form_valid(form)
