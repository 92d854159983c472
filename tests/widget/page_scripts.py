"""Scripts the browser tests evaluate in the page: what they read of the widget's shadow DOM."""

from __future__ import annotations

# Everything the shadow root holds that the hostile post could have turned into something.
SHADOW_FACTS = """
() => {
  const root = document.querySelector("ugc-feed").shadowRoot;
  return {
    scripts: document.scripts.length + root.querySelectorAll("script").length,
    imgSources: [...root.querySelectorAll("img")].map((img) => img.getAttribute("src")),
    hrefs: [...root.querySelectorAll("a")].map((a) => a.getAttribute("href")),
    alts: [...root.querySelectorAll("img")].map((img) => img.alt),
    texts: [...root.querySelectorAll(".text")].map((p) => p.textContent),
    onAttributes: [...root.querySelectorAll("*")].flatMap(
      (el) => [...el.attributes].map((a) => a.name).filter((name) => name.startsWith("on"))),
  };
}
"""


FIRST_IMAGE_LOADED = """
() => {
  const root = document.querySelector("ugc-feed")?.shadowRoot;
  const loaded = root && [...root.querySelectorAll("img")].some(
    (img) => img.complete && img.naturalWidth > 0);
  return loaded ? performance.now() : 0;
}
"""


IMAGES_IN_VIEW_LOADED = """
() => {
  const root = document.querySelector("ugc-feed").shadowRoot;
  const inView = [...root.querySelectorAll("img")].filter(
    (img) => img.getBoundingClientRect().top < innerHeight);
  return inView.length > 0 && inView.every((img) => img.complete && img.naturalWidth > 0);
}
"""


# Whether the carousel (el) rests with card i at its start, or at its end if i cannot get there.
AT_CARD = """
([el, i]) => {
  const cards = el.querySelectorAll("li.post");
  const end = el.scrollWidth - el.clientWidth;
  const target = Math.min(cards[i].offsetLeft - cards[0].offsetLeft, end);
  return Math.abs(el.scrollLeft - target) < 1.5;
}
"""
