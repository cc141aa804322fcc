"""Redaction on product-support messages: what must be masked, and what experts need kept.

A second golden corpus beside test_redaction.py, written as customers of an outdoor, coffee,
electronics and bike brand write: part and model numbers, order and tracking numbers,
barcodes, firmware versions, sizes, prices and dates must reach the expert untouched;
cards, bank accounts, phone numbers, e-mail and street addresses must not. Card and IBAN
numbers are published test numbers; phone numbers come from fictional or example ranges.
"""

from __future__ import annotations

import pytest

from routing.text import Redaction, redact

# What the customer wrote, and what the expert sees.
SUPPORT_MASKED: list[tuple[str, str]] = [
    # --- phone numbers in support conversations
    ("Call me back on 555-123-4567 after 5pm", "Call me back on [phone] after 5pm"),
    ("I rang 1-800-555-0199 twice and nobody answered", "I rang [phone] twice and nobody answered"),
    ("1-800-555-0199 is the number on your website", "[phone] is the number on your website"),
    ("Your hotline 1 (800) 555-0199 just hangs up", "Your hotline [phone] just hangs up"),
    ("My mobile is +44 7700 900123 if that is easier", "My mobile is [phone] if that is easier"),
    ("text me on +1 202 555 0143 when it ships", "text me on [phone] when it ships"),
    ("Erreichbar unter 030 12345678 ab 18 Uhr", "Erreichbar unter [phone] ab 18 Uhr"),
    ("Bitte rufen Sie mich an: +49 30 1234567", "Bitte rufen Sie mich an: [phone]"),
    ("Mon portable : +33 6 12 34 56 78", "Mon portable : [phone]"),
    ("WhatsApp me at +31 6 12345678 with photos", "WhatsApp me at [phone] with photos"),
    ("You can reach me at (555) 123-4567 most days", "You can reach me at [phone] most days"),
    ("Call 0044 20 7946 0958, ask for the workshop", "Call [phone], ask for the workshop"),
    ("my husband's cell is 555.123.4567", "my husband's cell is [phone]"),
    ("Phone: +41 44 668 18 00", "Phone: [phone]"),
    ("Telefon 0761 1234567, tagsüber", "Telefon [phone], tagsüber"),
    ("tel. +43 1 234567890", "tel. [phone]"),
    ("Chiamami al +39 06 1234 5678", "Chiamami al [phone]"),
    ("Llámame al +34 612 34 56 78 por favor", "Llámame al [phone] por favor"),
    ("the courier called from +44 20 7946 0018", "the courier called from [phone]"),
    ("Call 555-123-4567 or 555-123-4568", "Call [phone] or [phone]"),
    # --- e-mail
    ("Send the return label to sam.rivers@example.com", "Send the return label to [email]"),
    ("My account is under j.smith+gear@example.org", "My account is under [email]"),
    ("write to me at jo dot lee at example dot com", "write to me at [email]"),
    (
        "Receipt was sent to max.muster@example.de, nicht angekommen",
        "Receipt was sent to [email], nicht angekommen",
    ),
    ("email: ana_perez@example.es", "email: [email]"),
    ("cc my colleague tom[at]example[dot]com", "cc my colleague [email]"),
    (
        "I registered the bike as k.ito@example.net in 2021",
        "I registered the bike as [email] in 2021",
    ),
    (
        "Warranty confirmation went to OLD.ADDRESS@EXAMPLE.COM",
        "Warranty confirmation went to [email]",
    ),
    # --- payment cards
    (
        "You charged my card 4111 1111 1111 1111 twice for order 88213",
        "You charged my card [card] twice for order 88213",
    ),
    (
        "Refund to 5555 5555 5555 4444 please, not store credit",
        "Refund to [card] please, not store credit",
    ),
    (
        "card ending... actually the full number is 4242-4242-4242-4242",
        "card ending... actually the full number is [card]",
    ),
    ("Paid with Amex 3782 822463 10005 on 12/03", "Paid with Amex [card] on 12/03"),
    ("Visa 4000056655665556 exp 09/28 cvc 737", "Visa [card] exp 09/28 cvc 737"),
    (
        "Meine Kreditkarte 5105 1051 0510 5100 wurde belastet",
        "Meine Kreditkarte [card] wurde belastet",
    ),
    (
        "Discover card 6011-1111-1111-1117 for the espresso machine",
        "Discover card [card] for the espresso machine",
    ),
    ("Mastercard 2223 0031 2200 3222, 129.99 EUR", "Mastercard [card], 129.99 EUR"),
    ("The tent was paid with 4111.1111.1111.1111", "The tent was paid with [card]"),
    ("JCB 3530111333300000 declined at checkout", "JCB [card] declined at checkout"),
    # --- bank accounts
    ("Please refund to IBAN DE89 3704 0044 0532 0130 00", "Please refund to IBAN [iban]"),
    ("Überweisung bitte auf DE89370400440532013000", "Überweisung bitte auf [iban]"),
    ("my bank: GB82 WEST 1234 5698 7654 32 (Sam Rivers)", "my bank: [iban] (Sam Rivers)"),
    ("Remboursement sur FR14 2004 1010 0505 0001 3M02 606 svp", "Remboursement sur [iban] svp"),
    ("NL91ABNA0417164300 is my account for the refund", "[iban] is my account for the refund"),
    ("Konto AT61 1904 3002 3457 3201, danke", "Konto [iban], danke"),
    ("refund IBAN CH93 0076 2011 6238 5295 7", "refund IBAN [iban]"),
    ("ES91 2100 0418 4502 0005 1332 for the bike refund", "[iban] for the bike refund"),
    ("IT60 X054 2811 1010 0000 0123 456, grazie", "[iban], grazie"),
    ("BE68 5390 0754 7034 please", "[iban] please"),
    # --- street addresses
    (
        "Ship the replacement to 221B Baker Street, London NW1 6XE",
        "Ship the replacement to [address]",
    ),
    ("I live at 12 Main St, Springfield, IL 62704", "I live at [address]"),
    ("Lieferung an Hauptstraße 5, 10115 Berlin bitte", "Lieferung an [address] bitte"),
    ("Send it to PO Box 1234 instead", "Send it to [address] instead"),
    ("Adresse: 12 rue de Rivoli, 75001 Paris", "Adresse: [address]"),
    (
        "The parcel went to 48 Oak Avenue instead of my house",
        "The parcel went to [address] instead of my house",
    ),
    ("Berliner Str. 12a, 80331 München is the shop address?", "[address] is the shop address?"),
    ("Pick-up from 7 Harbour Road, Apt 3, please", "Pick-up from [address], please"),
    ("Calle Mayor 5, Madrid — the delivery address", "[address], Madrid — the delivery address"),
    ("Via Roma 10 is where it should have gone", "[address] is where it should have gone"),
    ("deliver to Am Markt 3 in Lüneburg", "deliver to [address] in Lüneburg"),
    ("Postfach 4411 ist besser", "[address] ist besser"),
    ("It's 1600 Pennsylvania Avenue, before you ask", "It's [address], before you ask"),
    # --- several kinds at once
    (
        "Order 88213: card 4111 1111 1111 1111, call me on 555-123-4567",
        "Order 88213: card [card], call me on [phone]",
    ),
    (
        "Refund DE89 3704 0044 0532 0130 00 and mail me at sam.rivers@example.com",
        "Refund [iban] and mail me at [email]",
    ),
    ("New address 48 Oak Avenue, phone +44 20 7946 0958", "New address [address], phone [phone]"),
    (
        "Trailblazer 2 size 42, card 5555 5555 5555 4444, email jo@example.com",
        "Trailblazer 2 size 42, card [card], email [email]",
    ),
    (
        "Model RX-400 arrived broken; ring 030 12345678 or write to k@example.de",
        "Model RX-400 arrived broken; ring [phone] or write to [email]",
    ),
    (
        "Part TB2-4471-09 missing, send to 12 Main St, Springfield, IL 62704",
        "Part TB2-4471-09 missing, send to [address]",
    ),
    ("Serial SN-88412, my number is +49 170 1234567", "Serial SN-88412, my number is [phone]"),
    (
        "UPC 012345678905 on the box; my card was 4242 4242 4242 4242",
        "UPC 012345678905 on the box; my card was [card]",
    ),
    (
        "Tracking 1Z999AA10123456784, call me on 555-123-4567",
        "Tracking 1Z999AA10123456784, call me on [phone]",
    ),
    (
        "Invoice 2024-0042 was paid from GB82WEST12345698765432",
        "Invoice 2024-0042 was paid from [iban]",
    ),
    (
        "Firmware 3.2.1 bricked it; reach me on +1 202 555 0143",
        "Firmware 3.2.1 bricked it; reach me on [phone]",
    ),
    (
        "Espresso Pro 2 order #55102 — mail a.b@example.com",
        "Espresso Pro 2 order #55102 — mail [email]",
    ),
    (
        "Zelt Ridgeline 2P, Bestellung 55102, Tel. 0761 1234567",
        "Zelt Ridgeline 2P, Bestellung 55102, Tel. [phone]",
    ),
    ("The frame 54 cm, card 3714-496353-98431", "The frame 54 cm, card [card]"),
    (
        "My old phone was 555-123-4567, new one +44 7700 900123",
        "My old phone was [phone], new one [phone]",
    ),
    (
        "Paid 89,95 € from DE89370400440532013000 on 03.11.2024",
        "Paid 89,95 € from [iban] on 03.11.2024",
    ),
    (
        "email sam.rivers@example.com, tel 555-123-4567, ship to 48 Oak Avenue",
        "email [email], tel [phone], ship to [address]",
    ),
    ("Ticket 4471: card 6011 1111 1111 1117 charged 3x", "Ticket 4471: card [card] charged 3x"),
    (
        "Karte 4111 1111 1111 1111, Rückruf unter +49 30 1234567",
        "Karte [card], Rückruf unter [phone]",
    ),
    ("Please don't call 555-123-4567 after 9pm", "Please don't call [phone] after 9pm"),
    (
        "Battery 36V 10.4Ah died — my number: +31 6 12345678",
        "Battery 36V 10.4Ah died — my number: [phone]",
    ),
    ("Size 10.5 US / 44 EU; address 7 Harbour Road", "Size 10.5 US / 44 EU; address [address]"),
    (
        "Grinder setting 12 is too fine. jo.lee@example.com",
        "Grinder setting 12 is too fine. [email]",
    ),
    ("Item 100-200-3000 missing; call +44 20 7946 0018", "Item 100-200-3000 missing; call [phone]"),
    ("EAN 4006381333931, paid with 4111111111111111", "EAN 4006381333931, paid with [card]"),
    ("Case 77812 — my IBAN NL91 ABNA 0417 1643 00", "Case 77812 — my IBAN [iban]"),
    ("order 12 4111 1111 1111 1111 (card)", "order 12 [card] (card)"),
    ("Ref A-3345. Phone +33 6 12 34 56 78.", "Ref A-3345. Phone [phone]."),
]

# Product-support messages with nothing to mask: every number here is one an expert needs.
SUPPORT_KEPT: list[str] = [
    # part, model and serial numbers
    "The part number on the buckle is TB2-4471-09",
    "part 555-123-4567 is the replacement strap, is it in stock?",
    "Model XR-500 stopped heating after the update",
    "My model number is 2023-11-05 according to the sticker",
    "Serial number SN 4111 2345 6789 on the base plate",
    "s/n 100200300400 under the water tank",
    "P/N 88-4471-02 for the pole section",
    "Item 100-200-3000 was missing from the box",
    "The espresso machine is the EP-2200, bought 2022",
    "Teilenummer 4471-0923 passt nicht",
    "Modell RX-400, Baujahr 2021",
    "Art.-Nr. 4006381 ist ausverkauft",
    "Ridgeline 2P tent pole section C3 snapped",
    "Which gasket fits the Espresso Pro 2 (model EP2-230V)?",
    "Do you sell the 29x2.4 tube for the Trail 900?",
    "The chain is a KMC X11-93, 118 links",
    "Firmware 3.2.1 bricked my GPS watch",
    "Version 10.4.2 of the app keeps crashing",
    "Battery pack BP-36V-10.4Ah shows error E07",
    "error code 0x80070057 when pairing",
    "The display shows E-104 then restarts",
    "I need the 12V 2A power supply for the grinder",
    "Batch 20231105 of the beans tastes burnt",
    "Lot number 4471A on the bag",
    # order, invoice, tracking and case numbers
    "Order 1234567890 has not arrived",
    "order number 5551234567 shows delivered but it's not here",
    "My order #55102 arrived with the wrong size",
    "Invoice 2024-0042 lists two tents but I ordered one",
    "Tracking number 1Z999AA10123456784 hasn't moved in a week",
    "Sendungsnummer 00340434161094042557 hängt seit Montag",
    "Case 77812 was closed but nothing was fixed",
    "Ticket 4471 is still open",
    "Bestellung 55102: falsche Farbe geliefert",
    "commande 4471-2023 reçue incomplète",
    "Reference 88213 from your email",
    "Customer number 100234, order 55102",
    "Order 4111 1111 1111 1112 (that's what the receipt says)",
    "RMA 20231105-04 was approved last week",
    "Return label for order 88213 doesn't print",
    "The parcel 4471 2345 6789 was returned to sender",
    # barcodes
    "UPC 012345678905 on the box doesn't match the product",
    "EAN 4006381333931 is printed on the label",
    "The barcode says 5901234123457",
    "GTIN 00012345678905 for the refill pack",
    "ISBN 9780306406157 for the repair manual",
    # sizes, measurements and quantities
    "Size 42 fits but 42.5 would be better",
    "Size 10.5 US / 44 EU / 9.5 UK",
    "The frame is 54 cm and I am 178 cm tall",
    "The tent weighs 2.1 kg, not 1.8 kg as listed",
    "It holds 1.5 l of water and 250 g of beans",
    "Tyre pressure 2.5 bar front, 2.8 bar rear",
    "The grinder setting 12 is too fine for a French press",
    "I brewed 18 g in, 36 g out in 28 seconds",
    "It is 240 x 130 x 105 cm when pitched",
    "The battery lasts 3 hours instead of 8",
    "Water temperature reads 93 C but tastes cold",
    "Waist 32, inseam 34",
    "the 2P tent sleeps 2 people, does the 3P fit 3?",
    "Shoe width E vs 2E?",
    "I weigh 95 kg, is the 120 kg limit enough?",
    # money, dates and times
    "I paid 129.99 EUR on 12/03/2024",
    "The price dropped from 89,95 € to 69,95 € a day after I bought it",
    "Bought it on 2024-11-05, warranty is 2 years",
    "Delivered 03.11.2024 at 14:30",
    "It broke after 3 months and 14 days",
    "Can I return it before 31/12?",
    "Refund of $45.00 hasn't shown up after 10 days",
    "My receipt total is 1,249.00",
    "Der Preis war 249,00 EUR",
    "We ordered 4 of them at 19.99 each",
    "Opening hours 9:00-17:30?",
    "The discount code WINTER24 took off 15%",
    "It worked from 2019 to 2023 without trouble",
    # numbers that look like phones or cards but are not
    "My number is 5551234567 on the loyalty card",
    "The number on the box is 4471234567",
    "Die Nummer auf dem Karton ist 4471234567",
    "Lid code 030 1234, ref 030 1234567",
    "ref 030 1234567 in the letter",
    "Version 555.123.4567 of the firmware? That's what it says",
    "order 4242424242424241 (not a card)",
    "Warranty card 4471 2345 6789 0123 is stamped",
    "Coordinates 52.5200, 13.4050 for the campsite",
    "Stove output 2.6 kW, 9000 BTU",
    "Bluetooth 5.3, 2.4 GHz",
    "IP68 rated, 1.5 m for 30 min",
    "USB-C 20 W, 5 V / 3 A",
    "1,000 km on the odometer",
    "The count says 4111 shots since descaling",
    "DE89 3704 0044 0532 0130 0 is not my IBAN, it is a typo in your form",
    "Error 404 on the warranty page",
    # ordinary support talk
    "Hello, does the tent fit two people and a dog?",
    "How do I clean them? They are the Trailblazer 2",
    "The zip on the Ridgeline 2P is stuck halfway",
    "Can I wash the sleeping bag at 30 degrees?",
    "The milk frother is too loud, is that normal?",
    "Why is my espresso sour?",
    "Do the brake pads fit a Shimano MT200?",
    "My gears skip on the 3rd and 4th cog",
    "The sole is peeling after two weeks of light use",
    "I'd like a person, not a bot please",
    "This is the third time I have asked about this",
    "Is the down jacket waterproof or only water resistant?",
    "Which descaler do you recommend for hard water?",
    "Thank you, that solved it!",
    "The left shoe squeaks when I walk uphill",
    "Can I get a replacement footprint for the tent?",
    "Bitte schicken Sie mir eine Anleitung auf Deutsch",
    "Le filtre ne rentre pas dans la machine",
    "¿Tienen repuestos para el molinillo?",
    "Il manico della moka si è rotto",
    "Geliefert am 03.11.2024, kaputt am 05.11.2024",
]


@pytest.mark.parametrize(("written", "seen"), SUPPORT_MASKED)
def test_support_messages_hide_personal_data(written: str, seen: str) -> None:
    assert redact(written).text == seen


@pytest.mark.parametrize("written", SUPPORT_KEPT)
def test_support_messages_keep_what_experts_need(written: str) -> None:
    assert redact(written) == Redaction(written, [])


def test_the_support_corpus_is_large_enough_to_mean_something() -> None:
    assert len(SUPPORT_MASKED) + len(SUPPORT_KEPT) >= 200
    assert len(SUPPORT_MASKED) >= 80
    assert len(SUPPORT_KEPT) >= 100
