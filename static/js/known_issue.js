// Known-issue notices on the ask page and in the widget: with a product chosen, show only
// that product's notice; with none chosen, show them all (each names its product).
(function () {
  "use strict";
  document.querySelectorAll("[data-known-issues-for]").forEach(function (box) {
    var select = document.getElementById(box.getAttribute("data-known-issues-for"));
    if (!select) return;
    function update() {
      var chosen = select.value;
      box.querySelectorAll("[data-known-issue]").forEach(function (notice) {
        notice.hidden = Boolean(chosen) && notice.getAttribute("data-known-issue") !== chosen;
      });
    }
    select.addEventListener("change", update);
    update();
  });
})();
