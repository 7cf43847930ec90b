"""Activation links (rules C8, C9, C10)."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse

from contacts.models import ContactMethod
from contacts.services import ResendLimited, activation_resend, contact_update
from contacts.tokens import LinkState, activation_token_generator

from .conftest import confirm_link, link_in, open_link


@pytest.fixture
def sent(alice, mailoutbox, django_capture_on_commit_callbacks):
    """Alice's email set, its activation email sent; returns (method, link path)."""
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="", email="alice@example.com", language="auto")
    method = ContactMethod.objects.get(principal=alice, channel="email")
    return method, link_in(mailoutbox[-1].body)


@pytest.fixture
def clock(monkeypatch):
    """Move the activation clock: clock(seconds after the link was sent)."""

    def _at(method, seconds):
        moment = method.link_sent_at + timedelta(seconds=seconds)
        monkeypatch.setattr(activation_token_generator, "_now", lambda: moment)

    return _at


def token_of(path):
    return path.rstrip("/").rsplit("/", 1)[1]


@pytest.mark.parametrize(
    "seconds, state",
    [
        (0, LinkState.VALID),
        (86399, LinkState.VALID),
        (86400, LinkState.VALID),
        (86401, LinkState.EXPIRED),
        (10**7, LinkState.EXPIRED),
    ],
)
def test_C8_valid_for_exactly_24_hours(sent, clock, seconds, state):
    method, path = sent
    clock(method, seconds)
    assert activation_token_generator.check_token(method, token_of(path)) is state


def test_C8_ttl_is_configurable_in_seconds(sent, clock, settings):
    method, path = sent
    settings.ACTIVATION_LINK_TTL_SECONDS = 60
    clock(method, 60)
    assert activation_token_generator.check_token(method, token_of(path)) is LinkState.VALID
    clock(method, 61)
    assert activation_token_generator.check_token(method, token_of(path)) is LinkState.EXPIRED


def test_C8_C9_expired_link_page_at_the_boundary(sent, clock, client):
    method, path = sent
    clock(method, 86401)
    response = client.get(path)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert client.post(path).status_code == 410
    method.refresh_from_db()
    assert method.status == ContactMethod.Status.WAITING_FOR_ACTIVATION
    clock(method, 86400)
    assert confirm_link(client, path).status_code == 200
    method.refresh_from_db()
    assert method.is_activated


def test_C8_C9_link_expiring_while_the_confirm_page_is_open(sent, clock, client):
    """The token kept in the session is checked again by the POST: opened at 24 h, pressed a
    second later, it has expired."""
    method, path = sent
    clock(method, 86400)
    page = open_link(client, path)
    assert page.status_code == 200
    clock(method, 86401)
    response = client.post(page.confirm_url)
    assert response.status_code == 410 and "expired" in response.content.decode()
    method.refresh_from_db()
    assert not method.is_activated


def test_C9_get_changes_nothing_post_activates_once(sent, client):
    method, path = sent
    page = open_link(client, path)
    assert page.status_code == 200 and "a***@example.com" in page.content.decode()
    method.refresh_from_db()
    assert method.status == ContactMethod.Status.WAITING_FOR_ACTIVATION
    assert client.get(page.confirm_url).status_code == 200  # a link preview and the contact can both open it
    assert open_link(client, path).status_code == 200
    done = client.post(page.confirm_url)
    assert done.status_code == 200 and "Activated" in done.content.decode()
    method.refresh_from_db()
    assert method.is_activated and method.activated_at
    again = client.post(page.confirm_url)
    assert again.status_code == 410 and "already been used" in again.content.decode()
    reopened = client.get(path)
    assert reopened.status_code == 410 and "already been used" in reopened.content.decode()


def test_C9_post_to_the_link_itself_activates_nothing(sent, client):
    """Only the confirm page's POST activates; a POST to the link's own URL (an old page, a
    scanner) is sent to the confirm page, whose GET changes nothing."""
    method, path = sent
    response = client.post(path)
    assert response.status_code == 302 and response["Location"].endswith("/confirm/")
    method.refresh_from_db()
    assert not method.is_activated


def test_C8_link_activates_exactly_one_method(
    alice, mailoutbox, sms_outbox, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    confirm_link(client, link_in(sms_outbox[-1].body))
    statuses = {m.channel: m.status for m in alice.contact_methods.all()}
    assert statuses == {"phone": "activated", "email": "waiting"}


def test_C9_two_links_opened_in_one_browser_both_work(
    alice, mailoutbox, sms_outbox, django_capture_on_commit_callbacks, client
):
    """The session keeps one token per method: opening the email link does not spoil the text
    message's confirm page opened before it."""
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    text_page = open_link(client, link_in(sms_outbox[-1].body))
    email_page = open_link(client, link_in(mailoutbox[-1].body))
    assert client.post(text_page.confirm_url).status_code == 200
    assert client.post(email_page.confirm_url).status_code == 200
    assert {m.status for m in alice.contact_methods.all()} == {"activated"}


def test_C8_resend_makes_older_links_invalid(sent, mailoutbox, client, django_capture_on_commit_callbacks):
    method, old_path = sent
    with django_capture_on_commit_callbacks(execute=True):
        activation_resend(method=method)
    new_path = link_in(mailoutbox[-1].body)
    assert new_path != old_path
    old = client.get(old_path)
    assert old.status_code == 404 and "not valid" in old.content.decode()
    assert client.post(old_path).status_code == 404
    assert confirm_link(client, new_path).status_code == 200


def test_C8_C9_resend_while_the_confirm_page_is_open(sent, mailoutbox, client, django_capture_on_commit_callbacks):
    """A token already moved into the session is replaced like any other: the open page's button
    then says the link is not valid."""
    method, path = sent
    page = open_link(client, path)
    with django_capture_on_commit_callbacks(execute=True):
        activation_resend(method=method)
    response = client.post(page.confirm_url)
    assert response.status_code == 404 and "not valid" in response.content.decode()
    method.refresh_from_db()
    assert not method.is_activated


def test_C8_value_change_makes_older_links_invalid(sent, alice, client, django_capture_on_commit_callbacks):
    method, path = sent
    page = open_link(client, path)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="", email="alice.new@example.com", language="auto")
    assert client.post(page.confirm_url).status_code == 404
    assert client.post(path).status_code == 404
    method.refresh_from_db()
    assert not method.is_activated


@pytest.mark.parametrize(
    "path",
    [
        "/activate/MQ/abc/",
        "/activate/%%%/x/",
        "/activate/OTk5OTk5/0123456789abcdef0123456789abcdef/",
        "/activate/" + "A" * 300 + "/x/",
        "/activate/bm90LWFuLWludA/x/",
    ],
)
def test_C9_E1_unknown_or_garbled_link_is_a_clear_4xx_page(db, client, path):
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 404
        body = response.content.decode()
        assert "not valid" in body and "resend" in body


def test_C9_pages_never_say_whose_link_it_was(sent, alice, clock, client):
    method, path = sent
    clock(method, 86401)
    body = client.get(path).content.decode()
    for secret in ("alice", "Alice", "example.com", "demo-intl"):
        assert secret not in body


def test_C9_needs_no_sign_in_and_fits_a_phone(sent, client):
    _, path = sent
    body = open_link(client, path).content.decode()
    assert 'name="viewport" content="width=device-width' in body
    assert "Activate" in body and "/accounts/login" not in body


def test_C9_the_token_leaves_the_address_bar(sent, client):
    """Like django.contrib.auth's password reset: the link's GET moves the token into the session
    and redirects, with no Referer, to a URL without it; the pages give other sites no Referer,
    nothing is cached, and the confirm page (its language switch included) never repeats the token."""
    method, path = sent
    token = token_of(path)
    first = client.get(path)
    assert first.status_code == 302 and first["Referrer-Policy"] == "no-referrer"
    assert token not in first["Location"] and first["Location"] == f"/activate/{path.split('/')[2]}/confirm/"
    page = client.get(first["Location"])
    assert page.status_code == 200 and token not in page.content.decode()
    done = client.post(first["Location"])
    assert done.status_code == 200 and token not in done.content.decode()
    for response in (page, done):
        assert response["Referrer-Policy"] == "same-origin"
    for response in (first, page, done):
        assert "no-store" in response["Cache-Control"]


def test_C9_E2_activate_passes_the_csrf_check_with_the_browsers_origin(sent):
    """The pages' Referrer-Policy keeps the Origin header of their own form posts: under
    no-referrer browsers send `Origin: null`, which Django's CSRF check refuses."""
    from django.test import Client

    method, path = sent
    browser = Client(enforce_csrf_checks=True)
    confirm_url = browser.get(path)["Location"]
    page = browser.get(confirm_url)
    assert page["Referrer-Policy"] != "no-referrer"
    csrf = browser.cookies["csrftoken"].value
    assert browser.post(confirm_url, {"csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="null").status_code == 403
    assert browser.post(confirm_url, {"csrfmiddlewaretoken": csrf}, HTTP_ORIGIN="http://testserver").status_code == 200
    method.refresh_from_db()
    assert method.is_activated


@pytest.mark.parametrize("state", ["expired", "used", "invalid"])
def test_C9_pages_of_dead_links_send_no_referrer_to_other_sites(sent, clock, client, state):
    method, path = sent
    if state == "expired":
        clock(method, 86401)
    elif state == "used":
        confirm_link(client, path)
    else:
        path = path.replace(token_of(path), "0" * 32)
    response = client.get(path)
    assert response.status_code in (404, 410) and response["Referrer-Policy"] == "same-origin"


def test_C9_confirm_page_without_the_link_says_to_open_it_again(sent, client):
    """The confirm URL alone (another browser, cookies refused, typed by hand) activates nothing
    and says what to do."""
    method, path = sent
    confirm_url = f"/activate/{path.split('/')[2]}/confirm/"
    for response in (client.get(confirm_url), client.post(confirm_url)):
        body = response.content.decode()
        assert response.status_code == 404 and "Open the link from your message again" in body
        assert "alice" not in body and "example.com" not in body
    chinese = client.get(confirm_url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "请重新打开消息中的链接" in chinese
    method.refresh_from_db()
    assert not method.is_activated


def test_C9_a_session_token_works_only_for_its_own_method(
    sent, alice, client, sms_outbox, django_capture_on_commit_callbacks
):
    method, path = sent
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    phone = ContactMethod.objects.get(principal=alice, channel="phone")
    open_link(client, path)  # the email link's token is in the session
    other = f"/activate/{link_in(sms_outbox[-1].body).split('/')[2]}/confirm/"
    assert client.post(other).status_code == 404
    phone.refresh_from_db()
    assert not phone.is_activated


def test_C9_activation_tokens_are_redacted_from_log_lines(sent):
    """The development server's request lines and Django's 'Not Found' warnings go through a
    filter that replaces the token of an activation link."""
    import logging

    from config.logging import RedactActivationTokens

    _, path = sent
    record = logging.LogRecord(
        "django.server", logging.INFO, __file__, 1, '"%s" %s %s', (f"GET {path} HTTP/1.1", "302", "0"), None
    )
    RedactActivationTokens().filter(record)
    assert token_of(path) not in record.getMessage()
    assert record.getMessage() == f'"GET /activate/{path.split("/")[2]}/[token]/ HTTP/1.1" 302 0'
    confirm = logging.LogRecord("django.server", logging.INFO, __file__, 1, "GET /activate/MQ/confirm/", (), None)
    RedactActivationTokens().filter(confirm)
    assert confirm.getMessage() == "GET /activate/MQ/confirm/"
    server = logging.getLogger("django.server")
    assert any(isinstance(f, RedactActivationTokens) for handler in server.handlers for f in handler.filters)


def test_C10_resend_is_rate_limited_per_address(sent, alice, settings, django_capture_on_commit_callbacks):
    method, _ = sent  # the first send counts: 1 of 3
    activation_resend(method=method)
    activation_resend(method=method)
    with pytest.raises(ResendLimited) as caught:
        activation_resend(method=method)
    assert caught.value.scope == "email" and caught.value.limit == 3
    assert 0 < caught.value.retry_after_seconds <= settings.ACTIVATION_RESEND_WINDOW_SECONDS
    # another address of the same principal has its own budget (within the contact's 6)
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="+8613912345678", email="alice@example.com", language="auto")
    activation_resend(method=ContactMethod.objects.get(principal=alice, channel="phone"))


def test_C10_resend_window_passes(sent, settings):
    method, _ = sent
    settings.ACTIVATION_RESEND_LIMIT = 1
    with pytest.raises(ResendLimited):
        activation_resend(method=method)
    method.activation_messages.update(
        sent_at=method.link_sent_at - timedelta(seconds=settings.ACTIVATION_RESEND_WINDOW_SECONDS + 1)
    )
    activation_resend(method=method)


@pytest.mark.django_db(transaction=True)
def test_C7_activation_goes_through_the_database_task_queue(settings, mailoutbox):
    """With the django-tasks-db backend the message waits in the queue until `db_worker` runs.
    Transactional: the worker closes database connections between tasks, as in production."""
    from alerts.demo import demo_load
    from contacts.models import Principal

    demo_load(password="demo")
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
    alice = Principal.objects.get(account__name="demo-intl", name="alice")
    contact_update(principal=alice, phone="", email="alice.queue@example.com", language="auto")
    assert mailoutbox == []
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "default", verbosity=0)
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["alice.queue@example.com"]


def test_C10_resend_view_reports_the_limit(sent, alice, demo, sign_in, settings):
    method, _ = sent
    settings.ACTIVATION_RESEND_LIMIT = 1
    url = reverse("contacts:resend", args=[demo["workspaces"]["demo_workspace"].pk, method.pk])
    response = sign_in("dw-admin").post(url, follow=True)
    assert "Too many activation messages" in response.content.decode()


def test_C7_C10_a_failed_activation_send_is_shown_for_a_resend(
    alice, demo, sign_in, settings, django_capture_on_commit_callbacks
):
    settings.MAILERS = {"default": {"BACKEND": "contacts.messaging.outbox.OutboxEmailBackend"}}
    settings.OUTBOX_UNDELIVERABLE = ["*@broken.example"]
    with django_capture_on_commit_callbacks(execute=True):
        contact_update(principal=alice, phone="", email="alice@broken.example", language="auto")
    method = ContactMethod.objects.get(principal=alice, channel="email")
    assert "550" in method.send_error
    html = (
        sign_in("dw-admin")
        .get(reverse("contacts:ram_users", args=[demo["workspaces"]["demo_workspace"].pk]))
        .content.decode()
    )
    assert "Activation message not sent" in html
    settings.OUTBOX_UNDELIVERABLE = []
    with django_capture_on_commit_callbacks(execute=True):
        activation_resend(method=method)
    method.refresh_from_db()
    assert method.send_error == ""
