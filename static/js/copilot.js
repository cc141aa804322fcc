/* The expert's copilot panel. "Use draft" only fills her reply box: nothing is sent until she
 * presses Send, and the message is hers. The draft's id goes with it so its use is counted. */
(function () {
  "use strict";
  // The page's language comes from the /jsi18n/ catalog, loaded before this script.
  const gettext = window.gettext || function (text) { return text; };

  function text(tag, value, className) {
    const node = document.createElement(tag);
    node.textContent = value;
    if (className) node.className = className;
    return node;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const panel = document.getElementById("copilot");
    const composer = document.getElementById("composer");
    if (!panel || !composer) return;
    const field = composer.querySelector("textarea");
    const use = document.getElementById("copilot-use");
    const refresh = document.getElementById("copilot-refresh");
    const shown = document.getElementById("copilot-draft-text");
    const source = document.getElementById("copilot-draft-body");
    let draft = source ? JSON.parse(source.textContent) : "";

    use.addEventListener("click", function () {
      if (!draft) return;
      field.value = draft;
      composer.dataset.draft = use.dataset.draft;
      // Tall enough to read the whole draft, and the cursor at its start: she edits from the top.
      field.style.height = "auto";
      field.style.height = Math.min(field.scrollHeight + 4, Math.round(window.innerHeight * 0.6)) + "px";
      field.focus();
      field.setSelectionRange(0, 0);
      field.scrollTop = 0;
    });

    function entries(list) {
      const box = document.getElementById("copilot-entries");
      box.textContent = "";
      list.forEach(function (entry) {
        const item = document.createElement("li");
        const link = text("a", entry.title);
        link.href = entry.url;
        link.target = "_blank";
        link.rel = "noopener";
        item.append(link, " ", text("span", entry.score.toFixed(2), "badge"));
        if (entry.used) item.append(" ", text("span", gettext("in the draft"), "badge verified"));
        item.append(text("p", entry.text.length > 180 ? entry.text.slice(0, 179) + "…" : entry.text, "small muted"));
        box.appendChild(item);
      });
    }

    refresh.addEventListener("click", function () {
      refresh.disabled = true;
      fetch("/api/v1/questions/" + panel.dataset.question + "/copilot", {
        // The API answers in the page's language (<html lang>), not the browser's.
        headers: { "Accept": "application/json", "Accept-Language": document.documentElement.lang || "en" },
        credentials: "same-origin",
      }).then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      }).then(function (result) {
        draft = result.draft || "";
        use.dataset.draft = result.draft_id || "";
        shown.textContent = "";
        draft.split("\n").forEach(function (line, index) {
          if (index) shown.appendChild(document.createElement("br"));
          shown.appendChild(document.createTextNode(line));
        });
        document.getElementById("copilot-draft").hidden = !draft;
        document.getElementById("copilot-none").hidden = !!draft;
        entries(result.entries);
      }).catch(function () {}).then(function () { refresh.disabled = false; });
    });
  });
})();
