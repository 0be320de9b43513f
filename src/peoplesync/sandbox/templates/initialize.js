/* A stand-in for Merge Link's initialize.js, served by the peoplesync sandbox HRIS.
 *
 * Same JavaScript API as Merge's script (see docs/merge-facts.md):
 *   MergeLink.initialize({linkToken, onSuccess(publicToken, additionalInfo), onExit(),
 *                         onReady(), tenantConfig: {apiBaseURL}, parentContainerID})
 *   MergeLink.openLink(config?)   MergeLink.update({linkToken, onSuccess})
 * openLink lays a dialog over the page (an iframe of this server's /link/embedded). The frame
 * posts its result to this page's origin; only messages from this server's origin and from
 * that frame are heard. onSuccess is called as soon as the account is linked (Merge's default,
 * shouldSendTokenOnSuccessfulLink: true), then the dialog closes; closing it calls onExit.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var home = new URL(script ? script.src : window.location.href).origin;
  var config = null;
  var overlay = null;
  var frame = null;

  function close() {
    window.removeEventListener("message", onMessage);
    if (overlay && overlay.parentNode) {
      overlay.parentNode.removeChild(overlay);
    }
    overlay = null;
    frame = null;
  }

  function onMessage(event) {
    if (event.origin !== home || !frame || event.source !== frame.contentWindow) {
      return;
    }
    var data = event.data || {};
    if (data.source !== "merge-link-sandbox") {
      return;
    }
    var current = config;
    if (data.type === "success") {
      close();
      current.onSuccess(data.publicToken, {isTokenForOtherPreexistingLinkedAccount: false});
    } else if (data.type === "exit") {
      close();
      if (typeof current.onExit === "function") {
        current.onExit();
      }
    }
  }

  function merged(extra) {
    var result = {};
    var key;
    for (key in config || {}) { result[key] = config[key]; }
    for (key in extra || {}) { result[key] = extra[key]; }
    return result;
  }

  window.MergeLink = {
    initialize: function (options) {
      if (!options || typeof options.linkToken !== "string" || !options.linkToken) {
        throw new Error("MergeLink.initialize needs a linkToken");
      }
      if (typeof options.onSuccess !== "function") {
        throw new Error("MergeLink.initialize needs an onSuccess callback");
      }
      config = merged(options);
      if (typeof config.onReady === "function") {
        window.setTimeout(config.onReady, 0);
      }
    },
    update: function (options) {
      config = merged(options);
    },
    openLink: function (options) {
      if (options && options.linkToken) {
        config = merged(options);
      }
      if (!config) {
        throw new Error("Call MergeLink.initialize before MergeLink.openLink");
      }
      if (overlay) {
        return;
      }
      var params = new URLSearchParams({link_token: config.linkToken, origin: window.location.origin});
      var tenant = config.tenantConfig && config.tenantConfig.apiBaseURL;
      if (tenant) {
        params.set("api_base_url", tenant);
      }
      overlay = document.createElement("div");
      overlay.id = "merge-link-overlay";
      overlay.setAttribute("role", "presentation");
      overlay.style.cssText = "position:fixed;inset:0;z-index:2147483647;" +
        "background:rgba(20,30,60,.45);display:flex;align-items:center;justify-content:center";
      frame = document.createElement("iframe");
      frame.id = "merge-link-frame";
      frame.title = "Merge Link";
      frame.src = home + "/link/embedded?" + params.toString();
      frame.style.cssText = "width:480px;max-width:95vw;height:640px;max-height:95vh;" +
        "border:0;border-radius:12px;background:#eef1f6";
      overlay.appendChild(frame);
      var parent = (config.parentContainerID && document.getElementById(config.parentContainerID)) ||
        document.body;
      window.addEventListener("message", onMessage);
      parent.appendChild(overlay);
    }
  };
}());
