/* Opens a private conversation link (/q/<id>/#t=<token>): the token lives in the fragment,
 * which browsers never send, so it is posted once in the body. Outside the widget the
 * address is cleaned first, and the server answers with a redirect to the token-free page. */
(function () {
  "use strict";
  var form = document.querySelector("[data-private-open-form]");
  if (!form) return;
  var match = /(?:^#|&)t=([^&]+)/.exec(location.hash);
  if (!match) return;
  var token = decodeURIComponent(match[1]);
  form.elements.token.value = token;
  form.querySelector("[data-opening]").hidden = false;
  document.querySelector("[data-no-link]").hidden = true;
  // The widget's frame has no cookies on a brand's site: it keeps the fragment, so that a
  // reload opens the conversation again. A normal page forgets it.
  if (!/[?&]embed=1/.test(location.search) && history.replaceState) {
    history.replaceState(null, "", location.pathname + location.search);
  }
  form.submit();
})();
