/* The ask form inside the widget's iframe. Third-party iframes get no cookies, so it talks to
 * the API as an anonymous asker; the private-link token then opens the conversation. */
(function () {
  "use strict";
  // The page's language comes from the /jsi18n/ catalog, loaded before this script.
  var gettext = window.gettext || function (text) { return text; };
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("embed-ask");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      form.querySelectorAll(".errors").forEach(function (list) { list.textContent = ""; });
      form.querySelectorAll(".field").forEach(function (field) { field.classList.remove("has-error"); });
      var data = {
        body: form.body.value,
        contact_email: form.contact_email.value,
        preference: form.preference.value,
        tone_analysis: form.tone_analysis.checked,
      };
      if (form.product.value) data.product_id = parseInt(form.product.value, 10);
      var submit = form.querySelector("button[type=submit]");
      submit.disabled = true;
      fetch("/api/v1/brands/" + form.dataset.brand + "/questions", {
        method: "POST",
        // The API answers in the page's language (<html lang>), not the browser's.
        headers: {
          "Content-Type": "application/json", "Accept": "application/json",
          "Accept-Language": document.documentElement.lang || "en",
        },
        credentials: "omit",
        body: JSON.stringify(data),
      }).then(function (response) {
        return response.json().then(function (body) { return { ok: response.ok, body: body }; });
      }).then(function (result) {
        if (result.ok) {
          location.href = "/q/" + result.body.id + "/?embed=1#t=" + encodeURIComponent(result.body.access_token);
          return;
        }
        submit.disabled = false;
        var error = result.body.error || { message: gettext("Something went wrong."), fields: {} };
        var shown = false;
        Object.keys(error.fields || {}).forEach(function (name) {
          var list = form.querySelector("[data-errors-for='" + name.replace("_id", "") + "']");
          if (!list) return;
          shown = true;
          list.textContent = error.fields[name].join(" ");
          list.closest(".field").classList.add("has-error");
        });
        if (!shown) form.querySelector("[data-errors-for=form]").textContent = error.message;
      }).catch(function () {
        submit.disabled = false;
        form.querySelector("[data-errors-for=form]").textContent = gettext("No connection; try again.");
      });
    });
  });
})();
