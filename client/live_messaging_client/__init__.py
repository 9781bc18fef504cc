"""Python client of Live Messaging's external-app API (Odoo 18).

from live_messaging_client import Client

client = Client("https://odoo.example.com", "<API key>")
client.publish("shop/42", {"event": "paid", "amount": 12.5})
for delivery in client.listen(topics=["shop/42"]):
    print(delivery.target, delivery.seq, delivery.data["payload"])
"""

from .client import (
    ApiError,
    AuthError,
    BatchError,
    BatchResults,
    Client,
    new_client_id,
    unescape_body,
)
from .listen import Delivery, Listener

__version__ = "1.0.0"
__all__ = [
    "ApiError",
    "AuthError",
    "BatchError",
    "BatchResults",
    "Client",
    "Delivery",
    "Listener",
    "new_client_id",
    "unescape_body",
]
