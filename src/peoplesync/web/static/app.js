// peoplesync pages: dialogs, confirmations and polling. No inline scripts (the CSP forbids them).
"use strict";

document.addEventListener("click", (event) => {
  const opener = event.target.closest("[data-dialog]");
  if (opener) {
    document.getElementById(opener.dataset.dialog)?.showModal();
    return;
  }
  const closer = event.target.closest("dialog [data-close]");
  if (closer) {
    closer.closest("dialog").close();
    return;
  }
  const back = event.target.closest("[data-back]");
  if (back && history.length > 1) {
    event.preventDefault();
    history.back();
  }
});

document.addEventListener("submit", (event) => {
  const question = event.target.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});

// <el data-poll="/x/status.json" data-poll-key="state" data-poll-while="yes">: poll every second
// and reload the page when a watched key changes. data-poll-redirect="active_run" follows the
// first run newer than data-poll-after to its page.
function pick(body, keys) {
  return JSON.stringify(keys.map((k) => {
    const v = body[k];
    return v && typeof v === "object" ? [v.id, v.state] : v;
  }));
}

function follow(body, el) {
  const key = el.dataset.pollRedirect;
  const after = Number(el.dataset.pollAfter || 0);
  const run = body[key] || body.latest_run;
  if (run && run.id > after) {
    window.location.assign(`/runs/${run.id}`);
    return true;
  }
  return false;
}

for (const el of document.querySelectorAll("[data-poll]")) {
  if (el.dataset.pollWhile !== "yes") continue;
  const keys = (el.dataset.pollKey || "state").split(",");
  let first = null;
  const tick = async () => {
    try {
      const response = await fetch(el.dataset.poll, { headers: { Accept: "application/json" } });
      if (response.ok) {
        const body = await response.json();
        if (el.dataset.pollRedirect !== undefined) {
          if (follow(body, el)) return;
        } else {
          const now = pick(body, keys);
          if (el.dataset.pollState !== undefined && body.state !== el.dataset.pollState) {
            window.location.reload();
            return;
          }
          if (first === null) first = now;
          else if (now !== first) {
            window.location.reload();
            return;
          }
        }
      }
    } catch (_) { /* a missed poll is retried */ }
    setTimeout(tick, 1000);
  };
  setTimeout(tick, 1000);
}
