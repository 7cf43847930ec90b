"""System checks: the gateway URLs set by the operator obey the outbound rules from the start
(contacts.messaging.destinations), not only when the first message fails."""

from django.conf import settings
from django.core import checks

from .messaging.destinations import destination_check
from .messaging.failures import DestinationRefused

URL_SETTINGS = ["SMS_GATEWAY_URL", "VOICE_GATEWAY_URL"]


@checks.register()
def gateway_urls_check(app_configs=None, **kwargs):
    errors = []
    for name in URL_SETTINGS:
        url = getattr(settings, name, "")
        if not url:
            continue
        try:
            destination_check(url)
        except DestinationRefused as refused:
            errors.append(
                checks.Error(
                    f"{name} is refused: {refused.text}",
                    id="contacts.E001",
                    hint="Use a public https:// URL, or list its network in OUTBOUND_ALLOWED_NETWORKS.",
                )
            )
    return errors


# The settings each Alibaba Cloud transport needs, by channel (contacts.messaging.aliyun).
ALIYUN_SETTINGS = {
    "sms": (
        "contacts.messaging.aliyun.AliyunSmsTransport",
        ["ALIBABA_CLOUD_SMS_SIGN_NAME", "ALIBABA_CLOUD_SMS_TEMPLATE_ALERT"],
    ),
    "voice": ("contacts.messaging.aliyun.AliyunVoiceTransport", ["ALIBABA_CLOUD_VOICE_TTS_CODE"]),
}


@checks.register()
def aliyun_settings_check(app_configs=None, **kwargs):
    """With SMS_PROVIDER or VOICE_PROVIDER `aliyun`, the sign name and templates are set: without
    them every message on that channel fails."""
    problems = []
    for channel, (transport, names) in ALIYUN_SETTINGS.items():
        if settings.MESSAGING_TRANSPORTS.get(channel) != transport:
            continue
        for name in names:
            if not getattr(settings, name, ""):
                problems.append(
                    checks.Error(
                        f"{name} is empty: every {channel} message through Alibaba Cloud would fail.",
                        id="contacts.E002",
                        hint="See README, 'Sending text messages and calls'.",
                    )
                )
    return problems


@checks.register(checks.Tags.database)
def provider_problems_check(app_configs=None, databases=None, **kwargs):
    """`manage.py check --database default`: each open provider problem (contacts.provider_problems)."""
    if not databases:
        return []
    from django.db import DatabaseError

    from .provider_problems import provider_problems_open

    try:
        problems = provider_problems_open()
    except DatabaseError:  # not migrated yet: the migration checks say so
        return []
    return [
        checks.Warning(
            f"{problem.provider} refuses {problem.channel} messages since {problem.since:%Y-%m-%d %H:%M:%S %Z}: "
            f"{problem.code} ({problem.message})",
            id="contacts.W002",
            hint="Fix the set-up (README, 'Sending text messages and calls'); the next message taken clears it.",
        )
        for problem in problems
    ]
