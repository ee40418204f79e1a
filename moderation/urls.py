from django.urls import path

from moderation import views

urlpatterns = [
    path("report/", views.report, name="report"),
]
