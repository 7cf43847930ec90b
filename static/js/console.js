// Progressive enhancement only: every page works without this file.
document.documentElement.classList.add("js");
document.addEventListener("DOMContentLoaded", function () {
  // After a refused submit, the error summary at the top takes focus (autofocus does it too, but
  // not in every browser for a non-control element).
  var summary = document.querySelector("[data-error-summary]");
  if (summary) { summary.focus(); }
});
