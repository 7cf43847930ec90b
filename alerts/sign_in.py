"""What happens when someone signs in to the console. The sign-in (a Django user) becomes an
identity of the tenancy here, so the hook lives with the tenancy and hands the principal to the
contacts app's own rules."""

from typing import Any

from contacts.sync import contact_sync_at_sign_in

from .access import identity_of


def on_sign_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    """Sync at logon (C12): the principal the sign-in acts as takes what changed in the RAM
    directory since it was last applied. The account owner has no contact of its own."""
    identity = identity_of(user)
    if identity is not None and identity.principal_id is not None:
        contact_sync_at_sign_in(principal=identity.principal)
