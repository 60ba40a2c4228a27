// GOV.UK Frontend's body classes, set before the page is drawn: "js-enabled" for styles that
// need JavaScript, "govuk-frontend-supported" where ES modules (so GOV.UK Frontend) run.
// A file, not an inline <script>, so that the Content-Security-Policy can forbid inline
// scripts (script-src 'self'; docs/security-hardening.md).
document.body.className +=
  " js-enabled" + ("noModule" in HTMLScriptElement.prototype ? " govuk-frontend-supported" : "");
