from django.urls import path, re_path

from . import api

app_name = "api"

urlpatterns = [
    path("alerts", api.alert_collection, name="alerts"),
    path("alerts/<int:alert_id>", api.alert_detail, name="alert"),
    path("alertmanager", api.alertmanager_receiver, name="alertmanager"),
    path("receipts/aliyun/sms", api.aliyun_sms_receipts, name="receipts_aliyun_sms"),
    path("receipts/aliyun/voice", api.aliyun_voice_receipts, name="receipts_aliyun_voice"),
    path("openapi.json", api.openapi_document, name="openapi"),
    re_path(r"^(?P<rest>[\s\S]*)\Z", api.not_found),  # every /api/ answer is JSON, a 404 too
]
