// Shows the page's times in the reader's own time zone; without it they stay in the page's.
"use strict";
(function () {
  const long = new Intl.DateTimeFormat(undefined, {
    month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  for (const element of document.querySelectorAll("time[datetime]")) {
    const moment = new Date(element.getAttribute("datetime"));
    if (!Number.isNaN(moment.getTime())) {
      element.textContent = long.format(moment);
    }
  }
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  for (const element of document.querySelectorAll("[data-zone]")) {
    element.textContent = zone + " (your time zone)";
  }
})();
