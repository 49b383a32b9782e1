"""The shape of ids shared by every part: stores, locations, SKUs, carts, orders.

Kept apart from the HTTP helpers so that the simulator can check ids without FastAPI.
"""

ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"
