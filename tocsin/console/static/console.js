// The console's own behaviour, loaded with `defer`; no inline script anywhere (strict CSP).
// - Keyboard shortcuts: "?" lists them; "g" then a letter goes to a section; an element
//   with data-key="x" is focused (fields) or clicked (buttons, links) when x is pressed.
// - Buttons with data-copy="ID" copy that element's text to the clipboard.
// - An element with sse-connect gets data-live="open" while its event stream is open
//   ("closed" when it broke; the extension reconnects by itself).
(function () {
  "use strict";
  var sections = { i: "/incidents", a: "/alerts", o: "/oncall", h: "/", e: "/escalations", s: "/services" };
  var pendingG = false;

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function go(path) {
    window.location.assign(path);
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var dialog = document.getElementById("shortcuts");
    if (event.key === "?") {
      if (dialog && !dialog.open) dialog.showModal();
      event.preventDefault();
      return;
    }
    if (pendingG) {
      pendingG = false;
      if (sections[event.key]) {
        event.preventDefault();
        go(sections[event.key]);
      }
      return;
    }
    if (event.key === "g") {
      pendingG = true;
      window.setTimeout(function () { pendingG = false; }, 1500);
      return;
    }
    var bound = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!bound) return;
    event.preventDefault();
    if (typing(bound)) {
      bound.focus();
    } else {
      bound.click();
    }
  });

  document.addEventListener("htmx:sseOpen", function (event) {
    event.detail.elt.setAttribute("data-live", "open");
  });
  document.addEventListener("htmx:sseError", function (event) {
    event.detail.elt.setAttribute("data-live", "closed");
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-copy]") : null;
    if (!button) return;
    var source = document.getElementById(button.getAttribute("data-copy"));
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      button.textContent = "Copied";
    });
  });
})();
