// Autosave an intake form's answers as the user's draft (workflows/drafts.py).
//
// Loaded only on the "Raise a concern" form, whose <form> carries data-draft-autosave and
// data-draft-url. The form's own fields (the CSRF token among them) are posted:
// - a moment after the user stops typing or changes an answer;
// - when the page is hidden or closed (pagehide, visibilitychange), with
//   navigator.sendBeacon so the request outlives the page;
// - when the session-timeout warning appears (session-timeout.js sends
//   "safecase:session-warning"), so an idle sign-out loses nothing;
// - before the "Sign out" buttons sign the user out.
// Only answers that changed since the last save are sent, so an untouched page sends
// nothing and cannot keep an idle session alive on its own. A successful save renewed
// the session on the server, so it sends "safecase:session-renewed" for the warning to
// restart its clock. "Draft saved at 14:32" is announced politely in #draft-status.

const DEBOUNCE_MS = 2000;

function serialise(form) {
  const data = new FormData(form);
  data.delete("draft"); // the draft's id is not an answer
  return new URLSearchParams(data).toString();
}

function payload(form) {
  const data = new FormData(form);
  data.delete("action");
  return data;
}

export function startDraftAutosave(form) {
  const url = form.dataset.draftUrl;
  const status = document.getElementById("draft-status");
  if (!url) return;
  let saved = serialise(form);
  let timer;
  let inFlight = null;

  const dirty = () => serialise(form) !== saved;

  function show(text) {
    if (status) status.textContent = text;
  }

  async function save() {
    clearTimeout(timer);
    if (!dirty()) return true;
    if (inFlight) return inFlight;
    const snapshot = serialise(form);
    inFlight = fetch(url, {
      method: "POST",
      body: payload(form),
      credentials: "same-origin",
      headers: { Accept: "application/json" },
      keepalive: true,
    })
      .then(async (response) => {
        if (!response.ok || response.redirected) {
          show("Your draft could not be saved. Use “Save and come back later”.");
          return false;
        }
        const body = await response.json();
        // A new concern's first save starts its draft: later saves go to the same one.
        const draftId = form.querySelector("[data-draft-id]");
        if (draftId && body.draft && draftId.value !== String(body.draft)) {
          draftId.value = String(body.draft);
          // The address names the draft too, so that a reload or signing in again after
          // a timeout comes back to this concern, not to a new one.
          const here = new URL(window.location.href);
          here.searchParams.set("draft", String(body.draft));
          window.history.replaceState(window.history.state, "", here);
        }
        saved = snapshot;
        show(`Draft saved at ${body.saved_at_text}`);
        document.dispatchEvent(new CustomEvent("safecase:session-renewed"));
        return true;
      })
      .catch(() => {
        show("Your draft could not be saved. Check your connection.");
        return false;
      })
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  }

  function saveSoon() {
    clearTimeout(timer);
    timer = setTimeout(save, DEBOUNCE_MS);
  }

  function saveOnLeaving() {
    clearTimeout(timer);
    if (!dirty() || typeof navigator.sendBeacon !== "function") return;
    if (navigator.sendBeacon(url, payload(form))) saved = serialise(form);
  }

  form.addEventListener("input", saveSoon);
  form.addEventListener("change", saveSoon);
  // Submitting the form saves the draft on the server itself.
  form.addEventListener("submit", () => {
    clearTimeout(timer);
    saved = serialise(form);
  });
  window.addEventListener("pagehide", saveOnLeaving);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "hidden") saveOnLeaving();
  });
  document.addEventListener("safecase:session-warning", save);

  // Signing out ends the session, after which nothing can be saved: save first.
  document.querySelectorAll("form[data-sign-out-form]").forEach((signOut) => {
    signOut.addEventListener("submit", (event) => {
      if (!dirty()) return;
      event.preventDefault();
      save().finally(() => signOut.submit());
    });
  });
}

// Questions that follow some answers of the question before them (``data-reveal-on``,
// ``data-reveal-values``; workflows/_control.html "reveal") show only for those answers.
// A question revealed by a single answer uses GOV.UK Frontend's own conditional reveal.
export function startReveals(form) {
  const blocks = form.querySelectorAll("[data-reveal-on]");
  if (!blocks.length) return;
  const sync = () => {
    blocks.forEach((block) => {
      const chosen = form.querySelector(`input[name="${block.dataset.revealOn}"]:checked`);
      const values = block.dataset.revealValues.split(" ");
      block.hidden = !(chosen && values.includes(chosen.value));
    });
  };
  form.addEventListener("change", sync);
  sync();
}

document.querySelectorAll("form[data-draft-autosave]").forEach((form) => {
  startReveals(form);
  startDraftAutosave(form);
});
