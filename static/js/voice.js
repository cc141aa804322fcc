/* GigCX voice calls: audio with an expert, peer to peer over WebRTC.
 * Signalling (SDP and ICE) travels over the site's live socket (/ws/live/) and the server
 * relays it only between the call's two participants. Nothing is recorded; no phone numbers.
 *
 * Protocol: the expert's page says "hello" until the customer's page (microphone ready)
 * answers "ready"; the expert then sends the SDP offer, the customer the answer, and both
 * trickle ICE candidates. Either side's "connected" is reported to the server, which writes
 * the start into the conversation; hanging up writes the end and the duration. */
(function () {
  "use strict";
  // The page's language comes from the /jsi18n/ catalog, loaded before this script.
  const gettext = window.gettext || function (text) { return text; };
  const interpolate = window.interpolate || function (text, values) {
    return text.replace(/%\(([a-z_]+)\)s/g, function (all, key) { return values[key]; });
  };
  const locale = document.documentElement.lang || [];

  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  function api(method, url, body) {
    // The API answers in the page's language (<html lang>), not the browser's.
    const headers = { "Accept": "application/json", "Accept-Language": document.documentElement.lang || "en" };
    if (method !== "GET") {
      const input = document.querySelector("input[name=csrfmiddlewaretoken]");
      headers["X-CSRFToken"] = cookie("csrftoken") || (input ? input.value : "");
      headers["Content-Type"] = "application/json";
    }
    return fetch(url, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok) {
          const error = new Error(data && data.error ? data.error.message : interpolate(gettext("Something went wrong (%(status)s)."), { status: response.status }, true));
          error.data = data;
          throw error;
        }
        return data;
      });
    });
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function clock(seconds) { return pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60); }

  // ---- the call panel on a conversation page ---------------------------------------------
  function panel(root) {
    const questionId = root.dataset.question;
    const role = root.dataset.role;
    const iceBlock = document.getElementById("voice-ice-servers");
    const iceServers = iceBlock ? JSON.parse(iceBlock.textContent) : [];
    const statusEl = root.querySelector("[data-call-status]");
    const noteEl = root.querySelector("[data-call-note]");
    const timerEl = root.querySelector("[data-call-timer]");
    const errorEl = root.querySelector("[data-call-error]");
    const audio = root.querySelector("audio");
    const muteButton = root.querySelector("[data-call-action=mute]");

    let call = null;          // the server's view of the newest call
    let callback = null;      // a pending callback slot
    let ws = null;
    let pc = null;
    let localStream = null;
    let pendingIce = [];
    let connectedReported = false;
    let timer = null;
    let helloTimer = null;
    let leaving = false;
    let lastStatus = null;
    let wantFocus = false;
    let readySent = false;

    function show(name, visible) {
      root.querySelectorAll("[data-call-show~=" + name + "]").forEach(function (el) { el.hidden = !visible; });
    }
    function say(text) { noteEl.textContent = text; }
    function fail(error) { errorEl.textContent = error && error.message ? error.message : String(error || ""); }

    // Exposed for people debugging a call from the console (and for the browser test).
    window.gigcxVoice = { peer: function () { return pc; }, call: function () { return call; } };

    function send(data) {
      if (!call || !ws || ws.readyState !== WebSocket.OPEN) return false;
      ws.send(JSON.stringify({ type: "call.signal", call_id: call.id, data: data }));
      return true;
    }

    function openSocket() {
      const scheme = location.protocol === "https:" ? "wss://" : "ws://";
      ws = new WebSocket(scheme + location.host + "/ws/live/");
      ws.onmessage = function (message) {
        let event;
        try { event = JSON.parse(message.data); } catch (e) { return; }
        if (event.type === "call.signal" && call && event.call_id === call.id) onSignal(event.data);
        else if (event.type === "call.error") fail(event.message);
        else if (event.type && event.type.indexOf("call.") === 0) refresh();
        else if (event.type && event.type.indexOf("callback.") === 0) refresh();
      };
      ws.onclose = function (event) {
        if (event.code === 4401 || leaving) return;
        setTimeout(openSocket, 2000);
      };
    }

    function microphone() {
      if (localStream) return Promise.resolve(localStream);
      if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
        return Promise.reject(new Error(gettext("This browser cannot make calls (no microphone access).")));
      }
      return navigator.mediaDevices.getUserMedia({ audio: true, video: false }).then(function (stream) {
        localStream = stream;
        return stream;
      }, function () {
        throw new Error(gettext("Allow the microphone for this site to talk, then try again."));
      });
    }

    function peer() {
      if (pc) return pc;
      pc = new RTCPeerConnection({ iceServers: iceServers });
      localStream.getTracks().forEach(function (track) { pc.addTrack(track, localStream); });
      pc.onicecandidate = function (event) {
        if (event.candidate) send({ kind: "ice", candidate: event.candidate.toJSON() });
      };
      pc.ontrack = function (event) {
        audio.srcObject = event.streams[0];
        const playing = audio.play();
        if (playing && playing.catch) playing.catch(function () {});
      };
      pc.onconnectionstatechange = function () {
        if (!pc) return;
        if (pc.connectionState === "connected" && !connectedReported) {
          connectedReported = true;
          reportConnected(3);
        }
        if (pc.connectionState === "failed") {
          fail(gettext("The audio could not connect. Your network may block direct calls; hang up and book a callback."));
        }
      };
      return pc;
    }

    // Both sides report; the first report wins on the server and a second changes nothing.
    // A failed report is retried quietly: the other side's may already have landed.
    function reportConnected(attempts) {
      api("POST", "/api/v1/calls/" + call.id + "/connected").then(apply).catch(function (error) {
        if (attempts > 1) setTimeout(function () { reportConnected(attempts - 1); }, 1000);
        else if (!call || call.status !== "connected") fail(error);
      });
    }

    function flushIce() {
      pendingIce.forEach(function (c) { pc.addIceCandidate(c).catch(function () {}); });
      pendingIce = [];
    }

    function onSignal(data) {
      if (!data || !call) return;
      if (data.kind === "hello" && call.you_are === "customer" && localStream) {
        // The expert's page has no connection (it just opened, or was reloaded): start over.
        if (pc) closePeer();
        send({ kind: "ready" });
      } else if (data.kind === "ready" && call.you_are === "expert" && (!pc || restartable())) {
        // A "ready" while connecting is a duplicate; while connected it means the customer's
        // page was reloaded and needs a new connection.
        if (pc) closePeer();
        stopHello();
        microphone().then(function () {
          const connection = peer();
          return connection.createOffer().then(function (offer) {
            return connection.setLocalDescription(offer);
          }).then(function () {
            send({ kind: "offer", sdp: connection.localDescription.toJSON() });
          });
        }).catch(fail);
      } else if (data.kind === "offer" && call.you_are === "customer") {
        microphone().then(function () {
          const connection = peer();
          return connection.setRemoteDescription(data.sdp).then(function () {
            flushIce();
            return connection.createAnswer();
          }).then(function (answer) {
            return connection.setLocalDescription(answer);
          }).then(function () {
            send({ kind: "answer", sdp: connection.localDescription.toJSON() });
          });
        }).catch(fail);
      } else if (data.kind === "answer" && pc && call.you_are === "expert") {
        pc.setRemoteDescription(data.sdp).then(flushIce).catch(fail);
      } else if (data.kind === "ice" && data.candidate) {
        if (pc && pc.remoteDescription) pc.addIceCandidate(data.candidate).catch(function () {});
        else pendingIce.push(data.candidate);
      } else if (data.kind === "bye") {
        refresh();
      }
    }

    function startHello() {
      if (helloTimer) return;
      send({ kind: "hello" });
      helloTimer = setInterval(function () { if (!pc) send({ kind: "hello" }); else stopHello(); }, 2000);
    }
    function stopHello() { if (helloTimer) { clearInterval(helloTimer); helloTimer = null; } }

    function restartable() {
      return pc && ["connected", "disconnected", "failed", "closed"].indexOf(pc.connectionState) !== -1;
    }

    // Drop the connection but keep the microphone (the call goes on with a new connection).
    function closePeer() {
      if (pc) { pc.close(); pc = null; }
      pendingIce = [];
      connectedReported = false;
      readySent = false;
    }

    function teardown() {
      stopHello();
      readySent = false;
      if (pc) { pc.close(); pc = null; }
      if (localStream) { localStream.getTracks().forEach(function (t) { t.stop(); }); localStream = null; }
      pendingIce = [];
      connectedReported = false;
      if (timer) { clearInterval(timer); timer = null; }
      audio.srcObject = null;
      muteButton.setAttribute("aria-pressed", "false");
      muteButton.textContent = gettext("Mute");
    }

    function tick() {
      if (!call || !call.connected_at) return;
      const seconds = Math.max(0, Math.round((Date.now() - Date.parse(call.connected_at)) / 1000));
      timerEl.textContent = clock(seconds);
    }

    function apply(state) {
      if (state && state.call !== undefined) {
        call = state.call;
        callback = state.callback;
      } else if (state && state.id) {
        call = state;
      }
      const status = call ? call.status : "none";
      const live = ["offered", "ringing", "connected"].indexOf(status) !== -1;
      root.dataset.callStatus = status;
      statusEl.textContent = call ? call.status_label : gettext("No call");
      statusEl.className = "badge call-status-" + status;

      const ringingMe = call && call.ringing_you;
      const inCall = call && (status === "ringing" || status === "connected") && call.you_are !== "other";
      show("talk", role === "customer" && !live && !callback);
      show("answer-offer", role === "expert" && !!ringingMe);
      root.querySelector("[data-call-action=answer-callback]").textContent = status === "connected" ? "Rejoin the call" : "Answer";
      show("answer-callback", role === "customer" && (status === "ringing" || status === "connected") && call.you_are === "customer" && !localStream);
      show("in-call", !!inCall);
      show("mute", !!inCall && !!localStream);
      if (status === "ringing" && call.you_are === "customer" && !localStream) statusEl.textContent = gettext("Ringing");
      show("timer", status === "connected" || status === "ended");
      show("rate", role === "customer" && status === "ended" && !call.rating);
      show("rated", status === "ended" && !!call.rating);
      show("book", role === "customer" && !live && !callback);
      show("callback", !!callback);
      show("call-back", role === "expert" && !!callback && callback.status === "taken" && !live);

      if (callback) {
        const when = new Date(callback.starts_at).toLocaleString(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
        root.querySelector("[data-callback-when]").textContent = when;
        let who = callback.expert_name ? interpolate(gettext("%(name)s will call you here."), { name: callback.expert_name }, true) : gettext("An expert will take it and call you here.");
        if (role === "expert") who = gettext("Call the customer from this page at that time (the button works from 15 minutes before).");
        root.querySelector("[data-callback-who]").textContent = who;
      }
      if (status !== lastStatus) { errorEl.textContent = ""; lastStatus = status; }
      const talkButton = root.querySelector("[data-call-action=talk]");
      if (wantFocus && talkButton && !talkButton.hidden) { talkButton.focus(); wantFocus = false; }
      if (call && call.rating) root.querySelector("[data-call-rating]").textContent = call.rating + "/5";

      if (status === "offered") say(role === "customer" ? gettext("Ringing an expert… stay on this page.") : (ringingMe ? interpolate(gettext("%(name)s wants to talk to you."), { name: call.customer_name }, true) : ""));
      else if (status === "ringing") say(call.you_are === "expert" ? interpolate(gettext("Connecting to %(name)s…"), { name: call.customer_name }, true) : (localStream ? interpolate(gettext("Connecting to %(name)s…"), { name: call.expert_name }, true) : interpolate(gettext("%(name)s is calling you."), { name: call.expert_name }, true)));
      else if (status === "connected") say(interpolate(gettext("On a call with %(name)s."), { name: call.you_are === "expert" ? call.customer_name : call.expert_name }, true));
      else if (status === "ended") say(interpolate(gettext("Call ended after %(time)s."), { time: clock(call.duration_seconds || 0) }, true));
      else if (status === "missed") say(gettext("Nobody could take the call just now. Book a callback below."));
      else if (status === "cancelled") say(gettext("The call was cancelled."));
      else say(role === "customer" ? gettext("Talk to an expert in your browser. Audio only; your number and address are never shared.") : "");

      if (status === "connected" && !timer) { tick(); timer = setInterval(tick, 1000); }
      if (status === "ended" && call.duration_seconds !== null) timerEl.textContent = clock(call.duration_seconds);
      if (!live && (pc || localStream)) teardown();
      if (inCall && call.you_are === "expert" && !pc) {
        microphone().then(startHello).catch(fail);
      }
      if (inCall && call.you_are === "customer" && localStream && !pc && !readySent) readySent = send({ kind: "ready" });
    }

    function refresh() {
      return api("GET", "/api/v1/questions/" + questionId + "/call").then(apply).catch(function () {});
    }

    root.addEventListener("click", function (event) {
      const button = event.target.closest("[data-call-action]");
      if (!button) return;
      const action = button.dataset.callAction;
      fail("");
      if (action === "talk") {
        // Ask for the microphone first, while the click still counts as the person's gesture.
        microphone().then(function () {
          return api("POST", "/api/v1/questions/" + questionId + "/call");
        }).then(function (created) { apply(created); refresh(); }).catch(fail);
      } else if (action === "answer-offer") {
        microphone().then(function () {
          return api("POST", "/api/v1/calls/" + call.id + "/accept");
        }).then(function () { return refresh(); }).catch(fail);
      } else if (action === "decline") {
        api("POST", "/api/v1/calls/" + call.id + "/decline").then(refresh).catch(fail);
      } else if (action === "answer-callback") {
        microphone().then(function () { readySent = send({ kind: "ready" }); apply({ call: call, callback: callback }); }).catch(fail);
      } else if (action === "hang-up") {
        send({ kind: "bye" });
        api("POST", "/api/v1/calls/" + call.id + "/hang-up").then(function (ended) {
          teardown();
          return refresh();
        }).catch(fail);
      } else if (action === "mute") {
        if (!localStream) return;
        const muted = button.getAttribute("aria-pressed") !== "true";
        localStream.getAudioTracks().forEach(function (t) { t.enabled = !muted; });
        button.setAttribute("aria-pressed", muted ? "true" : "false");
        button.textContent = muted ? gettext("Unmute") : gettext("Mute");
      } else if (action === "call-back") {
        microphone().then(function () {
          return api("POST", "/api/v1/callbacks/" + callback.id + "/call");
        }).then(function () { return refresh(); }).catch(fail);
      }
    });

    const rateForm = root.querySelector("[data-call-rate-form]");
    if (rateForm) {
      rateForm.addEventListener("submit", function (event) {
        event.preventDefault();
        const chosen = rateForm.querySelector("input[name=call-rating]:checked");
        if (!chosen) { fail(gettext("Choose from 1 to 5 stars.")); return; }
        api("POST", "/api/v1/calls/" + call.id + "/rating", { rating: parseInt(chosen.value, 10) })
          .then(refresh).catch(fail);
      });
    }

    const bookForm = root.querySelector("[data-callback-form]");
    if (bookForm) {
      const select = bookForm.querySelector("select");
      // Show the offered times in the person's own time zone (no list: no times to offer).
      Array.prototype.forEach.call(select ? select.options : [], function (option) {
        if (!option.value) return;
        option.textContent = new Date(option.value).toLocaleString(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
      });
      bookForm.addEventListener("submit", function (event) {
        event.preventDefault();
        const errors = bookForm.querySelector("[data-callback-error]");
        errors.textContent = "";
        if (!select) return;
        api("POST", "/api/v1/questions/" + questionId + "/callbacks", { starts_at: select.value })
          .then(refresh)
          .catch(function (error) { errors.textContent = error.message; });
      });
    }

    // Asked with "I'd rather talk": point at the button (the microphone still waits for
    // the person's own click).
    if (role === "customer" && new URLSearchParams(location.search).get("talk") === "1") {
      root.classList.add("call-wanted");
      wantFocus = true;
    }

    window.addEventListener("pagehide", function () { leaving = true; });
    openSocket();
    refresh();
    setInterval(function () { if (!document.hidden) refresh(); }, 2500);
  }

  // ---- calls ringing and callbacks on the expert console ---------------------------------
  function consoleCalls(root) {
    const callList = root.querySelector("[data-list=calls]");
    const callbackList = root.querySelector("[data-list=callbacks]");
    const errorEl = root.querySelector("[data-call-error]");
    let calls = [];
    let callbacks = [];
    let signature = null;

    function item(text, label, action) {
      const li = document.createElement("li");
      li.className = "call-offer";
      const span = document.createElement("span");
      span.textContent = text;
      li.appendChild(span);
      if (label) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button small";
        button.textContent = label;
        button.addEventListener("click", function () {
          errorEl.textContent = "";
          button.disabled = true;
          action().catch(function (error) { errorEl.textContent = error.message; button.disabled = false; });
        });
        li.appendChild(button);
      }
      return li;
    }
    function when(iso) {
      return new Date(iso).toLocaleString(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    }
    function draw() {
      const next = JSON.stringify([calls, callbacks]);
      if (next === signature) return;
      signature = next;
      callList.textContent = "";
      callbackList.textContent = "";
      calls.forEach(function (call) {
        callList.appendChild(item(interpolate(gettext("%(name)s wants to talk (question #%(number)s)"), { name: call.customer_name, number: call.question_id }, true), gettext("Answer"), function () {
          return api("POST", "/api/v1/calls/" + call.id + "/accept").then(function () {
            location.href = "/questions/" + call.question_id + "/";
          });
        }));
      });
      callbacks.forEach(function (slot) {
        const about = slot.product_name ? " " + interpolate(gettext("about %(product)s"), { product: slot.product_name }, true) : "";
        if (!slot.yours) {
          callbackList.appendChild(item(when(slot.starts_at) + ": " + slot.customer_name + about, gettext("Take it"), function () {
            return api("POST", "/api/v1/callbacks/" + slot.id + "/take").then(refresh);
          }));
        } else {
          callbackList.appendChild(item(when(slot.starts_at) + ": " + interpolate(gettext("yours, %(name)s"), { name: slot.customer_name }, true) + about, gettext("Call now"), function () {
            return api("POST", "/api/v1/callbacks/" + slot.id + "/call").then(function () {
              location.href = "/questions/" + slot.question_id + "/";
            });
          }));
        }
      });
      root.querySelector("[data-calls-ringing]").hidden = calls.length === 0;
      root.querySelector("[data-callbacks]").hidden = callbacks.length === 0;
      root.hidden = calls.length === 0 && callbacks.length === 0;
    }
    function refresh() {
      return Promise.all([
        api("GET", "/api/v1/expert/calls").then(function (found) { calls = found; }),
        api("GET", "/api/v1/expert/callbacks").then(function (found) { callbacks = found; }),
      ]).then(draw).catch(function () {});
    }
    refresh();
    setInterval(function () { if (!document.hidden) refresh(); }, 3000);
  }

  document.querySelectorAll("[data-call-panel]").forEach(panel);
  document.querySelectorAll("[data-call-offers]").forEach(consoleCalls);
})();
