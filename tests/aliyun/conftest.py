import pytest

from tests.aliyun_peer import ACCESS_KEY_ID, ACCESS_KEY_SECRET
from tests.aliyun_peer import aliyun_peer as aliyun_peer  # the fixture, for the tests of this folder

SIGN_NAME = "告警中心"
# The template texts README asks the operator to register, as the peer holds them once approved.
SMS_ALERT = "SMS_480001"
SMS_ACTIVATION = "SMS_480002"
TTS_ALERT = "TTS_480003"
SMS_TEMPLATES = {
    SMS_ALERT: "DataWorks告警（${status}）：${title}，工作空间${workspace}，时间${time}。",
    SMS_ACTIVATION: (
        "您的号码被设为阿里云账号${account}的告警联系人，"
        "请在${hours}小时内打开 https://console.example.com/${link} 激活。"
    ),
}
TTS_TEMPLATES = {TTS_ALERT: "您好，这是DataWorks告警通知。工作空间${workspace}，${title}，状态${status}。"}
SHOW_NUMBER = "057100001111"
RECEIPTS_TOKEN = "receipts-test-token"


@pytest.fixture
def aliyun(aliyun_peer, settings, monkeypatch):
    """SMS_PROVIDER=aliyun VOICE_PROVIDER=aliyun with the endpoints pointed at the peer, the
    AccessKey in the environment (the credentials chain), the peer holding the approved sign name,
    templates and show number."""
    # The credentials library reads its environment variables once, when it is imported.
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_access_key_id", ACCESS_KEY_ID)
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_access_key_secret", ACCESS_KEY_SECRET)
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_ecs_metadata_disabled", "true")
    monkeypatch.setattr("alibabacloud_credentials.utils.auth_util.environment_cli_profile_disabled", "true")
    settings.MESSAGING_TRANSPORTS = {
        **settings.MESSAGING_TRANSPORTS,
        "sms": "contacts.messaging.aliyun.AliyunSmsTransport",
        "voice": "contacts.messaging.aliyun.AliyunVoiceTransport",
    }
    settings.ALIBABA_CLOUD_SMS_ENDPOINT = aliyun_peer.url
    settings.ALIBABA_CLOUD_VOICE_ENDPOINT = aliyun_peer.url
    settings.ALIBABA_CLOUD_CONNECT_TIMEOUT_SECONDS = 2
    settings.ALIBABA_CLOUD_READ_TIMEOUT_SECONDS = 3
    settings.ALIBABA_CLOUD_SMS_SIGN_NAME = SIGN_NAME
    settings.ALIBABA_CLOUD_SMS_TEMPLATE_ALERT = SMS_ALERT
    settings.ALIBABA_CLOUD_SMS_TEMPLATE_ACTIVATION = SMS_ACTIVATION
    settings.ALIBABA_CLOUD_VOICE_TTS_CODE = TTS_ALERT
    settings.ALIBABA_CLOUD_VOICE_SHOW_NUMBER = SHOW_NUMBER
    settings.RECEIPTS_TOKEN = RECEIPTS_TOKEN
    settings.DELIVERY_RETRY_BASE_SECONDS = 0
    settings.DELIVERY_MAX_ATTEMPTS = 3
    aliyun_peer.sms.sign_names = {SIGN_NAME}
    aliyun_peer.sms.templates = dict(SMS_TEMPLATES)
    aliyun_peer.voice.tts_templates = dict(TTS_TEMPLATES)
    aliyun_peer.voice.show_numbers = {SHOW_NUMBER}
    return aliyun_peer


@pytest.fixture
def ws(demo):
    return demo["workspaces"]["demo_workspace"]
