"""The whole moderation path in real Chromium (issue 13): a listener reports a speaker in a
live room; a moderator opens the report, hears the moment, suspends the speaker, and the
speaker is dropped from the live room, signed out, and cannot come back.

Three browsers: the speaker talks through a fake microphone (a tone) to the engine inside the
web server, the listener reports them from the tile's menu, the moderator works in the admin.
Screenshots of each step in var/screenshots/moderation-flow-*.png."""

import io

import av
import numpy as np
import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.contrib.auth.models import Group, Permission
from playwright.sync_api import expect

from moderation.models import AuditEntry, Report
from rooms.media.tracks import track_prefix
from rooms.models import Participant, Suspension
from tests.audio import has_tone, tone, write_wav
from tests.e2e.conftest import shoot
from tests.factories import SpaceFactory, UserFactory
from tests.waiting import poll

pytestmark = pytest.mark.e2e

VOICE = 620.0
REASON = "Slurs at another speaker, twice."
PASSWORD = "correct horse battery"


@pytest.fixture
def media_root(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def site_env(media_root):
    return {
        "MEDIA_ROOT": str(media_root),
        "MEDIA_ICE_ADDRESSES": "127.0.0.1",
        "MEDIA_SEGMENT_SECONDS": "1",
        # The speaker's track is on disk a second after they start talking.
        "MEDIA_TRACK_CHUNK_SECONDS": "1",
    }


@pytest.fixture
def browser_args(tmp_path):
    wav = tmp_path / "voice.wav"
    write_wav(wav, tone(VOICE, 10))
    return [
        f"--use-file-for-fake-audio-capture={wav}",
        "--allow-loopback-in-peer-connection",
        "--disable-features=WebRtcHideLocalIpsWithMdns",
        "--autoplay-policy=no-user-gesture-required",
    ]


def site_password(user, password: str) -> None:
    """Hashed as the site's server hashes: the tests' own settings use a fast hasher it does not know."""
    hasher = PBKDF2PasswordHasher()
    user.password = hasher.encode(password, hasher.salt())
    user.save(update_fields=["password"])


def moderators_group() -> Group:
    # The migration made it; a transactional test's flush may have emptied the table since.
    group, _ = Group.objects.get_or_create(name="Moderators")
    group.permissions.add(Permission.objects.get(content_type__app_label="moderation", codename="moderate"))
    return group


def decode(data: bytes) -> np.ndarray:
    with av.open(io.BytesIO(data)) as container:
        return np.concatenate([frame.to_ndarray().reshape(-1) for frame in container.decode(audio=0)])


def track_chunks(media_root, space_id: int, user_id: int) -> list:
    folder = media_root / track_prefix(space_id, user_id)
    return sorted(folder.glob("*.flac")) if folder.exists() else []


def test_a_reported_speaker_is_heard_suspended_and_dropped_from_the_live_room(page_as, media_root):
    host = UserFactory(username="hana")
    space = SpaceFactory(title="Gardening hour", host=host)
    sam = UserFactory(username="sam")
    site_password(sam, PASSWORD)
    # The host's invited speaker, on stage with the microphone on when the room opens.
    Participant.objects.create(space=space, user=sam, role=Participant.Role.SPEAKER, muted=False)
    lena = UserFactory(username="lena")
    mona = UserFactory(username="mona", is_staff=True)
    mona.groups.add(moderators_group())

    # The speaker talks: the engine reports their level (the speaking ring) and keeps their track.
    speaker = page_as(sam)
    speaker.goto(f"/spaces/{space.pk}/")
    expect(speaker.locator("#stage .person.speaking", has_text="sam")).to_be_visible(timeout=20_000)
    poll(lambda: track_chunks(media_root, space.pk, sam.pk), 20, "the speaker's track on disk")
    shoot(speaker, "moderation-flow-1-speaker-on-stage")

    # The listener reports them from their tile's menu (the form opens in a new tab).
    listener = page_as(lena)
    listener.goto(f"/spaces/{space.pk}/")
    listener.locator("#stage .person", has_text="sam").click()
    with listener.context.expect_page() as opened:
        listener.locator("#person-menu button", has_text="Report").click()
    form = opened.value
    form.wait_for_load_state()
    expect(form.locator("h1")).to_have_text("Report sam in “Gardening hour”")
    form.get_by_label("Harassment or bullying").check()
    form.fill("#report-text", "He is shouting slurs at the other speaker.")
    shoot(form, "moderation-flow-2-listener-report-form")
    form.get_by_role("button", name="Send report").click()
    expect(form.locator(".flash")).to_contain_text("Thanks: we got your report about sam")
    report = Report.objects.get()
    assert (report.kind, report.reported_user, report.space_id) == ("speaker", sam, space.pk)
    assert report.during_space and report.moment_ms is not None

    # The moderator finds it in the queue and opens it.
    admin = page_as(mona)
    admin.goto("/admin/moderation/report/")
    admin.get_by_role("link", name="sam in “Gardening hour”").click()
    expect(admin.get_by_text("the player starts 30 s before the moment")).to_be_visible()
    shoot(admin, "moderation-flow-3-moderator-report-page")

    # They hear the moment, while the space is still live.
    player = admin.locator("[data-copy-audio]")
    player.evaluate("audio => { audio.preload = 'auto'; audio.play(); }")
    admin.wait_for_function("() => document.querySelector('[data-copy-audio]').currentTime > 0.5")
    assert player.evaluate("audio => audio.readyState") >= 2
    url = player.evaluate("audio => audio.currentSrc")
    for voices in (url, f"{url}?speaker={sam.pk}"):
        heard = admin.request.get(voices)
        assert heard.status == 200 and heard.headers["content-type"] == "audio/mpeg"
        assert has_tone(decode(heard.body()), VOICE), f"the speaker's voice is not in {voices}"
    assert AuditEntry.objects.filter(action=AuditEntry.Action.HEAR_COPY, report_id=report.pk).exists()

    # They suspend the speaker for good.
    suspend = admin.locator("form[data-action='suspend-user']")
    suspend.locator("textarea[name=reason]").fill(REASON)
    shoot(admin, "moderation-flow-4-moderator-suspends")
    suspend.get_by_role("button", name="Suspend the user").click()
    expect(admin.locator(".messagelist")).to_contain_text("Suspend the user: done.")
    expect(admin.locator("form[data-action='suspend-user']")).to_have_count(0)  # not twice
    expect(admin.locator("[data-earlier-actions]")).to_contain_text("Suspended a user (sam)")
    shoot(admin, "moderation-flow-5-moderator-done")
    suspension = Suspension.objects.get(user=sam)
    assert (suspension.until, suspension.reason, suspension.created_by) == (None, REASON, mona)

    # The speaker's room closes and says why; the listener no longer sees them on stage.
    message = f"Your account is suspended for good: {REASON}"
    expect(speaker.locator("#conn-banner")).to_have_text(f"{message} You were taken out of this space and signed out.")
    # Their microphone is off and the room's controls are gone; the way out stays.
    speaker.wait_for_function("() => !window.roundtable.stageAudio.mic && !window.roundtable.stageAudio.pc")
    for control in ("#btn-mute", "#btn-stepdown", "#btn-react", "#btn-clip", "#btn-listen"):
        expect(speaker.locator(control)).to_be_hidden()
    expect(speaker.locator("#leave")).to_be_visible()
    expect(listener.locator("#stage .person", has_text="sam")).to_have_count(0)
    expect(listener.locator("#conn-banner")).to_be_hidden()  # the listener's room carries on
    shoot(speaker, "moderation-flow-6-speaker-suspended")
    shoot(listener, "moderation-flow-7-listener-after")
    place = Participant.objects.get(space=space, user=sam)
    assert (place.role, place.present) == (Participant.Role.LISTENER, False)

    # Signed out everywhere: the reload says why and is a guest's page; signing in is refused.
    speaker.reload()
    expect(speaker.locator(".flash")).to_have_text(f"{message} You were signed out.")
    expect(speaker.locator("#room")).to_have_attribute("data-user-id", "")
    expect(speaker.get_by_role("link", name="Log in", exact=True)).to_be_visible()
    expect(speaker.locator("#stage .person", has_text="sam")).to_have_count(0)
    shoot(speaker, "moderation-flow-8-speaker-reloads")
    speaker.goto(f"/accounts/login/?next=/spaces/{space.pk}/")
    speaker.fill("input[name=username]", "sam")
    speaker.fill("input[name=password]", PASSWORD)
    speaker.get_by_role("button", name="Log in").click()
    expect(speaker.get_by_text(message)).to_be_visible()
    assert "/accounts/login/" in speaker.url
    shoot(speaker, "moderation-flow-9-speaker-login-refused")
