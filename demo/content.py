# ruff: noqa: E501, RUF001 (letters and emails are prose; Japanese uses full-width punctuation)
"""The demo's brand, people and communications: plain data, loaded by ``demo.loading``.

Every communication has English and Japanese content on each of its channels, a JSON
Schema for its data and sample data that satisfies it.
"""

import datetime as dt
import random
from typing import Any

from ccm import roles
from ccm.vocabulary import Channel

PASSWORD = "demo"  # noqa: S105 (the demo's published password)

# (username, role or None for the superuser, first name, last name)
USERS: list[tuple[str, str | None, str, str]] = [
    ("designer", roles.DESIGNER, "Dana", "Designer"),
    ("approver", roles.APPROVER, "Avery", "Approver"),
    ("operator", roles.OPERATOR, "Omar", "Operator"),
    ("compliance", roles.COMPLIANCE_OFFICER, "Chloe", "Compliance"),
    ("auditor", roles.AUDITOR, "Aki", "Auditor"),
    ("admin", None, "Ada", "Admin"),
]
EMAIL_DOMAIN = "example.com"

BRAND: dict[str, str] = {
    "name": "Northwind Energy",
    "primary_color": "#0b5d4b",
    "text_color": "#1f2933",
    "email_from": "billing@northwind-energy.example",
    "email_from_name": "Northwind Energy",
    "sms_sender": "Northwind",
    "return_address": "Northwind Energy Ltd\nPO Box 4120\nLeeds LS1 9ZZ\nUnited Kingdom",
    "footer_text": (
        "Northwind Energy Ltd · 1 Riverside Way, Leeds LS1 4AB · Registered in England and "
        "Wales no. 01234567 · Customer care 0800 000 0000 / 0120-000-000"
    ),
}

PAYMENT_URL = "https://nwe.example/pay/"
RESCHEDULE_URL = "https://nwe.example/visit/"

# PAYMENT REMINDER ---------------------------------------------------------------------

PAYMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "first_name",
        "customer_name",
        "account_number",
        "invoice_number",
        "amount",
        "currency",
        "due_date",
        "payment_url",
    ],
    "properties": {
        "first_name": {"type": "string", "minLength": 1},
        "customer_name": {"type": "string", "minLength": 1},
        "account_number": {"type": "string", "pattern": "^NW-[0-9]{6}$"},
        "invoice_number": {"type": "string", "minLength": 1},
        "amount": {"type": "number", "exclusiveMinimum": 0},
        "currency": {"type": "string", "enum": ["GBP", "JPY"]},
        "due_date": {"type": "string", "format": "date"},
        "payment_url": {"type": "string", "format": "uri"},
    },
}

_BUTTON = (
    'style="display:inline-block;background:{{ brand.primary_color|css }};color:#ffffff;'
    'padding:12px 22px;border-radius:4px;text-decoration:none;font-weight:bold;"'
)
_SUMMARY_TABLE = 'style="border-collapse:collapse;margin:16px 0;"'
_CELL = 'style="padding:6px 16px 6px 0;border-bottom:1px solid #e5e7eb;"'

PAYMENT_VARIANTS: dict[tuple[str, str], dict[str, str]] = {
    ("email", "en"): {
        "subject": "Reminder: {{ amount|money(currency) }} due on {{ due_date|date('long') }}",
        "body_html": f"""<p>Dear {{{{ first_name }}}},</p>
<p>Our records show that invoice <strong>{{{{ invoice_number }}}}</strong> on your account
{{{{ account_number }}}} has not been paid yet.</p>
<table role="presentation" {_SUMMARY_TABLE}>
<tr><td {_CELL}>Amount due</td><td {_CELL}><strong>{{{{ amount|money(currency) }}}}</strong></td></tr>
<tr><td {_CELL}>Due date</td><td {_CELL}><strong>{{{{ due_date|date('long') }}}}</strong></td></tr>
</table>
<p style="margin:24px 0;"><a href="{{{{ payment_url }}}}" {_BUTTON}>Pay now</a></p>
<p>If you have paid in the last few days, thank you, and please ignore this reminder:
a payment can take up to three working days to reach us.</p>
<p>If you are finding it hard to pay, call us on 0800 000 0000 (Monday to Friday,
8am to 6pm). We can agree a payment plan that suits you.</p>
<p>Kind regards,<br>Customer Accounts<br>{{{{ brand.name }}}}</p>""",
        "body_text": """Dear {{ first_name }},

Our records show that invoice {{ invoice_number }} on your account {{ account_number }} has not been paid yet.

Amount due: {{ amount|money(currency) }}
Due date: {{ due_date|date('long') }}

Pay online: {{ payment_url }}

If you have paid in the last few days, thank you, and please ignore this reminder: a payment can take up to three working days to reach us.

If you are finding it hard to pay, call us on 0800 000 0000 (Monday to Friday, 8am to 6pm). We can agree a payment plan that suits you.

Kind regards,
Customer Accounts
{{ brand.name }}""",
    },
    ("email", "ja"): {
        "subject": "【お支払いのお願い】お支払い期限：{{ due_date|date('long') }}",
        "body_html": f"""<p>{{{{ customer_name }}}} 様</p>
<p>いつも{{{{ brand.name }}}}をご利用いただき、誠にありがとうございます。</p>
<p>ご契約番号 {{{{ account_number }}}} のご請求（請求書番号 {{{{ invoice_number }}}}）につきまして、
現時点でお支払いを確認できておりません。お手数ですが、下記のお支払い期限までにお支払いくださいますよう
お願い申し上げます。</p>
<table role="presentation" {_SUMMARY_TABLE}>
<tr><td {_CELL}>ご請求金額</td><td {_CELL}><strong>{{{{ amount|money(currency) }}}}</strong></td></tr>
<tr><td {_CELL}>お支払い期限</td><td {_CELL}><strong>{{{{ due_date|date('long') }}}}</strong></td></tr>
</table>
<p style="margin:24px 0;"><a href="{{{{ payment_url }}}}" {_BUTTON}>お支払い手続きへ進む</a></p>
<p>本メールと行き違いでお支払いいただいている場合は、何卒ご容赦ください。
ご入金の確認までに最大3営業日かかる場合がございます。</p>
<p>お支払いについてご不明な点がございましたら、カスタマーセンター（0120-000-000、平日9時～18時）まで
お気軽にお問い合わせください。</p>
<p>{{{{ brand.name }}}} お客様サービス係</p>""",
        "body_text": """{{ customer_name }} 様

いつも{{ brand.name }}をご利用いただき、誠にありがとうございます。

ご契約番号 {{ account_number }} のご請求（請求書番号 {{ invoice_number }}）につきまして、現時点でお支払いを確認できておりません。お手数ですが、下記のお支払い期限までにお支払いくださいますようお願い申し上げます。

ご請求金額：{{ amount|money(currency) }}
お支払い期限：{{ due_date|date('long') }}

お支払い手続き：{{ payment_url }}

本メールと行き違いでお支払いいただいている場合は、何卒ご容赦ください。

{{ brand.name }} お客様サービス係
カスタマーセンター 0120-000-000（平日9時～18時）""",
    },
    ("sms", "en"): {
        "body_text": (
            "Northwind Energy: {{ first_name }}, {{ amount|money(currency) }} on account "
            "{{ account_number }} is due on {{ due_date|date('medium') }}. "
            "Pay at {{ payment_url }} or call 0800 000 0000."
        ),
    },
    ("sms", "ja"): {
        "body_text": (
            "【Northwind Energy】{{ customer_name }}様、ご請求額{{ amount|money(currency) }}の"
            "お支払い期限は{{ due_date|date('short') }}です。お支払いはこちら {{ payment_url }}"
        ),
    },
    ("print", "en"): {
        "subject": "Payment reminder",
        "body_html": """<h2 style="margin:0 0 4mm;">Payment reminder</h2>
<p>Account number: {{ account_number }}<br>Invoice: {{ invoice_number }}</p>
<p>Dear {{ customer_name }},</p>
<p>Our records show that the invoice above has not been paid yet. Please pay
<strong>{{ amount|money(currency) }}</strong> by <strong>{{ due_date|date('long') }}</strong>.</p>
<p>You can pay:</p>
<ul>
<li>online at {{ payment_url }};</li>
<li>by bank transfer to Northwind Energy Ltd, sort code 00-00-00, account 00000000,
quoting your account number {{ account_number }};</li>
<li>by phone on 0800 000 0000 (Monday to Friday, 8am to 6pm).</li>
</ul>
<p>If you have paid in the last few days, thank you, and please ignore this letter.</p>
<p>If you are finding it hard to pay, please talk to us. We can agree a payment plan, and
free, independent advice is available from debt advice charities.</p>
<p>Yours sincerely,</p>
<p>Customer Accounts<br>{{ brand.name }}</p>""",
    },
    ("print", "ja"): {
        "subject": "お支払いのお願い",
        "body_html": """<h2 style="margin:0 0 4mm;">お支払いのお願い</h2>
<p>ご契約番号：{{ account_number }}<br>請求書番号：{{ invoice_number }}</p>
<p>{{ customer_name }} 様</p>
<p>拝啓　平素より{{ brand.name }}をご利用いただき、誠にありがとうございます。</p>
<p>さて、上記のご請求につきまして、現時点でお支払いを確認できておりません。
お手数ではございますが、<strong>{{ due_date|date('long') }}</strong>までに
<strong>{{ amount|money(currency) }}</strong>をお支払いくださいますようお願い申し上げます。</p>
<p>お支払い方法</p>
<ul>
<li>インターネット：{{ payment_url }}</li>
<li>銀行振込：振込先は同封の振込用紙をご確認ください（ご契約番号 {{ account_number }} をご記入ください）。</li>
<li>お電話：カスタマーセンター 0120-000-000（平日9時～18時）</li>
</ul>
<p>なお、本状と行き違いでお支払いいただいている場合は、何卒ご容赦ください。
お支払いが難しい場合は、分割払いのご相談も承っておりますので、お気軽にご連絡ください。</p>
<p style="text-align:right;">敬具</p>
<p style="text-align:right;">{{ brand.name }} お客様サービス係</p>""",
    },
}

# ANNUAL STATEMENT ---------------------------------------------------------------------

STATEMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "first_name",
        "customer_name",
        "account_number",
        "year",
        "tariff_name",
        "currency",
        "opening_balance",
        "closing_balance",
        "total_charges",
        "total_payments",
        "consumption_kwh",
        "transactions",
    ],
    "properties": {
        "first_name": {"type": "string", "minLength": 1},
        "customer_name": {"type": "string", "minLength": 1},
        "account_number": {"type": "string", "pattern": "^NW-[0-9]{6}$"},
        "year": {"type": "integer", "minimum": 2000},
        "tariff_name": {"type": "string"},
        "currency": {"type": "string", "enum": ["GBP", "JPY"]},
        "opening_balance": {"type": "number"},
        "closing_balance": {"type": "number"},
        "total_charges": {"type": "number"},
        "total_payments": {"type": "number"},
        "consumption_kwh": {"type": "number", "minimum": 0},
        "transactions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["date", "kind", "reference", "amount"],
                "properties": {
                    "date": {"type": "string", "format": "date"},
                    "kind": {"type": "string", "enum": ["bill", "payment", "adjustment"]},
                    "reference": {"type": "string"},
                    "amount": {"type": "number"},
                },
            },
        },
    },
}

_TH = 'style="text-align:left;padding:4px 6px;border-bottom:1.5px solid #0b5d4b;"'
_TH_RIGHT = 'style="text-align:right;padding:4px 6px;border-bottom:1.5px solid #0b5d4b;"'
_TD = 'style="padding:2px 6px;border-bottom:0.5px solid #d0d5db;"'
_TD_RIGHT = 'style="padding:2px 6px;border-bottom:0.5px solid #d0d5db;text-align:right;"'

_STATEMENT_TABLE_EN = f"""<table style="width:100%;border-collapse:collapse;font-size:9.5pt;">
<thead><tr><th {_TH}>Date</th><th {_TH}>Description</th><th {_TH}>Reference</th><th {_TH_RIGHT}>Amount</th></tr></thead>
<tbody>
{{% for t in transactions %}}
<tr><td {_TD}>{{{{ t.date|date('medium') }}}}</td>
<td {_TD}>{{% if t.kind == 'bill' %}}Energy bill{{% elif t.kind == 'payment' %}}Payment received, thank you{{% else %}}Account adjustment{{% endif %}}</td>
<td {_TD}>{{{{ t.reference }}}}</td><td {_TD_RIGHT}>{{{{ t.amount|money(currency) }}}}</td></tr>
{{% endfor %}}
</tbody>
</table>"""

_STATEMENT_TABLE_JA = f"""<table style="width:100%;border-collapse:collapse;font-size:9.5pt;">
<thead><tr><th {_TH}>日付</th><th {_TH}>内容</th><th {_TH}>参照番号</th><th {_TH_RIGHT}>金額</th></tr></thead>
<tbody>
{{% for t in transactions %}}
<tr><td {_TD}>{{{{ t.date|date('medium') }}}}</td>
<td {_TD}>{{% if t.kind == 'bill' %}}電気・ガスご利用料金{{% elif t.kind == 'payment' %}}お支払い（ありがとうございました）{{% else %}}調整額{{% endif %}}</td>
<td {_TD}>{{{{ t.reference }}}}</td><td {_TD_RIGHT}>{{{{ t.amount|money(currency) }}}}</td></tr>
{{% endfor %}}
</tbody>
</table>"""

_STATEMENT_SUMMARY_EN = f"""<table style="border-collapse:collapse;margin:4mm 0;">
<tr><td {_TD}>Balance on 1 January {{{{ year }}}}</td><td {_TD_RIGHT}>{{{{ opening_balance|money(currency) }}}}</td></tr>
<tr><td {_TD}>Charges for energy used</td><td {_TD_RIGHT}>{{{{ total_charges|money(currency) }}}}</td></tr>
<tr><td {_TD}>Payments received</td><td {_TD_RIGHT}>{{{{ total_payments|money(currency) }}}}</td></tr>
<tr><td {_TD}><strong>Balance on 31 December {{{{ year }}}}</strong></td><td {_TD_RIGHT}><strong>{{{{ closing_balance|money(currency) }}}}</strong></td></tr>
<tr><td {_TD}>Energy used in the year</td><td {_TD_RIGHT}>{{{{ consumption_kwh|number }}}} kWh</td></tr>
</table>"""

_STATEMENT_SUMMARY_JA = f"""<table style="border-collapse:collapse;margin:4mm 0;">
<tr><td {_TD}>{{{{ year }}}}年1月1日時点の残高</td><td {_TD_RIGHT}>{{{{ opening_balance|money(currency) }}}}</td></tr>
<tr><td {_TD}>ご利用料金合計</td><td {_TD_RIGHT}>{{{{ total_charges|money(currency) }}}}</td></tr>
<tr><td {_TD}>お支払い合計</td><td {_TD_RIGHT}>{{{{ total_payments|money(currency) }}}}</td></tr>
<tr><td {_TD}><strong>{{{{ year }}}}年12月31日時点の残高</strong></td><td {_TD_RIGHT}><strong>{{{{ closing_balance|money(currency) }}}}</strong></td></tr>
<tr><td {_TD}>年間ご使用量</td><td {_TD_RIGHT}>{{{{ consumption_kwh|number }}}} kWh</td></tr>
</table>"""

STATEMENT_VARIANTS: dict[tuple[str, str], dict[str, str]] = {
    ("print", "en"): {
        "subject": "Annual statement {{ year }}",
        "body_html": f"""<h2 style="margin:0 0 4mm;">Your annual statement for {{{{ year }}}}</h2>
<p>Account number: {{{{ account_number }}}}<br>Tariff: {{{{ tariff_name }}}}</p>
<p>Dear {{{{ customer_name }}}},</p>
<p>This is your annual statement. It summarises the energy you used, what we charged and
the payments we received between 1 January and 31 December {{{{ year }}}}. We are required
to send it to you once a year; please keep it with your records.</p>
<h3>Summary</h3>
{_STATEMENT_SUMMARY_EN}
<p>{{% if closing_balance > 0 %}}Your account was in debit at the end of the year: the balance
will be included in your next bill.{{% elif closing_balance < 0 %}}Your account was in credit at
the end of the year. You can ask us to refund the credit at any time.{{% else %}}Your account was
fully paid up at the end of the year.{{% endif %}}</p>
<h3>Transactions</h3>
{_STATEMENT_TABLE_EN}
<h3>Your tariff</h3>
<p>You are on our {{{{ tariff_name }}}} tariff. You can compare it with our other tariffs at any
time at northwind-energy.example/tariffs; switching tariff with us is free, and you will not pay
an exit fee in the last 49 days of a fixed-term tariff.</p>
<h3>Important information</h3>
<p>If anything in this statement looks wrong, please tell us within 30 days: call 0800 000 0000
(Monday to Friday, 8am to 6pm) or write to the address at the top of this letter. If you are
not happy with how we handle a complaint, you can ask the Energy Ombudsman to review it, free of
charge, eight weeks after you first complained. If you are worried about paying for your energy,
free and confidential advice is available from Citizens Advice.</p>
<p>Yours sincerely,<br>Customer Accounts, {{{{ brand.name }}}}</p>""",
    },
    ("print", "ja"): {
        "subject": "{{ year }}年 年間取引報告書",
        "body_html": f"""<h2 style="margin:0 0 4mm;">{{{{ year }}}}年 年間取引報告書</h2>
<p>ご契約番号：{{{{ account_number }}}}<br>ご契約プラン：{{{{ tariff_name }}}}</p>
<p>{{{{ customer_name }}}} 様</p>
<p>平素より{{{{ brand.name }}}}をご利用いただき、誠にありがとうございます。
{{{{ year }}}}年1月1日から12月31日までのご利用量、ご請求額およびお支払いの状況を、
下記のとおりご報告いたします。本報告書は大切に保管してください。</p>
<h3>ご利用状況の概要</h3>
{_STATEMENT_SUMMARY_JA}
<p>{{% if closing_balance > 0 %}}年末時点で未払いの残高がございます。次回のご請求に合算させていただきます。
{{% elif closing_balance < 0 %}}年末時点で過払いの残高がございます。ご希望によりご返金いたします。
{{% else %}}年末時点の残高はございません。{{% endif %}}</p>
<h3>お取引明細</h3>
{_STATEMENT_TABLE_JA}
<h3>ご契約プランについて</h3>
<p>現在のご契約プランは「{{{{ tariff_name }}}}」です。その他の料金プランとの比較は、
northwind-energy.example/tariffs にていつでもご確認いただけます。プランの変更に手数料はかかりません。</p>
<h3>大切なお知らせ</h3>
<p>本報告書の内容に誤りがございましたら、30日以内にカスタマーセンター（0120-000-000、平日9時～18時）
までご連絡いただくか、本状上部の住所まで書面にてお知らせください。当社の対応にご満足いただけない場合は、
電力・ガス取引監視等委員会の相談窓口にご相談いただくこともできます。</p>
<p>今後とも{{{{ brand.name }}}}をよろしくお願い申し上げます。</p>
<p style="text-align:right;">{{{{ brand.name }}}} お客様サービス係</p>""",
    },
    ("email", "en"): {
        "subject": "Your annual statement for {{ year }} is ready",
        "body_html": f"""<p>Dear {{{{ first_name }}}},</p>
<p>Your annual statement for account {{{{ account_number }}}} covers 1 January to
31 December {{{{ year }}}}. Here is the summary; the full statement is also on its way to you
by post.</p>
{_STATEMENT_SUMMARY_EN}
<h3 style="font-size:16px;">Transactions</h3>
{_STATEMENT_TABLE_EN}
<p>If anything looks wrong, please tell us within 30 days on 0800 000 0000.</p>
<p>Kind regards,<br>Customer Accounts<br>{{{{ brand.name }}}}</p>""",
        "body_text": "",
    },
    ("email", "ja"): {
        "subject": "{{ year }}年 年間取引報告書のご案内",
        "body_html": f"""<p>{{{{ customer_name }}}} 様</p>
<p>いつも{{{{ brand.name }}}}をご利用いただき、誠にありがとうございます。
ご契約番号 {{{{ account_number }}}} の{{{{ year }}}}年 年間取引報告書をお送りいたします。
書面でも郵送にてお届けいたします。</p>
{_STATEMENT_SUMMARY_JA}
<h3 style="font-size:16px;">お取引明細</h3>
{_STATEMENT_TABLE_JA}
<p>内容に誤りがございましたら、30日以内にカスタマーセンター（0120-000-000）までご連絡ください。</p>
<p>{{{{ brand.name }}}} お客様サービス係</p>""",
        "body_text": "",
    },
}

# APPOINTMENT REMINDER -----------------------------------------------------------------

APPOINTMENT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": [
        "first_name",
        "customer_name",
        "reference",
        "visit_type",
        "appointment_date",
        "window_start",
        "window_end",
        "engineer_name",
        "reschedule_url",
    ],
    "properties": {
        "first_name": {"type": "string", "minLength": 1},
        "customer_name": {"type": "string", "minLength": 1},
        "reference": {"type": "string", "minLength": 1},
        "visit_type": {
            "type": "string",
            "enum": ["smart_meter", "meter_inspection", "boiler_service"],
        },
        "appointment_date": {"type": "string", "format": "date"},
        "window_start": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "window_end": {"type": "string", "pattern": "^[0-2][0-9]:[0-5][0-9]$"},
        "engineer_name": {"type": "string"},
        "reschedule_url": {"type": "string", "format": "uri"},
    },
}

_VISIT_EN = (
    "{% set visit = {'smart_meter': 'smart meter installation', "
    "'meter_inspection': 'meter inspection', 'boiler_service': 'boiler service'}[visit_type] %}"
)
_VISIT_JA = (
    "{% set visit = {'smart_meter': 'スマートメーター設置工事', "
    "'meter_inspection': 'メーター点検', 'boiler_service': 'ボイラー点検'}[visit_type] %}"
)

APPOINTMENT_VARIANTS: dict[tuple[str, str], dict[str, str]] = {
    ("sms", "en"): {
        "body_text": _VISIT_EN
        + (
            "Northwind Energy: {{ first_name }}, your {{ visit }} is on "
            "{{ appointment_date|date('medium') }} between {{ window_start }} and {{ window_end }}. "
            "Ref {{ reference }}. To change it: {{ reschedule_url }}"
        ),
    },
    ("sms", "ja"): {
        "body_text": _VISIT_JA
        + (
            "【Northwind Energy】{{ customer_name }}様、{{ appointment_date|date('short') }} "
            "{{ window_start }}～{{ window_end }}に{{ visit }}で伺います。"
            "変更 {{ reschedule_url }}"
        ),
    },
    ("email", "en"): {
        "subject": _VISIT_EN + "Your {{ visit }} on {{ appointment_date|date('long') }}",
        "body_html": _VISIT_EN
        + f"""<p>Dear {{{{ first_name }}}},</p>
<p>This is a reminder of your {{{{ visit }}}} appointment.</p>
<table role="presentation" {_SUMMARY_TABLE}>
<tr><td {_CELL}>Date</td><td {_CELL}><strong>{{{{ appointment_date|date('full') }}}}</strong></td></tr>
<tr><td {_CELL}>Time</td><td {_CELL}><strong>{{{{ window_start }}}} to {{{{ window_end }}}}</strong></td></tr>
<tr><td {_CELL}>Engineer</td><td {_CELL}>{{{{ engineer_name }}}}</td></tr>
<tr><td {_CELL}>Reference</td><td {_CELL}>{{{{ reference }}}}</td></tr>
</table>
<p>Our engineer will show their Northwind Energy ID card when they arrive. Please make sure
someone over 18 is at home and that the meter can be reached.</p>
<p style="margin:24px 0;"><a href="{{{{ reschedule_url }}}}" {_BUTTON}>Change or cancel</a></p>
<p>Kind regards,<br>{{{{ brand.name }}}}</p>""",
        "body_text": _VISIT_EN
        + """Dear {{ first_name }},

This is a reminder of your {{ visit }} appointment.

Date: {{ appointment_date|date('full') }}
Time: {{ window_start }} to {{ window_end }}
Engineer: {{ engineer_name }}
Reference: {{ reference }}

Our engineer will show their Northwind Energy ID card when they arrive. Please make sure someone over 18 is at home and that the meter can be reached.

To change or cancel: {{ reschedule_url }}

Kind regards,
{{ brand.name }}""",
    },
    ("email", "ja"): {
        "subject": _VISIT_JA + "【ご予約確認】{{ appointment_date|date('long') }} {{ visit }}",
        "body_html": _VISIT_JA
        + f"""<p>{{{{ customer_name }}}} 様</p>
<p>いつも{{{{ brand.name }}}}をご利用いただき、誠にありがとうございます。
{{{{ visit }}}}のご予約について、下記のとおりご案内いたします。</p>
<table role="presentation" {_SUMMARY_TABLE}>
<tr><td {_CELL}>ご予約日</td><td {_CELL}><strong>{{{{ appointment_date|date('full') }}}}</strong></td></tr>
<tr><td {_CELL}>お伺い時間</td><td {_CELL}><strong>{{{{ window_start }}}}～{{{{ window_end }}}}</strong></td></tr>
<tr><td {_CELL}>担当者</td><td {_CELL}>{{{{ engineer_name }}}}</td></tr>
<tr><td {_CELL}>受付番号</td><td {_CELL}>{{{{ reference }}}}</td></tr>
</table>
<p>当日は担当者が社員証を提示いたします。作業には成人の方の立ち会いをお願いいたします。
また、メーター周辺に物を置かないようご協力をお願いいたします。</p>
<p style="margin:24px 0;"><a href="{{{{ reschedule_url }}}}" {_BUTTON}>ご予約の変更・キャンセル</a></p>
<p>{{{{ brand.name }}}} お客様サービス係</p>""",
        "body_text": "",
    },
}

# SHARED CONTENT -----------------------------------------------------------------------
# Blocks and the brand theme, published before the communications that insert them.

THEME: dict[str, str] = {
    "primary_color": "#0b5d4b",
    "accent_color": "#c77700",
    "text_color": "#1f2933",
    "background_color": "#eef2f1",
    "font_family": "'Noto Sans', 'Noto Sans CJK JP', sans-serif",
    "heading_font_family": "'Noto Sans', 'Noto Sans CJK JP', sans-serif",
    "logo_alt": "Northwind Energy",
}

_HEADER_STYLE = 'style="margin:0 0 16px;font-size:12px;letter-spacing:.04em;color:{{ theme.accent_color|css }};"'
_SMALL = 'style="font-size:12px;color:#52606d;"'

# key -> (name, kind, {(channel, locale): body})
BLOCKS: dict[str, tuple[str, str, dict[tuple[str, str], str]]] = {
    "header": (
        "Account services header",
        "header",
        {
            ("email", "en"): f"<p {_HEADER_STYLE}>ACCOUNT SERVICES · {{{{ brand.name }}}}</p>",
            ("email", "ja"): f"<p {_HEADER_STYLE}>{{{{ brand.name }}}} お客様サービス</p>",
            ("print", "en"): f"<p {_HEADER_STYLE}>Account services</p>",
            ("print", "ja"): f"<p {_HEADER_STYLE}>お客様サービス</p>",
        },
    ),
    "footer": (
        "Contact footer",
        "footer",
        {
            (
                "email",
                "en",
            ): f'<p {_SMALL}>Questions? Call us free on 0800 000 0000 (Monday to Friday, 8am to 6pm) or visit <a href="https://nwe.example/help">nwe.example/help</a>.</p>',
            (
                "email",
                "ja",
            ): f'<p {_SMALL}>ご不明な点は、フリーダイヤル 0120-000-000（平日9時〜18時）または <a href="https://nwe.example/help">nwe.example/help</a> までお問い合わせください。</p>',
            (
                "print",
                "en",
            ): f"<p {_SMALL}>Questions? Call us free on 0800 000 0000 (Monday to Friday, 8am to 6pm) or visit nwe.example/help.</p>",
            (
                "print",
                "ja",
            ): f"<p {_SMALL}>ご不明な点は、フリーダイヤル 0120-000-000（平日9時〜18時）までお問い合わせください。</p>",
        },
    ),
    "legal": (
        "Regulatory notice",
        "legal",
        {
            (
                "email",
                "en",
            ): f"<p {_SMALL}>Northwind Energy Ltd is licensed by Ofgem to supply gas and electricity. If we cannot resolve a complaint within eight weeks, you may refer it to the Energy Ombudsman free of charge.</p>",
            (
                "email",
                "ja",
            ): f"<p {_SMALL}>Northwind Energy Ltd は Ofgem の認可を受けたガス・電気の小売事業者です。8週間以内に苦情を解決できない場合は、エネルギー・オンブズマンに無料で申し立てることができます。</p>",
            (
                "print",
                "en",
            ): f"<p {_SMALL}>Northwind Energy Ltd is licensed by Ofgem to supply gas and electricity. If we cannot resolve a complaint within eight weeks, you may refer it to the Energy Ombudsman free of charge.</p>",
            (
                "print",
                "ja",
            ): f"<p {_SMALL}>Northwind Energy Ltd は Ofgem の認可を受けたガス・電気の小売事業者です。8週間以内に苦情を解決できない場合は、エネルギー・オンブズマンに無料で申し立てることができます。</p>",
        },
    ),
}


def with_blocks(
    variants: dict[tuple[str, str], dict[str, str]], *, letters: bool = True
) -> dict[tuple[str, str], dict[str, str]]:
    """The variants with the brand's header, contact footer and regulatory notice inserted
    in email bodies (and the footer and notice in written text parts), and the notice at
    the end of letters."""
    out = {}
    for (channel, locale), fields in variants.items():
        fields = dict(fields)
        if channel == Channel.EMAIL and fields.get("body_html"):
            fields["body_html"] = (
                '{{ block("header") }}\n'
                + fields["body_html"]
                + '\n{{ block("footer") }}\n{{ block("legal") }}'
            )
        if channel == Channel.PRINT and letters and fields.get("body_html"):
            # Letters keep their length: the regulatory notice only.
            fields["body_html"] += '\n{{ block("legal") }}'
        if channel == Channel.EMAIL and fields.get("body_text", "").strip():
            fields["body_text"] += '\n\n{{ block("footer") }}\n\n{{ block("legal") }}'
        out[(channel, locale)] = fields
    return out


COMMUNICATIONS: list[dict[str, Any]] = [
    {
        "key": "payment-reminder",
        "name": "Payment reminder",
        "description": "Sent when an invoice is still open seven days before it is due.",
        "category": "transactional",
        "purpose": "request_payment",
        "owner_team": "Customer Accounts",
        "data_schema": PAYMENT_SCHEMA,
        "variants": with_blocks(PAYMENT_VARIANTS),
    },
    {
        "key": "annual-statement",
        "name": "Annual statement",
        "description": "The yearly statement of account every customer must receive.",
        "category": "regulatory",
        "purpose": "regulatory_notice",
        "owner_team": "Billing Compliance",
        "data_schema": STATEMENT_SCHEMA,
        "variants": with_blocks(STATEMENT_VARIANTS),
    },
    {
        "key": "appointment-reminder",
        "name": "Appointment reminder",
        "description": "The day-before reminder of an engineer's visit.",
        "category": "transactional",
        "purpose": "notify",
        "owner_team": "Field Services",
        "data_schema": APPOINTMENT_SCHEMA,
        "variants": with_blocks(APPOINTMENT_VARIANTS),
    },
]


# DATA ---------------------------------------------------------------------------------


def payment_data(
    *,
    first_name: str,
    customer_name: str,
    account_number: str,
    currency: str,
    rng: random.Random,
    today: dt.date,
) -> dict[str, Any]:
    """The data of one payment reminder: an open invoice due in one to three weeks."""
    if currency == "JPY":
        amount: float = rng.randint(30, 450) * 100 + rng.choice([0, 20, 50, 80])
    else:
        amount = round(rng.uniform(25, 320), 2)
    return {
        "first_name": first_name,
        "customer_name": customer_name,
        "account_number": account_number,
        "invoice_number": f"INV-{today.year}-{rng.randint(10000, 99999)}",
        "amount": amount,
        "currency": currency,
        "due_date": (today + dt.timedelta(days=rng.randint(7, 21))).isoformat(),
        "payment_url": PAYMENT_URL + account_number,
    }


def statement_data(
    *,
    first_name: str,
    customer_name: str,
    account_number: str,
    currency: str,
    rng: random.Random,
    year: int,
) -> dict[str, Any]:
    """A year of monthly bills and payments whose totals add up."""
    scale = 150 if currency == "JPY" else 1
    opening = round(rng.uniform(-40, 60) * scale, 0 if currency == "JPY" else 2)
    transactions = []
    charges = payments = 0.0
    for month in range(1, 13):
        bill = round(rng.uniform(55, 140) * scale, 0 if currency == "JPY" else 2)
        paid = -round(bill if rng.random() < 0.85 else bill * 0.8, 0 if currency == "JPY" else 2)
        transactions.append(
            {
                "date": dt.date(year, month, 5).isoformat(),
                "kind": "bill",
                "reference": f"INV-{year}-{month:02d}{rng.randint(100, 999)}",
                "amount": bill,
            }
        )
        transactions.append(
            {
                "date": dt.date(year, month, 20).isoformat(),
                "kind": "payment",
                "reference": f"DD-{year}{month:02d}",
                "amount": paid,
            }
        )
        charges += bill
        payments += paid
    digits = 0 if currency == "JPY" else 2
    return {
        "first_name": first_name,
        "customer_name": customer_name,
        "account_number": account_number,
        "year": year,
        "tariff_name": "Northwind Fixed 12M" if currency == "GBP" else "ノースウィンド定額プラン",
        "currency": currency,
        "opening_balance": opening,
        "closing_balance": round(opening + charges + payments, digits),
        "total_charges": round(charges, digits),
        "total_payments": round(payments, digits),
        "consumption_kwh": rng.randint(1800, 4200),
        "transactions": transactions,
    }


def appointment_data(
    *, first_name: str, customer_name: str, rng: random.Random, today: dt.date
) -> dict[str, Any]:
    start = rng.choice(["08:00", "10:00", "12:00", "14:00"])
    end = f"{int(start[:2]) + 4:02d}:00"
    reference = f"VIS-{rng.randint(100000, 999999)}"
    return {
        "first_name": first_name,
        "customer_name": customer_name,
        "reference": reference,
        "visit_type": rng.choice(["smart_meter", "meter_inspection", "boiler_service"]),
        "appointment_date": (today + dt.timedelta(days=1)).isoformat(),
        "window_start": start,
        "window_end": end,
        "engineer_name": rng.choice(["Sam Patel", "Jo Evans", "Priya Shah"]),
        "reschedule_url": RESCHEDULE_URL + reference,
    }


def sample_data(key: str, *, today: dt.date) -> dict[str, Any]:
    """The sample data a communication's previews show (an English customer)."""
    rng = random.Random(key)
    who = {"first_name": "Emma", "customer_name": "Emma Clarke"}
    if key == "payment-reminder":
        return payment_data(**who, account_number="NW-104233", currency="GBP", rng=rng, today=today)
    if key == "annual-statement":
        return statement_data(
            **who, account_number="NW-104233", currency="GBP", rng=rng, year=today.year - 1
        )
    if key == "appointment-reminder":
        return appointment_data(**who, rng=rng, today=today)
    raise KeyError(key)
