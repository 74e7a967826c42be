// Progressive only: every page works without it. Fills an empty end date with a
// suggestion (30 days after the start) so a holder on a phone types less.
"use strict";
document.querySelectorAll("input[name=valid_until]").forEach(function (until) {
  var from = until.form && until.form.querySelector("input[name=valid_from]");
  if (!from || until.value || !from.value) { return; }
  var d = new Date(from.value + "T00:00:00Z");
  d.setUTCDate(d.getUTCDate() + 30);
  until.value = d.toISOString().slice(0, 10);
});
