from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from ccm import api, health, metrics, views

api_urlpatterns: list[URLPattern | URLResolver] = [
    path("", api.ApiRootView.as_view(), name="api-root"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("templates_store.api_urls")),
    path("", include("channels.api_urls")),
    path("", include("compliance.api_urls")),
    path("", include("customers.api_urls")),
    path("", include("insight.api_urls")),
]

# The studio's namespace holds its pages (templates_store) and the test sends from the version
# page (channels', as they send).
communication_urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("templates_store.urls")),
    path("", include("channels.test_send_urls")),
]

# The customers namespace holds the list (customers) and the customer page with its timeline
# (insight's, as it reads what channels sent and compliance archived).
customer_urlpatterns: list[URLPattern | URLResolver] = [
    path("", include("customers.urls")),
    path("", include("insight.customer_urls")),
]

handler404 = "ccm.views.page_not_found"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", metrics.metrics_view, name="metrics"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.login_verify, name="login_verify"),
    path("login/enrol/", views.login_enrol, name="login_enrol"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("communications/", include((communication_urlpatterns, "templates_store"))),
    path("batches/", include("channels.urls")),
    path("archive/", include("compliance.urls")),
    path("mailbox/", include(("ccm.mailbox", "mailbox"))),
    path("customers/", include((customer_urlpatterns, "customers"))),
    path("insight/", include("insight.urls")),
    path("s/", include("insight.survey_urls")),
    path("e/", include("channels.email_urls")),
    path("api/", include(api_urlpatterns)),
    path("admin/", admin.site.urls),
    path("", include("channels.webhooks.urls")),
]
