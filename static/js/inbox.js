/* Staff conversation: put the chosen canned reply into the reply box, to edit before sending. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    const button = document.querySelector("[data-insert-canned]");
    const box = document.getElementById("composer-body");
    const choice = document.getElementById("canned-choice");
    if (!button || !box || !choice) return;
    button.addEventListener("click", function () {
      const source = document.getElementById("canned-" + choice.value);
      if (!source) return;
      const text = source.content.textContent.trim();
      box.value = box.value.trim() ? box.value.trimEnd() + "\n\n" + text : text;
      box.focus();
    });
  });
})();
