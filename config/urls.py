from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("accounts/", include("rooms.urls_accounts")),
    path("", include("rooms.urls")),
    path("", include("recordings.urls")),
]
