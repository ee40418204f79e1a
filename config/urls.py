from django.contrib import admin
from django.urls import include, path, register_converter

from rooms.converters import UsernameConverter

# Before the includes: rooms and recordings both route by username.
register_converter(UsernameConverter, "username")

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("rooms.urls_accounts")),
    path("", include("rooms.urls")),
    path("", include("recordings.urls")),
    path("", include("clips.urls")),
    path("", include("moderation.urls")),
]
