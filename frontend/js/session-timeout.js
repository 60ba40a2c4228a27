// Warn before the idle timeout signs the user out (casework/sessions.py).
// <body> carries, for signed-in users, data-session-timeout (the seconds left when the
// page was drawn: a page read renews the session at most once a minute, so it may be less
// than the idle timeout), data-session-idle (the whole idle timeout, which a renewal gives
// back) and data-session-warning (seconds); "Stay signed in" renews the session with a
// POST to data-keep-alive-url.
//
// Drafts (draft-autosave.js): when the warning appears this sends
// "safecase:session-warning", and the intake form saves any unsaved answers. Any POST
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
  const left = Number(body.dataset.sessionTimeout);
  const idle = Number(body.dataset.sessionIdle) || left;
  const warning = Number(body.dataset.sessionWarning);
  const dialog = document.getElementById("session-timeout-warning");
  if (!idle || !dialog || typeof dialog.showModal !== "function") return;
  const countdown = dialog.querySelector("[data-session-countdown]");
  let warnTimer;
  let endTimer;
  let tick;

  function schedule(timeout) {
    clearTimeout(warnTimer);
    clearTimeout(endTimer);
    clearInterval(tick);
    const started = Date.now();
    warnTimer = setTimeout(() => {
      dialog.showModal();
      document.dispatchEvent(new CustomEvent("safecase:session-warning"));
      tick = setInterval(() => {
        const remaining = timeout - (Date.now() - started) / 1000;
        countdown.textContent = minutesText(remaining);
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
      schedule(idle);
    } else {
      window.location.assign(body.dataset.signInUrl);
    }
  });
  document.addEventListener("safecase:session-renewed", () => {
    if (dialog.open) dialog.close();
    countdown.textContent = minutesText(warning);
    schedule(idle);
  });
  countdown.textContent = minutesText(Math.min(warning, left));
  schedule(left);
}

startSessionTimeout();
