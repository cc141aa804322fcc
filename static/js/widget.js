/* GigCX widget: put this on your site to let customers ask your experts.
 *   <script src="https://gigcx.example.com/static/js/widget.js" data-brand="acme" async></script>
 * It adds a button; the conversation runs in an iframe served by GigCX, so nothing of the
 * customer's question touches your page. */
(function () {
  "use strict";
  var script = document.currentScript || document.querySelector("script[data-brand][src*='widget.js']");
  if (!script || !script.dataset.brand) return;
  var origin = new URL(script.src, location.href).origin;
  // This script runs on the brand's own page, where GigCX's catalog is not loaded: the brand
  // names the button in its language with data-label, or it reads in English.
  var label = script.dataset.label || "Ask an expert";
  var colour = script.dataset.colour || "#2f6f5e";

  var button = document.createElement("button");
  button.type = "button";
  button.textContent = label;
  button.setAttribute("aria-expanded", "false");
  button.style.cssText = "position:fixed;right:20px;bottom:20px;z-index:2147483000;border:0;" +
    "border-radius:999px;padding:12px 18px;font:600 15px system-ui,sans-serif;color:#fff;" +
    "background:" + colour + ";box-shadow:0 4px 16px rgba(0,0,0,.2);cursor:pointer";

  var frame = null;
  button.addEventListener("click", function () {
    if (!frame) {
      frame = document.createElement("iframe");
      frame.title = label;
      frame.src = origin + "/embed/" + encodeURIComponent(script.dataset.brand) + "/";
      frame.style.cssText = "position:fixed;right:20px;bottom:76px;z-index:2147483000;" +
        "width:min(400px,calc(100vw - 40px));height:min(600px,calc(100vh - 120px));border:0;" +
        "border-radius:14px;box-shadow:0 8px 32px rgba(0,0,0,.25);background:#fff";
      document.body.appendChild(frame);
    } else {
      frame.hidden = !frame.hidden;
    }
    button.setAttribute("aria-expanded", String(!frame.hidden));
  });
  document.body.appendChild(button);
})();
