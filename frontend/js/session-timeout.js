// Warn before the idle timeout signs the user out (casework/sessions.py).
// <body> carries data-session-timeout and data-session-warning (seconds) for signed-in
// users; "Stay signed in" renews the session with a POST to data-keep-alive-url.

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
      tick = setInterval(() => {
        const left = timeout - (Date.now() - started) / 1000;
        countdown.textContent = minutesText(left);
      }, 15000);
    }, Math.max(0, timeout - warning) * 1000);
    endTimer = setTimeout(() => {
      const next = encodeURIComponent(window.location.pathname);
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
  countdown.textContent = minutesText(warning);
  schedule();
}

startSessionTimeout();
