/* Vigil's service worker (served at /sw.js by comms.push.views.service_worker, scope "/").
   A push (comms.channels.webpush, payload: comms.push.payload) becomes a notification with
   Acknowledge and Open; a SEV1 stays until it is answered. Acknowledge POSTs the page's signed,
   single-use ack_url (no session needed) and says how it went; Open (or the notification itself)
   opens the incident. The handlers are on self.vigil so a test can call them in the worker. */
"use strict";

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

async function showPage(data) {
  await self.registration.showNotification(data.title || "Vigil page", {
    body: data.body || "",
    tag: data.tag || "vigil",
    renotify: true,
    requireInteraction: data.severity === "sev1",
    icon: "/static/icon-192.png",
    data: { url: data.url || "/", ack_url: data.ack_url || "" },
    actions: [
      { action: "ack", title: "Acknowledge" },
      { action: "open", title: "Open" },
    ],
  });
}

async function acknowledge(ackUrl) {
  let message;
  try {
    const response = await fetch(ackUrl, { method: "POST", credentials: "omit", cache: "no-store" });
    const answer = await response.json();
    message = answer.message || (answer.ok ? "Acknowledged." : "Not acknowledged.");
  } catch (err) {
    message = "Could not reach Vigil: open the incident to acknowledge.";
  }
  try {
    await self.registration.showNotification("Vigil", { body: message, tag: "vigil-ack" });
  } catch (err) {
    /* No permission to notify (any more): the acknowledgement itself stands. */
  }
  return message;
}

async function openUrl(url) {
  const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
  for (const client of windows) {
    if (client.url === url && "focus" in client) return client.focus();
  }
  return self.clients.openWindow(url);
}

async function click(action, data) {
  if (action === "ack" && data.ack_url) return acknowledge(data.ack_url);
  return openUrl(data.url || "/");
}

self.vigil = { showPage, acknowledge, click };

self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (err) {
    data = { title: "Vigil page", body: event.data ? event.data.text() : "" };
  }
  event.waitUntil(showPage(data));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  event.waitUntil(click(event.action, event.notification.data || {}));
});
