/* GigCX live pages: the conversation, the expert console and the staff queue.
 * Websocket pushes (Channels) say "something changed"; the page then fetches what changed
 * from the API. A short poll runs as well, so the page stays live on the embedded default
 * (whose in-memory channel layer cannot reach the worker process) and through reconnects. */
(function () {
  "use strict";

  // The page's language comes from the /jsi18n/ catalog, loaded before this script.
  const gettext = window.gettext || function (text) { return text; };
  const interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\(([a-z_]+)\)s/g, function (all, key) { return values[key]; });
  };

  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function csrf() {
    const input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return cookie("csrftoken") || (input ? input.value : "");
  }

  function api(method, url, body, extraHeaders) {
    // The API answers in the page's language (<html lang>), not the browser's: a brand's
    // page can be German for an English browser.
    const headers = Object.assign(
      { "Accept": "application/json", "Accept-Language": document.documentElement.lang || "en" },
      extraHeaders || {}
    );
    if (method !== "GET") {
      headers["X-CSRFToken"] = csrf();
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          const message = data && data.error ? data.error.message : interpolate(gettext("Something went wrong (%(status)s)."), { status: response.status }, true);
          const error = new Error(message);
          error.status = response.status;
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function socket(onEvent) {
    if (!("WebSocket" in window)) return;
    let delay = 1000;
    function connect() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      const ws = new WebSocket(scheme + location.host + "/ws/live/");
      ws.onmessage = function (message) {
        try { onEvent(JSON.parse(message.data)); } catch (e) { /* ignore malformed */ }
      };
      ws.onopen = function () { delay = 1000; };
      ws.onclose = function (event) {
        if (event.code === 4401) return; // not signed in: polling only
        setTimeout(connect, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    connect();
  }

  function every(ms, fn) {
    fn();
    return setInterval(function () { if (!document.hidden) fn(); }, ms);
  }

  // ---- conversation -----------------------------------------------------------------
  function conversation(root) {
    const id = root.dataset.question;
    const role = root.dataset.role;
    const token = root.dataset.token;
    const headers = token ? { "X-Question-Token": token } : {};
    const log = document.getElementById("chat-log");
    const statusBadge = document.getElementById("question-status");
    let last = parseInt(root.dataset.last || "0", 10);
    let status = root.dataset.status;
    const names = { ai: gettext("Automated answer"), system: "GigCX", staff: gettext("Brand team") };

    function who(messageRole) {
      if (messageRole === "customer") return role === "customer" ? gettext("You") : gettext("Customer");
      if (messageRole === "expert") {
        const card = document.querySelector("#expert-card strong");
        return card ? card.textContent : gettext("Expert");
      }
      return names[messageRole] || messageRole;
    }

    function append(message) {
      if (message.id <= last) return;
      last = message.id;
      const item = document.createElement("li");
      item.className = "bubble " + message.role;
      item.dataset.id = message.id;
      const label = document.createElement("span");
      label.className = "who";
      label.textContent = who(message.role);
      item.appendChild(label);
      message.body.split("\n").forEach(function (line, index) {
        if (index) item.appendChild(document.createElement("br"));
        item.appendChild(document.createTextNode(line));
      });
      log.appendChild(item);
      item.scrollIntoView({ block: "nearest" });
    }

    function refresh() {
      api("GET", "/api/v1/questions/" + id + "/messages?after=" + last, undefined, headers)
        .then(function (messages) { messages.forEach(append); })
        .catch(function () {});
      api("GET", "/api/v1/questions/" + id, undefined, headers).then(function (question) {
        // Experts and staff: the banner follows the server's reading of the newest customer
        // message (also without a socket), until someone answers it or it is dismissed.
        if (question.mood_rising === true) showMood();
        if (question.mood_rising === false) hideMood();
        if (question.status !== status) {
          // New status, new actions (an expert joined, it was resolved): redraw the page.
          location.reload();
        }
      }).catch(function (error) {
        if (error.status === 404 && role === "expert") location.href = "/expert/console/";
      });
    }

    const moodBanner = document.getElementById("mood-banner");
    let moodDismissed = false;
    function showMood() {
      if (!moodBanner || moodDismissed || !moodBanner.hidden) return;
      moodBanner.hidden = false;
      const badge = document.getElementById("mood-badge");
      if (badge) { badge.className = "badge mood-upset"; badge.textContent = gettext("mood: upset"); }
      moodBanner.classList.remove("arrived");
      void moodBanner.offsetWidth; // restart the arrival animation
      moodBanner.classList.add("arrived");
    }
    function hideMood() {
      if (moodBanner) moodBanner.hidden = true;
      moodDismissed = false; // the next rise shows it again
    }
    if (moodBanner) {
      moodBanner.querySelector("[data-dismiss]").addEventListener("click", function () {
        moodBanner.hidden = true;
        moodDismissed = true;
      });
    }

    const composer = document.getElementById("composer");
    if (composer) {
      composer.addEventListener("submit", function (event) {
        event.preventDefault();
        const field = composer.querySelector("textarea");
        const errorBox = document.getElementById("composer-error");
        const body = field.value.trim();
        if (!body) return;
        // A reply put in the box from the copilot's draft says so (the draft is only counted
        // as used when what is sent still comes from it; see routing/services/copilot.py).
        const payload = { body: body };
        if (composer.dataset.draft) payload.draft_id = parseInt(composer.dataset.draft, 10);
        api("POST", "/api/v1/questions/" + id + "/messages", payload, headers)
          .then(function (message) {
            field.value = "";
            delete composer.dataset.draft;
            errorBox.textContent = "";
            append(message);
          })
          .catch(function (error) { errorBox.textContent = error.message; });
      });
      composer.querySelector("textarea").addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.shiftKey) {
          event.preventDefault();
          composer.requestSubmit();
        }
      });
    }

    root.addEventListener("click", function (event) {
      const button = event.target.closest("[data-action]");
      if (!button) return;
      const action = button.dataset.action;
      let request;
      if (action === "human") request = api("POST", "/api/v1/questions/" + id + "/human", undefined, headers);
      if (action === "helped" || action === "not-helped") {
        request = api("POST", "/api/v1/questions/" + id + "/feedback", { helped: action === "helped" }, headers);
      }
      if (action === "resolve") request = api("POST", "/api/v1/questions/" + id + "/resolve", undefined, headers);
      if (action === "release") request = api("POST", "/api/v1/questions/" + id + "/release");
      if (action === "accept") request = api("POST", "/api/v1/offers/" + button.dataset.offer + "/accept");
      if (action === "decline") request = api("POST", "/api/v1/offers/" + button.dataset.offer + "/decline")
        .then(function () { location.href = "/expert/console/"; });
      if (action === "escalate") {
        const reason = window.prompt(gettext("Why should the brand's team take over?"));
        if (!reason) return;
        request = api("POST", "/api/v1/questions/" + id + "/escalate", { reason: reason });
      }
      if (!request) return;
      button.disabled = true;
      request.then(function () { location.reload(); }).catch(function (error) {
        button.disabled = false;
        const errorBox = document.getElementById("composer-error");
        if (errorBox) errorBox.textContent = error.message; else window.alert(error.message);
      });
    });

    every(2000, refresh);
    socket(function (event) {
      if (String(event.question_id) !== String(id)) return;
      if (event.type === "mood.rising" || event.type === "mood.alert") {
        // Every customer message is read: a sharp rise in frustration is shown to the people
        // answering, so they can slow down and acknowledge it before the next reply.
        moodDismissed = false;
        showMood();
      }
      refresh();
    });
  }

  // ---- expert console ---------------------------------------------------------------
  function consoleView(root) {
    const list = document.getElementById("offers");
    const count = document.getElementById("offer-count");
    const errorBox = document.getElementById("console-error");
    const online = root.dataset.online === "1";
    const notifyButton = document.getElementById("notify-optin");
    const notifyStatus = document.getElementById("notify-status");
    let known = "";
    let seen = null;  // offer ids already shown; null until the first fetch

    // Browser notifications: only after she opts in with the button (the browser asks for
    // permission then), and only for offers that arrive while the page is open.
    const NOTIFY_KEY = "gigcx.notifyOffers";
    function notifyOn() {
      return "Notification" in window && Notification.permission === "granted" &&
        window.localStorage.getItem(NOTIFY_KEY) === "1";
    }
    function showNotifyState() {
      if (!notifyButton) return;
      if (!("Notification" in window)) {
        notifyButton.hidden = true;
        notifyStatus.textContent = gettext("This browser cannot show notifications.");
      } else if (Notification.permission === "denied") {
        notifyButton.hidden = true;
        notifyStatus.textContent = gettext("Notifications are blocked for this site in your browser settings.");
      } else if (notifyOn()) {
        notifyButton.textContent = gettext("Turn off offer notifications");
        notifyStatus.textContent = gettext("You get a browser notification for each new offer.");
      } else {
        notifyButton.textContent = gettext("Notify me of new offers");
        notifyStatus.textContent = "";
      }
    }
    if (notifyButton) {
      notifyButton.addEventListener("click", function () {
        if (notifyOn()) {
          window.localStorage.removeItem(NOTIFY_KEY);
          showNotifyState();
          return;
        }
        Notification.requestPermission().then(function (permission) {
          if (permission === "granted") window.localStorage.setItem(NOTIFY_KEY, "1");
          showNotifyState();
        });
      });
      showNotifyState();
    }
    function announce(offers) {
      const ids = offers.map(function (o) { return String(o.id); });
      const fresh = seen === null ? [] : offers.filter(function (o) { return seen.indexOf(String(o.id)) === -1; });
      seen = ids;
      if (!fresh.length || !notifyOn()) return;
      fresh.forEach(function (offer) {
        try {
          const note = new Notification(interpolate(gettext("New offer: %(product)s"), { product: offer.product || gettext("General question") }, true), {
            body: offer.brand + " · " + String(offer.body || "").slice(0, 140),
            tag: "offer-" + offer.id,
          });
          note.onclick = function () { window.focus(); note.close(); };
        } catch (error) {
          // Some mobile browsers only notify through a service worker: the page still works.
        }
      });
    }

    function render(offers) {
      const signature = offers.map(function (o) { return o.id; }).join(",");
      count.textContent = offers.length;
      announce(offers);
      if (signature === known) return;
      known = signature;
      list.textContent = "";
      if (!offers.length) {
        const empty = document.createElement("li");
        empty.className = "muted";
        empty.textContent = online ? gettext("No offers right now. Stay online; they arrive here without reloading.") : gettext("Go online to receive offers.");
        list.appendChild(empty);
        return;
      }
      offers.forEach(function (offer) {
        const item = document.createElement("li");
        item.className = "offer";
        item.tabIndex = 0;
        item.dataset.offer = offer.id;
        item.dataset.expires = offer.expires_at;
        const text = document.createElement("div");
        const title = document.createElement("strong");
        title.textContent = offer.product || gettext("General question");
        const brand = document.createElement("span");
        brand.className = "muted small";
        brand.textContent = " " + offer.brand + (offer.frustration !== null && offer.frustration >= 0.5 ? " · " + gettext("customer is upset") : "");
        const body = document.createElement("p");
        body.textContent = offer.body;
        text.append(title, brand, body);
        const actions = document.createElement("div");
        actions.className = "offer-actions";
        const countdown = document.createElement("span");
        countdown.className = "countdown";
        const accept = document.createElement("button");
        accept.className = "button small";
        accept.dataset.action = "accept";
        accept.dataset.offer = offer.id;
        accept.textContent = gettext("Accept");
        accept.setAttribute("aria-keyshortcuts", "A");
        const decline = document.createElement("button");
        decline.className = "button small secondary";
        decline.dataset.action = "decline";
        decline.dataset.offer = offer.id;
        decline.textContent = gettext("Decline");
        decline.setAttribute("aria-keyshortcuts", "D");
        actions.append(countdown, accept, decline);
        item.append(text, actions);
        list.appendChild(item);
      });
      tick();
    }

    function tick() {
      list.querySelectorAll(".offer").forEach(function (item) {
        const left = Math.max(0, Math.round((new Date(item.dataset.expires) - Date.now()) / 1000));
        const countdown = item.querySelector(".countdown");
        if (countdown) countdown.textContent = interpolate(gettext("%(seconds)s s"), { seconds: left }, true);
        item.classList.toggle("urgent", left <= 10);
      });
    }

    function refresh() {
      api("GET", "/api/v1/expert/offers").then(render).catch(function () {});
    }

    root.addEventListener("click", function (event) {
      const button = event.target.closest("button[data-action]");
      if (!button) return;
      const offer = button.dataset.offer;
      button.disabled = true;
      api("POST", "/api/v1/offers/" + offer + "/" + button.dataset.action).then(function (result) {
        if (button.dataset.action === "accept") location.href = "/questions/" + result.question_id + "/";
        else refresh();
      }).catch(function (error) {
        errorBox.textContent = error.message;
        button.disabled = false;
        refresh();
      });
    });

    // A accepts and D declines the focused offer, or the only one; never while she types.
    document.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
      const key = event.key.toLowerCase();
      if (key !== "a" && key !== "d") return;
      const target = event.target;
      if (target.closest && target.closest("input, textarea, select, [contenteditable]")) return;
      const offers = list.querySelectorAll(".offer");
      const focused = document.activeElement && document.activeElement.closest ? document.activeElement.closest(".offer") : null;
      const item = focused || (offers.length === 1 ? offers[0] : null);
      if (!item) {
        if (offers.length > 1) errorBox.textContent = gettext("Several offers are open: press Tab to focus one, then A or D.");
        return;
      }
      const button = item.querySelector('button[data-action="' + (key === "a" ? "accept" : "decline") + '"]');
      if (!button || button.disabled) return;
      event.preventDefault();
      button.click();
    });

    setInterval(tick, 1000);
    every(1000, refresh);
    // Heartbeats while online, and while away because a window ended: inside her next window
    // the server brings her back, and the page reloads to show it.
    if (online || root.dataset.heartbeat === "1") {
      every(20000, function () {
        api("POST", "/api/v1/expert/presence/heartbeat").then(function (presence) {
          if (!online && presence.status === "online") location.reload();
        }).catch(function () {});
      });
    }
    socket(function (event) {
      if (String(event.type || "").indexOf("offer") === 0) refresh();
      if (event.type === "presence.away") location.reload();
      if (event.type === "staffing.invite") invited(event);
    });
    // A brand's queue outgrew its online experts and she opted in to surge alerts.
    function invited(event) {
      if (!notifyOn()) return;
      try {
        const note = new Notification(interpolate(gettext("Questions are piling up at %(brand)s"), { brand: event.brand }, true), {
          body: gettext("Go online to help.") + (event.bonus ? " " + interpolate(gettext("Surge bonus %(bonus)s per resolved question."), { bonus: event.bonus }, true) : ""),
          tag: "staffing-" + event.surge_id,
        });
        note.onclick = function () { window.focus(); note.close(); };
      } catch (error) {
        // Some mobile browsers only notify through a service worker: the email still goes.
      }
    }
  }

  // ---- staff inbox ------------------------------------------------------------------
  // The tab counts come from a small JSON endpoint under the page's own filters; when one
  // moves the rows are stale, so the page redraws unless someone is typing in it.
  function queue(root) {
    const url = root.dataset.counts;
    // Wide screens show every filter at once; phones keep them folded until asked.
    const more = root.querySelector("details.filter-more");
    if (more && window.matchMedia("(min-width: 820px)").matches) more.open = true;
    let reloadWhenIdle = false;
    function idle() { return !document.activeElement.matches("input, textarea, select"); }
    function poll() {
      if (!url) return;
      api("GET", url).then(function (data) {
        let changed = false;
        Object.keys(data.counts || {}).forEach(function (key) {
          const badge = root.querySelector('[data-count="' + key + '"]');
          if (badge && badge.textContent !== String(data.counts[key])) {
            badge.textContent = data.counts[key];
            changed = true;
          }
        });
        if (changed || reloadWhenIdle) {
          if (idle()) location.reload(); else reloadWhenIdle = true;
        }
      }).catch(function () {});
    }
    socket(function (event) {
      if (String(event.type || "").indexOf("question.") === 0) poll();
      if (event.type === "surge.detected") surgeNotify(event);
    });
    setInterval(function () { if (!document.hidden) poll(); }, 10000);
  }

  // ---- surge alerts for staff ---------------------------------------------------------
  // The server pushes surge.detected only to staff who kept the choice on (their brand's
  // notifications page); the browser shows it once they allowed notifications there.
  const SURGE_KEY = "gigcx.notifySurges";
  function surgeNotifyOn() {
    return "Notification" in window && Notification.permission === "granted" &&
      window.localStorage.getItem(SURGE_KEY) === "1";
  }
  function surgeNotify(event) {
    if (!surgeNotifyOn()) return;
    try {
      const note = new Notification(gettext("Many similar questions at once"), {
        body: gettext("A surge at your brand: open it to see the questions."),
        tag: "surge-" + event.incident_id,
      });
      note.onclick = function () {
        window.focus();
        location.href = "/brands/" + encodeURIComponent(event.brand) + "/manage/surges/" + Number(event.incident_id) + "/";
        note.close();
      };
    } catch (error) {
      // Some mobile browsers only notify through a service worker: the surge page still shows it.
    }
  }
  function surgeOptIn(button) {
    const status = document.getElementById("surge-notify-status");
    function show() {
      button.hidden = false;
      if (!("Notification" in window)) {
        button.hidden = true;
        status.textContent = gettext("This browser cannot show notifications.");
      } else if (Notification.permission === "denied") {
        button.hidden = true;
        status.textContent = gettext("Notifications are blocked for this site in your browser settings.");
      } else if (surgeNotifyOn()) {
        button.textContent = gettext("Stop surge notifications in this browser");
        status.textContent = gettext("This browser shows a notification for each surge while an inbox tab is open.");
      } else {
        button.textContent = gettext("Show surge alerts as browser notifications");
      }
    }
    button.addEventListener("click", function () {
      if (surgeNotifyOn()) {
        window.localStorage.removeItem(SURGE_KEY);
        show();
        return;
      }
      Notification.requestPermission().then(function (permission) {
        if (permission === "granted") window.localStorage.setItem(SURGE_KEY, "1");
        show();
      });
    });
    show();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-live]").forEach(function (root) {
      if (root.dataset.live === "conversation") conversation(root);
      if (root.dataset.live === "console") consoleView(root);
      if (root.dataset.live === "queue") queue(root);
    });
    const surgeButton = document.getElementById("surge-notify-optin");
    if (surgeButton) surgeOptIn(surgeButton);
  });
})();
