/*! <ugc-feed>: the embeddable feed of approved, rights-cleared posts. Plain JavaScript, no
 * dependencies, served as-is by the curation API at /widget.js. See widget/README.md. */
(() => {
  "use strict";

  if (!window.customElements || customElements.get("ugc-feed")) return;

  const NETWORKS = {
    bluesky: "Bluesky",
    instagram: "Instagram",
    mastodon: "Mastodon",
    reddit: "Reddit",
    x: "X",
    youtube: "YouTube",
  };
  const LAYOUTS = ["grid", "masonry", "carousel"];
  const DEFAULT_LIMIT = 12;
  const MAX_LIMIT = 100; // what GET /v1/feeds/{slug}/posts accepts
  const MAX_REASON = 500;
  const CARD_PX = 480; // the src of browsers without srcset: about a card at 2x

  // Read while this file runs: document.currentScript is null afterwards (and for modules).
  const SCRIPT_BASE = baseOf(document.currentScript) || baseOf(findOwnScript());

  function findOwnScript() {
    const scripts = document.querySelectorAll("script[src]");
    for (const script of scripts) {
      if (/\/(widget|ugc-feed)\.js(\?|#|$)/.test(script.src)) return script;
    }
    return null;
  }

  function baseOf(script) {
    return script && script.src ? httpUrl(new URL("./", script.src).href) : null;
  }

  /** The URL if it is absolute http(s), else null: nothing else becomes a link or an image. */
  function httpUrl(value) {
    if (typeof value !== "string" || value === "") return null;
    try {
      const url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch {
      return null;
    }
  }

  /** A media URL: absolute http(s), or a path on the API (the copies it stores, at ``base``). */
  function mediaUrl(value, base) {
    const onApi = typeof value === "string" && value.startsWith("/") && !value.startsWith("//");
    if (!onApi || !base) return httpUrl(value);
    try {
      return httpUrl(new URL(value, base).href);
    } catch {
      return null;
    }
  }

  /** An element with attributes; text goes in as textContent, never as markup. */
  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
    }
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /** A failure worth showing as it is (the others get a generic message). */
  class FeedError extends Error {}

  function positiveInt(value) {
    const n = Number(value);
    return Number.isInteger(n) && n > 0 ? n : null;
  }

  function handleOf(post) {
    const handle = String((post.author && post.author.handle) || "").replace(/^@/, "");
    return handle ? "@" + handle : "someone";
  }

  function networkOf(post) {
    const key = String(post.platform || "");
    return NETWORKS[key] || key || "the web";
  }

  /** `srcset` candidates of `media.variants: [{width, height, url}]`, narrowest first. */
  function variantsOf(media, base) {
    const variants = Array.isArray(media.variants) ? media.variants : [];
    return variants
      .map((v) => v && { url: mediaUrl(v.url, base), width: positiveInt(v.width), height: positiveInt(v.height) })
      .filter((v) => v && v.url && v.width)
      .sort((a, b) => a.width - b.width);
  }

  /** The first media item that can be shown as a still (an image, or a video's preview), with
   * its variants. Without variants the preview is the card-sized image. */
  function stillOf(post, base) {
    for (const media of Array.isArray(post.media) ? post.media : []) {
      if (!media || typeof media !== "object") continue;
      const isImage = media.type === "image";
      const variants = isImage ? variantsOf(media, base) : [];
      const fallback = variants.find((v) => v.width >= CARD_PX) || variants[variants.length - 1];
      const src = (fallback && fallback.url) || mediaUrl(media.preview_url, base) || (isImage ? mediaUrl(media.url, base) : null);
      if (src) return { media, src, isImage, variants };
    }
    return null;
  }

  const CSS = `
:host{display:block;--_gap:var(--ugc-gap,12px);--_radius:var(--ugc-radius,8px);
--_accent:var(--ugc-accent,#0b63ce);--_fg:var(--ugc-fg,#1b1b1f);--_bg:var(--ugc-bg,transparent);
--_card:var(--ugc-card-width,15rem);color:var(--_fg);background:var(--_bg);
font:var(--ugc-font,400 15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif)}
:host([hidden]){display:none}
*{box-sizing:border-box}
.track{list-style:none;margin:0;padding:0}
.grid .track{display:grid;gap:var(--_gap);grid-template-columns:repeat(auto-fill,minmax(min(var(--_card),100%),1fr))}
.masonry .track{columns:var(--_card);column-gap:var(--_gap)}
.masonry .post{break-inside:avoid;margin-bottom:var(--_gap)}
.carousel .viewport{overflow-x:auto;scroll-snap-type:x mandatory;scroll-behavior:smooth;
overscroll-behavior-x:contain;border-radius:var(--_radius)}
.carousel .track{display:flex;gap:var(--_gap)}
.carousel .post{flex:0 0 var(--_card);scroll-snap-align:start}
.post{display:flex;flex-direction:column;overflow:hidden;border-radius:var(--_radius);
border:1px solid color-mix(in srgb,currentColor 14%,transparent);background:var(--ugc-card-bg,var(--_bg))}
.media{margin:0;aspect-ratio:var(--ugc-media-ratio,1);overflow:hidden;
background:color-mix(in srgb,currentColor 8%,transparent)}
.media img{display:block;width:100%;height:100%;object-fit:cover}
.masonry .media.sized{aspect-ratio:auto}.masonry .media.sized img{height:auto}
.media.broken img{visibility:hidden}
.text{margin:0;padding:.6em .75em 0;overflow-wrap:anywhere;white-space:pre-line;display:-webkit-box;
-webkit-box-orient:vertical;-webkit-line-clamp:var(--ugc-lines,4);overflow:hidden}
.meta{display:flex;flex-wrap:wrap;gap:.25em .6em;align-items:center;margin-top:auto;
padding:.6em .75em .7em;font-size:.85em;opacity:.9}
.author{font-weight:600;color:var(--_accent);overflow-wrap:anywhere}
a{color:var(--_accent)}
button{font:inherit;color:var(--_accent);background:none;border:1px solid currentColor;
border-radius:var(--_radius);padding:.35em .9em;cursor:pointer}
button:disabled{opacity:.5;cursor:default}
.report{margin-left:auto;border:0;padding:.1em .3em;font-size:.95em;text-decoration:underline}
:focus-visible{outline:2px solid var(--_accent);outline-offset:2px}
.bar{display:flex;gap:var(--_gap);justify-content:center;margin-top:var(--_gap)}
.bar.nav{justify-content:flex-end;margin:0 0 var(--_gap)}
.bar:empty,[hidden]{display:none!important}
.status{margin:var(--_gap) 0;text-align:center}
.status.error{color:var(--ugc-error,#b3261e)}
dialog{color:var(--_fg);background:var(--ugc-dialog-bg,#fff);border:0;border-radius:var(--_radius);
padding:1.2em;width:min(28rem,calc(100vw - 2em));box-shadow:0 8px 30px rgb(0 0 0/.25)}
dialog::backdrop{background:rgb(0 0 0/.4)}
dialog h2{font-size:1.1em;margin:0 0 .4em}
dialog textarea{display:block;width:100%;margin:.4em 0;font:inherit;padding:.4em}
.actions{display:flex;gap:.6em;justify-content:flex-end}
@media (prefers-reduced-motion:reduce){.carousel .viewport{scroll-behavior:auto}}
`;

  let sheet = null;
  function styleInto(root) {
    // A constructed stylesheet is not subject to the page's style-src: the widget works under
    // a strict Content-Security-Policy. Browsers without them get a <style> element.
    if ("adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      try {
        if (!sheet) {
          sheet = new CSSStyleSheet();
          sheet.replaceSync(CSS);
        }
        root.adoptedStyleSheets = [sheet];
        return;
      } catch {
        /* fall through */
      }
    }
    root.append(el("style", {}, CSS));
  }

  class UgcFeed extends HTMLElement {
    static get observedAttributes() {
      return ["feed", "layout", "limit", "api"];
    }

    constructor() {
      super();
      this._root = this.attachShadow({ mode: "open" });
      this._built = false;
      this._cursor = null;
      this._controller = null;
      this._reporting = null;
      this._reloadQueued = false;
      this._index = 0;
      this._target = null;
      this._scrollTimer = 0;
    }

    connectedCallback() {
      if (!this._built) this._build();
      this._queueReload();
    }

    disconnectedCallback() {
      if (this._controller) this._controller.abort();
    }

    attributeChangedCallback(_name, oldValue, newValue) {
      if (this._built && this.isConnected && oldValue !== newValue) this._queueReload();
    }

    get layout() {
      const layout = (this.getAttribute("layout") || "").toLowerCase();
      return LAYOUTS.includes(layout) ? layout : "grid";
    }

    get limit() {
      return Math.min(positiveInt(this.getAttribute("limit")) || DEFAULT_LIMIT, MAX_LIMIT);
    }

    get apiBase() {
      const given = this.getAttribute("api");
      if (given) return httpUrl(given.endsWith("/") ? given : given + "/");
      return SCRIPT_BASE || httpUrl(location.origin + "/");
    }

    _build() {
      styleInto(this._root);
      this._frame = el("div", { class: "feed", part: "feed" });
      this._viewport = el("div", { class: "viewport", part: "viewport" });
      this._track = el("ul", { class: "track", part: "list" });
      this._status = el("p", { class: "status", role: "status", "aria-live": "polite", part: "status" });
      this._retry = el("button", { type: "button", class: "retry", hidden: "" }, "Try again");
      this._prev = el("button", { type: "button", class: "prev", "aria-label": "Previous posts" }, "‹");
      this._next = el("button", { type: "button", class: "next", "aria-label": "Next posts" }, "›");
      this._nav = el("div", { class: "bar nav", part: "carousel-controls" });
      this._nav.append(this._prev, this._next);
      this._more = el("button", { type: "button", class: "more", part: "load-more", hidden: "" }, "Load more");
      const bar = el("div", { class: "bar" });
      bar.append(this._more, this._retry);
      this._viewport.append(this._track);
      // The carousel's buttons sit above its cards: nothing visible below them moves when the
      // posts arrive.
      this._frame.append(this._nav, this._viewport, this._status, bar);
      this._root.append(this._frame, this._buildDialog());

      this._more.addEventListener("click", () => this._load(this._cursor));
      this._retry.addEventListener("click", () => this._load(this._cursor));
      this._prev.addEventListener("click", () => this._step(-1));
      this._next.addEventListener("click", () => this._step(1));
      this._viewport.addEventListener("keydown", (event) => this._onKey(event));
      this._viewport.addEventListener("scroll", () => this._onScroll(), { passive: true });
      if ("onscrollend" in window) this._viewport.addEventListener("scrollend", () => this._scrollEnded());
      this._built = true;
    }

    _buildDialog() {
      const dialog = el("dialog", { class: "report-dialog", "aria-labelledby": "ugc-report-title", part: "report-dialog" });
      const form = el("form", { class: "report-form", novalidate: "" });
      this._reportWho = el("p", { class: "who" });
      this._reason = el("textarea", {
        id: "ugc-report-reason",
        name: "reason",
        rows: "4",
        maxlength: String(MAX_REASON),
        required: "",
      });
      this._reportMessage = el("p", { class: "message", role: "status", "aria-live": "polite" });
      this._reportSend = el("button", { type: "submit", class: "send" }, "Send report");
      this._reportCancel = el("button", { type: "button", class: "cancel" }, "Cancel");
      const actions = el("div", { class: "actions" });
      actions.append(this._reportCancel, this._reportSend);
      form.append(
        el("h2", { id: "ugc-report-title" }, "Report this post"),
        this._reportWho,
        el("label", { for: "ugc-report-reason" }, "What is wrong with it?"),
        this._reason,
        this._reportMessage,
        actions,
      );
      dialog.append(form);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        this._sendReport();
      });
      this._reportCancel.addEventListener("click", () => dialog.close());
      dialog.addEventListener("close", () => {
        const reporting = this._reporting;
        this._reporting = null;
        if (!reporting || !reporting.done) return;
        // The reported post is no longer public: take it away, and keep keyboard focus nearby.
        const neighbour = reporting.item.nextElementSibling || reporting.item.previousElementSibling;
        reporting.item.remove();
        const target = (neighbour && neighbour.querySelector(".report")) || (this._more.hidden ? null : this._more);
        if (target) target.focus();
      });
      this._dialog = dialog;
      return dialog;
    }

    _queueReload() {
      // Several attributes set in a row (or by a framework) cause one fetch, not one each.
      if (this._reloadQueued) return;
      this._reloadQueued = true;
      queueMicrotask(() => {
        this._reloadQueued = false;
        this._reset();
        this._load(null);
      });
    }

    _reset() {
      if (this._controller) this._controller.abort();
      this._cursor = null;
      this._index = 0;
      this._track.replaceChildren();
      this._frame.className = "feed " + this.layout;
      const carousel = this.layout === "carousel";
      this._nav.hidden = !carousel;
      for (const [name, value] of [
        ["role", carousel ? "region" : null],
        ["aria-roledescription", carousel ? "carousel" : null],
        ["aria-label", carousel ? "Posts" : null],
        ["tabindex", carousel ? "0" : null],
      ]) {
        if (value === null) this._viewport.removeAttribute(name);
        else this._viewport.setAttribute(name, value);
      }
      this._more.hidden = true;
    }

    _showStatus(text, isError, canRetry = isError) {
      this._status.textContent = text;
      this._status.classList.toggle("error", Boolean(isError));
      this._retry.hidden = !canRetry;
    }

    async _load(cursor) {
      const feed = this.getAttribute("feed");
      const base = this.apiBase;
      if (!feed || !base) {
        // A mistake in the page's markup: trying again would not help.
        this._showStatus(feed ? "The feed's address is not a valid http(s) URL." : "No feed chosen.", true, false);
        return;
      }
      if (this._controller) this._controller.abort();
      const controller = (this._controller = new AbortController());
      const url = new URL(`v1/feeds/${encodeURIComponent(feed)}/posts`, base);
      url.searchParams.set("limit", String(this.limit));
      if (cursor) url.searchParams.set("cursor", cursor);
      this._more.disabled = true;
      this._frame.setAttribute("aria-busy", "true");
      this._showStatus(cursor ? "Loading more posts…" : "Loading posts…", false);
      try {
        const response = await fetch(url, { signal: controller.signal, credentials: "omit" });
        if (!response.ok) {
          throw new FeedError(response.status === 404 ? "This feed does not exist." : "The feed could not be loaded.");
        }
        const page = await response.json();
        if (!page || !Array.isArray(page.items)) throw new FeedError("The feed could not be loaded.");
        const added = this._append(page.items);
        this._cursor = typeof page.next_cursor === "string" && page.next_cursor ? page.next_cursor : null;
        this._more.hidden = !this._cursor;
        const empty = !this._track.children.length;
        this._showStatus(empty ? "No posts yet." : "", false);
        this._updateNav();
        this.dispatchEvent(new CustomEvent("ugc-feed-load", { detail: { added, more: Boolean(this._cursor) }, bubbles: true, composed: true }));
      } catch (error) {
        if (controller.signal.aborted) return;
        const shown = error instanceof FeedError ? error.message : "The feed could not be loaded. Check your connection.";
        this._showStatus(shown, true);
        this.dispatchEvent(new CustomEvent("ugc-feed-error", { detail: { message: this._status.textContent }, bubbles: true, composed: true }));
      } finally {
        if (this._controller === controller) {
          this._controller = null;
          this._more.disabled = false;
          this._frame.removeAttribute("aria-busy");
        }
      }
    }

    _append(posts) {
      let added = 0;
      for (const post of posts) {
        if (!post || typeof post !== "object" || typeof post.post_id !== "string") continue;
        this._track.append(this._renderPost(post));
        added += 1;
      }
      return added;
    }

    _renderPost(post) {
      const handle = handleOf(post);
      const network = networkOf(post);
      const item = el("li", { class: "post", part: "post" });
      item.dataset.postId = post.post_id;
      const still = stillOf(post, this.apiBase);
      if (still) item.append(this._renderMedia(still, handle, network));
      item.append(el("p", { class: "text", part: "text" }, String(post.text || "")));
      const meta = el("div", { class: "meta", part: "meta" });
      const permalink = httpUrl(post.permalink);
      meta.append(
        permalink
          ? el("a", { class: "author", href: permalink, target: "_blank", rel: "noopener noreferrer ugc nofollow" }, handle)
          : el("span", { class: "author" }, handle),
        el("span", { class: "network" }, network),
      );
      const created = new Date(post.created_at);
      if (!Number.isNaN(created.getTime())) {
        meta.append(el("time", { datetime: created.toISOString() }, created.toLocaleDateString(undefined, { dateStyle: "medium" })));
      }
      const report = el("button", { type: "button", class: "report", "aria-label": `Report the post by ${handle}` }, "Report");
      report.addEventListener("click", () => this._openReport(post, item, report, `${handle} on ${network}`));
      meta.append(report);
      item.append(meta);
      return item;
    }

    _renderMedia({ media, src, isImage, variants }, handle, network) {
      const figure = el("figure", { class: "media", part: "media" });
      const alt = typeof media.alt_text === "string" && media.alt_text.trim() ? media.alt_text.trim() : `${isImage ? "Photo" : "Video"} by ${handle} on ${network}`;
      // The widest known size sets the box's ratio (width/height attributes), so nothing moves
      // when the image arrives; without sizes the CSS aspect-ratio box holds the space instead.
      const sized = variants.filter((v) => v.height).pop() || (positiveInt(media.width) && positiveInt(media.height) ? media : null);
      const img = el("img", {
        src,
        alt,
        loading: "lazy",
        decoding: "async",
        srcset: variants.length ? variants.map((v) => `${v.url} ${v.width}w`).join(", ") : null,
        sizes: variants.length ? "auto, (min-width: 48em) 33vw, 100vw" : null,
        width: sized ? String(sized.width) : null,
        height: sized ? String(sized.height) : null,
      });
      if (sized) figure.classList.add("sized");
      img.addEventListener("error", () => figure.classList.add("broken"), { once: true });
      figure.append(img);
      return figure;
    }

    _onKey(event) {
      if (this.layout !== "carousel" || event.target !== this._viewport) return;
      const moves = { ArrowRight: 1, ArrowLeft: -1, Home: -Infinity, End: Infinity };
      if (!(event.key in moves)) return;
      event.preventDefault();
      this._step(moves[event.key]);
    }

    /** Scroll the carousel by ``by`` cards (±Infinity: to either end). The target card is
     * counted from the last target, not read from a scroll still moving, so that quick key
     * presses move one card each. */
    _step(by) {
      const cards = [...this._track.children];
      if (!cards.length) return;
      const last = this._lastReachable(cards);
      const from = Math.min(this._index, last);
      this._index = Number.isFinite(by) ? Math.max(0, Math.min(last, from + by)) : by > 0 ? last : 0;
      this._target = Math.min(this._offsetOf(cards, this._index), this._viewport.scrollWidth - this._viewport.clientWidth);
      this._viewport.scrollTo({ left: this._target });
    }

    _offsetOf(cards, index) {
      return cards[index].offsetLeft - cards[0].offsetLeft;
    }

    /** The last card that can be scrolled to the start; those after it show at the end. */
    _lastReachable(cards) {
      const max = this._viewport.scrollWidth - this._viewport.clientWidth;
      const index = cards.findIndex((_, i) => this._offsetOf(cards, i) >= max - 1);
      return index < 0 ? cards.length - 1 : index;
    }

    /** When a scroll ends. Chromium may finish snapping the previous scroll after a new
     * one began, and so cancel it: then the scroll asked for is asked once more. Otherwise
     * (a swipe, a drag) the card at the start becomes the one the arrows move from. */
    _scrollEnded() {
      const target = this._target;
      this._target = null;
      if (target !== null && Math.abs(this._viewport.scrollLeft - target) > 1) {
        this._viewport.scrollTo({ left: target });
        return;
      }
      this._syncIndex();
    }

    _syncIndex() {
      const cards = [...this._track.children];
      const left = this._viewport.scrollLeft;
      let nearest = 0;
      cards.forEach((_, i) => {
        if (Math.abs(this._offsetOf(cards, i) - left) < Math.abs(this._offsetOf(cards, nearest) - left)) nearest = i;
      });
      this._index = Math.min(nearest, this._lastReachable(cards));
    }

    _onScroll() {
      this._updateNav();
      if ("onscrollend" in window) return;
      // No scrollend event (Safari): the scroll has ended when it has been still for a moment.
      clearTimeout(this._scrollTimer);
      this._scrollTimer = setTimeout(() => this._scrollEnded(), 150);
    }

    _updateNav() {
      const viewport = this._viewport;
      this._prev.disabled = viewport.scrollLeft <= 1;
      this._next.disabled = viewport.scrollLeft + viewport.clientWidth >= viewport.scrollWidth - 1;
    }

    _openReport(post, item, opener, who) {
      this._reporting = { post, item, opener, done: false };
      this._reportWho.textContent = who;
      this._reason.value = "";
      this._reason.disabled = false;
      this._reportMessage.textContent = "";
      this._reportSend.hidden = false;
      this._reportSend.disabled = false;
      this._reportCancel.textContent = "Cancel";
      if (typeof this._dialog.showModal === "function") this._dialog.showModal();
      else this._dialog.setAttribute("open", "");
      this._reason.focus();
    }

    async _sendReport() {
      const reporting = this._reporting;
      const reason = this._reason.value.trim();
      if (!reporting || reporting.done) return;
      if (!reason) {
        this._reportMessage.textContent = "Please say what is wrong with this post.";
        this._reason.focus();
        return;
      }
      const feed = this.getAttribute("feed") || "";
      const url = new URL(
        `v1/feeds/${encodeURIComponent(feed)}/posts/${encodeURIComponent(reporting.post.post_id)}/report`,
        this.apiBase,
      );
      this._reportSend.disabled = true;
      this._reportMessage.textContent = "Sending…";
      try {
        const response = await fetch(url, {
          method: "POST",
          credentials: "omit",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ reason: reason.slice(0, MAX_REASON) }),
        });
        if (response.ok) {
          reporting.done = true;
          this._reason.disabled = true;
          this._reportSend.hidden = true;
          this._reportCancel.textContent = "Close";
          this._reportMessage.textContent = "Thank you. The post is hidden until a moderator has looked at it.";
          if (this._dialog.open) this._reportCancel.focus();
          else reporting.item.remove(); // closed while the report was on its way
          return;
        }
        let detail = "";
        try {
          const body = await response.json();
          detail = body && typeof body.detail === "string" ? body.detail : "";
        } catch {
          /* not JSON: the generic message below */
        }
        this._reportMessage.textContent =
          response.status === 429 && detail ? detail
            : response.status === 404 ? "This post is no longer shown."
              : "The report could not be sent. Please try again later.";
      } catch {
        this._reportMessage.textContent = "The report could not be sent. Check your connection.";
      }
      this._reportSend.disabled = false;
    }
  }

  customElements.define("ugc-feed", UgcFeed);
})();
