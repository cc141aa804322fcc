/* The customer's rating of a resolved conversation, and reopening when it is not solved.
 * Works on the signed-in page and inside the widget (private-link token, no cookies). */
(function () {
  "use strict";
  // The page's language comes from the /jsi18n/ catalog, loaded before this script.
  var gettext = window.gettext || function (text) { return text; };

  function headers(root) {
    // The API answers in the page's language (<html lang>), not the browser's.
    var result = {
      "Content-Type": "application/json", "Accept": "application/json",
      "Accept-Language": document.documentElement.lang || "en",
    };
    if (root.dataset.token) result["X-Question-Token"] = root.dataset.token;
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    var match = document.cookie.match(/(?:^|; )csrftoken=([^;]*)/);
    var csrf = match ? decodeURIComponent(match[1]) : (input ? input.value : "");
    if (csrf) result["X-CSRFToken"] = csrf;
    return result;
  }

  function post(root, path, body) {
    return fetch("/api/v1/questions/" + root.dataset.question + path, {
      method: "POST", headers: headers(root), credentials: "same-origin", body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, data: data };
      });
    });
  }

  function showErrors(form, data) {
    var error = (data && data.error) || { message: gettext("Something went wrong; try again."), fields: {} };
    var shown = false;
    Object.keys(error.fields || {}).forEach(function (name) {
      var list = form.querySelector("[data-errors-for='" + name + "']");
      if (!list) return;
      shown = true;
      list.textContent = error.fields[name].join(" ");
      list.closest(".field").classList.add("has-error");
    });
    if (!shown) form.querySelector("[data-errors-for=form]").textContent = error.message;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.querySelector("[data-live=conversation]");
    if (!root) return;
    var form = document.getElementById("rating-form");
    if (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        form.querySelectorAll(".errors, .form-errors").forEach(function (list) { list.textContent = ""; });
        form.querySelectorAll(".field").forEach(function (field) { field.classList.remove("has-error"); });
        var score = form.querySelector("input[name=score]:checked");
        var solved = form.querySelector("input[name=solved]:checked");
        var body = { comment: form.comment.value };
        if (score) body.score = parseInt(score.value, 10);
        if (solved) body.solved = solved.value === "true";
        var submit = form.querySelector("button[type=submit]");
        submit.disabled = true;
        post(root, "/rating", body).then(function (result) {
          if (result.ok) { location.reload(); return; }
          submit.disabled = false;
          showErrors(form, result.data);
        }).catch(function () {
          submit.disabled = false;
          form.querySelector("[data-errors-for=form]").textContent = gettext("No connection; try again.");
        });
      });
    }
    var reopen = root.querySelector("[data-action=reopen]");
    if (reopen) {
      reopen.addEventListener("click", function (event) {
        event.stopPropagation();
        reopen.disabled = true;
        post(root, "/reopen", {}).then(function (result) {
          if (result.ok) { location.reload(); return; }
          reopen.disabled = false;
          window.alert((result.data.error || {}).message || gettext("Something went wrong."));
        });
      });
    }
  });
})();
