/* "Go back" links (data-go-back): the browser's back button. Without scripts, or with no
   page to go back to, the link's own href is followed. */
(function () {
  "use strict";
  document.querySelectorAll("a[data-go-back]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) {
        event.preventDefault();
        window.history.back();
      }
    });
  });
})();
