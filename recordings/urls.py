from django.urls import path, re_path

from recordings import views
from recordings.feeds import HostPodcastFeed

urlpatterns = [
    path("u/<username:username>/podcast.xml", HostPodcastFeed(), name="podcast"),
    path("replays/search/", views.replay_search, name="replay_search"),
    path("replays/<int:recording_id>/", views.replay, name="replay"),
    path("replays/<int:recording_id>/played/", views.replay_played, name="replay_played"),
    re_path(r"^replays/(?P<recording_id>\d+)/audio\.(?P<fmt>m4a|mp3)$", views.replay_audio, name="replay_audio"),
    re_path(
        r"^replays/(?P<recording_id>\d+)/transcript\.(?P<fmt>vtt|txt)$",
        views.replay_transcript,
        name="replay_transcript",
    ),
    path("recordings/<int:recording_id>/", views.recording_page, name="recording"),
    path("recordings/<int:recording_id>/status/", views.recording_status, name="recording_status"),
    path("recordings/<int:recording_id>/edit/", views.recording_edit, name="recording_edit"),
    path("recordings/<int:recording_id>/revert/", views.recording_revert, name="recording_revert"),
    path("recordings/<int:recording_id>/publish/", views.recording_publish, name="recording_publish"),
    path("recordings/<int:recording_id>/unpublish/", views.recording_unpublish, name="recording_unpublish"),
    path("recordings/<int:recording_id>/retry/", views.recording_retry, name="recording_retry"),
    path("recordings/<int:recording_id>/use/", views.recording_use, name="recording_use"),
    path("recordings/<int:recording_id>/discard/", views.recording_discard, name="recording_discard"),
    path("recordings/<int:recording_id>/transcribe/", views.recording_transcribe, name="recording_transcribe"),
    path("recordings/<int:recording_id>/delete/", views.recording_delete, name="recording_delete"),
    path("recordings/<int:recording_id>/leave/", views.recording_leave, name="recording_leave"),
    re_path(
        r"^recordings/(?P<recording_id>\d+)/renders/(?P<render_id>\d+)/audio\.(?P<fmt>m4a|mp3)$",
        views.render_audio,
        name="render_audio",
    ),
    re_path(
        r"^recordings/(?P<recording_id>\d+)/download\.(?P<fmt>m4a|mp3|vtt|txt)$",
        views.recording_download,
        name="recording_download",
    ),
]
