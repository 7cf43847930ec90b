"""The ID token checks the library leaves out (issuer, audience, expiry, issue time, algorithm) and
the claims a sign-in needs; each failure refuses the sign-in (E1)."""

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.core.exceptions import SuspiciousOperation

from alerts.oidc import AlibabaCloudOIDCBackend, CloudClaims, cloud_username
from tests.oidc_peer import CLIENT_ID

KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def issuer(oidc):
    return oidc.issuer


def token(issuer, key=KEY, algorithm="RS256", drop=(), **changes):
    now = int(time.time())
    claims = {
        "iss": issuer,
        "sub": "dw-admin@demo-intl.onaliyun.com",
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "nonce": "n-1",
        "aid": "5123456789012345",
        "uid": "216959339000654301",
    } | changes
    for name in drop:
        claims.pop(name)
    return jwt.encode(claims, key, algorithm=algorithm)


def verify(payload, key=KEY):
    return AlibabaCloudOIDCBackend()._verify_jws(payload, key.public_key())


def test_E1_a_good_token_gives_its_claims(issuer):
    assert verify(token(issuer))["uid"] == "216959339000654301"


def test_E1_the_clock_skew_allowance(issuer, settings):
    settings.OIDC_CLOCK_SKEW_SECONDS = 60
    now = int(time.time())
    assert verify(token(issuer, iat=now + 30))  # a provider clock slightly ahead
    assert verify(token(issuer, exp=now - 30))  # just expired, within the allowance


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"iss": "https://oauth.aliyun.com"}, "(?i)issuer"),
        ({"aud": "another-client"}, "(?i)audience"),
        ({"aud": ["another-client", "third"]}, "(?i)audience"),
        ({"exp": int(time.time()) - 300}, "expired"),
        ({"iat": int(time.time()) + 300}, "not yet valid"),
    ],
)
def test_E1_a_token_for_another_issuer_or_client_or_time_is_refused(issuer, changes, error):
    with pytest.raises(SuspiciousOperation, match=error):
        verify(token(issuer, **changes))


@pytest.mark.parametrize("claim", ["iss", "aud", "exp", "iat", "sub"])
def test_E1_a_token_without_a_required_claim_is_refused(issuer, claim):
    with pytest.raises(SuspiciousOperation, match=claim):
        verify(token(issuer, drop=[claim]))


def test_E1_a_token_signed_by_another_key_or_algorithm_is_refused(issuer):
    with pytest.raises(SuspiciousOperation, match="Signature verification failed"):
        verify(token(issuer, key=OTHER_KEY))
    with pytest.raises(SuspiciousOperation, match="alg value is not allowed"):
        verify(token(issuer, key="a-shared-secret-of-at-least-32-bytes!!", algorithm="HS256"))


def test_E1_the_nonce_must_be_the_one_this_sign_in_sent(issuer):
    backend = AlibabaCloudOIDCBackend()
    backend.OIDC_RP_IDP_SIGN_KEY = KEY.public_key()
    assert backend.verify_token(token(issuer), nonce="n-1")["aid"] == "5123456789012345"
    with pytest.raises(SuspiciousOperation, match="Nonce"):
        backend.verify_token(token(issuer), nonce="another")


@pytest.mark.parametrize(
    "claims, ok",
    [
        ({"aid": "5123456789012345", "uid": "216959339000654301"}, True),
        ({"aid": 5123456789012345, "uid": 5123456789012345}, True),  # numbers are read as text
        ({"uid": "216959339000654301"}, False),
        ({"aid": "5123456789012345", "uid": ""}, False),
    ],
)
def test_T2_a_sign_in_needs_the_account_and_user_claims(claims, ok):
    assert AlibabaCloudOIDCBackend().verify_claims(claims) is ok


def test_T2_the_claim_names_are_configurable(settings):
    """Keycloak, Okta or Entra ID name them otherwise: OIDC_CLAIM_ACCOUNT_ID and friends."""
    settings.OIDC_CLAIMS = {
        "account_id": "tenant",
        "user_id": "ram_uid",
        "login_name": "preferred_username",
        "name": "n",
    }
    claims = CloudClaims.of({"tenant": "5123456789012345", "ram_uid": "42", "preferred_username": "dw-admin"})
    assert claims == CloudClaims("5123456789012345", "42", "dw-admin", "")
    assert not claims.is_owner and CloudClaims.of({"tenant": "7", "ram_uid": "7"}).is_owner


def test_T2_the_username_is_stable_and_valid_for_the_admin():
    from django.contrib.auth.validators import UnicodeUsernameValidator

    names = [
        cloud_username(claims=CloudClaims("5123456789012345", "216959339000654301", "", "")),
        cloud_username(claims=CloudClaims("5123456789012345", "acs:ram::5123456789012345:role/oncall", "", "")),
        cloud_username(claims=CloudClaims("5123456789012345", "x" * 400, "", "")),
    ]
    assert names[0] == "aliyun.5123456789012345.216959339000654301"
    for name in names:
        UnicodeUsernameValidator()(name)
        assert len(name) <= 150
