// Start GOV.UK Frontend's and MOJ Frontend's components (loaded as an ES module from
// base.html, after the page; both bundles only act when <body> has
// `govuk-frontend-supported`, which base.html's inline script sets).
import { initAll as initGovukFrontend } from "./govuk-frontend.min.js";
import { FilterToggleButton, initAll as initMojFrontend } from "./moj-frontend.min.js";
import "./session-timeout.js";

initGovukFrontend();
initMojFrontend();

// MOJ's filter toggle (not started by MOJ's initAll): below desktop widths a list's filter
// (`data-module="moj-filter"`) is hidden behind a "Show filter" button in its page's
// `[data-filter-toggle]`; the stylesheet keeps it in the page, above the list, when shown.
for (const filter of document.querySelectorAll('[data-module="moj-filter"]')) {
  const container = document.querySelector("[data-filter-toggle]");
  if (!container) continue;
  // Shown on a desktop; hidden below desktop widths (MOJ's "small mode") until asked for.
  new FilterToggleButton(filter, { startHidden: false, toggleButtonContainer: { element: container } });
  // It shows and hides a part of the page (aria-expanded says which), it opens no menu.
  for (const button of container.querySelectorAll("button[aria-haspopup]")) {
    button.removeAttribute("aria-haspopup");
  }
}

// Content that htmx swaps in later needs its components started too. htmx also fires
// htmx:load for <body> when it starts; that was done above, so only new content counts.
document.addEventListener("htmx:load", (event) => {
  const scope = event.target;
  if (!(scope instanceof Element) || scope === document.body) return;
  initGovukFrontend({ scope });
  initMojFrontend({ scope });
});
