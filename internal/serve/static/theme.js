// Applies the saved colour theme before the page paints (loaded
// synchronously in <head>; no inline script under the CSP).
(function () {
  try {
    var t = localStorage.getItem("sagesaver-theme");
    if (t === "light" || t === "dark" || t === "system") {
      document.documentElement.setAttribute("data-theme", t);
    }
  } catch (e) { /* storage disabled: system theme */ }
})();
