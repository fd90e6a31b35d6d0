"""Static reference data: places, networks, apps, device profiles and names.

Values imitate what Graph returns (first-party app ids, ``Windows 10``/``iOS 17.5``
operating systems, ``Edge 126.0.0`` browsers). Nothing here is random.
"""

from __future__ import annotations

from dataclasses import dataclass

TENANT_ID = "5f1c3b2e-8d4a-4e6b-9c7d-2a1b0c9d8e7f"
TENANT_DOMAIN = "contoso-sample.com"
TENANT_NAME = "Contoso Sample"
MICROSOFT_SERVICES_TENANT = "f8cdef31-a31e-4b4a-93e4-5f571e91255a"
FABRIKAM_TENANT = "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


@dataclass(frozen=True)
class Place:
    """A geolocated network area: one city, its ISP prefix and ASN."""

    key: str
    city: str
    state: str
    country: str
    lat: float
    lon: float
    utc_offset: float  # standard time in November; no DST needed for the window
    asn: int
    prefix: str  # first three octets of the addresses handed out here


# Office and home cities: most users live in the US, GB and DE (1-3 countries per tenant).
PLACES = {
    p.key: p
    for p in [
        Place("seattle", "Seattle", "Washington", "US", 47.6062, -122.3321, -8, 7922, "73.97.14"),
        Place("redmond", "Redmond", "Washington", "US", 47.6740, -122.1215, -8, 20115, "50.35.88"),
        Place("newyork", "New York", "New York", "US", 40.7128, -74.0060, -5, 701, "71.190.22"),
        Place("chicago", "Chicago", "Illinois", "US", 41.8781, -87.6298, -6, 7018, "99.41.73"),
        Place("austin", "Austin", "Texas", "US", 30.2672, -97.7431, -6, 11427, "70.112.41"),
        Place("london", "London", "England", "GB", 51.5074, -0.1278, 0, 2856, "86.128.47"),
        Place("manchester", "Manchester", "England", "GB", 53.4808, -2.2426, 0, 5089, "82.21.93"),
        Place("berlin", "Berlin", "Berlin", "DE", 52.5200, 13.4050, 1, 3320, "91.64.18"),
        Place("munich", "Munich", "Bavaria", "DE", 48.1351, 11.5820, 1, 3209, "88.217.52"),
        Place("amsterdam", "Amsterdam", "Noord-Holland", "NL", 52.3676, 4.9041, 1, 1136, "84.105.33"),
        Place("dublin", "Dublin", "Dublin", "IE", 53.3498, -6.2603, 0, 5466, "89.101.27"),
        Place("toronto", "Toronto", "Ontario", "CA", 43.6532, -79.3832, -5, 812, "99.232.64"),
        # Travel destinations (new countries for their visitors).
        Place("lisbon", "Lisbon", "Lisboa", "PT", 38.7223, -9.1393, 0, 3243, "85.243.12"),
        Place("madrid", "Madrid", "Madrid", "ES", 40.4168, -3.7038, 1, 3352, "83.44.201"),
        Place("tokyo", "Tokyo", "Tokyo", "JP", 35.6762, 139.6503, 9, 2516, "126.227.80"),
        Place("singapore", "Singapore", "Singapore", "SG", 1.3521, 103.8198, 8, 9506, "116.87.142"),
        Place("mexicocity", "Mexico City", "Ciudad de Mexico", "MX", 19.4326, -99.1332, -6, 8151, "187.190.33"),
        Place("paris", "Paris", "Ile-de-France", "FR", 48.8566, 2.3522, 1, 3215, "90.46.118"),
        # Attacker infrastructure: hosting and anonymiser ranges far from the tenant.
        Place("lagos", "Lagos", "Lagos", "NG", 6.5244, 3.3792, 1, 36873, "105.112.47"),
        Place("saopaulo", "Sao Paulo", "Sao Paulo", "BR", -23.5505, -46.6333, -3, 28573, "177.92.61"),
        Place("jakarta", "Jakarta", "Jakarta", "ID", -6.2088, 106.8456, 7, 7713, "36.72.218"),
        Place("bucharest", "Bucharest", "Bucuresti", "RO", 44.4268, 26.1025, 2, 9009, "185.220.101"),
        Place("hochiminh", "Ho Chi Minh City", "Ho Chi Minh", "VN", 10.8231, 106.6297, 7, 7552, "113.161.77"),
    ]
}

# Offices: egress addresses registered as the trusted named location "Corporate offices".
OFFICES = {
    "redmond": ("Redmond HQ", ["131.107.160.12", "131.107.160.13"]),  # AS3598 (see records._asn)
    "london": ("London Office", ["195.59.112.40", "195.59.112.41"]),
    "berlin": ("Berlin Office", ["193.28.44.20"]),
    "amsterdam": ("Amsterdam Office", ["185.39.212.8"]),
}

# (home city, weight, office city or None). Weighted towards three countries.
HOMES = [
    ("seattle", 20, "redmond"),
    ("redmond", 14, "redmond"),
    ("newyork", 8, None),
    ("chicago", 5, None),
    ("austin", 4, None),
    ("london", 16, "london"),
    ("manchester", 5, None),
    ("berlin", 13, "berlin"),
    ("munich", 5, None),
    ("amsterdam", 5, "amsterdam"),
    ("dublin", 3, None),
    ("toronto", 2, None),
]

# Domestic second cities a user may visit (known country, other city).
DOMESTIC_TRIPS = {
    "US": ["newyork", "chicago", "austin", "seattle"],
    "GB": ["london", "manchester"],
    "DE": ["berlin", "munich"],
    "NL": ["amsterdam"],
    "IE": ["dublin"],
    "CA": ["toronto"],
}
FOREIGN_TRIPS = ["lisbon", "madrid", "tokyo", "singapore", "mexicocity", "paris"]
ATTACKER_PLACES = ["lagos", "saopaulo", "jakarta", "bucharest", "hochiminh"]


@dataclass(frozen=True)
class App:
    """A client application and the resource it usually asks a token for."""

    app_id: str
    name: str
    resource_id: str
    resource: str
    kind: str  # "browser" or "rich": how users reach it
    weight: int
    scopes: str


EXO = ("00000002-0000-0ff1-ce00-000000000000", "Office 365 Exchange Online")
SPO = ("00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online")
GRAPH = ("00000003-0000-0000-c000-000000000000", "Microsoft Graph")
ARM = ("797f4846-ba00-4fd7-ba43-dac1f8f63013", "Windows Azure Service Management API")
TEAMS_SVC = ("cc15fd57-2c6c-4117-a88c-83b1d56b4bbe", "Microsoft Teams Services")
AAD = ("00000002-0000-0000-c000-000000000000", "Windows Azure Active Directory")

APPS = {
    a.name: a
    for a in [
        App("4765445b-32c6-49b0-83e6-1d93765276ca", "OfficeHome", *GRAPH, "browser", 10, "openid profile User.Read"),
        App(
            "00000002-0000-0ff1-ce00-000000000000",
            "Office 365 Exchange Online",
            *EXO,
            "browser",
            12,
            "openid profile email",
        ),
        App(
            "00000003-0000-0ff1-ce00-000000000000", "Office 365 SharePoint Online", *SPO, "browser", 9, "openid profile"
        ),
        App(
            "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
            "Microsoft Teams Web Client",
            *TEAMS_SVC,
            "browser",
            4,
            "openid profile",
        ),
        App("c44b4083-3bb0-49c1-b47d-974e53cbdf3c", "Azure Portal", *ARM, "browser", 2, "user_impersonation"),
        App("19db86c3-b2b9-44cc-b339-36da233a3be2", "My Signins", *GRAPH, "browser", 1, "openid profile"),
        App(
            "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
            "Microsoft Teams",
            *TEAMS_SVC,
            "rich",
            16,
            "openid profile offline_access",
        ),
        App(
            "d3590ed6-52b3-4102-aeff-aad2292ab01c",
            "Microsoft Office",
            *EXO,
            "rich",
            14,
            "openid profile offline_access",
        ),
        App("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile", *EXO, "rich", 6, "openid profile offline_access"),
        App(
            "ab9b8c07-8f02-4f72-87fa-80105867a763",
            "OneDrive SyncEngine",
            *SPO,
            "rich",
            6,
            "openid profile offline_access",
        ),
        App(
            "29d9ed98-a469-4536-ade2-f981bc1d605e", "Microsoft Authentication Broker", *AAD, "rich", 4, "openid profile"
        ),
        App("04b07795-8ddb-461a-bbee-02f9e1bf7b46", "Microsoft Azure CLI", *ARM, "rich", 1, "user_impersonation"),
    ]
}
ADMIN_APPS = ["Azure Portal", "Microsoft Azure CLI"]
MOBILE_APPS = ["Outlook Mobile", "Microsoft Teams"]

# Device profiles: (os, browser for browser apps, user agent). Rich clients report "Rich Client <msal>".
RICH_CLIENT = "Rich Client 4.61.0.0"
PROFILES = {
    "win": (
        "Windows 10",
        "Edge 126.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
    ),
    "win_chrome": (
        "Windows 10",
        "Chrome 125.0.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    ),
    "win_firefox": (
        "Windows 10",
        "Firefox 127.0",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ),
    "mac": (
        "MacOs",
        "Safari 17.5",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    ),
    "mac_chrome": (
        "MacOs",
        "Chrome 125.0.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
    ),
    "ios": (
        "iOS 17.5",
        "Mobile Safari 17.5",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) "
        "AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    ),
    "android": (
        "Android 14",
        "Chrome Mobile 125.0.0",
        "Mozilla/5.0 (Linux; Android 14; SM-S918B) "
        "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36",
    ),
    "unknown": ("", "", ""),
    "linux": (
        "Linux",
        "Firefox 127.0",
        "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
    ),
}
MOBILE_PROFILES = ("ios", "android")
RICH_AGENT = {
    "win": "Windows-AzureAD-Authentication-Provider/1.0",
    "mac": "Mac OS X/14.5 (23F79)",
    "ios": "Outlook-iOS/2.0",
    "android": "Outlook-Android/2.0",
}
PHONE_MODELS = {
    "ios": ["iPhone 13", "iPhone 14", "iPhone 15", "iPhone 15 Pro"],
    "android": ["SM-S918B", "Pixel 8", "SM-A546B", "Pixel 7a"],
}

# Microsoft Authenticator builds. The tenant's configured minimum is in tenant.json.
AUTHENTICATOR_CURRENT = {"ios": ["6.8.54", "6.8.57", "6.8.61"], "android": ["6.2609.6110", "6.2610.6327"]}
AUTHENTICATOR_OUTDATED = {"ios": ["6.5.90", "6.6.12"], "android": ["6.2206.3973", "6.2304.2215"]}
AUTHENTICATOR_MINIMUM = {"Ios": "6.7.0", "Android": "6.2401.0"}

FIRST_NAMES = [
    "Adele",
    "Alex",
    "Allan",
    "Ama",
    "Amir",
    "Ana",
    "Anders",
    "Aoife",
    "Arjun",
    "Ben",
    "Bianca",
    "Carlos",
    "Chen",
    "Chloe",
    "Christie",
    "Daniel",
    "Diego",
    "Elena",
    "Emily",
    "Enrico",
    "Fatima",
    "Felix",
    "Finn",
    "Grace",
    "Grady",
    "Hannah",
    "Henrietta",
    "Isaac",
    "Isaiah",
    "Jakob",
    "Jana",
    "Johanna",
    "Joni",
    "Jonas",
    "Kai",
    "Karin",
    "Lars",
    "Laura",
    "Lee",
    "Lena",
    "Lidia",
    "Lukas",
    "Lynne",
    "Maja",
    "Marek",
    "Maria",
    "Megan",
    "Miriam",
    "Nathan",
    "Nestor",
    "Nia",
    "Noah",
    "Oliver",
    "Omar",
    "Patti",
    "Pradeep",
    "Priya",
    "Rafael",
    "Ravi",
    "Sakura",
    "Sam",
    "Sanne",
    "Sofia",
    "Sven",
    "Tariq",
    "Thomas",
    "Tom",
    "Uma",
    "Victor",
    "Wei",
    "Yara",
    "Zoe",
]
LAST_NAMES = [
    "Abbott",
    "Bauer",
    "Becker",
    "Brennan",
    "Carter",
    "Chen",
    "Costa",
    "Dekker",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Gupta",
    "Hansen",
    "Hoffmann",
    "Jansen",
    "Kelly",
    "Khan",
    "Klein",
    "Kowalski",
    "Lambert",
    "Larsen",
    "Lopez",
    "Mazur",
    "Meyer",
    "Murphy",
    "Nakamura",
    "Novak",
    "Obi",
    "Okafor",
    "Patel",
    "Peters",
    "Quinn",
    "Reyes",
    "Richter",
    "Rossi",
    "Schmidt",
    "Schulz",
    "Silva",
    "Singh",
    "Smith",
    "Taylor",
    "Tanaka",
    "Visser",
    "Wagner",
    "Walsh",
    "Weber",
    "Williams",
    "Wright",
    "Young",
]

# Directory role template ids, as they appear in the token's "wids" claim.
ROLE_IDS = {
    "Global Administrator": "62e90394-69f5-4237-9190-012177145e10",
    "Security Administrator": "194ae4cb-b126-40b2-bd5b-6091b380977d",
    "Conditional Access Administrator": "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9",
    "Exchange Administrator": "29232cdf-9323-42fd-ade2-1d097af3e4de",
    "User Administrator": "fe930be7-5e62-47db-91af-98c3a49a38b1",
}
DEFAULT_USER_ROLE = "b79fbf4d-3ef9-4689-8143-76b194e85509"
