"""Alert History in the reader's language (issue 13, rule D10): statuses translated at display
time with the raw constant only in a tooltip; the date filter's "To" is not the recipient's."""

from django.urls import reverse

from alerts import services
from alerts.dispatch import deliveries_process


def test_D10_statuses_and_filters_in_chinese(demo, sign_in):
    ws = demo["workspaces"]["demo_workspace"]
    alice = demo["principals"][("intl", "alice")]
    services.test_message_send(workspace=ws, method=alice.contact_methods.get(channel="email"))
    deliveries_process()
    client = sign_in("dw-admin")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = client.get(reverse("alerts:alert_history", args=[ws.pk])).content.decode()
    assert 'title="SEND_SUCCESS">已发送</span>' in html
    assert '<label for="id_until">结束日期' in html
