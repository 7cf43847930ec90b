from contacts.sms import TextMessage, sms_backend

from .base import ChannelBackend


class SmsChannel(ChannelBackend):
    """Text messages through the provider interface of contacts.sms (SMS_BACKEND)."""

    channel = "sms"

    def send(self, message):
        sms_backend(self.channel).send_messages(
            [
                TextMessage(
                    to=message.to,
                    body=message.body,
                    language=message.language,
                    kind="alert",
                    channel=self.channel,
                    extra={
                        "account": message.account_uid,
                        "workspace": message.workspace_id,
                        "principal": message.principal_id,
                    },
                )
            ]
        )


class VoiceChannel(SmsChannel):
    """Phone calls (Chinese mainland mobiles only, D2) through VOICE_BACKEND."""

    channel = "voice"
