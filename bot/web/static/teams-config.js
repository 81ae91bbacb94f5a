/* The Teams "configurable tab" set-up page: tell Teams what the channel tab shows.
   Loaded after the vendored TeamsJS library. In a plain browser it does nothing and the
   page's form simply opens the dashboard. */
(function () {
  "use strict";
  var teams = window.microsoftTeams;
  var status = document.getElementById("teams-status");
  var choice = document.getElementById("tab-school");
  if (!teams || window.self === window.top || !choice) {
    return;
  }
  function tabConfig() {
    var origin = window.location.origin;
    var school = encodeURIComponent(choice.value);
    return {
      entityId: "compliance-dashboard-" + choice.value,
      contentUrl: origin + "/dashboard?school=" + school + "&theme={theme}&inTeams=1",
      websiteUrl: origin + "/dashboard?school=" + school,
      suggestedDisplayName: "Compliance"
    };
  }
  teams.app.initialize().then(function () {
    teams.pages.config.registerOnSaveHandler(function (saveEvent) {
      teams.pages.config.setConfig(tabConfig()).then(function () {
        saveEvent.notifySuccess();
      }).catch(function (error) {
        saveEvent.notifyFailure(String(error));
      });
    });
    teams.pages.config.setValidityState(true);
    if (status) {
      status.textContent = "Choose Save to add the tab.";
    }
  }).catch(function () {
    if (status) {
      status.textContent = "Teams did not answer: close this window and add the tab again.";
    }
  });
}());
