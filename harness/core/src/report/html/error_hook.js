window.__errors = [];
window.addEventListener("error", function (e) {
  window.__errors.push(String(e.message || e));
  var el = document.getElementById("script-errors");
  if (el) { el.textContent = window.__errors.join("\n"); el.hidden = false; }
});
