"""Demo customers: British and Japanese households drawn from a seeded random generator,
so that every load produces the same people."""

import random
from dataclasses import dataclass
from typing import Any

ENGLISH_FIRST_NAMES = [
    "Emma",
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Ava",
    "Noah",
    "Mia",
    "Jack",
    "Sophie",
    "Leo",
    "Grace",
    "Arthur",
    "Freya",
    "Oscar",
    "Lily",
    "Charlie",
    "Ella",
    "Thomas",
    "Priya",
    "Mohammed",
    "Zara",
    "Aidan",
    "Niamh",
    "Rhys",
    "Chloe",
    "Samuel",
    "Hannah",
    "Daniel",
]
ENGLISH_LAST_NAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Clarke",
    "Hughes",
    "Edwards",
    "Khan",
    "Lewis",
    "Harris",
    "Murphy",
    "O'Brien",
    "Campbell",
    "Kelly",
    "Turner",
]
ENGLISH_STREETS = [
    "Station Road",
    "High Street",
    "Church Lane",
    "Victoria Road",
    "Mill Lane",
    "Park Avenue",
    "The Crescent",
    "Queen Street",
    "Manor Way",
    "Orchard Close",
    "Kings Road",
    "Meadow View",
]
# (town, postcode prefix)
ENGLISH_TOWNS = [
    ("Leeds", "LS6"),
    ("York", "YO10"),
    ("Manchester", "M20"),
    ("Bristol", "BS7"),
    ("Sheffield", "S11"),
    ("Norwich", "NR2"),
    ("Cardiff", "CF14"),
    ("Edinburgh", "EH9"),
    ("Brighton", "BN1"),
    ("Nottingham", "NG7"),
    ("Oxford", "OX4"),
    ("Newcastle upon Tyne", "NE2"),
]

# (kanji, romaji) pairs: family names and given names.
JAPANESE_FAMILY_NAMES = [
    ("佐藤", "sato"),
    ("鈴木", "suzuki"),
    ("高橋", "takahashi"),
    ("田中", "tanaka"),
    ("伊藤", "ito"),
    ("渡辺", "watanabe"),
    ("山本", "yamamoto"),
    ("中村", "nakamura"),
    ("小林", "kobayashi"),
    ("加藤", "kato"),
    ("吉田", "yoshida"),
    ("山田", "yamada"),
    ("佐々木", "sasaki"),
    ("山口", "yamaguchi"),
    ("松本", "matsumoto"),
    ("井上", "inoue"),
    ("木村", "kimura"),
    ("林", "hayashi"),
    ("清水", "shimizu"),
    ("森", "mori"),
]
JAPANESE_GIVEN_NAMES = [
    ("太郎", "taro"),
    ("花子", "hanako"),
    ("翔太", "shota"),
    ("陽菜", "hina"),
    ("大輔", "daisuke"),
    ("美咲", "misaki"),
    ("健一", "kenichi"),
    ("由美", "yumi"),
    ("拓海", "takumi"),
    ("さくら", "sakura"),
    ("直樹", "naoki"),
    ("恵子", "keiko"),
    ("蓮", "ren"),
    ("結衣", "yui"),
    ("誠", "makoto"),
    ("愛子", "aiko"),
    ("浩二", "koji"),
    ("真由美", "mayumi"),
    ("悠人", "yuto"),
    ("千尋", "chihiro"),
]
# (postal code, prefecture, city and district)
JAPANESE_PLACES = [
    ("100-0001", "東京都", "千代田区千代田"),
    ("150-0002", "東京都", "渋谷区渋谷"),
    ("160-0022", "東京都", "新宿区新宿"),
    ("231-0023", "神奈川県", "横浜市中区山下町"),
    ("530-0001", "大阪府", "大阪市北区梅田"),
    ("604-8005", "京都府", "京都市中京区恵比須町"),
    ("460-0008", "愛知県", "名古屋市中区栄"),
    ("812-0011", "福岡県", "福岡市博多区博多駅前"),
    ("060-0042", "北海道", "札幌市中央区大通西"),
    ("980-0811", "宮城県", "仙台市青葉区一番町"),
    ("730-0011", "広島県", "広島市中区基町"),
    ("330-0063", "埼玉県", "さいたま市浦和区高砂"),
]
JAPANESE_BUILDINGS = ["メゾン桜", "グランハイツ", "コーポ青葉", "パークサイド", "リバーテラス"]

CHANNEL_PREFERENCES = [
    ["email", "sms", "print"],
    ["email", "sms", "print"],
    ["sms", "email", "print"],
    ["print", "email", "sms"],
    ["email", "print", "sms"],
    ["sms", "print", "email"],
]


@dataclass(frozen=True)
class DemoCustomer:
    external_id: str
    first_name: str
    name: str
    locale: str
    timezone: str
    email: str
    phone: str
    postal_address: str
    channel_preference: list[str]
    marketing_consent: bool

    @property
    def account_number(self) -> str:
        return f"NW-{100000 + int(self.external_id.rsplit('-', 1)[1]):06d}"

    @property
    def currency(self) -> str:
        return "JPY" if self.locale == "ja" else "GBP"

    def as_row(self) -> dict[str, Any]:
        """The row ``customers.services.customer_upsert_many`` takes."""
        return {
            "external_id": self.external_id,
            "name": self.name,
            "locale": self.locale,
            "timezone": self.timezone,
            "email": self.email,
            "phone": self.phone,
            "postal_address": self.postal_address,
            "channel_preference": self.channel_preference,
            "consents": {"marketing": self.marketing_consent},
        }


def _english(number: int, rng: random.Random) -> DemoCustomer:
    first = rng.choice(ENGLISH_FIRST_NAMES)
    last = rng.choice(ENGLISH_LAST_NAMES)
    town, prefix = rng.choice(ENGLISH_TOWNS)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    postcode = f"{prefix} {rng.randint(1, 9)}{rng.choice(letters)}{rng.choice(letters)}"
    street = f"{rng.randint(1, 180)} {rng.choice(ENGLISH_STREETS)}"
    address = [street, town, postcode, "United Kingdom"]
    local_part = f"{first}.{last}".lower().replace("'", "")
    return DemoCustomer(
        external_id=f"CUST-{number:05d}",
        first_name=first,
        name=f"{first} {last}",
        locale="en",
        timezone="Europe/London",
        email="" if rng.random() < 0.15 else f"{local_part}{number}@example.com",
        phone=f"+447{rng.randint(400, 599)}{rng.randint(100000, 999999)}",
        postal_address="\n".join(address),
        channel_preference=list(rng.choice(CHANNEL_PREFERENCES)),
        marketing_consent=rng.random() < 0.4,
    )


def _japanese(number: int, rng: random.Random) -> DemoCustomer:
    family, family_romaji = rng.choice(JAPANESE_FAMILY_NAMES)
    given, given_romaji = rng.choice(JAPANESE_GIVEN_NAMES)
    postal_code, prefecture, city = rng.choice(JAPANESE_PLACES)
    block = f"{rng.randint(1, 9)}-{rng.randint(1, 20)}-{rng.randint(1, 30)}"
    address = [f"〒{postal_code}", f"{prefecture}{city}{block}"]
    if rng.random() < 0.5:
        room = f"{rng.randint(1, 12)}0{rng.randint(1, 9)}号室"
        address.append(f"{rng.choice(JAPANESE_BUILDINGS)} {room}")
    return DemoCustomer(
        external_id=f"CUST-{number:05d}",
        first_name=given,
        name=f"{family} {given}",
        locale="ja",
        timezone="Asia/Tokyo",
        email="" if rng.random() < 0.15 else f"{given_romaji}.{family_romaji}{number}@example.net",
        phone=f"+81{rng.choice(['70', '80', '90'])}{rng.randint(10_000_000, 99_999_999)}",
        postal_address="\n".join(address),
        channel_preference=list(rng.choice(CHANNEL_PREFERENCES)),
        marketing_consent=rng.random() < 0.4,
    )


def demo_customers(*, count: int, rng: random.Random) -> list[DemoCustomer]:
    """``count`` customers, about a third of them Japanese; the same for the same seed."""
    return [
        (_japanese if rng.random() < 0.35 else _english)(number, rng)
        for number in range(1, count + 1)
    ]
