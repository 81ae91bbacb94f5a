/* The dashboard inside a Teams tab: follow Teams' theme (light, dark, high contrast) live, and
   on the sign-in page sign in silently with Teams single sign-on (getAuthToken), posting the
   token to /auth/teams, which checks it. Loaded only with ?inTeams=1, after the vendored TeamsJS
   library. Without Teams it does nothing: the page is already complete without JavaScript, and
   the Sign in button stays as the fallback. */
(function () {
  "use strict";
  var teams = window.microsoftTeams;
  if (!teams || window.self === window.top) {
    return;
  }
  var themes = { "default": "light", "dark": "dark", "contrast": "contrast" };
  var TRIED = "cb-teams-sso-tried";
  function apply(theme) {
    document.documentElement.setAttribute("data-theme", themes[theme] || "light");
  }
  function signIn() {
    var form = document.getElementById("teams-sso");
    if (!form) {
      return;
    }
    /* Once a minute at most: if the browser does not keep our cookie in the frame, signing in
       again would only loop; the Sign in button and "open in your browser" remain. */
    var last = Number(window.sessionStorage.getItem(TRIED) || 0);
    if (Date.now() - last < 60000) {
      return;
    }
    window.sessionStorage.setItem(TRIED, String(Date.now()));
    var status = document.getElementById("teams-sso-status");
    if (status) {
      status.hidden = false;
    }
    teams.authentication.getAuthToken().then(function (token) {
      form.elements.token.value = token;
      form.submit();
    }).catch(function () {
      /* Consent needed or SSO not set up for this app: the Sign in button is still there. */
      if (status) {
        status.hidden = true;
      }
    });
  }
  teams.app.initialize().then(function () {
    teams.app.registerOnThemeChangeHandler(apply);
    signIn();
    return teams.app.getContext().then(function (context) {
      if (context && context.app && context.app.theme) {
        apply(context.app.theme);
      }
    });
  }).catch(function () {
    /* Not hosted by Teams after all: leave the server-rendered page alone. */
  });
}());
