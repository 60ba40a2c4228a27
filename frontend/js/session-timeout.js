// Warn before the idle timeout signs the user out (casework/sessions.py).
// <body> carries data-session-timeout and data-session-warning (seconds) for signed-in
// users; "Stay signed in" renews the session with a POST to data-keep-alive-url.
//
// Drafts (draft-autosave.js): when the warning appears this sends
// "safecase:session-warning", and the intake form saves any unsaved answers. Any request
// renews the idle timeout on the server, so a module that made one (an autosave) sends
// "safecase:session-renewed" and the clock here starts again. At the end the user is sent
// to the sign-in page with ?next= this page, so signing in again brings them back to it
// (an intake form comes back filled from its draft).

function minutesText(seconds) {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return minutes === 1 ? "1 minute" : `${minutes} minutes`;
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  if (match) return decodeURIComponent(match[1]);
  const input = document.querySelector("input[name=csrfmiddlewaretoken]");
  return input ? input.value : "";
}

export function startSessionTimeout(body = document.body) {
  const timeout = Number(body.dataset.sessionTimeout);
  const warning = Number(body.dataset.sessionWarning);
  const dialog = document.getElementById("session-timeout-warning");
  if (!timeout || !dialog || typeof dialog.showModal !== "function") return;
  const countdown = dialog.querySelector("[data-session-countdown]");
  let warnTimer;
  let endTimer;
  let tick;

  function schedule() {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    clearInterval(tick);
    const started = Date.now();
    warnTimer = setTimeout(() => {
      dialog.showModal();
      document.dispatchEvent(new CustomEvent("safecase:session-warning"));
      tick = setInterval(() => {
        const left = timeout - (Date.now() - started) / 1000;
        countdown.textContent = minutesText(left);
      }, 15000);
    }, Math.max(0, timeout - warning) * 1000);
    endTimer = setTimeout(() => {
      const next = encodeURIComponent(window.location.pathname + window.location.search);
      window.location.assign(`${body.dataset.signInUrl}?next=${next}`);
    }, timeout * 1000);
  }

  dialog.querySelector("[data-session-stay]").addEventListener("click", async () => {
    const response = await fetch(body.dataset.keepAliveUrl, {
      method: "POST",
      headers: { "X-CSRFToken": csrfToken() },
      credentials: "same-origin",
    });
    dialog.close();
    if (response.ok) {
      schedule();
    } else {
      window.location.assign(body.dataset.signInUrl);
    }
  });
  document.addEventListener("safecase:session-renewed", () => {
    if (dialog.open) dialog.close();
    countdown.textContent = minutesText(warning);
    schedule();
  });
  countdown.textContent = minutesText(warning);
  schedule();
}

startSessionTimeout();
