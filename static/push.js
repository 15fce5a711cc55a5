/* The Devices page (comms/push/devices.html): turn push on in this browser. Asks for permission to
   notify, subscribes with the install's VAPID public key, and posts the subscription to Vigil. */
(function () {
  "use strict";
  const root = document.querySelector("[data-push]");
  if (!root) return;
  const status = root.querySelector("[data-push-status]");
  const button = root.querySelector("[data-push-enable]");
  const say = (text) => { status.textContent = text; };

  function keyBytes(base64url) {
    const b64 = (base64url + "=".repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  }
  function csrfToken() {
    const field = document.querySelector("input[name=csrfmiddlewaretoken]");
    return field ? field.value : "";
  }

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    say("This browser cannot receive push notifications.");
    button.disabled = true;
    return;
  }
  const ready = navigator.serviceWorker.register(root.dataset.worker, { scope: "/" }).then(() => navigator.serviceWorker.ready);
  ready.then(() => root.setAttribute("data-worker-ready", "yes")).catch((err) => say("The service worker did not start: " + err));

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        say("Notifications are blocked for Vigil in this browser: allow them in its site settings, then try again.");
        return;
      }
      const registration = await ready;
      const subscription =
        (await registration.pushManager.getSubscription()) ||
        (await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(root.dataset.key) }));
      const response = await fetch(root.dataset.subscribe, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(subscription.toJSON()),
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error || response.status);
      window.location.reload();
    } catch (err) {
      say("Push could not be turned on: " + (err.message || err));
    } finally {
      button.disabled = false;
    }
  });
})();
