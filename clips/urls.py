from django.urls import path, re_path

from clips import views

urlpatterns = [
    path("replays/<int:recording_id>/clip/", views.clip_replay, name="clip_replay"),
    path("spaces/<int:space_id>/clip/", views.clip_live, name="clip_live"),
    path("spaces/<int:space_id>/clips-allowed/", views.space_clips_allowed, name="space_clips_allowed"),
    path("clips/<int:clip_id>/", views.clip_page, name="clip"),
    path("clips/<int:clip_id>/embed/", views.clip_embed, name="clip_embed"),
    re_path(
        r"^clips/(?P<clip_id>\d+)/(?P<token>[A-Za-z0-9_-]{8,40})\.(?P<fmt>m4a|mp3|mp4)$",
        views.clip_audio,
        name="clip_audio",
    ),
    path("clips/<int:clip_id>/audiogram/", views.clip_audiogram, name="clip_audiogram"),
    path("clips/<int:clip_id>/audiogram/status/", views.clip_audiogram_status, name="clip_audiogram_status"),
    path("clips/<int:clip_id>/played/", views.clip_played, name="clip_played"),
    path("clips/<int:clip_id>/share-without/", views.clip_share_without, name="clip_share_without"),
    path("clips/<int:clip_id>/drop/", views.clip_drop, name="clip_drop"),
    path("clips/<int:clip_id>/delete/", views.clip_delete, name="clip_delete"),
    path("clips/<int:clip_id>/take-down/", views.clip_take_down, name="clip_take_down"),
    path("clips/requests/", views.clip_requests, name="clip_requests"),
    path("clips/requests/<int:voice_id>/answer/", views.clip_request_answer, name="clip_request_answer"),
    path("clips/requests/<int:voice_id>/preview.mp3", views.clip_request_preview, name="clip_request_preview"),
    path("clips/preference/", views.clip_preference, name="clip_preference"),
    path("oembed", views.oembed, name="oembed"),
]
