from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.contrib.auth.models import User

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
        title = self.cleaned_data["title"].strip()
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


class SignupForm(UserCreationForm):
    email = forms.EmailField(required=False, help_text="For reminders when spaces you follow start")

    class Meta:
        model = User
        fields = ("username", "email")
