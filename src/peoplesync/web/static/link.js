// Merge's embedded Link on the consent page (docs/merge-facts.md): ask our server for a link
// token, load Link's initialize.js, MergeLink.initialize({linkToken, onSuccess, onExit,
// tenantConfig}) then openLink(); onSuccess posts the public token in a form bound to the
// admin's session and CSRF token. No inline script (the CSP forbids them).
"use strict";

(function () {
  const host = document.getElementById("merge-link");
  const button = document.getElementById("merge-link-open");
  if (!host || !button) return;
  const problem = document.getElementById("merge-link-error");
  const exited = document.getElementById("merge-link-exit");
  const done = document.getElementById("merge-link-done");

  function fail(message) {
    problem.textContent = message;
    problem.hidden = false;
    button.disabled = false;
  }

  function loadScript(src) {
    if (window.MergeLink) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const tag = document.createElement("script");
      tag.src = src;
      tag.onload = () => resolve();
      tag.onerror = () => reject(new Error("Merge Link could not be loaded from " + src + "."));
      document.head.appendChild(tag);
    });
  }

  async function linkToken() {
    const response = await fetch(host.dataset.start, {
      method: "POST",
      headers: {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
      body: new URLSearchParams({csrf_token: host.dataset.csrf}),
      credentials: "same-origin",
    });
    const body = await response.json().catch(() => ({}));
    if (!response.ok || !body.link_token) {
      const error = body.error || {};
      throw new Error((error.message || "Merge Link could not be started.") + (error.hint ? " " + error.hint : ""));
    }
    return body.link_token;
  }

  async function open() {
    button.disabled = true;
    problem.hidden = true;
    exited.hidden = true;
    try {
      const [token] = await Promise.all([linkToken(), loadScript(host.dataset.script)]);
      const config = {
        linkToken: token,
        onSuccess: (publicToken) => {
          done.elements.public_token.value = publicToken;
          done.submit();
        },
        onExit: () => {
          exited.hidden = false;
          button.disabled = false;
        },
        onReady: () => window.MergeLink.openLink(),
      };
      if (host.dataset.apiBase) config.tenantConfig = {apiBaseURL: host.dataset.apiBase};
      window.MergeLink.initialize(config);
    } catch (error) {
      fail(error.message);
    }
  }

  button.addEventListener("click", open);
}());
