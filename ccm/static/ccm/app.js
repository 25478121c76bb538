/* Page behaviours that would otherwise be inline scripts (the Content-Security-Policy
 * allows scripts from static files only):
 * - form[data-confirm]: asks before submitting.
 * - select[data-autosubmit]: submits its form when changed (language switch).
 * - [data-browser-timezone]: a field filled with the browser's time zone;
 *   [data-browser-timezone-name]: shows it.
 * - time[data-local-time]: shown in the reader's local time.
 */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });

  function enhance(root) {
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    root.querySelectorAll("[data-browser-timezone]").forEach(function (el) { el.value = zone; });
    root.querySelectorAll("[data-browser-timezone-name]").forEach(function (el) {
      if (zone) el.textContent = zone;
    });
    root.querySelectorAll("time[data-local-time]").forEach(function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.textContent = when.toLocaleString([], {dateStyle: "medium", timeStyle: "short", timeZoneName: "short"});
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) {
    if (event.target instanceof Element) enhance(event.target);
  });
})();
