from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User

from rooms import accounts, names, throttle
from rooms.errors import RoomError
from rooms.services.spaces import check_schedule_time, check_topics


class SpaceForm(forms.Form):
    WHEN_CHOICES = [("now", "Start now"), ("later", "Schedule for later")]

    title = forms.CharField(
        max_length=120, widget=forms.TextInput(attrs={"placeholder": "What do you want to talk about?"})
    )
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    topics = forms.CharField(
        max_length=200,
        required=False,
        help_text="Up to 5, separated by spaces or commas",
        widget=forms.TextInput(attrs={"placeholder": "music, startups, django"}),
    )
    when = forms.ChoiceField(choices=WHEN_CHOICES, initial="now", widget=forms.RadioSelect)
    scheduled_for = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="Your local time",
    )
    record = forms.BooleanField(
        required=False, label="Record this space", help_text="Everyone is told it is being recorded"
    )
    allow_clips = forms.BooleanField(required=False, initial=True, label="Let listeners clip it")
    captions = forms.BooleanField(required=False, label="Live captions")

    def clean_title(self):
        title = visible(self.cleaned_data["title"], "The title").strip()
        if not title:
            raise forms.ValidationError("Give your space a title.")
        return title

    def clean_topics(self):
        try:
            return check_topics(self.cleaned_data["topics"])
        except RoomError as error:
            raise forms.ValidationError(error.message) from None

    def clean(self):
        data = super().clean()
        if data.get("when") == "later":
            when = data.get("scheduled_for")
            if when is None:
                self.add_error("scheduled_for", "Pick a date and time.")
            else:
                try:
                    check_schedule_time(when)
                except RoomError as error:
                    self.add_error("scheduled_for", error.message)
        else:
            data["scheduled_for"] = None
        return data


def visible(text: str, what: str) -> str:
    try:
        return names.check_visible(text, what)
    except ValueError as error:
        raise forms.ValidationError(str(error)) from None


def names_in_use():
    """Every username and display name there is, for the look-alike check. One pass over
    the users: sign-ups are few (and throttled), so this stays cheap next to hashing a password."""
    for username, display_name in User.objects.values_list("username", "first_name").iterator():
        yield username
        yield display_name


class SignupForm(UserCreationForm):
    display_name = forms.CharField(
        max_length=150, required=False, help_text="Shown in spaces instead of your username (optional)"
    )
    email = forms.EmailField(
        required=False, help_text="For reminders when spaces you follow start, and to reset your password"
    )

    class Meta:
        model = User
        fields = ("username", "display_name", "email")

    def clean_username(self):
        username = visible(self.cleaned_data.get("username", ""), "The username")
        self.cleaned_data["username"] = username
        super().clean_username()
        if not self.has_error("username"):
            self.refuse_lookalike(username)
        return username

    def clean_display_name(self):
        name = visible(self.cleaned_data["display_name"], "The display name").strip()
        if name:
            self.refuse_lookalike(name)
        return name

    def refuse_lookalike(self, name: str) -> None:
        other = names.lookalike(name, names_in_use())
        if other is not None:
            raise forms.ValidationError(f"“{name}” looks too much like “{other}”, who is already here: pick another.")

    def save(self, commit=True):
        self.instance.first_name = self.cleaned_data["display_name"]
        return super().save(commit)


class LoginForm(AuthenticationForm):
    """Django's sign-in form, which stops checking passwords for an account or an address
    that has failed too often (rooms/throttle.py)."""

    throttled = False

    def clean(self):
        username = self.cleaned_data.get("username")
        # Checked before the password: once throttled, even the right password is not tried,
        # so guessing on learns nothing.
        wait = throttle.login_wait(self.request, username)
        if wait:
            self.throttled = True
            raise forms.ValidationError(
                throttle.retry_message("Too many failed sign-in attempts.", wait), code="throttled"
            )
        try:
            return super().clean()
        except forms.ValidationError as error:
            if error.code == "invalid_login":
                self.refuse_suspended(username, self.cleaned_data.get("password"))
                throttle.note_login_failure(self.request, username)
            raise

    def refuse_suspended(self, username, password) -> None:
        """The auth backend refuses a suspended account like a wrong password; someone who
        typed the right one is told why instead, and that is not a failed attempt."""
        user = User.objects.filter(username=username).first() if username else None
        suspension = accounts.suspension_of(user)
        if suspension is not None and password and user.check_password(password):
            raise forms.ValidationError(accounts.suspension_message(suspension), code="suspended")
