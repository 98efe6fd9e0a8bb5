"""What the simulated systems say: native statuses, actors, integration calls, dimensions, offsets.

Every table here is indexed by small integer codes in the event arrays, so tens of millions of events stay
numeric until a batch file is written.
"""

from __future__ import annotations

HOUR = 3600
MINUTE = 60
DAY = 24 * HOUR
IST = 19800  # +05:30: the business runs on Indian time (deliveries happen in the IST daytime)

# RULES.md thresholds the simulated faults stay clearly past (and clean flows clearly inside).
GRACE = 2 * HOUR
WINDOW = 30 * MINUTE
REVENUE_LAG = 24 * HOUR
MISSING_AFTER = 6 * HOUR
VENDOR_SLA = 48 * HOUR

STATUSES: dict[str, tuple[str, ...]] = {
    "oms": (
        "CREATED",
        "CONFIRMED",
        "PACKED",
        "SHIPPED",
        "OUT_FOR_DELIVERY",
        "DELIVERED",
        "RTO_INITIATED",
        "RTO_DELIVERED",
        "CANCELLED",
        "CLOSED",
        "REPLACEMENT_CREATED",
        "RETURN_RECEIVED",
    ),
    "wms": ("PICKED", "PACKED", "MANIFESTED", "RTO_RECEIVED"),
    "carrier": (
        "PICKUP",
        "IN_TRANSIT",
        "OFD",
        "DLVD",
        "NDR",
        "RTO_INIT",
        "RTO_DLVD",
        "DELIVERED_OK",
        "CUSTOMER_REFUSED",
        "HUB_INSCAN",
    ),
    "crm": (
        "Order Placed",
        "Shipped",
        "In Transit",
        "Out for Delivery",
        "Delivered",
        "Return Initiated",
        "Returned",
        "Cancelled",
        "Refunded",
    ),
    "payments": ("CAPTURED", "COD_COLLECTED", "REFUND_INITIATED", "REFUNDED", "CHARGEBACK"),
    "erp": ("INVOICED", "REVENUE_RECOGNIZED", "REVENUE_REVERSED", "CREDIT_NOTE", "REV_RECOGNISED"),
    "integration_log": (),
}

# Native values the shipped status map does not know: each one appears only on an order whose fault is a
# mapping error, so its classification is unambiguous.
UNMAPPED: dict[str, frozenset[str]] = {
    "carrier": frozenset({"DELIVERED_OK", "CUSTOMER_REFUSED", "HUB_INSCAN"}),
    "oms": frozenset({"RETURN_RECEIVED"}),
    "erp": frozenset({"REV_RECOGNISED"}),
}

CRM_EVENT_TYPES = (
    "status_update",
    "ticket_opened",
    "ticket_resolved",
    "exchange_requested",
    "refund_requested",
)

# How CRM spells an order id (SOURCE_CONTRACT.md): canonical, leading '#', lower case, bare digits.
CRM_REF_PREFIXES = ("ORD-", "#", "ord-", "")

AGENT_COUNT = 120
ACTORS: tuple[str, ...] = (
    "system",
    "api:storefront",
    "api:wms",
    "api:carrier_webhook",
    "api:tracking_push",
    "api:oms_sync",
    "api:checkout",
    "api:cod_remittance",
    "api:refund_service",
    "api:helpdesk_sync",
    "api:app",
    "api:upi_gateway",
    "api:crm",
    "batch:tracking_resync",
    "batch:erp_invoicing",
    "batch:revenue_recognition",
    "batch:erp_sync",
    "batch:finance_adjustments",
) + tuple(f"agent:u{1001 + k}" for k in range(AGENT_COUNT))
AGENT_BASE = ACTORS.index("agent:u1001")


def actor(name: str) -> int:
    return ACTORS.index(name)


# integration_log calls: (source_system, target_system, endpoint).
CALLS: tuple[tuple[str, str, str], ...] = (
    ("carrier", "oms", "POST /webhooks/tracking"),
    ("oms", "crm", "POST /v2/order-status"),
    ("oms", "erp", "POST /erp/invoices"),
    ("carrier", "erp", "POST /erp/delivery-confirmations"),
    ("crm", "oms", "GET /v1/orders/status"),
    ("oms", "payments", "POST /v1/refunds"),
    ("wms", "oms", "POST /v1/returns"),
    ("oms", "carrier", "POST /v1/rto-requests"),
    ("ecommerce", "oms", "POST /v1/orders"),
    ("oms", "erp", "POST /erp/batch/invoices"),
    ("carrier", "oms", "GET /tracking/bulk"),
)
OUTCOMES = ("delivered", "failed", "dropped")


def call(source: str, target: str, endpoint: str | None = None) -> int:
    """Index of the first call from `source` to `target` (to `endpoint`, when given)."""
    matches = (i for i, (s, t, e) in enumerate(CALLS) if (s, t) == (source, target) and endpoint in (None, e))
    return next(matches)


CARRIERS = ("bluekite", "swiftship", "parcelwave", "roadrunner", "dashcargo")
AWB_PREFIXES = ("BK", "SS", "PW", "RR", "DC")
ZONES = ("A", "B", "C", "D", "E")  # carrier zones: local, regional, metro, national, special
TRANSIT_DAYS = (1, 1, 2, 2, 3)  # base transit days per zone
REGIONS = ("IN-DL", "IN-MH", "IN-KA", "IN-TN", "IN-WB", "IN-TG", "IN-GJ", "IN-UP")
WAREHOUSES = ("WH-BLR-01", "WH-DEL-02", "WH-BOM-01", "WH-KOL-01")
SKU_CATEGORIES = ("electronics", "fashion", "home", "beauty", "grocery", "books", "toys")
PAYMENT_MODES = ("prepaid", "cod")
PREPAID, COD = 0, 1
VENDOR_TYPES = ("1p", "3p")
V1P, V3P = 0, 1
CURRENCIES = ("INR", "USD")
INR, USD = 0, 1
USD_RATE = 83  # rupees per dollar, for the payment captured in another currency

# Free text with commas and quotes on purpose: it exercises RFC 4180 quoting and JSON escaping.
NDR_REASONS = (
    "Customer not available",
    "Address incomplete, landmark missing",
    'Customer refused: "ordered by mistake"',
    "Premises closed",
    "Customer asked to reschedule",
    "COD amount not ready",
)
LOCATIONS = (
    "Delhi Gateway",
    "Mumbai Bhiwandi Hub",
    "Bengaluru Hoskote Hub",
    "Chennai Hub",
    "Kolkata Dankuni Hub",
    "Hyderabad Shamshabad Hub",
    "Ahmedabad Hub",
    "Lucknow Hub",
)

# Offsets the systems write their timestamps in: (suffix, seconds east of UTC).
OFFSETS: tuple[tuple[str, int], ...] = (
    ("Z", 0),
    ("+00:00", 0),
    ("+05:30", IST),
    ("-04:00", -4 * HOUR),
    ("+01:00", HOUR),
    ("-05:00", -5 * HOUR),
    ("+09:00", 9 * HOUR),
)
# Per system: probability of each OFFSETS entry (a US payment gateway, a European ERP, carriers anywhere).
OFFSET_WEIGHTS: dict[str, tuple[float, ...]] = {
    "oms": (0.6, 0.0, 0.4, 0.0, 0.0, 0.0, 0.0),
    "wms": (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0),
    "carrier": (0.25, 0.1, 0.4, 0.1, 0.1, 0.0, 0.05),
    "crm": (0.7, 0.3, 0.0, 0.0, 0.0, 0.0, 0.0),
    "payments": (0.3, 0.0, 0.0, 0.4, 0.0, 0.3, 0.0),
    "erp": (0.0, 0.2, 0.0, 0.0, 0.8, 0.0, 0.0),
    "integration_log": (1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0),
}
