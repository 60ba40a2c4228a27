// Start GOV.UK Frontend's and MOJ Frontend's components (loaded as an ES module from
// base.html, after the page; both bundles only act when <body> has
// `govuk-frontend-supported`, which base.html's inline script sets).
import { initAll as initGovukFrontend } from "./govuk-frontend.min.js";
import { initAll as initMojFrontend } from "./moj-frontend.min.js";
import "./session-timeout.js";

initGovukFrontend();
initMojFrontend();

// Content that htmx swaps in later needs its components started too. htmx also fires
// htmx:load for <body> when it starts; that was done above, so only new content counts.
document.addEventListener("htmx:load", (event) => {
  const scope = event.target;
  if (!(scope instanceof Element) || scope === document.body) return;
  initGovukFrontend({ scope });
  initMojFrontend({ scope });
});
