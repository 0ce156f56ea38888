// Progressive enhancement: after a failed submit, move focus to the error summary so that
// screen readers announce it and keyboard users start from the list of problems.
document.addEventListener("DOMContentLoaded", function () {
  var summary = document.getElementById("error-summary");
  if (summary) { summary.focus(); }
});
