// The g4f chat page: talks to /backend-api/v2 on the Jupyter server that served it.
// Plain script, no build step, nothing loaded from the network; markdown goes through render.js.
"use strict";

(() => {
  const config = JSON.parse(document.getElementById("g4f-config").textContent);
  const API = config.base_url + "backend-api/v2/";
  const STORE = "conversation:";
  // g4f/?format=sse asks the server for SSE framing instead of NDJSON (both parse the same here).
  const CHAT_PATH = new URLSearchParams(location.search).get("format") === "sse" ? "conversation?format=sse" : "conversation";
  const el = (id) => document.getElementById(id);
  const ui = {
    provider: el("provider"), model: el("model"), share: el("share"), sharePanel: el("share-panel"),
    shareLink: el("share-link"), shareQr: el("share-qr"), shareClose: el("share-close"),
    messages: el("messages"), composer: el("composer"), system: el("system"), systemBox: el("system-box"),
    prompt: el("prompt"), send: el("send"), stop: el("stop"), files: el("files"),
    attachments: el("attachments"), conversations: el("conversations"), newChat: el("new-chat"),
    shareNotice: el("share-notice"), unshare: el("unshare"), menu: el("menu"), sidebar: el("sidebar"),
    keysButton: el("keys"), keysPanel: el("keys-panel"), keysList: el("keys-list"), keysClose: el("keys-close"),
    editing: el("editing"), hubShare: el("hub-share"), hubShareRow: el("hub-share-row"),
    hubShareLink: el("hub-share-link"), hubShareQr: el("hub-share-qr"), hubShareNotice: el("hub-share-notice"),
  };
  const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;
  const IMAGE_NAME = /\.(png|jpe?g|gif|webp|bmp|svg)$/i;

  let conv = null; // the open conversation: {id, title, added, updated, system?, items, data?}
  let pending = []; // uploaded files waiting for the next user message: {label, part}
  let controller = null; // AbortController of the running answer
  let editing = null; // index of the user message being edited (Send replaces it and what follows)
  let modelEntries = []; // the /models/<provider> entries of the picked provider (vision flags)

  // ---------------------------------------------------------------- small building blocks

  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  function xsrfToken() {
    const match = document.cookie.match(/(?:^|;\s*)_xsrf=([^;]*)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /** fetch() on the backend API with the _xsrf cookie echoed: Jupyter checks it on every non-GET
   *  request, and a JupyterHub single-user server on every fetch() that is not a page load, GETs too. */
  function api(path, options = {}) {
    const method = (options.method || "GET").toUpperCase();
    const headers = new Headers(options.headers || {});
    headers.set("X-XSRFToken", xsrfToken());
    return fetch(API + path, { ...options, method, headers, credentials: "same-origin" });
  }

  /** The message of a failed response: {"error": {"message"}} or the HTML page's title. */
  async function errorMessage(response) {
    const text = await response.text();
    try {
      const data = JSON.parse(text);
      if (data && data.error) return data.error.message || String(data.error);
    } catch (_) { /* not JSON */ }
    const title = text.match(/<title>([^<]*)<\/title>/i);
    return `HTTP ${response.status}${title ? ": " + title[1] : ""}`;
  }

  async function getJSON(path) {
    const response = await api(path);
    if (!response.ok) throw new Error(await errorMessage(response));
    return response.json();
  }

  /** One received line, NDJSON or SSE: the JSON object it carries, or null (blank, event:, [DONE]). */
  function parseStreamLine(line) {
    let text = line.trim();
    if (!text || text.startsWith(":") || /^(event|id|retry):/.test(text)) return null;
    if (text.startsWith("data:")) {
      text = text.slice(5).trim();
      if (!text || text === "[DONE]") return null;
    }
    return JSON.parse(text);
  }

  /** The objects of a streamed body, as they arrive. */
  async function* readEvents(response) {
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      buffer += done ? decoder.decode() : decoder.decode(value, { stream: true });
      let newline;
      while ((newline = buffer.indexOf("\n")) >= 0) {
        const event = parseStreamLine(buffer.slice(0, newline));
        buffer = buffer.slice(newline + 1);
        if (event) yield event;
      }
      if (done) break;
    }
    const last = parseStreamLine(buffer);
    if (last) yield last;
  }

  // ---------------------------------------------------------------- rendering

  /** The text of a message's content (a string, or a list of parts). */
  function contentText(content) {
    if (typeof content === "string") return content;
    return (content || []).filter((part) => typeof part.text === "string").map((part) => part.text).join("\n\n");
  }

  /** Names shown for a message's attachments; a text bucket's file names are kept in localStorage. */
  function attachmentLabels(content) {
    if (!Array.isArray(content)) return [];
    return content.filter((part) => part.bucket_id && !isImagePart(part)).map((part) => {
      if (part.name) return part.name;
      try { return JSON.parse(localStorage.getItem("bucket:" + part.bucket_id)).names.join(", "); } catch (_) { return "uploaded files"; }
    });
  }

  function isImagePart(part) {
    return Boolean(part && part.name && IMAGE_NAME.test(part.name));
  }

  /** A small picture that opens the full image; only same-origin or http(s) URLs. */
  function thumbnail(url, name) {
    const link = node("a", "thumb");
    if (!/^(https?:\/\/|\/|blob:)/.test(url)) return link;
    link.href = url; link.target = "_blank"; link.rel = "noopener";
    const img = node("img");
    img.src = url; img.alt = name || "image"; img.title = name || "";
    link.append(img);
    return link;
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(bytes < 10485760 ? 1 : 0);
  }

  function providerLabel(provider) {
    if (!provider) return "assistant";
    const name = provider.label || provider.name || "";
    return provider.model ? `${name} · ${provider.model}` : name || "assistant";
  }

  function usageText(usage) {
    const keys = ["prompt_tokens", "completion_tokens", "total_tokens"];
    return keys.filter((k) => typeof usage[k] === "number").map((k) => `${k.split("_")[0]} ${usage[k]}`).join(" · ");
  }

  function node(tag, className, text) {
    const element = document.createElement(tag);
    if (className) element.className = className;
    if (text !== undefined) element.textContent = text;
    return element;
  }

  /** A message bubble bound to one conversation item; the streaming code updates it. */
  function messageView(item) {
    const article = node("article", `message ${item.role}`);
    const role = node("div", "role", item.role === "assistant" ? providerLabel(item.provider) : item.role);
    const reasoning = node("details", "reasoning");
    const reasoningText = node("div");
    const reasoningSummary = node("summary", "", "Reasoning");
    reasoning.append(reasoningSummary, reasoningText);
    const content = node("div", "content");
    const media = node("div", "media");
    const usage = node("div", "usage");
    const actions = node("div", "actions");
    article.append(role, reasoning, content, media, usage, actions);
    for (const label of attachmentLabels(item.content)) role.append(" ", node("span", "chip", "file: " + label));
    for (const part of Array.isArray(item.content) ? item.content : []) {
      if (isImagePart(part)) media.append(thumbnail(part.url, part.name));
    }
    let scheduled = false;
    const view = {
      element: article,
      render() {
        scheduled = false;
        if (item.role === "user") content.textContent = contentText(item.content); // what was typed, as typed
        else g4fMarkdown.render(content, contentText(item.content));
        reasoning.hidden = !item.reasoning;
        g4fMarkdown.render(reasoningText, item.reasoning || "");
        role.firstChild.textContent = item.role === "assistant" ? providerLabel(item.provider) : item.role;
        usage.textContent = item.usage ? usageText(item.usage) : "";
        usage.hidden = !item.usage;
      },
      scheduleRender() {
        if (!scheduled) { scheduled = true; requestAnimationFrame(view.render); }
      },
      status(text) { reasoningSummary.textContent = text ? `Reasoning: ${text}` : "Reasoning"; },
      addMedia(urls) {
        for (const url of urls || []) {
          media.append(thumbnail(url));
        }
      },
      error(text) { article.append(node("div", "error", text)); },
      warning(text) { article.append(node("div", "warning", text)); },
      info(text) { article.append(node("div", "info", text)); },
      action(label, title, onClick) {
        const button = node("button", label.toLowerCase(), label);
        button.type = "button";
        button.title = title;
        button.addEventListener("click", onClick);
        actions.append(button);
      },
      suggestions(list) {
        const box = node("div", "suggestions");
        for (const text of list || []) {
          const button = node("button", "", text);
          button.type = "button";
          button.addEventListener("click", () => { ui.prompt.value = text; ui.prompt.focus(); });
          box.append(button);
        }
        article.append(box);
      },
    };
    view.render();
    return view;
  }

  function showMessages() {
    const last = conv.items.length - 1;
    ui.messages.replaceChildren(...conv.items.map((item, index) => {
      const view = messageView(item);
      if (item.role === "user") view.action("Edit", "Edit this message and send it again", () => startEdit(index));
      if (item.role === "assistant" && index === last) offerRegenerate(view);
      return view.element;
    }));
    ui.messages.scrollTop = ui.messages.scrollHeight;
  }

  function notice(text) {
    const view = messageView({ role: "system", content: "" });
    view.error(text);
    ui.messages.append(view.element);
  }

  // ---------------------------------------------------------------- conversations

  function newConversation() {
    const now = Date.now();
    return { id: uuid(), title: "New chat", added: now, updated: now, items: [] };
  }

  function storedConversations() {
    const list = [];
    for (let i = 0; i < localStorage.length; i++) {
      const key = localStorage.key(i);
      if (!key.startsWith(STORE)) continue;
      try { list.push(JSON.parse(localStorage.getItem(key))); } catch (_) { /* skip a damaged entry */ }
    }
    return list.filter((c) => c && Array.isArray(c.items)).sort((a, b) => b.updated - a.updated);
  }

  function save(target) {
    target.updated = Date.now();
    if (target.items.length) {
      try { localStorage.setItem(STORE + target.id, JSON.stringify(target)); } catch (_) { /* storage full: keep it in memory */ }
    }
    showList();
  }

  function showList() {
    const items = storedConversations().map((c) => {
      const li = node("li", c.id === conv.id ? "active" : "");
      const link = node("a", "", c.title || "New chat");
      link.href = "#";
      link.addEventListener("click", (e) => { e.preventDefault(); openConversation(c); });
      const remove = node("button", "", "×");
      remove.type = "button";
      remove.title = "Delete";
      remove.addEventListener("click", () => removeConversation(c));
      li.append(link, remove);
      return li;
    });
    ui.conversations.replaceChildren(...items);
  }

  function openConversation(target) {
    if (controller) controller.abort();
    stopEditing();
    conv = target;
    localStorage.setItem("g4f:current", conv.id);
    ui.system.value = conv.system || "";
    ui.sharePanel.hidden = true;
    showMessages();
    showList();
  }

  function removeConversation(target) {
    localStorage.removeItem(STORE + target.id);
    localStorage.removeItem("share:" + target.id);
    localStorage.removeItem("hubshare:" + target.id);
    for (const item of target.items) {
      for (const part of Array.isArray(item.content) ? item.content : []) {
        if (!part.bucket_id) continue;
        localStorage.removeItem("bucket:" + part.bucket_id);
        api("files/" + encodeURIComponent(part.bucket_id), { method: "DELETE" }).catch(() => {});
      }
    }
    if (target.id === conv.id) openConversation(newConversation());
    else showList();
  }

  // ---------------------------------------------------------------- providers and models

  async function loadProviders() {
    try {
      const providers = await getJSON("providers");
      providers.sort((a, b) => (a.label || a.name).localeCompare(b.label || b.name));
      for (const p of providers) {
        const option = node("option", "", (p.label || p.name) + (p.auth ? " (key)" : ""));
        option.value = p.name;
        ui.provider.append(option);
      }
      const saved = localStorage.getItem("g4f:provider");
      if (saved && providers.some((p) => p.name === saved)) ui.provider.value = saved;
    } catch (err) {
      notice("Could not load providers: " + err.message);
    }
    await loadModels();
  }

  async function loadModels() {
    const provider = ui.provider.value;
    const fallback = node("option", "", "(default)");
    fallback.value = "";
    ui.model.replaceChildren(fallback);
    modelEntries = [];
    if (!provider) return;
    try {
      const entries = await getJSON("models/" + encodeURIComponent(provider));
      modelEntries = entries.flatMap((entry) => (Array.isArray(entry.models) ? entry.models : [entry]));
      const addOption = (parent, m) => {
        const id = m.model || m.id;
        const option = node("option", "", (m.label || id) + (m.task ? ` (${m.task})` : ""));
        option.value = id;
        option.selected = Boolean(m.default);
        parent.append(option);
      };
      for (const entry of entries) {
        if (Array.isArray(entry.models)) {
          const group = node("optgroup");
          group.label = entry.group || "";
          entry.models.forEach((m) => addOption(group, m));
          ui.model.append(group);
        } else if (entry.model || entry.id) {
          addOption(ui.model, entry);
        }
      }
    } catch (err) {
      notice(`Could not load the models of ${provider}: ${err.message}`);
    }
    showAttachments();
  }

  /** Whether the picked model is known not to see images (unknown under automatic choice). */
  function modelIsBlind() {
    const id = ui.model.value || (modelEntries.find((m) => m.default) || {}).model;
    const entry = modelEntries.find((m) => (m.model || m.id) === id);
    return Boolean(entry) && !entry.vision;
  }

  function visionWarning() {
    const model = ui.model.value || "the default model";
    return `${model} of ${ui.provider.value} cannot see images: pick a vision model, or the image is ignored.`;
  }

  // ---------------------------------------------------------------- chatting

  function setBusy(busy) {
    ui.send.disabled = busy;
    ui.stop.disabled = !busy;
  }

  function handleEvent(event, item, view, target) {
    switch (event.type) {
      case "provider":
        item.provider = event.provider;
        break;
      case "content":
        item.content += event.content || "";
        if (event.urls) view.addMedia(event.urls);
        break;
      case "reasoning":
        if (event.token) item.reasoning = (item.reasoning || "") + event.token;
        if (event.status) view.status(event.status);
        break;
      case "conversation": {
        const name = (item.provider && item.provider.name) || ui.provider.value;
        if (name) target.data = { ...(target.data || {}), [name]: event.conversation };
        break;
      }
      case "title":
        target.title = event.title;
        break;
      case "suggestions":
        view.suggestions(event.suggestions);
        break;
      case "usage":
        item.usage = event.usage;
        break;
      case "finish":
        item.finish = event.finish;
        break;
      case "message":
        view.warning(event.message || event.error);
        break;
      case "error":
      case "auth":
        view.error(event.message || event.error || event.type);
        break;
      case "log":
        console.debug("g4f:", event.log);
        break;
      default:
        break;
    }
    view.scheduleRender();
  }

  function historyMessages(target) {
    const messages = target.system ? [{ role: "system", content: target.system }] : [];
    for (const item of target.items) {
      if (item.content && item.content.length) messages.push({ role: item.role, content: item.content });
    }
    return messages;
  }

  async function send() {
    const text = ui.prompt.value.trim();
    if (!text || controller) return;
    const target = conv;
    const images = pending.some((p) => isImagePart(p.part));
    if (editing !== null) {
      const kept = target.items[editing].content; // files attached to the edited message stay attached
      const parts = Array.isArray(kept) ? kept.filter((part) => part.bucket_id) : [];
      pending = [...parts.map((part) => ({ part })), ...pending];
      target.items.splice(editing);
      stopEditing();
    }
    const content = pending.length ? [...pending.map((p) => p.part), { type: "text", text }] : text;
    pending = [];
    showAttachments();
    target.system = ui.system.value.trim() || undefined;
    target.items.push({ role: "user", content });
    if (target.title === "New chat") target.title = text.slice(0, 60);
    ui.prompt.value = "";
    save(target);
    showMessages();
    await answer(target, images && modelIsBlind());
  }

  /** Ask for the answer to the conversation as it stands (its last item is the user's message). */
  async function answer(target, blindModel) {

    const item = { role: "assistant", content: "" };
    const view = messageView(item);
    view.element.classList.add("streaming");
    ui.messages.append(view.element);
    if (blindModel) view.warning(visionWarning());
    const provider = ui.provider.value;
    const body = {
      id: uuid(), conversation_id: target.id, model: ui.model.value, provider,
      messages: historyMessages(target),
    };
    if (provider && target.data && target.data[provider]) body.conversation = target.data[provider];
    controller = new AbortController();
    setBusy(true);
    try {
      const response = await api(CHAT_PATH, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify(body),
        signal: controller.signal,
      });
      if (!response.ok) throw new Error(await errorMessage(response));
      for await (const event of readEvents(response)) {
        handleEvent(event, item, view, target);
        ui.messages.scrollTop = ui.messages.scrollHeight;
      }
    } catch (err) {
      if (err.name === "AbortError") view.info("Stopped.");
      else view.error(err.message);
    } finally {
      controller = null;
      setBusy(false);
      view.element.classList.remove("streaming");
      view.render();
      if (item.content || item.reasoning) target.items.push(item);
      save(target);
      if (conv === target && item.content) offerRegenerate(view);
      refreshShare(target);
    }
  }

  /** The Regenerate button goes on the last answer only. */
  function offerRegenerate(view) {
    for (const button of ui.messages.querySelectorAll("button.regenerate")) button.remove();
    view.action("Regenerate", "Answer the last message again", regenerate);
  }

  /** Answer the last user message again, replacing the answer it had. */
  function regenerate() {
    if (controller) return;
    while (conv.items.length && conv.items[conv.items.length - 1].role === "assistant") conv.items.pop();
    if (!conv.items.length) return;
    save(conv);
    showMessages();
    answer(conv, false);
  }

  /** Put a sent message back into the prompt box; Send replaces it and drops what came after it. */
  function startEdit(index) {
    if (controller) return;
    editing = index;
    ui.prompt.value = contentText(conv.items[index].content);
    ui.editing.hidden = false;
    ui.prompt.focus();
  }

  function stopEditing() {
    editing = null;
    ui.editing.hidden = true;
  }

  // ---------------------------------------------------------------- files

  function showAttachments(extra) {
    const chips = pending.map((p) => {
      if (!isImagePart(p.part)) return node("span", "chip", "file: " + p.label);
      const chip = node("span", "chip image");
      chip.append(thumbnail(p.preview || p.part.url, p.label), " " + p.label);
      return chip;
    });
    const warning = pending.some((p) => isImagePart(p.part)) && modelIsBlind() ? [node("span", "chip warning", visionWarning())] : [];
    ui.attachments.replaceChildren(...chips, ...warning, ...(extra ? [extra] : []));
  }

  /** Upload into a new bucket, wait until the server has read it, and keep its parts for the next message. */
  async function upload(files) {
    const bucket = uuid();
    const total = files.reduce((sum, file) => sum + file.size, 0);
    const progress = node("span", "chip", `Uploading ${files.length} file(s), ${megabytes(total)} MB…`);
    showAttachments(progress);
    const form = new FormData();
    for (const file of files) form.append("files", file, file.name);
    try {
      const response = await api("files/" + bucket, { method: "POST", body: form });
      if (!response.ok) throw new Error(await errorMessage(response));
      const result = await response.json();
      const names = result.files || [];
      if (names.length) {
        const stream = await api(`files/${bucket}/stream`, { headers: { Accept: "text/event-stream" } });
        if (!stream.ok) throw new Error(await errorMessage(stream));
        let size = 0;
        for await (const event of readEvents(stream)) {
          if (event.error) throw new Error(event.error.message || String(event.error));
          if (event.action === "load") {
            const percent = total ? Math.min(99, Math.round((100 * event.size) / total)) : 0;
            progress.textContent = `Reading… ${percent}% (${megabytes(event.size)} MB)`;
          }
          if (event.action === "done") size = event.size;
        }
        localStorage.setItem("bucket:" + bucket, JSON.stringify({ names, size }));
        pending.push({ label: names.join(", "), part: { bucket_id: bucket, url: `${API}files/${bucket}` } });
      }
      for (const media of result.media || []) {
        const name = typeof media === "string" ? media : media.name;
        const url = `${config.base_url}files/${bucket}/media/${encodeURIComponent(name)}`;
        const file = files.find((f) => f.name === name);
        pending.push({ label: name, part: { bucket_id: bucket, name, url }, preview: file && URL.createObjectURL(file) });
      }
      showAttachments(names.length || (result.media || []).length ? null : node("span", "chip error", "No supported file"));
    } catch (err) {
      showAttachments(node("span", "chip error", "Upload failed: " + err.message));
    }
  }

  // ---------------------------------------------------------------- sharing

  /** POST the conversation under its share id; the id the server kept. "invalid date" = already current. */
  async function postShare(target, shareId) {
    const response = await api("chat/" + encodeURIComponent(shareId), {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(target),
    });
    if (response.ok) return (await response.json()).share_id || shareId;
    const message = await errorMessage(response);
    if (message !== "invalid date") throw new Error(message);
    return shareId;
  }

  /** Save the open conversation as a share on this server and show its link; the share id, or null. */
  async function share() {
    if (!conv.items.length) {
      notice("Nothing to share yet: send a message first.");
      return null;
    }
    const key = "share:" + conv.id;
    const shareId = await postShare(conv, localStorage.getItem(key) || uuid());
    localStorage.setItem(key, shareId);
    const link = config.share_prefix + encodeURIComponent(shareId);
    ui.shareLink.href = link;
    ui.shareLink.textContent = link;
    ui.shareQr.href = `${config.base_url}g4f/qrcode/${encodeURIComponent(shareId)}`;
    ui.shareNotice.hidden = !LOOPBACK.test(new URL(link, location.href).hostname);
    showHubLink(shareId, localStorage.getItem("hubshare:" + conv.id));
    ui.sharePanel.hidden = false;
    return shareId;
  }

  /** Under JupyterHub: ask this server to copy the saved share to the hub's shares service; the hub link. */
  async function publishToHub(shareId) {
    const response = await api("hub/chat/" + encodeURIComponent(shareId), { method: "POST" });
    if (!response.ok) throw new Error(await errorMessage(response));
    return (await response.json()).url;
  }

  /** Share on this server first (the hub copies that saved share), then with every user of the hub. */
  async function shareWithHub() {
    const target = conv;
    const shareId = await share();
    if (!shareId) return;
    const link = await publishToHub(shareId);
    localStorage.setItem("hubshare:" + target.id, link);
    if (conv === target) showHubLink(shareId, link);
  }

  function showHubLink(shareId, link) {
    ui.hubShareRow.hidden = !link;
    ui.hubShareNotice.hidden = !link || !LOOPBACK.test(new URL(link, location.href).hostname);
    if (!link) return;
    ui.hubShareLink.href = link;
    ui.hubShareLink.textContent = link;
    ui.hubShareQr.href = `${config.base_url}g4f/qrcode/${encodeURIComponent(shareId)}?to=hub`;
  }

  /** Remove the shared copy from this server; the conversation itself (and a hub copy) stays. */
  async function unshare() {
    const key = "share:" + conv.id;
    const shareId = localStorage.getItem(key);
    if (shareId) {
      const response = await api("chat/" + encodeURIComponent(shareId), { method: "DELETE" });
      if (!response.ok && response.status !== 404) throw new Error(await errorMessage(response));
    }
    localStorage.removeItem(key);
    localStorage.removeItem("hubshare:" + conv.id);
    ui.sharePanel.hidden = true;
  }

  // ---------------------------------------------------------------- API keys

  /** The key settings: one row per provider that takes a key; keys are written, never read back. */
  async function showKeys() {
    ui.keysPanel.hidden = false;
    let providers;
    try {
      providers = await getJSON("keys");
    } catch (err) {
      ui.keysList.replaceChildren(node("p", "error", "Could not load the key settings: " + err.message));
      return;
    }
    if (!providers.length) ui.keysList.replaceChildren(node("p", "", "No provider here takes an API key."));
    else ui.keysList.replaceChildren(...providers.map(keyRow));
  }

  function keyRow(p) {
    const row = node("form", "key-row");
    row.dataset.provider = p.name;
    const label = node("label", "", p.label);
    const input = node("input");
    input.type = "password";
    input.autocomplete = "off";
    input.placeholder = p.stored ? "stored (enter a new key to replace it)" : "API key";
    input.setAttribute("aria-label", `API key for ${p.label}`);
    label.append(input);
    const save = node("button", "", "Save");
    save.type = "submit";
    const remove = node("button", "", "Remove");
    remove.type = "button";
    remove.disabled = !p.stored;
    const state = node("span", "key-state", p.stored ? "stored" : p.needs_auth ? "needed" : "optional");
    const note = p.variable_set ? node("span", "key-note", `${p.variable} is set and wins over a stored key`) : "";
    row.append(label, save, remove, state, note);
    const call = async (method, body) => {
      const response = await api("keys/" + encodeURIComponent(p.name), {
        method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body),
      });
      if (!response.ok) throw new Error(await errorMessage(response));
    };
    row.addEventListener("submit", (e) => {
      e.preventDefault();
      if (!input.value.trim()) return;
      call("POST", { api_key: input.value.trim() })
        .then(() => { input.value = ""; return showKeys(); }, (err) => { state.textContent = err.message; state.className = "key-state error"; });
    });
    remove.addEventListener("click", () => {
      call("DELETE").then(showKeys, (err) => { state.textContent = err.message; state.className = "key-state error"; });
    });
    return row;
  }

  /** A shared conversation stays current: each finished answer updates the share (and its hub copy). */
  function refreshShare(target) {
    const shareId = localStorage.getItem("share:" + target.id);
    if (!shareId) return;
    postShare(target, shareId)
      .then(() => localStorage.getItem("hubshare:" + target.id) && publishToHub(shareId))
      .catch((err) => notice("Updating the share failed: " + err.message));
  }

  // ---------------------------------------------------------------- wiring

  ui.composer.addEventListener("submit", (e) => { e.preventDefault(); send(); });
  ui.prompt.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); send(); }
  });
  ui.stop.addEventListener("click", () => controller && controller.abort());
  ui.newChat.addEventListener("click", () => openConversation(newConversation()));
  ui.provider.addEventListener("change", () => {
    localStorage.setItem("g4f:provider", ui.provider.value);
    loadModels();
  });
  ui.files.addEventListener("change", () => {
    if (ui.files.files.length) upload(Array.from(ui.files.files));
    ui.files.value = "";
  });
  ui.share.addEventListener("click", () => share().catch((err) => notice("Sharing failed: " + err.message)));
  ui.hubShare.hidden = !config.hub_shares;
  ui.hubShare.addEventListener("click", () => shareWithHub().catch((err) => notice("Sharing with hub users failed: " + err.message)));
  ui.shareClose.addEventListener("click", () => { ui.sharePanel.hidden = true; });
  ui.unshare.addEventListener("click", () => unshare().catch((err) => notice("Stopping the share failed: " + err.message)));
  ui.keysButton.addEventListener("click", () => (ui.keysPanel.hidden ? showKeys() : (ui.keysPanel.hidden = true)));
  ui.keysClose.addEventListener("click", () => { ui.keysPanel.hidden = true; });
  ui.editing.querySelector("button").addEventListener("click", () => { stopEditing(); ui.prompt.value = ""; });
  ui.model.addEventListener("change", () => showAttachments());
  ui.menu.addEventListener("click", (e) => { e.stopPropagation(); document.body.classList.toggle("sidebar-open"); });
  document.querySelector("main").addEventListener("click", () => document.body.classList.remove("sidebar-open"));
  ui.conversations.addEventListener("click", () => document.body.classList.remove("sidebar-open"));

  const current = localStorage.getItem("g4f:current");
  openConversation(storedConversations().find((c) => c.id === current) || newConversation());
  if (conv.system) ui.systemBox.open = true;
  loadProviders();
})();
