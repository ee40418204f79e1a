from django import forms

from recordings.timeline import fmt, parse_time


class EditForm(forms.Form):
    """The host's edit list, in times people write (1:05, 0:12.5); cuts one per line."""

    trim_start = forms.CharField(
        label="Start at", required=False, max_length=20, help_text="e.g. 0:15 — empty: the beginning"
    )
    trim_end = forms.CharField(label="End at", required=False, max_length=20, help_text="empty: the end")
    cuts = forms.CharField(
        label="Cut out",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "12:30-13:05\n41:00-41:20"}),
        help_text="One range per line, start-end.",
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput,
        min_value=0,
        # Bounded like every number read from a form: the database column is 32 bits.
        max_value=2**31 - 1,
        error_messages={
            "required": "This form is missing its version: reload the page and try again.",
            "invalid": "This form is out of date: reload the page and try again.",
            "min_value": "This form is out of date: reload the page and try again.",
            "max_value": "This form is out of date: reload the page and try again.",
        },
    )

    @staticmethod
    def initial_for(recording) -> dict:
        edits = recording.edits
        end = edits.get("trim_end_ms")
        return {
            "trim_start": fmt(edits.get("trim_start_ms") or 0) if edits.get("trim_start_ms") else "",
            "trim_end": fmt(end) if end is not None else "",
            "cuts": "\n".join(f"{fmt(a)}-{fmt(b)}" for a, b in edits.get("cuts") or []),
            "version": recording.edits_version,
        }

    def _time(self, name):
        text = self.cleaned_data.get(name, "").strip()
        if not text:
            return None
        try:
            return parse_time(text)
        except ValueError:
            raise forms.ValidationError(f"“{text}” is not a time: write it like 1:05 or 0:12.5.") from None

    def clean_trim_start(self):
        return self._time("trim_start")

    def clean_trim_end(self):
        return self._time("trim_end")

    def clean_cuts(self):
        cuts = []
        for number, line in enumerate(self.cleaned_data.get("cuts", "").splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            start, dash, end = line.replace("–", "-").partition("-")
            try:
                if not dash:
                    raise ValueError
                cuts.append([parse_time(start), parse_time(end)])
            except ValueError:
                raise forms.ValidationError(
                    f"Line {number} (“{line}”) is not a range: write it like 12:30-13:05."
                ) from None
        return cuts

    def edits(self) -> dict:
        data = self.cleaned_data
        return {"trim_start_ms": data["trim_start"] or 0, "trim_end_ms": data["trim_end"], "cuts": data["cuts"]}
