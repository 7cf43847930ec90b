"""Browsers ask every site for /favicon.ico."""

from django.conf import settings


def test_favicon_is_an_image(client):
    """No product rule: /favicon.ico answers the icon, not a 404 in every server log."""
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/")
    body = b"".join(response.streaming_content)
    assert body == (settings.BASE_DIR / "static" / "favicon.ico").read_bytes()
    assert body[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "max-age" in response["Cache-Control"]
