"""Log filters."""

import logging
import re

# The token of an activation link (C8) works until the link is used or expires; the confirm URL
# holds a placeholder instead (contacts.views.ActivateView).
ACTIVATION_TOKEN = re.compile(r"(/activate/[^/\s]+/)(?!confirm/)[^/\s?#\"']+")


class RedactActivationTokens(logging.Filter):
    """Replace the token of every activation link in a log line (the development server's request
    lines, 'Not Found: …' warnings) with [token]."""

    def filter(self, record):
        message = record.getMessage()
        redacted = ACTIVATION_TOKEN.sub(r"\1[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
