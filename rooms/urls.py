from django.urls import path, re_path

from rooms import views, views_blocks, views_live

urlpatterns = [
    path("", views.home, name="home"),
    path("live/", views.live_now, name="live_now"),
    path("search/", views.search, name="search"),
    path("spaces/new/", views.space_new, name="space_new"),
    path("spaces/<int:space_id>/", views.space_detail, name="space"),
    path("spaces/<int:space_id>/start/", views.space_start, name="space_start"),
    path("spaces/<int:space_id>/end/", views.space_end, name="space_end"),
    path("spaces/<int:space_id>/cancel/", views.space_cancel, name="space_cancel"),
    path("spaces/<int:space_id>/remind/", views.space_remind, name="space_remind"),
    re_path(
        r"^spaces/(?P<space_id>\d+)/live/(?P<name>live\.m3u8|seg_\d{6}\.ts)$", views_live.live_media, name="space_live"
    ),
    path("u/<username:username>/", views.profile, name="profile"),
    path("u/<username:username>/follow/", views.follow, name="follow"),
    path("u/<username:username>/block/", views_blocks.block, name="block"),
    path("u/<username:username>/unblock/", views_blocks.unblock, name="unblock"),
    path("notifications/", views.notifications, name="notifications"),
]
