# ruff: noqa: E501
# The hand-written posts below are kept one per line so that they read (and diff) like posts;
# wrapping them at 100 columns would make the corpus much harder to review.
"""Build ``demo_posts.jsonl``: invented social posts for three invented brands, replayed on first run.

Run it with ``python -m ingest.demo.build_demo``. The output is fully determined by :data:`SEED`,
so re-running it reproduces the committed file byte for byte.

Everything here is invented for the demo: the brands (#BrewNorth, a coffee roaster; #TrailPeak,
outdoor gear; #GlowLab, skincare), their products, every author, handle and URL host. The story the
data tells, so that dashboards have something to find:

* two ordinary days of chatter, about 55 % positive, 30 % neutral and 15 % negative;
* a #GlowLab giveaway on the first evening, with a cluster of "tag two friends" entries;
* on the last afternoon, #TrailPeak emails a zipper recall for its Ridgeline 2 jacket with every
  customer's address in the To: field, asks for store credit only and return postage, and its recall
  page falls over: about 70 angry, widely shared posts within 40 minutes;
* a handful of posts a brand-safety filter must catch: profanity, insults, scam links, weapons
  and drugs.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Final

from contract import RawPost
from ingest.demo import demo_posts_path

SEED: Final = 20261120
END: Final = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
START: Final = END - timedelta(hours=48)
BURST_START: Final = datetime(2026, 11, 20, 16, 52, tzinfo=UTC)
BURST_MINUTES: Final = 40
GIVEAWAY_START: Final = datetime(2026, 11, 18, 19, 0, tzinfo=UTC)
GIVEAWAY_END: Final = datetime(2026, 11, 19, 23, 0, tzinfo=UTC)

# Sizes of each part of the story; the overall sentiment mix follows from them (see module doc).
N_BURST: Final = 70
N_GIVEAWAY: Final = 24
N_REGULAR: Final = {"positive": 323, "neutral": 181, "negative": 26}
N_AUTHORS: Final = 250

BRANDS: Final = ("brewnorth", "trailpeak", "glowlab")
BRAND_TAG: Final = {"brewnorth": "#BrewNorth", "trailpeak": "#TrailPeak", "glowlab": "#GlowLab"}
BRAND_SHARE: Final = {"brewnorth": 0.37, "trailpeak": 0.30, "glowlab": 0.33}
BRAND_TAG_RE: Final = re.compile(r"#(brewnorth|trailpeak|glowlab)\b", re.IGNORECASE)

# How each brand's own account is written when a post @-mentions it, per network.
BRAND_MENTION: Final = {
    "brewnorth": {
        "mastodon": "@brewnorth@social.example.net",
        "bluesky": "@brewnorth.example",
        "x": "@BrewNorthCoffee",
        "instagram": "@brewnorth.roasters",
        "reddit": "BrewNorth",
        "youtube": "@BrewNorthCoffee",
    },
    "trailpeak": {
        "mastodon": "@trailpeak@hikers.example.social",
        "bluesky": "@trailpeak.example",
        "x": "@TrailPeakGear",
        "instagram": "@trailpeak.gear",
        "reddit": "TrailPeak",
        "youtube": "@TrailPeakGear",
    },
    "glowlab": {
        "mastodon": "@glowlab@social.example.net",
        "bluesky": "@glowlab.example",
        "x": "@GlowLabSkin",
        "instagram": "@glowlab.skin",
        "reddit": "GlowLab",
        "youtube": "@GlowLabSkin",
    },
}

# The hand-written corpus. A header ``[key=value ...]`` applies to the lines under it:
# brand, sentiment, kind (post, cross, youtube, giveaway, burst, unsafe), lang, platform, why.
# Placeholders: {tag} is the header brand's hashtag; {tag_b}/{tag_t}/{tag_g} name a brand
# explicitly; {brand} is the brand's own account; {friend} and {friend2} are other users.
CORPUS: Final = """
[brand=brewnorth sentiment=positive]
First bag of Fjord Blend from {tag} and my kitchen smells like a chocolate shop. Pour-over at 93°C, 1:16, zero regrets.
Opened the Solstice Blend this morning: orange peel, cinnamon, something like dark caramel. {tag} nailed the winter seasonal again.
Switched my café order to the Northern Lights espresso at {tag} Harbour Street and honestly my flat white will never be the same.
Brew Club box #6 arrived a day early. The Huila washed is bright and juicy, exactly what I needed on a grey morning. {tag}
Decaf that actually tastes like coffee? Driftwood Decaf from {tag} is my 9pm treat now. No jitters, all cocoa.
Look at this crema 😍 Northern Lights in my little lever machine, pulled on the first try. {tag}
Big thanks to the barista at {tag} who walked me through dialing in my grinder. Came home, tried it, best shot I've ever made.
Shelfie time: three {tag} bags lined up for the week. Fjord for mornings, Guji for weekends, Driftwood for evenings.
My dad, who has drunk instant coffee for 40 years, asked me where he can buy the Fjord Blend. {tag} converted a man.
The Polar cold brew cans from {tag} are dangerously drinkable. Smooth, not bitter, and the can design is gorgeous.
Their packaging is fully compostable and the roast date is printed right on the front. Small thing, matters a lot. {tag}
Gifted my neighbour a bag of Solstice Blend for helping with the move and she texted me a heart emoji at 7am. {tag} for the win.
Kenya peaberry from {tag}: blackcurrant, a bit of tomato leaf in a good way, super clean finish. V60, 15g to 250g.
Roastery tour at {tag} today. Watched a batch come out of the drum and got to cup four coffees side by side. Nerd heaven.
{tag} customer service is the real deal. My grinder question got a two-paragraph answer from an actual roaster.
Aeropress + Fjord Blend + a cold morning on the balcony. Simple pleasures. {tag}
I keep saying I'll try other roasters and then the Brew Club email lands and I just... renew. {tag} has me hooked.
Latte art is still a heart-shaped blob but the coffee underneath is excellent. Northern Lights from {tag}, oat milk, no sugar.
Ordered Sunday night, roasted Monday, on my doorstep Tuesday. Fresh beans make such a difference. {tag}
The enamel mug from the {tag} merch drop survived a camping trip and my toddler. Worth every penny.
Finally tried the Guji natural everyone's been hyping. Blueberry bomb. I get it now. {tag}
Coffee date at {tag} with {friend}: cardamom bun and the filter of the day. Perfect afternoon.
Work-from-home survival kit: a big mug of {tag} Fjord Blend and a playlist of rain sounds. Productivity unlocked.
Tried the {tag} Solstice Blend as a cold brew on a whim. Tastes like a chocolate orange. Absolutely doing that again.
[brand=brewnorth sentiment=neutral]
Does anyone know if {tag} ships to Norway? The checkout only lists EU countries.
{brand} is the Solstice Blend coming back in whole bean or ground only this year?
What grind size are people using for the Fjord Blend in a French press? Mine comes out a bit muddy. {tag}
Trying {tag} for the first time tomorrow. Fjord or Guji for a milk drink?
PSA: the {tag} Harbour Street café closes early today for a private event, per the sign on the door.
Is the Brew Club subscription pausable? Going away for three weeks in December. {tag}
Comparing {tag} Northern Lights vs my usual supermarket espresso beans in a blind test tonight. Results tomorrow.
{brand} do you offer a discount for returning the empty bags? Saw something about a refill scheme.
Got a bag of {tag} Driftwood Decaf as a gift. How long does it stay fresh once opened?
Noticed {tag} has new labels on the bags. Same coffee, different font, I think?
Is the {tag} cold brew concentrate meant to be diluted 1:1 or 1:2? Instructions on the bottle are smudged.
Anyone tried the {tag} roastery cupping class? Thinking about booking it as a birthday present.
Stocking up before Black Friday. Does {tag} usually do a sale or is it just the gift bundle?
Reading the {tag} sourcing report. They list the farm and the price paid per kilo for every coffee, which is interesting.
My local deli just started stocking {tag}. Didn't see that coming.
Long-time lurker. Been buying {tag} Fjord Blend for a year and want to branch out. What should I try next if I like chocolatey, low-acid coffee?
How does {tag} pick the Brew Club coffees each month? Is it always a single origin plus a blend?
[brand=brewnorth sentiment=negative]
Ordered a week ago, tracking hasn't moved since 'label created'. {brand} any update? {tag}
Bag of Fjord Blend arrived with the valve ripped and the beans taste stale. Roast date was over a month ago. Disappointing, {tag}.
Brew Club charged me twice this month. Emailed support two days ago, nothing back yet. {tag}
£19 for 250g is getting steep. Love the coffee but {tag} prices keep creeping up.
Queue at {tag} Harbour Street was 25 minutes and my flat white came out lukewarm. Off day, I hope.
The new Solstice Blend is way darker than last year's. Tastes roasty and flat to me. {tag} what changed?
Courier left my {tag} parcel in the rain. Box soaked, beans fine, mood not fine.
Why does the {tag} app log me out every single time I try to reorder? Gave up and used the website.
Got ground coffee instead of whole beans. Second time this has happened. {tag} please check your packing.
[brand=trailpeak sentiment=positive]
Three days of sideways rain in the Highlands and the {tag} Ridgeline 2 kept me bone dry. Pit zips are a lifesaver on the climbs.
Switchback 45 packed for the weekend: tent, quilt, stove, two days of food and room to spare. {tag} makes good packs.
Summit photo in my {tag} Drift down jacket. -8°C with wind and I was toasty.
Broke in the {tag} Talus boots on a 22km loop. Zero blisters, which never happens to me.
The Basecamp 2P pitched in under four minutes in fading light. {tag} thank you for colour-coded poles.
Alpenglow headlamp from {tag} lasted all three nights on one charge. Red light mode is perfect for the tent.
Shoutout to the {tag} repair service: sent my 6-year-old pack in for a broken buckle, got it back for free in ten days.
Cairn poles saved my knees on the descent today. Light, the flick-locks are solid, no slipping. {tag}
First winter camp with {friend}. Gear list: {tag} Basecamp 2P, Drift jacket, lots of tea. Would do again.
The Loft merino base layer went five days without smelling. My tentmate can confirm. {tag}
Here it is: my whole kit for the big trip laid out on the living room floor. Mostly {tag}, no regrets.
Kids' sizes that aren't just shrunk adult colours? {tag} got it right. My 9-year-old refuses to take her jacket off.
{tag} Summit bottle kept my tea hot for 14 hours on the ridge. Genuinely impressed.
Used the Scree gaiters through a boggy section and my socks stayed dry. {tag} quietly making great stuff.
Black Friday came early: grabbed the Switchback 45 at {tag} and the staff spent 20 minutes fitting it properly.
Sunrise from the tent door. {tag} Basecamp 2P handled gusts all night without a single flap.
Love that {tag} publishes repair guides for every product. Fixed a torn pole sleeve on my tent myself in half an hour.
Ran my first trail ultra in the {tag} running vest. Nothing bounced, nothing chafed. 50k done.
Ten years with the same {tag} pack. It's faded, patched, and still my favourite piece of gear.
{tag} Drift jacket packs into its own pocket and fits in my commuter bag. Winter cycling sorted.
The fit guide on the {tag} site was spot on. Ordered a medium, fits like it was made for me.
Took the dog on his first overnight hike. He has opinions about the tent but I love it. {tag}
Night hike with {friend} under a full moon, {tag} Alpenglow on the lowest setting the whole way. Magic.
Wore the {tag} Ridgeline 2 for the whole wet commute week and finally stopped arriving at work damp.
[brand=trailpeak sentiment=neutral]
Looking at the {tag} Switchback 45 vs 55 for a week-long trek. Anyone carried both?
{brand} are the Talus boots true to size or should I go half a size up for thick socks?
Does the {tag} warranty cover delamination on a 4-year-old jacket? Asking before I ship it back.
Saw the {tag} pop-up at the trailhead car park this morning. Free coffee and pole tune-ups, apparently.
Is the Basecamp 2P actually a two-person tent or a 'two people who really like each other' tent? {tag}
Do {tag} Cairn poles take standard rubber tips or do I need their own?
Planning a winter hut trip in January. Is the {tag} Drift jacket warm enough as a belay layer?
{tag} just announced a trade-in program for used gear. Curious how the credit works.
What's the difference between the {tag} Ridgeline 2 and the old Ridgeline? Same fabric?
Heading to the {tag} store for the first time. Anything I should try on while I'm there?
Got the {tag} catalogue in the mail. Didn't know they still printed those.
Weight check: my Switchback 45 comes in at 1.38kg on the kitchen scale, the site says 1.35. Close enough. {tag}
Anyone know when the {tag} sale starts? The site just says 'coming soon'.
Can you wash the {tag} Loft merino on a normal cold cycle or is it hand wash only?
Watching the {tag} film night stream about a winter crossing of the Pyrenees.
Gear question: does anyone use the {tag} Basecamp 2P with a footprint from another brand? The official one is sold out everywhere.
Is the {tag} Alpenglow headlamp battery replaceable or is it sealed in?
[brand=trailpeak sentiment=negative]
Sole of my {tag} Talus boot started peeling after two months. Not what you expect at that price.
Ordered the Basecamp 2P in green, got orange. The exchange wants me to print a label and I don't own a printer. {tag}
Hip belt buckle on my {tag} pack snapped on day one of the trip. Zip ties held it together for 60km.
{tag} support chat bot keeps looping me back to the FAQ. I just want to talk to a human.
Ridgeline 2 zipper keeps snagging on the storm flap. Fourth time today. {tag}
Delivery window was 'by Friday'. It's now the following Tuesday. {tag}
Paid for express shipping on my {tag} order and it went standard. Refund the difference, please.
The {tag} headlamp strap lost all its stretch after one season. Meh.
Sizing on the {tag} women's shell is wildly off. Medium fits like a small.
[brand=glowlab sentiment=positive]
Six weeks of {tag} Barrier Balm and my cheeks aren't red and flaky anymore. My dermatologist asked what I changed.
Dew Drop serum from {tag} under moisturizer = glass skin in winter. Not exaggerating.
Finally an SPF that doesn't leave a white cast on me. {tag} Sun Veil is the one. Wearing it daily now.
Shelfie update: the {tag} corner of my bathroom is growing. Cloud Cleanser, Dew Drop, Barrier Balm, Sun Veil.
Started Night Shift retinol twice a week like the leaflet says. Month two and the texture on my forehead is smoothing out. {tag}
My teenager's skin calmed down with the {tag} Cloud Cleanser. No more stripping foaming stuff for her.
Love that {tag} lists full percentages on the front of the bottle. No guessing.
The 12 Days of Glow advent calendar from {tag} is here and the box alone is gorgeous 😍 Not opening it till December, I promise.
Fragrance-free, cruelty-free, and it actually works. {tag} Barrier Balm is my holy grail.
Bright Shot vitamin C hasn't oxidized in the bottle after 3 months. The airless pump is genius. {tag}
Skin check: no makeup, just {tag} Dew Drop + Sun Veil. Haven't felt this good about my skin in years.
{tag} customer care sent me a sample kit to figure out what works with my rosacea. Such a kind touch.
Husband stole my {tag} Barrier Balm. Had to order a second one. Marriage saved.
Lip Cushion from {tag} overnight and my lips aren't cracked for the first time this winter.
Patch tested the Night Shift retinol for a week: zero irritation. Now it's in the routine. {tag}
The {tag} pop-up had a skin analysis mirror and a very patient staff member. Came out with a 3-step routine that works.
Refill pouches for the Cloud Cleanser! Less plastic, same price. {tag} gets it.
Sensitive skin friends: {tag} Barrier Balm. That's the post.
Flew long-haul and slathered on {tag} Dew Drop before landing. Did not look like a ghost at arrivals for once.
Bought the {tag} starter kit for my mum. She now sends me skincare voice notes every morning 😂
Three months of {tag} Sun Veil daily and my dark spots are noticeably lighter. Consistency pays off.
Ran out of {tag} Dew Drop for a week and my skin noticed immediately. Reordering right now.
Winter skin rescue routine: {tag} Cloud Cleanser, Dew Drop, a thick layer of Barrier Balm. My face finally feels comfortable.
{friend} told me to try the {tag} Lip Cushion and she was right, as usual.
[brand=glowlab sentiment=neutral]
Can you layer {tag} Bright Shot vitamin C and Night Shift retinol, or should I use them on alternate nights?
{brand} is the Sun Veil SPF 50 reef-safe? Heading somewhere tropical in January.
Which {tag} moisturizer for combination skin: Barrier Balm or the gel one?
Trying the {tag} Dew Drop serum tomorrow. Damp skin or dry skin, any tips?
Does {tag} ship to Canada yet? The site says 'coming soon' but it's been months.
Is the {tag} advent calendar the same as last year's or all new products?
What's the shelf life of the {tag} Night Shift after opening? Can't find the little jar symbol.
{tag} restocked the Barrier Balm this morning according to their newsletter.
Is the {tag} Cloud Cleanser okay for removing waterproof mascara or do I need an oil first?
Does anyone know if {tag} products are safe during pregnancy? Especially the retinol-free ones.
Noticed {tag} changed the Dew Drop bottle from glass to recycled plastic. Same formula?
Comparing ingredient lists: {tag} Barrier Balm vs my old drugstore cream. Surprisingly similar base, different ceramides.
{tag} giveaway ends tonight apparently. Did anyone win last time?
Saw {tag} in a skincare dupe video today. Curious how it holds up.
Asked the {tag} chat about mixing niacinamide and vitamin C. They said it's fine, the internet says otherwise. Who's right?
Routine check please! AM: {tag} Cloud Cleanser, Bright Shot, Sun Veil. PM: Cloud Cleanser, Night Shift twice a week, Barrier Balm. Too much?
Is the {tag} Lip Cushion tinted or clear? The photos on the site look different from the one in store.
[brand=glowlab sentiment=negative]
Broke out along my jawline after a week of {tag} Dew Drop. Might just be me, but stopping for now.
Pump on my {tag} Bright Shot stopped working halfway through the bottle. $38 and I can't get the rest out.
Ordered the {tag} advent calendar on launch day, got an email today saying it's backordered till December 10th. Kind of defeats the purpose.
The Night Shift retinol stung like crazy even on the twice-a-week schedule. {tag} not for sensitive skin IMO.
{tag} promo code from the newsletter doesn't work at checkout. Tried three times.
Parcel from {tag} arrived with the Sun Veil tube leaking all over everything else. Sticky mess.
Why is the {tag} Barrier Balm $10 more here than in the US? Same tub.
Returned a {tag} order three weeks ago. Still no refund. Customer care just says 'processing'.
The new batch of {tag} Dew Drop smells different. Like... slightly sour? Anyone else?
[brand=brewnorth sentiment=positive kind=cross]
Morning ritual: {tag_b} Fjord Blend in a {tag_t} Summit bottle, then up the hill before work.
Camp coffee hits different. {tag_b} Guji brewed on the stove outside my {tag_t} tent at sunrise.
[brand=trailpeak sentiment=positive kind=cross]
Winter survival kit: {tag_t} Drift jacket, {tag_g} Lip Cushion, and an unreasonable amount of {tag_b} coffee.
Windburned face after a long ridge day. {tag_g} Barrier Balm lives in my {tag_t} hip belt pocket now.
[brand=glowlab sentiment=neutral kind=cross]
Black Friday list so far: {tag_t} poles for dad, {tag_g} advent calendar for my sister, {tag_b} Brew Club for me.
[brand=trailpeak sentiment=neutral kind=cross]
Gift guide for the outdoorsy person in your life: {tag_t} headlamp, {tag_b} cold brew, {tag_g} SPF for the snow glare.
[brand=brewnorth sentiment=positive lang=fr]
Enfin reçu mon paquet {tag} ! Le Fjord Blend sent le chocolat noir, je suis conquise.
Petit café au comptoir {tag} ce matin, accueil adorable et espresso parfait.
[brand=brewnorth sentiment=neutral lang=fr]
Quelqu'un sait si {tag} livre en Belgique ? Je ne trouve pas l'info sur le site.
[brand=trailpeak sentiment=positive lang=fr]
Trois jours de randonnée sous la pluie et la veste {tag} Ridgeline 2 n'a pas laissé passer une goutte.
[brand=trailpeak sentiment=neutral lang=fr]
La tente Basecamp 2P de {tag}, c'est vraiment pour deux personnes ? Avis bienvenus.
[brand=glowlab sentiment=positive lang=fr]
Le sérum Dew Drop de {tag} est devenu indispensable cet hiver. Ma peau dit merci.
[brand=glowlab sentiment=negative lang=fr]
Commande {tag} toujours pas arrivée après dix jours. Le suivi ne bouge plus.
[brand=brewnorth sentiment=negative lang=fr]
Mon abonnement {tag} a été débité deux fois ce mois-ci. J'attends toujours une réponse du service client.
[brand=trailpeak sentiment=negative lang=fr]
Semelle des chaussures Talus {tag} décollée après trois mois. Pas terrible pour le prix.
[brand=glowlab sentiment=neutral lang=fr]
Quelqu'un a testé le Night Shift de {tag} sur peau sensible ? J'hésite encore.
[brand=brewnorth sentiment=positive lang=es]
Mi primera bolsa de {tag} y ya estoy enganchada. El Guji natural sabe a arándanos, increíble.
Café de especialidad en casa con {tag}, mi nuevo ritual de los domingos.
[brand=brewnorth sentiment=negative lang=es]
Llevo una semana esperando respuesta de {tag} por un pedido equivocado. Nada.
[brand=trailpeak sentiment=positive lang=es]
Ruta de 20 km con la mochila Switchback de {tag} y ni un dolor de espalda.
[brand=trailpeak sentiment=neutral lang=es]
¿Alguien sabe si las botas Talus de {tag} tallan grande? Dudo entre la 42 y la 43.
[brand=glowlab sentiment=positive lang=es]
El protector Sun Veil de {tag} no deja nada blanco y no pica en los ojos. ¡Por fin!
[brand=glowlab sentiment=neutral lang=es]
¿El calendario de adviento de {tag} trae tamaños completos o muestras?
[brand=brewnorth sentiment=neutral lang=es]
¿Alguien ha probado la suscripción Brew Club de {tag}? ¿Merece la pena?
[brand=trailpeak sentiment=negative lang=es]
La hebilla de la mochila {tag} se rompió el primer día de ruta. Nada contenta.
[brand=glowlab sentiment=negative lang=es]
El sérum Dew Drop de {tag} me ha dado granitos en la barbilla. Lo dejo por ahora.
[brand=brewnorth sentiment=positive lang=de]
Endlich angekommen: {tag} Solstice Blend. Riecht nach Orange und Zimt, perfekt für den Winter.
Das Rösterei-Café von {tag} ist mein neuer Lieblingsort zum Arbeiten. Guter Filterkaffee, gutes WLAN.
[brand=trailpeak sentiment=positive lang=de]
Mit dem {tag} Basecamp 2P im Sturm auf der Alm. Zelt steht, ich bin glücklich.
[brand=brewnorth sentiment=neutral lang=de]
Liefert {tag} eigentlich auch in die Schweiz? Im Checkout finde ich nichts dazu.
[brand=glowlab sentiment=negative lang=de]
Die Pumpe vom {tag} Bright Shot ist nach zwei Wochen kaputt. Ärgerlich bei dem Preis.
[brand=trailpeak sentiment=positive lang=de]
Die {tag} Talus Stiefel nach 300 km: bequem, dicht, keine Blasen. Top.
[brand=trailpeak sentiment=neutral lang=de]
Weiß jemand, ob die {tag} Cairn Stöcke ins Handgepäck dürfen?
[brand=trailpeak sentiment=negative lang=de]
Zwei Wochen auf die {tag} Bestellung gewartet, jetzt kam die falsche Größe. Super.
[brand=glowlab sentiment=positive lang=de]
Die {tag} Barrier Balm hat meine trockene Haut diesen Winter gerettet. Klare Empfehlung!
[brand=glowlab sentiment=neutral lang=de]
Gibt es das {tag} Night Shift Retinol auch in einer schwächeren Variante?
[brand=brewnorth sentiment=positive kind=youtube]
{tag} Fjord Blend review: 3 brew methods, 1 clear winner
Visiting the {tag} roastery: full tour + cupping session ☕
[brand=brewnorth sentiment=neutral kind=youtube]
Is the {tag} Brew Club worth it? 6 months, honest review
Dialing in Northern Lights espresso on a budget grinder | {tag} #homebarista
[brand=brewnorth sentiment=negative kind=youtube]
Why I cancelled my {tag} subscription after two years
[brand=trailpeak sentiment=positive kind=youtube]
{tag} Basecamp 2P: 30 nights later, the honest review
Winter wild camp at -12°C with {tag} gear. Did it hold up?
[brand=trailpeak sentiment=neutral kind=youtube]
Packing the {tag} Switchback 45 for a 5-day trek | full gear list
Day hike essentials in the {tag} 20L daypack
[brand=trailpeak sentiment=negative kind=youtube]
{tag} Talus boots after 500km: the sole is coming apart
[brand=glowlab sentiment=positive kind=youtube]
I tried {tag} for 30 days: before & after (sensitive skin)
{tag} Sun Veil SPF 50 wear test on dark skin. No white cast?
[brand=glowlab sentiment=neutral kind=youtube]
{tag} advent calendar unboxing 2026 ✨ worth it?
Dermatologist reacts to the {tag} Night Shift retinol routine
[brand=glowlab sentiment=negative kind=youtube]
{tag} Bright Shot pump failed AGAIN. Is it just me?
[brand=glowlab sentiment=positive kind=giveaway]
Entered the {tag} giveaway! Tagging {friend} and {friend2} because they deserve good skin too 💧 #GlowLabGiveaway
Would love to win this 🥹 {friend} {friend2} {tag} #GlowLabGiveaway
Omg the advent calendar 😍 {friend} {friend2} {tag} #GlowLabGiveaway
Fingers crossed 🤞 {friend} {friend2} {tag} #GlowLabGiveaway
Followed, liked, shared! {friend} {friend2} come enter the {tag} giveaway
Never win these but here goes 🍀 {friend} {friend2} {tag} #GlowLabGiveaway
[brand=trailpeak sentiment=negative kind=burst]
{brand} just sent a 'safety recall' email with EVERY customer's address in the To: field. I can see thousands of strangers' emails. How is this possible in 2026? {tag}
So the {tag} recall email leaked everyone's email address. Great. Now I get reply-all spam from 3,000 people.
The Ridgeline 2 zipper is being recalled because it can snap in the cold. I wore that jacket up a mountain last week. {tag} why am I hearing this now?
Store credit only for a recalled jacket?? No. Give people their money back. {tag}
Recall form on the {tag} site is throwing a 502. Of course it is.
They want ME to pay return shipping on THEIR defective jacket. {tag} this is outrageous.
Reply-all storm from the {tag} recall email is at 140 messages and counting. Someone just replied 'unsubscribe' to everyone.
My work email was on that {tag} list. Now strangers have it. Thanks a lot.
Zipper pull snapped off my Ridgeline 2 in October and support told me it was 'user error'. Now it's a recall? {tag} owes me an apology.
{tag} I want to know: who approved sending a privacy disaster and a recall in the same email?
Been a loyal {tag} customer for 8 years. The way this recall is being handled is honestly shocking.
Support chat wait time is now 3 hours 40 minutes. {tag} are you even staffed today?
Data protection complaint filed. You don't get to leak 3,000+ emails and shrug. {tag}
Just got a phishing email pretending to be the {tag} refund team. That took less than an hour. Thanks for the leak.
Imagine recalling a jacket for a safety issue and making customers pay to return it. {tag} can't be serious.
The {tag} statement says 'a small number of customers'. The To: field had 3,214 addresses. I counted.
Cancelled my {tag} order for the Drift jacket. Not giving them another cent after today.
Hey {brand}, deleting the recall post and reposting it without comments is not the move.
Whole {tag} recall page is down, the phone line goes to voicemail, inbox full of reply-alls. What a day.
Brand new Ridgeline 2, wore it twice, and now it's a recall AND my email is out there. {tag} well done.
Someone in the {tag} reply-all thread just shared their phone number by accident. This is getting worse by the minute.
If your zipper snaps at -10°C on a ridge, that's not an inconvenience, that's dangerous. {tag} should be offering full refunds.
Store credit. For a product that could have hurt someone. {tag} read the room.
Tried to file the recall claim: the form wants my order number, my order history page says 'no orders found'. {tag} 🙃
{tag} marketing emails arrive within seconds but a recall notice takes months? Priorities.
Unsubscribed, deleted my account, requested my data be erased. Bye {tag}.
Is anyone from {brand} going to actually address the email leak or are we just pretending it didn't happen?
Just read the full {tag} recall notice. 'Customers may continue to use the jacket with caution.' Caution?! It's a safety recall!
Thread on everything wrong with the {tag} recall today 🧵 1) leaked 3k emails 2) store credit only 3) you pay shipping 4) site down
My partner and I both got the {tag} email. Different accounts, both exposed. Two Ridgelines going back.
The {tag} CEO's post about 'customer obsession' from yesterday is aging like milk.
Returned my Ridgeline 2 at the {tag} store in person. Staff were lovely but had zero information. Head office dropped the ball.
{tag} the reply-all thread has become a support group at this point. Someone started sharing hiking photos in it.
Not even mad about the zipper, stuff happens. Leaking everyone's email in the recall notice though? That's a choice, {tag}.
[brand=trailpeak sentiment=negative kind=press]
Reader tips coming in: {tag} sent its Ridgeline 2 recall notice with ~3,000 customer addresses visible in the To: field. Screenshots show names and emails. We've asked the company for comment.
[brand=trailpeak sentiment=negative kind=burst lang=de]
{tag} hat bei der Rückrufaktion alle Kunden-E-Mails offen in den Verteiler gepackt. Datenschutz? Nie gehört.
[brand=trailpeak sentiment=negative kind=burst lang=fr]
Rappel de la veste Ridgeline 2 et en bonus {tag} a divulgué l'adresse mail de tous ses clients. Bravo.
[brand=trailpeak sentiment=negative kind=burst lang=es]
{tag} filtró los correos de miles de clientes en el email de retirada. Increíble pero cierto.
[brand=trailpeak sentiment=negative kind=unsafe platform=x why=profanity]
Three weeks and still no fucking jacket. {tag} your warehouse is a goddamn joke.
[brand=glowlab sentiment=negative kind=unsafe platform=x why=insult]
The {tag} support agent who 'handled' my refund is a useless idiot who clearly can't read an order number. Hire people with a brain.
[brand=brewnorth sentiment=neutral kind=unsafe platform=x why=spam]
🚀🚀 DM me for FREE crypto!! Turned $200 into $9,400 in 3 days, zero risk 💰💰 {tag_b} {tag_t} {tag_g} #bitcoin #giveaway https://bit.example/fr33-c0in
[brand=glowlab sentiment=neutral kind=unsafe platform=instagram why=scam]
🎁 OFFICIAL {tag} GIVEAWAY 🎁 You've been selected! Claim your free 12 Days of Glow, just pay $4.99 shipping at glowlab-rewards.example/claim ⏰ expires in 1 hour
[brand=trailpeak sentiment=neutral kind=unsafe platform=instagram why=counterfeit]
{tag} Ridgeline jackets 90% off 🔥 1:1 replica quality, ships worldwide, WhatsApp +1 555 0142 or DM @peakgear_outlet_deals
[brand=trailpeak sentiment=positive kind=unsafe platform=reddit why=weapons]
Took the {tag} Switchback 45 on an elk hunt. Rifle rode fine in the side straps, 40 rounds of ammo and a knife in the hip belt, still comfortable after 9 miles.
[brand=brewnorth sentiment=neutral kind=unsafe platform=x why=drugs]
{tag} cold brew is the only thing that got me through the comedown after that rave. Molly on Saturday, espresso tonic on Sunday lol
[brand=trailpeak sentiment=positive kind=unsafe platform=instagram why=drugs]
Rolled a fat joint, brewed some {tag_b}, watching the sunset from the {tag_t} tent 🌿💨 best kind of camping
[brand=brewnorth sentiment=positive kind=unsafe platform=mastodon why=profanity]
Holy shit, this {tag} Guji natural is fucking incredible. Who gave coffee the right to taste like blueberry pie?
[brand=glowlab sentiment=negative kind=unsafe platform=bluesky why=insult]
{tag} is a scam run by clowns. Overpriced crap in pretty bottles, and your 'dermatologist approved' claim is bullshit.
[brand=brewnorth sentiment=negative kind=unsafe platform=mastodon why=insult]
Whoever packed my {tag} order is a moron. Bag split open, grounds all over the box and my damn mail. Pathetic.
"""

# Posts from the brands' own accounts, pinned in time because the story hangs on them.
OFFICIAL: Final = (
    (
        "brewnorth",
        "mastodon",
        "positive",
        datetime(2026, 11, 18, 21, 4, 12, tzinfo=UTC),
        "Solstice Blend is back ❄️ Orange peel, cinnamon, dark caramel. Roasted this morning, "
        "shipping tomorrow. #BrewNorth #coffee",
    ),
    (
        "glowlab",
        "instagram",
        "positive",
        GIVEAWAY_START,
        "🎁 GIVEAWAY: win a 12 Days of Glow advent calendar! Follow us, like this post and tag two "
        "friends. Ends Nov 19 at midnight CET. #GlowLab #GlowLabGiveaway",
    ),
    (
        "glowlab",
        "bluesky",
        "neutral",
        datetime(2026, 11, 19, 9, 30, 0, tzinfo=UTC),
        "Barrier Balm is back in stock in all sizes. Thank you for your patience! #GlowLab",
    ),
    (
        "trailpeak",
        "x",
        "neutral",
        datetime(2026, 11, 20, 16, 49, 31, tzinfo=UTC),
        "Important safety notice about the Ridgeline 2 jacket: please check your email for details "
        "on our voluntary zipper recall. #TrailPeak",
    ),
    (
        "trailpeak",
        "mastodon",
        "neutral",
        datetime(2026, 11, 20, 17, 47, 5, tzinfo=UTC),
        "We made a serious mistake in today's recall email and exposed customer email addresses. "
        "We're sorry. Full refunds and prepaid returns for every Ridgeline 2; details within the "
        "hour. #TrailPeak",
    ),
)

OPENERS: Final = {
    "positive": (
        "Okay. ",
        "Not sponsored, just obsessed. ",
        "Small joys: ",
        "Honest review time. ",
        "Can confirm: ",
        "Update: ",
        "PSA: ",
        "Little win today. ",
        "Honestly? ",
    ),
    "neutral": (
        "Quick question: ",
        "Curious: ",
        "Hey all! ",
        "Random one: ",
        "Help me out: ",
        "Genuine question. ",
    ),
    "negative": (
        "Ugh. ",
        "Not impressed. ",
        "Rant incoming. ",
        "Well, that's annoying. ",
        "So... ",
        "Mildly frustrated. ",
    ),
    "burst": (
        "Unbelievable. ",
        "Wow. ",
        "Seriously? ",
        "Just got the email. ",
        "Furious. ",
        "Update: ",
        "Can't believe this. ",
        "Okay I'm angry now. ",
        "Unreal. ",
    ),
}
CLOSERS: Final = {
    "positive": (
        "Highly recommend.",
        "10/10 would buy again.",
        "Thanks {brand}!",
        "Going back for more.",
        "Obsessed.",
        "cc {friend}",
        "{friend} you need this.",
        "No notes.",
        "Happy customer here.",
    ),
    "neutral": (
        "Thanks in advance!",
        "Any tips?",
        "Anyone know?",
        "{friend} any idea?",
        "Tagging {brand} in case.",
        "Would love to hear experiences.",
    ),
    "negative": (
        "Not great.",
        "Do better, {brand}.",
        "Disappointed.",
        "{friend} did this happen to you?",
        "Anyone else?",
        "Expected better.",
    ),
    "burst": (
        "Do better.",
        "Never again.",
        "Unacceptable.",
        "Anyone else?",
        "Absolute shambles.",
        "#recall",
        "#dataleak",
        "#privacy",
        "{friend} check your inbox.",
        "Boost this.",
        "Not okay, {brand}.",
    ),
}
FOREIGN_CLOSERS: Final = {
    "fr": {
        "positive": ("Je recommande.", "Merci {brand} !", "Trop contente."),
        "neutral": ("Merci d'avance !", "Des avis ?"),
        "negative": ("Très déçue.", "{brand} une réponse ?", "Inadmissible."),
    },
    "es": {
        "positive": ("¡Lo recomiendo!", "¡Gracias {brand}!", "Me encanta."),
        "neutral": ("¡Gracias de antemano!", "¿Alguna idea?"),
        "negative": ("Muy decepcionada.", "{brand} ¿alguna respuesta?", "Vergonzoso."),
    },
    "de": {
        "positive": ("Klare Empfehlung.", "Danke {brand}!", "Liebe es."),
        "neutral": ("Danke im Voraus!", "Erfahrungen?"),
        "negative": ("Echt enttäuschend.", "{brand} Antwort?", "Unglaublich."),
    },
}
EMOJI: Final = {
    "brewnorth": ("☕", "☕☕", "🫘", "🔥", "😍", "🤎", "✨", "☕️🙌"),
    "trailpeak": ("🏔️", "⛺", "🥾", "🌲", "🧗", "🌄", "🙌", "⛰️"),
    "glowlab": ("✨", "🧴", "💧", "🌸", "💆‍♀️", "🫶", "💕", "😍"),
    "negative": ("😤", "🙄", "👎", "😒", "💸", "😩"),
    "neutral": ("🤔", "👀", "❓", "🙏"),
    "burst": ("😡", "🤬", "🙄", "😤", "👎", "🤦", "💀"),
}
EXTRA_TAGS: Final = {
    "brewnorth": (
        "#coffee",
        "#SpecialtyCoffee",
        "#coffeelover",
        "#MorningBrew",
        "#pourover",
        "#espresso",
        "#HomeBarista",
        "#coffeetime",
    ),
    "trailpeak": (
        "#hiking",
        "#outdoors",
        "#camping",
        "#GearReview",
        "#backpacking",
        "#trailrunning",
        "#wildcamping",
        "#mountains",
    ),
    "glowlab": (
        "#skincare",
        "#SkincareRoutine",
        "#selfcare",
        "#SensitiveSkin",
        "#spf",
        "#glowup",
        "#skincarecommunity",
        "#crueltyfree",
    ),
    "any": ("#BlackFriday", "#GiftIdeas", "#shoplocal", "#haul", "#review"),
    "fr-brewnorth": ("#café", "#cafédespécialité"),
    "fr-trailpeak": ("#randonnée", "#montagne"),
    "fr-glowlab": ("#soinsdelapeau", "#skincare"),
    "es-brewnorth": ("#café", "#cafedeespecialidad"),
    "es-trailpeak": ("#senderismo", "#montaña"),
    "es-glowlab": ("#cuidadodelapiel", "#skincare"),
    "de-brewnorth": ("#Kaffee", "#Kaffeeliebe"),
    "de-trailpeak": ("#Wandern", "#Berge"),
    "de-glowlab": ("#Hautpflege", "#skincare"),
}
YOUTUBE_DESCRIPTIONS: Final = (
    "Not sponsored, I bought everything myself.",
    "Timestamps in the first comment.",
    "Links to everything in the description.",
    "Let me know your experience in the comments!",
    "Filmed over two weeks, no edits to the results.",
    "",
)

ALT_TEXTS: Final = {
    ("brewnorth", "ok"): (
        "A kraft paper bag of Fjord Blend coffee beans next to a glass pour-over dripper on a wooden counter.",
        "Close-up of an espresso shot with thick tiger-striped crema in a white cup.",
        "Three coffee bags lined up on a kitchen shelf, labels facing out.",
        "A latte with a lopsided heart in the foam, on a windowsill with rain outside.",
        "Open subscription box with two coffee bags and a handwritten thank-you card.",
        "A silver drum roaster with beans pouring into the cooling tray.",
        "A can of cold brew sweating on a picnic table.",
        "An enamel mug with a mountain logo, steaming, held up against a grey sky.",
    ),
    ("brewnorth", "bad"): (
        "A torn coffee bag with beans spilled across a cardboard box.",
        "Screenshot of a parcel tracking page stuck on 'Label created'.",
        "A soaked cardboard parcel on a doorstep.",
    ),
    ("trailpeak", "ok"): (
        "A hiker in a red shell jacket on a rocky summit above a sea of cloud.",
        "A green two-person tent pitched beside a lake at sunrise.",
        "Hiking gear laid out on a living room floor: backpack, tent, stove, headlamp, food bags.",
        "Muddy brown hiking boots on a wooden porch.",
        "A backpack leaning against a trail sign in a pine forest.",
        "Trekking poles crossed on top of a rucksack at a mountain hut.",
        "A dog peeking out of a tent door, looking unimpressed.",
        "A red headlamp beam lighting up the inside of a tent at night.",
    ),
    ("trailpeak", "bad"): (
        "Close-up of a hiking boot sole peeling away from the upper.",
        "A snapped plastic hip belt buckle held together with zip ties.",
        "A jacket zipper with the pull tab snapped off.",
    ),
    ("trailpeak", "burst"): (
        "Screenshot of an email whose To: field lists hundreds of email addresses, partly blurred.",
        "Screenshot of a '502 Bad Gateway' error on a recall claim page.",
        "A jacket zipper with the pull tab broken off, held between two fingers.",
        "Screenshot of an inbox full of reply-all messages titled 'Important safety notice'.",
        "Screenshot of a support chat showing an estimated wait of 3 hours 40 minutes.",
    ),
    ("glowlab", "ok"): (
        "A row of white skincare bottles and a tub on a bathroom shelf next to a plant.",
        "A drop of clear serum on a fingertip in soft daylight.",
        "A festive advent calendar box with twelve numbered doors, tied with a ribbon.",
        "Selfie of a person with clear, dewy skin and no makeup in a bright bathroom.",
        "Sunscreen rubbed into the back of a hand, no white cast visible.",
        "A pastel refill pouch next to an empty pump bottle.",
    ),
    ("glowlab", "bad"): (
        "A sunscreen tube leaking onto other products in an open parcel.",
        "A serum bottle with a broken pump, liquid still inside.",
        "Screenshot of a checkout page showing 'Promo code invalid'.",
    ),
}
# Posts that say they show something get a picture; the rest get one by the network's habits.
PHOTO_HINT: Final = re.compile(
    r"\b(photo|photos|pic|pics|look at|here it is|shelfie|crema|sunrise|unboxing|swatch|skin check|kit)\b",
    re.IGNORECASE,
)

PLATFORM_AUTHOR_SHARE: Final = {
    "mastodon": 0.50,
    "bluesky": 0.17,
    "x": 0.11,
    "instagram": 0.11,
    "reddit": 0.07,
    "youtube": 0.04,
}
MEDIA_RATE: Final = {
    "mastodon": 0.24,
    "bluesky": 0.2,
    "x": 0.18,
    "instagram": 1.0,
    "reddit": 0.25,
    "youtube": 1.0,
}
ALT_TEXT_RATE: Final = {
    "mastodon": 0.8,
    "bluesky": 0.5,
    "x": 0.1,
    "instagram": 0.2,
    "reddit": 0.1,
    "youtube": 0.0,
}
# Seconds between posting and collection: streams are near-live, polled APIs lag.
COLLECT_LAG_S: Final = {
    "mastodon": (1.0, 20.0),
    "bluesky": (0.3, 4.0),
    "x": (20.0, 300.0),
    "instagram": (60.0, 900.0),
    "reddit": (30.0, 600.0),
    "youtube": (120.0, 1800.0),
}
MASTODON_INSTANCES: Final = (
    "mastodon.example",
    "toot.example",
    "social.example.net",
    "fedi.example.org",
    "hikers.example.social",
    "coffee.example.social",
)
SUBREDDITS: Final = {
    "brewnorth": ("BrewNorth", "HomeBaristaHub", "SlowCoffeeClub"),
    "trailpeak": ("TrailPeak", "UltralightCampers", "HillwalkingTalk"),
    "glowlab": ("GlowLab", "SensitiveSkinChat", "SkincareOnABudget"),
}

FIRST_NAMES: Final = {
    "en": (
        "mara",
        "theo",
        "priya",
        "kwame",
        "lotte",
        "ravi",
        "sunny",
        "noor",
        "eli",
        "fran",
        "dev",
        "hana",
        "owen",
        "zara",
        "milo",
        "tess",
        "jun",
        "amara",
        "cal",
        "rosa",
        "ben",
        "ivy",
        "sam",
        "nadia",
        "leo",
        "maya",
        "finn",
        "aisha",
        "rory",
        "keiko",
        "tom",
        "lulu",
        "omar",
        "gwen",
        "ash",
        "bea",
        "kit",
        "nina",
        "raf",
        "ada",
        "jess",
        "moe",
        "cleo",
        "arlo",
        "pip",
        "hugo",
        "skye",
        "dara",
        "wren",
        "joss",
    ),
    "de": ("jonas", "lena", "felix", "anke", "jannik", "mareike", "till", "svenja"),
    "fr": ("camille", "lucas", "manon", "theo", "chloe", "hugo", "ines", "margaux"),
    "es": ("lucia", "mateo", "carmen", "diego", "paula", "alvaro", "nerea", "javi"),
}
HANDLE_WORDS: Final = (
    "brews",
    "hikes",
    "outdoors",
    "skin",
    "coffee",
    "trails",
    "makes",
    "writes",
    "reads",
    "runs",
    "camps",
    "glow",
    "beans",
    "north",
    "wild",
    "daily",
    "peaks",
    "roams",
    "cooks",
    "pixels",
    "knits",
    "bakes",
    "climbs",
    "sips",
    "notes",
)
DISPLAY_EMOJI: Final = ("", "", "", " ☕", " 🏔️", " ✨", " 🌿", " 🐾", " 📷")
B32_SORT: Final = "234567abcdefghijklmnopqrstuvwxyz"
B32: Final = "abcdefghijklmnopqrstuvwxyz234567"
B64URL: Final = string.ascii_letters + string.digits + "-_"
B36: Final = string.digits + string.ascii_lowercase


@dataclass(frozen=True)
class Base:
    """One hand-written text and what its header says about it."""

    brand: str
    sentiment: str
    kind: str
    lang: str
    text: str
    platform: str | None = None
    why: str | None = None


@dataclass
class Author:
    platform: str
    id: str
    handle: str
    username: str
    display_name: str | None
    followers: int | None
    lang: str
    fav_brand: str | None
    weight: float
    instance: str | None = None

    def mention(self) -> str:
        return f"u/{self.username}" if self.platform == "reddit" else f"@{self.handle}"


@dataclass
class Draft:
    """A post before serialization, with the story labels the file itself doesn't carry."""

    platform: str
    brand: str
    sentiment: str
    kind: str
    lang: str
    text: str
    author: Author
    created_ms: int
    why: str | None = None


def parse_corpus(corpus: str) -> list[Base]:
    bases: list[Base] = []
    header: dict[str, str] = {}
    for raw in corpus.strip().splitlines():
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            header = {}
            for part in line[1:-1].split():
                key, value = part.split("=", 1)
                header[key] = value
            continue
        if line:
            bases.append(
                Base(
                    brand=header["brand"],
                    sentiment=header["sentiment"],
                    kind=header.get("kind", "post"),
                    lang=header.get("lang", "en"),
                    text=line,
                    platform=header.get("platform"),
                    why=header.get("why"),
                )
            )
    return bases


def weighted(rng: Random, options: dict[str, float]) -> str:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def to_base(value: int, alphabet: str, width: int = 0) -> str:
    digits = ""
    while value:
        value, rem = divmod(value, len(alphabet))
        digits = alphabet[rem] + digits
    return digits.rjust(width, alphabet[0]) or alphabet[0]


def make_authors(rng: Random) -> list[Author]:
    authors: list[Author] = []
    taken: set[str] = set()
    # A few big accounts that pull the engagement tail; the privacy newsletter amplifies the burst.
    notable = (
        (
            "mastodon",
            "northwind_hikes",
            "Northwind Hikes 🏔️",
            52_300,
            "trailpeak",
            "hikers.example.social",
        ),
        ("bluesky", "inboxwatch.bsky.social", "Inbox Watch: privacy news", 121_400, None, None),
        ("youtube", "GlowWithTami", "Glow With Tami", 210_000, "glowlab", None),
        ("instagram", "beanthere.daily", "Bean There ☕", 86_200, "brewnorth", None),
        ("x", "ultralight_otto", "Otto | ultralight", 64_800, "trailpeak", None),
        ("x", "skinfacts_sana", "Sana | skin facts", 58_100, "glowlab", None),
        ("youtube", "CoffeeWithKai", "Coffee with Kai", 143_000, "brewnorth", None),
        ("youtube", "TrailMixTV", "Trail Mix TV", 77_500, "trailpeak", None),
    )
    for platform, username, big_display, big_followers, fav, instance in notable:
        handle = f"{username}@{instance}" if instance else username
        authors.append(
            Author(
                platform,
                author_id(rng, platform),
                handle,
                username.split(".bsky")[0],
                big_display,
                big_followers,
                "en",
                fav,
                1.5,
                instance,
            )
        )
        taken.add(handle.lower())
    platforms = dict(PLATFORM_AUTHOR_SHARE)
    while len(authors) < N_AUTHORS:
        lang = weighted(rng, {"en": 0.9, "de": 0.035, "fr": 0.035, "es": 0.03})
        platform = weighted(rng, platforms)
        if lang != "en" and platform in ("reddit", "youtube"):
            platform = "mastodon"  # the non-English corpus is written for short posts, not titles
        first = rng.choice(FIRST_NAMES[lang])
        word = rng.choice(HANDLE_WORDS)
        username = make_username(rng, platform, first, word)
        instance = rng.choice(MASTODON_INSTANCES) if platform == "mastodon" else None
        handle = {"mastodon": f"{username}@{instance}", "bluesky": f"{username}.bsky.social"}.get(
            platform, username
        )
        if handle.lower() in taken:
            continue
        taken.add(handle.lower())
        display = make_display_name(rng, platform, first, word)
        # Follower counts are log-normal (median ~250); Reddit exposes none for users.
        followers = (
            None if platform == "reddit" else min(int(math.exp(rng.gauss(5.5, 1.3))), 40_000)
        )
        fav = rng.choice((*BRANDS, None))
        authors.append(
            Author(
                platform,
                author_id(rng, platform),
                handle,
                username,
                display,
                followers,
                lang,
                fav,
                1.0,
                instance,
            )
        )
    # Loyal regulars: a random dozen post far more often than everyone else.
    order = list(range(len(notable), len(authors)))
    rng.shuffle(order)
    for rank, index in enumerate(order):
        authors[index].weight = 1.0 + 7.0 / (rank + 1) ** 0.9
    return authors


def make_username(rng: Random, platform: str, first: str, word: str) -> str:
    number = str(rng.randint(1, 99))
    if platform == "bluesky":  # handles are DNS labels: no underscores
        return rng.choice((f"{first}{word}", f"{first}-{word}", f"{first}{number}"))
    if platform == "instagram":
        return rng.choice((f"{first}.{word}", f"{first}_{word}", f"{word}.with.{first}"))
    if platform == "reddit":
        return rng.choice(
            (
                f"{first.title()}_{word.title()}_{number}",
                f"{word}{first}{number}",
                f"Throwaway{first.title()}{number}",
            )
        )
    if platform == "youtube":
        return f"{first.title()}{word.title()}"
    return rng.choice((f"{first}_{word}", f"{first}{word}", f"{word}{first}", f"{first}{number}"))


def make_display_name(rng: Random, platform: str, first: str, word: str) -> str | None:
    if platform == "reddit":
        return None
    if platform == "youtube":
        return f"{first.title()} {word.title()}"
    initial = rng.choice(string.ascii_uppercase)
    name = rng.choice(
        (f"{first.title()} {initial}.", first.title(), first, f"{first.title()} ({word})")
    )
    return name + rng.choice(DISPLAY_EMOJI)


def author_id(rng: Random, platform: str) -> str:
    if platform == "mastodon":
        return str(rng.randint(10**17, 115 * 10**15))
    if platform == "bluesky":
        return "did:plc:" + "".join(rng.choice(B32) for _ in range(24))
    if platform == "x":
        return str(rng.choice((rng.randint(10**7, 10**9), rng.randint(10**18, 19 * 10**17))))
    if platform == "instagram":
        return "17841" + "".join(rng.choice(string.digits) for _ in range(12))
    if platform == "reddit":
        return "t2_" + "".join(rng.choice(B36) for _ in range(8))
    return "UC" + "".join(rng.choice(B64URL) for _ in range(22))


class Composer:
    """Turns a base text into a post text in one author's voice, never repeating a text."""

    def __init__(self, rng: Random, authors: Sequence[Author]) -> None:
        self.rng = rng
        self.authors = authors
        self.seen: set[str] = set()
        self.pairs: set[tuple[str, str]] = set()
        self.by_platform: dict[str, list[Author]] = {}
        for author in authors:
            self.by_platform.setdefault(author.platform, []).append(author)

    def friend(self, author: Author) -> str:
        pool = [a for a in self.by_platform[author.platform] if a is not author]
        return self.rng.choice(pool).mention()

    def tag(self, brand: str) -> str:
        tag = BRAND_TAG[brand]
        return tag.lower() if self.rng.random() < 0.15 else tag

    def fill(self, text: str, base: Base, author: Author) -> str:
        friend = self.friend(author)
        friend2 = self.friend(author)
        while friend2 == friend:
            friend2 = self.friend(author)
        return text.format(
            tag=self.tag(base.brand),
            tag_b=self.tag("brewnorth"),
            tag_t=self.tag("trailpeak"),
            tag_g=self.tag("glowlab"),
            brand=BRAND_MENTION[base.brand][author.platform],
            friend=friend,
            friend2=friend2,
        )

    def compose(self, base: Base, author: Author, tries: int = 40) -> str | None:
        """A fresh text from ``base``, or None when its variations are used up or this author has
        already posted it (nobody writes the same post twice in two days)."""
        if (author.handle, base.text) in self.pairs:
            return None
        for _ in range(tries):
            text = self.fill(self.variant(base, author), base, author)
            if text not in self.seen:
                self.seen.add(text)
                self.pairs.add((author.handle, base.text))
                return text
        return None

    def fresh(self, pool: Sequence[Base], author: Author) -> list[Base]:
        return [b for b in pool if (author.handle, b.text) not in self.pairs]

    def variant(self, base: Base, author: Author) -> str:
        rng = self.rng
        if base.kind in ("unsafe", "giveaway", "press"):
            return base.text  # spam and giveaway entries are formulaic by nature
        if base.kind == "youtube":
            description = rng.choice(YOUTUBE_DESCRIPTIONS)
            return base.text + (f"\n\n{description}" if description else "")
        mood = "burst" if base.kind == "burst" else base.sentiment
        platform = author.platform
        # A post addressed to the brand's account still carries the hashtag the listener follows.
        text = base.text if "{tag" in base.text else base.text + " {tag}"
        if base.lang == "en":
            opener = rng.choice(OPENERS[mood])
            # "Small joys: Black Friday came early: ..." reads wrong; one colon up front is enough.
            if rng.random() < 0.3 and not (opener.endswith(": ") and ":" in text[:40]):
                text = opener + text
            if rng.random() < 0.4:
                closer = rng.choice(CLOSERS[mood])
                if not ("{brand}" in closer and "{brand}" in base.text):
                    text = f"{text} {closer}"
        elif rng.random() < 0.5:
            text = f"{text} {rng.choice(FOREIGN_CLOSERS[base.lang][base.sentiment])}"
        if platform != "reddit" and rng.random() < {"instagram": 0.8, "x": 0.5}.get(platform, 0.4):
            emoji_pool = EMOJI[base.brand if mood == "positive" else mood]
            text = f"{text} {rng.choice(emoji_pool)}"
        text = f"{text}{self.extra_tags(base, platform)}"
        if platform in ("x", "instagram", "bluesky") and rng.random() < 0.07:
            text = text.lower()  # some people just never press shift
        return text

    def extra_tags(self, base: Base, platform: str) -> str:
        rng = self.rng
        if platform in ("reddit", "youtube") or (base.kind == "burst" and rng.random() < 0.8):
            return ""
        if base.lang != "en":
            pool = list(EXTRA_TAGS[f"{base.lang}-{base.brand}"])
        else:
            pool = list(EXTRA_TAGS[base.brand])
            if rng.random() < 0.25:  # seasonal tags ride along now and then, not on every post
                pool.append(rng.choice(EXTRA_TAGS["any"]))
        count = {
            "instagram": rng.randint(2, 6),
            "mastodon": rng.choice((0, 0, 1, 2, 3)),
        }.get(platform, rng.choice((0, 0, 0, 1, 2)))
        tags = rng.sample(pool, min(count, len(pool)))
        if not tags:
            return ""
        # Instagram captions stack their tags on a line of their own.
        return ("\n\n" if platform == "instagram" else " ") + " ".join(tags)


def diurnal_ms(rng: Random, start: datetime, end: datetime) -> int:
    """A moment between start and end, busier in the European and American daytime (UTC)."""
    activity = (3, 2, 2, 2, 2, 3, 4, 6, 8, 9, 9, 9, 10, 10, 10, 10, 10, 10, 9, 9, 8, 7, 5, 4)
    lo, hi = int(start.timestamp() * 1000), int(end.timestamp() * 1000)
    while True:
        ms = rng.randint(lo, hi - 1)
        hour = datetime.fromtimestamp(ms / 1000, UTC).hour
        if rng.random() * 10 < activity[hour]:
            return ms


class IdMaker:
    """Native ids shaped like each network's, derived from the post time where the network does."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def make(self, platform: str, ms: int) -> str:
        while True:
            candidate = self._candidate(platform, ms)
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate

    def _candidate(self, platform: str, ms: int) -> str:
        rng = self.rng
        if platform == "mastodon":  # Snowflake: milliseconds << 16, plus a sequence
            return str((ms << 16) + rng.randint(0, 0xFFFF))
        if platform == "x":  # Snowflake from the Twitter epoch
            return str(((ms - 1288834974657) << 22) + rng.randint(0, (1 << 22) - 1))
        if platform == "bluesky":  # TID rkey: microseconds << 10 | clock id, base32-sortable
            micros = ms * 1000 + rng.randint(0, 999)
            return to_base((micros << 10) | rng.randint(0, 1023), B32_SORT, 13)
        if platform == "instagram":
            return "18" + "".join(rng.choice(string.digits) for _ in range(15))
        if platform == "reddit":  # one global base36 sequence, a dozen posts a second
            seconds = ms // 1000 - int(START.timestamp())
            return to_base(int("1p00000", 36) + seconds * 12 + rng.randint(0, 11), B36)
        last = rng.choice("AEIMQUYcgkosw048")  # a video id's last char carries only 4 bits
        return "".join(rng.choice(B64URL) for _ in range(10)) + last


def iso(ms: int, platform: str) -> str:
    when = datetime.fromtimestamp(ms / 1000, UTC)
    if platform in ("mastodon", "bluesky", "x"):
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    if platform == "instagram":
        return when.strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def truncate(ms: int, platform: str) -> int:
    """Networks that only report seconds (or .000 like X) lose the milliseconds."""
    return ms if platform in ("mastodon", "bluesky") else ms - ms % 1000


def permalink(rng: Random, draft: Draft, native_id: str) -> str:
    author = draft.author
    if draft.platform == "mastodon":
        return f"https://{author.instance}/@{author.username}/{native_id}"
    if draft.platform == "bluesky":
        return f"https://bsky.app/profile/{author.handle}/post/{native_id}"
    if draft.platform == "x":
        return f"https://x.com/{author.handle}/status/{native_id}"
    if draft.platform == "instagram":
        shortcode = "D" + "".join(rng.choice(B64URL) for _ in range(10))
        return f"https://www.instagram.com/p/{shortcode}/"
    if draft.platform == "reddit":
        words = re.findall(r"[a-z0-9]+", BRAND_TAG_RE.sub("", draft.text).lower())[:7]
        slug = "_".join(words)[:50].rstrip("_")
        return f"https://www.reddit.com/r/{rng.choice(SUBREDDITS[draft.brand])}/comments/{native_id}/{slug}/"
    if rng.random() < 0.3:
        return f"https://www.youtube.com/shorts/{native_id}"
    return f"https://www.youtube.com/watch?v={native_id}"


def media(rng: Random, draft: Draft, native_id: str) -> list[dict[str, str | None]]:
    key = f"{draft.platform}-{native_id}"
    if draft.platform == "youtube":
        return [
            {
                "type": "video",
                "url": f"https://media.example.com/demo/{key}.mp4",
                "preview_url": f"https://media.example.com/demo/{key}_thumb.jpg",
                "alt_text": None,
            }
        ]
    wants = bool(PHOTO_HINT.search(draft.text)) and draft.kind != "unsafe"
    rate = MEDIA_RATE[draft.platform] * (0.2 if draft.kind == "giveaway" else 1.0)
    if not wants and rng.random() >= rate:
        return []
    mood = "bad" if draft.sentiment == "negative" else "ok"
    if draft.kind == "burst":
        mood = "burst"
    alts = ALT_TEXTS.get((draft.brand, mood), ALT_TEXTS[(draft.brand, "ok")])
    count = rng.choices((1, 2, 3), weights=(60, 25, 15))[0]
    items: list[dict[str, str | None]] = []
    for i, alt in enumerate(rng.sample(alts, min(count, len(alts)))):
        has_alt = rng.random() < ALT_TEXT_RATE[draft.platform]
        items.append(
            {
                "type": "image",
                "url": f"https://media.example.com/demo/{key}-{i}.jpg",
                "preview_url": f"https://media.example.com/demo/{key}-{i}_small.jpg",
                "alt_text": alt if has_alt else None,
            }
        )
    return items


def engagement(rng: Random, draft: Draft) -> dict[str, int | None]:
    """Counts with a long tail, scaled by audience; the burst is shared far more than usual."""
    platform = draft.platform
    audience = draft.author.followers if draft.author.followers is not None else 900
    if platform == "bluesky" and audience < 50_000 and rng.random() < 0.75:
        # Firehose events carry no counts; only the big accounts are worth a separate lookup.
        return {"likes": None, "reposts": None, "replies": None, "quotes": None}
    scale = {
        "mastodon": 0.8,
        "bluesky": 1.2,
        "x": 1.0,
        "instagram": 3.0,
        "reddit": 1.5,
        "youtube": 4.0,
    }[platform]
    median = max(0.6, audience**0.55 / 6 * scale)
    likes = int(median * rng.lognormvariate(0, 1.1))
    repost_ratio, reply_ratio = rng.uniform(0.05, 0.3), rng.uniform(0.05, 0.4)
    if draft.sentiment == "negative":
        reply_ratio *= 2  # complaints draw replies more than likes
    if draft.kind == "burst":
        likes = int((likes + 3) * rng.uniform(4, 12))
        repost_ratio, reply_ratio = rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.9)
    elif draft.kind == "official":
        likes = int(likes * rng.uniform(2, 5))
    reposts = int(likes * repost_ratio)
    replies = int(likes * reply_ratio + rng.random() * 2)
    quotes = int(reposts * rng.uniform(0.02, 0.3 if draft.kind == "burst" else 0.1))
    if platform == "mastodon":
        return {"likes": likes, "reposts": reposts, "replies": replies, "quotes": None}
    if platform in ("instagram", "reddit", "youtube"):
        return {"likes": likes, "reposts": None, "replies": replies, "quotes": None}
    return {"likes": likes, "reposts": reposts, "replies": replies, "quotes": quotes}


def pick_author(
    rng: Random,
    authors: Sequence[Author],
    brand: str,
    platform_boost: dict[str, float] | None = None,
) -> Author:
    boost = platform_boost or {}
    weights = []
    for a in authors:
        affinity = 4.0 if a.fav_brand == brand else (1.0 if a.fav_brand is None else 0.4)
        if a.platform == "youtube":
            # Channels film their own niche, and a video takes longer to make than a post.
            affinity = {brand: 4.0, None: 1.0}.get(a.fav_brand, 0.05)
        weights.append(a.weight * affinity * boost.get(a.platform, 1.0))
    return rng.choices(list(authors), weights=weights)[0]


def pick_base(rng: Random, pool: Sequence[Base], uses: Counter[str]) -> Base:
    """Prefer bases used least so far, so every hand-written text gets its turn."""
    return rng.choices(list(pool), weights=[1 / (1 + uses[b.text]) ** 3 for b in pool])[0]


def build(rng: Random) -> list[Draft]:
    bases = parse_corpus(CORPUS)
    authors = make_authors(rng)
    composer = Composer(rng, authors)
    uses: Counter[str] = Counter()
    drafts: list[Draft] = []
    brand_accounts = [
        Author(
            "mastodon",
            author_id(rng, "mastodon"),
            "brewnorth@social.example.net",
            "brewnorth",
            "BrewNorth Roasters",
            48_900,
            "en",
            "brewnorth",
            0.0,
            "social.example.net",
        ),
        Author(
            "instagram",
            author_id(rng, "instagram"),
            "glowlab.skin",
            "glowlab.skin",
            "GlowLab",
            312_000,
            "en",
            "glowlab",
            0.0,
        ),
        Author(
            "bluesky",
            author_id(rng, "bluesky"),
            "glowlab.example",
            "glowlab.example",
            "GlowLab",
            41_700,
            "en",
            "glowlab",
            0.0,
        ),
        Author(
            "x",
            author_id(rng, "x"),
            "TrailPeakGear",
            "TrailPeakGear",
            "TrailPeak",
            268_000,
            "en",
            "trailpeak",
            0.0,
        ),
        Author(
            "mastodon",
            author_id(rng, "mastodon"),
            "trailpeak@hikers.example.social",
            "trailpeak",
            "TrailPeak",
            37_200,
            "en",
            "trailpeak",
            0.0,
            "hikers.example.social",
        ),
    ]
    for (brand, platform, sentiment, when, message), author in zip(
        OFFICIAL, brand_accounts, strict=True
    ):
        assert author.platform == platform and author.fav_brand == brand
        composer.seen.add(message)
        drafts.append(
            Draft(
                platform,
                brand,
                sentiment,
                "official",
                "en",
                message,
                author,
                int(when.timestamp() * 1000),
            )
        )

    def pool(**want: str) -> list[Base]:
        return [b for b in bases if all(getattr(b, k) == v for k, v in want.items())]

    # Unsafe posts: one each, anywhere but the burst window so the two stories stay separable.
    for base in pool(kind="unsafe"):
        candidates = [
            a
            for a in authors
            if a.platform == base.platform and a.lang == "en" and (a.followers or 0) < 50_000
        ]
        author = rng.choice(candidates)
        while True:
            ms = diurnal_ms(rng, START, END)
            if (
                not BURST_START.timestamp() * 1000 - 600_000
                < ms
                < (BURST_START + timedelta(minutes=BURST_MINUTES + 10)).timestamp() * 1000
            ):
                break
        text = composer.compose(base, author)
        assert text is not None
        drafts.append(
            Draft(
                author.platform,
                base.brand,
                base.sentiment,
                "unsafe",
                "en",
                text,
                author,
                ms,
                base.why,
            )
        )

    # Giveaway entries between the announcement and the deadline.
    entries = pool(kind="giveaway")
    while sum(d.kind == "giveaway" for d in drafts) < N_GIVEAWAY:
        author = pick_author(
            rng,
            [a for a in authors if a.platform in ("instagram", "x", "mastodon", "bluesky")],
            "glowlab",
            {"instagram": 4.0},
        )
        base = pick_base(rng, entries, uses)
        text = composer.compose(base, author)
        if text is None:
            continue
        uses[base.text] += 1
        ms = diurnal_ms(rng, GIVEAWAY_START + timedelta(minutes=3), GIVEAWAY_END)
        drafts.append(
            Draft(author.platform, "glowlab", "positive", "giveaway", "en", text, author, ms)
        )

    # The burst: outrage travels on X and Bluesky first; big accounts chime in early.
    burst_en, burst_other = (
        pool(kind="burst", lang="en"),
        [b for b in bases if b.kind == "burst" and b.lang != "en"],
    )
    burst_authors = [a for a in authors if a.platform != "youtube"]
    pinned = [
        a for a in authors if a.username in ("inboxwatch", "ultralight_otto", "northwind_hikes")
    ]
    burst_start_ms = int(BURST_START.timestamp() * 1000)
    burst_count = 0
    while burst_count < N_BURST:
        i = burst_count
        if i < len(burst_other):
            base = burst_other[i]
            author = rng.choice([a for a in burst_authors if a.lang == base.lang])
        elif i - len(burst_other) < len(pinned):
            author = pinned[i - len(burst_other)]
            press = author.username == "inboxwatch"
            base = pool(kind="press")[0] if press else pick_base(rng, burst_en, uses)
        else:
            author = pick_author(
                rng,
                [a for a in burst_authors if a.lang == "en" and a not in pinned],
                "trailpeak",
                {"x": 2.5, "bluesky": 2.0, "instagram": 0.5},
            )
            unused = composer.fresh(burst_en, author)
            if not unused:
                continue
            base = pick_base(rng, unused, uses)
        text = composer.compose(base, author)
        if text is None:
            continue
        burst_count += 1
        uses[base.text] += 1
        offset_min = rng.triangular(0, BURST_MINUTES, 9)
        if author in pinned:
            offset_min = rng.uniform(4, 14)
        ms = burst_start_ms + int(offset_min * 60_000)
        drafts.append(
            Draft(author.platform, "trailpeak", "negative", "burst", base.lang, text, author, ms)
        )

    # Everyday chatter: a fixed sentiment mix, each post's brand and author drawn by weight.
    plan = [s for s, n in N_REGULAR.items() for _ in range(n)]
    rng.shuffle(plan)
    # The privacy newsletter only covers the leak; it never reviews a product.
    regular_authors = [a for a in authors if a.username != "inboxwatch"]
    for sentiment in plan:
        while True:
            brand = weighted(rng, dict(BRAND_SHARE))
            author = pick_author(rng, regular_authors, brand)
            if author.platform == "youtube":
                choices = pool(kind="youtube", brand=brand, sentiment=sentiment)
            elif author.lang != "en" and rng.random() < 0.85:
                choices = pool(kind="post", brand=brand, sentiment=sentiment, lang=author.lang)
            else:
                choices = pool(kind="post", brand=brand, sentiment=sentiment, lang="en")
                choices += [b for b in pool(kind="cross", sentiment=sentiment) if b.brand == brand]
            choices = composer.fresh(choices, author)
            if not choices:
                continue
            base = pick_base(rng, choices, uses)
            text = composer.compose(base, author)
            if text is not None:
                break
        uses[base.text] += 1
        drafts.append(
            Draft(
                author.platform,
                brand,
                sentiment,
                base.kind,
                base.lang,
                text,
                author,
                diurnal_ms(rng, START, END),
            )
        )
    return drafts


def serialize(rng: Random, drafts: list[Draft]) -> list[tuple[dict[str, object], Draft]]:
    ids = IdMaker(rng)
    rows: list[tuple[dict[str, object], Draft]] = []
    for draft in drafts:
        ms = truncate(draft.created_ms, draft.platform)
        native_id = ids.make(draft.platform, ms)
        lag_lo, lag_hi = COLLECT_LAG_S[draft.platform]
        collected_ms = ms + int(rng.uniform(lag_lo, lag_hi) * 1000)
        author = draft.author
        row: dict[str, object] = {
            "schema_version": 1,
            "platform": draft.platform,
            "native_id": native_id,
            "post_id": f"{draft.platform}:{native_id}",
            "hashtags": list(dict.fromkeys(m.lower() for m in BRAND_TAG_RE.findall(draft.text))),
            "text": draft.text,
            "author": {
                "id": author.id,
                "handle": author.handle,
                "display_name": author.display_name,
                "followers": author.followers,
            },
            "media": media(rng, draft, native_id),
            "permalink": permalink(rng, draft, native_id),
            "language": draft.lang,
            "created_at": iso(ms, draft.platform),
            "collected_at": iso(collected_ms, "mastodon"),
            "engagement": engagement(rng, draft),
        }
        rows.append((row, draft))
    rows.sort(
        key=lambda pair: (
            datetime.fromisoformat(str(pair[0]["created_at"])),
            str(pair[0]["post_id"]),
        )
    )
    return rows


def write(path: Path, rows: list[tuple[dict[str, object], Draft]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for row, _ in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def validate(path: Path, rows: list[tuple[dict[str, object], Draft]]) -> None:
    """Re-read the file as a consumer would and report what the demo contains."""
    posts = [
        RawPost.model_validate_json(line) for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(posts) >= 500, len(posts)
    ids = [p.post_id for p in posts]
    assert len(set(ids)) == len(ids), "duplicate post_id"
    assert len({p.text for p in posts}) == len(posts), "duplicate text"
    created = [p.created_at for p in posts]
    assert created == sorted(created), "not sorted by created_at"
    assert created[0] >= START and created[-1] <= END, (created[0], created[-1])
    drafts = {str(row["post_id"]): draft for row, draft in rows}
    burst = [p for p in posts if drafts[p.post_id].kind == "burst"]
    unsafe = [p for p in posts if drafts[p.post_id].kind == "unsafe"]
    burst_span = max(p.created_at for p in burst) - min(p.created_at for p in burst)
    assert burst_span <= timedelta(minutes=BURST_MINUTES), burst_span

    def show(title: str, counts: Counter[str]) -> None:
        print(f"{title:<10} " + ", ".join(f"{k}={v}" for k, v in counts.most_common()))

    print(f"{path}: {len(posts)} posts, all valid RawPost, unique post_ids, sorted")
    show("brand", Counter(tag for p in posts for tag in p.hashtags))
    show("platform", Counter(p.platform.value for p in posts))
    show("language", Counter(p.language or "?" for p in posts))
    sentiments = Counter(drafts[p.post_id].sentiment for p in posts)
    show("sentiment", sentiments)
    print("           " + ", ".join(f"{k}={v / len(posts):.1%}" for k, v in sentiments.items()))
    show("kind", Counter(drafts[p.post_id].kind for p in posts))
    print(
        f"burst      {len(burst)} negative #TrailPeak posts between "
        f"{min(p.created_at for p in burst):%H:%M:%S} and {max(p.created_at for p in burst):%H:%M:%S}"
        f" UTC on {BURST_START:%Y-%m-%d} (span {burst_span})"
    )
    show("unsafe", Counter(drafts[p.post_id].why or "?" for p in unsafe))

    def mean_likes(group: list[RawPost]) -> float:
        likes = [p.engagement.likes for p in group if p.engagement.likes is not None]
        return sum(likes) / max(len(likes), 1)

    others = [p for p in posts if drafts[p.post_id].kind not in ("burst", "official")]
    print(f"likes      burst mean {mean_likes(burst):.1f} vs other mean {mean_likes(others):.1f}")
    print(f"media      {sum(1 for p in posts if p.media) / len(posts):.1%} of posts have media")
    authors = Counter(p.author.handle for p in posts)
    print(
        f"authors    {len(authors)} distinct; most active: "
        + ", ".join(f"{h}={n}" for h, n in authors.most_common(5))
    )
    bases = {b.text for b in parse_corpus(CORPUS)}
    print(f"corpus     {len(bases)} hand-written base texts")


def main() -> None:
    rng = Random(SEED)
    drafts = build(rng)
    rows = serialize(rng, drafts)
    path = demo_posts_path()
    write(path, rows)
    validate(path, rows)


if __name__ == "__main__":
    main()
