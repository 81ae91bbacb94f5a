/* The dashboard inside a Teams tab: follow Teams' theme (light, dark, high contrast) live.
   Loaded only with ?inTeams=1, after the vendored TeamsJS library. Without Teams it does
   nothing: the page is already complete without JavaScript. */
(function () {
  "use strict";
  var teams = window.microsoftTeams;
  if (!teams || window.self === window.top) {
    return;
  }
  var themes = { "default": "light", "dark": "dark", "contrast": "contrast" };
  function apply(theme) {
    document.documentElement.setAttribute("data-theme", themes[theme] || "light");
  }
  teams.app.initialize().then(function () {
    teams.app.registerOnThemeChangeHandler(apply);
    return teams.app.getContext().then(function (context) {
      if (context && context.app && context.app.theme) {
        apply(context.app.theme);
      }
    });
  }).catch(function () {
    /* Not hosted by Teams after all: leave the server-rendered page alone. */
  });
}());
