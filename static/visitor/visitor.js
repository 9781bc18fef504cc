/* The visitor's support page: plain JavaScript, no Odoo assets.
 * Join (POST /live/api/v1/support/join), keep the token in localStorage,
 * get the history on return, then follow the chat on Odoo's /websocket with
 * the channel "live.support_<token>" (the server checks the token). */
(function () {
    "use strict";
    const API = "/live/api/v1/support";
    const STORE = "live_support_token";
    const $ = (id) => document.getElementById(id);
    let token = window.localStorage.getItem(STORE);
    let socket = null;
    let heartbeat = null;
    let lastTyping = 0;
    let joining = false;
    const typingTimers = {};
    const shown = new Set();
    const UNESCAPES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

    /* Bodies come with &, < and > escaped (the API's body contract): shown as
     * typed, as text. */
    function unescapeBody(body) {
        return (body || "").replace(/&(amp|lt|gt);/g, (entity) => UNESCAPES[entity]);
    }

    async function call(path, body) {
        const response = await fetch(`${API}/${path}`, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(Object.assign({ token }, body || {})),
        });
        const data = await response.json().catch(() => ({}));
        if (!response.ok) {
            const error = new Error((data.error && data.error.message) || response.statusText);
            error.code = data.error && data.error.code;
            error.status = response.status;
            throw error;
        }
        return data;
    }

    function notice(text) {
        $("notice").textContent = text || "";
        $("notice").hidden = !text;
    }

    function showJoin(text) {
        window.localStorage.removeItem(STORE);
        token = null;
        if (socket) {
            socket.onclose = null;
            socket.close();
            socket = null;
        }
        clearInterval(heartbeat);
        $("chat").hidden = true;
        $("join").hidden = false;
        notice(text);
    }

    function status(state, agent) {
        const texts = {
            waiting: "Waiting for an agent...",
            active: `You are chatting with ${agent || "an agent"}.`,
        };
        $("status").textContent = texts[state] || "";
    }

    function addMessage(message) {
        if (shown.has(message.id)) {
            return;
        }
        shown.add(message.id);
        // whoever wrote it is no longer typing it
        if (typingTimers[message.author.name]) {
            clearTimeout(typingTimers[message.author.name]);
            delete typingTimers[message.author.name];
            renderTyping();
        }
        const item = document.createElement("li");
        item.className = message.kind;
        const time = document.createElement("time");
        time.textContent = new Date(message.create_date).toLocaleTimeString();
        item.appendChild(time);
        if (message.kind !== "system") {
            const who = document.createElement("strong");
            who.textContent = `${message.author.name}: `;
            item.appendChild(who);
        }
        item.appendChild(document.createTextNode(unescapeBody(message.body)));
        $("messages").appendChild(item);
        $("messages").scrollTop = $("messages").scrollHeight;
    }

    function onTyping({ name, is_typing, visitor }) {
        if (visitor) {
            return;
        }
        clearTimeout(typingTimers[name]);
        delete typingTimers[name];
        if (is_typing) {
            typingTimers[name] = setTimeout(() => {
                delete typingTimers[name];
                renderTyping();
            }, 5000);
        }
        renderTyping();
    }

    function renderTyping() {
        const names = Object.keys(typingTimers);
        $("typing").textContent = names.length ? `${names.join(", ")} is typing...` : "";
    }

    function connect() {
        const scheme = window.location.protocol === "https:" ? "wss" : "ws";
        socket = new WebSocket(`${scheme}://${window.location.host}/websocket?version=18.0-2`);
        socket.onopen = () => {
            socket.send(
                JSON.stringify({
                    event_name: "subscribe",
                    data: { channels: [`live.support_${token}`], last: 0 },
                })
            );
        };
        socket.onmessage = (event) => {
            for (const { message } of JSON.parse(event.data)) {
                const payload = message.payload;
                if (message.type === "live_messaging/message") {
                    addMessage(payload);
                } else if (message.type === "live_messaging/typing") {
                    onTyping(payload);
                } else if (message.type === "live_messaging/support") {
                    if (payload.event === "expired") {
                        showJoin("This chat expired after inactivity. You can start a new one.");
                    } else if (payload.event === "closed") {
                        showJoin("The chat is closed. You can start a new one.");
                    } else {
                        status(payload.state, payload.agent);
                    }
                }
            }
        };
        socket.onclose = () => {
            socket = null;
            setTimeout(() => token && resume(), 2000);
        };
    }

    async function resume() {
        try {
            const history = await call("history");
            if (history.state !== "waiting" && history.state !== "active") {
                showJoin(history.notice);
                return;
            }
            $("join").hidden = true;
            $("chat").hidden = false;
            notice("");
            status(history.state, history.agent);
            history.messages.forEach(addMessage);
            if (!socket) {
                connect();
            }
            clearInterval(heartbeat);
            heartbeat = setInterval(() => {
                call("heartbeat").then(
                    (state) => state.state === "expired" && resume(),
                    (error) => error.status === 404 && showJoin("")
                );
            }, 20000);
        } catch (error) {
            showJoin(error.status === 404 ? "" : error.message);
        }
    }

    $("join").addEventListener("submit", async (event) => {
        event.preventDefault();
        // one chat at a time: a second click (or Enter) while joining, or with
        // a chat open, would queue the visitor twice and abandon the first
        if (joining || token) {
            return;
        }
        joining = true;
        $("join").querySelector("button").disabled = true;
        try {
            const joined = await call("join", {
                name: $("name").value,
                message: $("first").value.trim() || undefined,
            });
            token = joined.token;
            window.localStorage.setItem(STORE, token);
            shown.clear();
            $("messages").textContent = "";
            await resume();
        } catch (error) {
            notice(error.message);
        } finally {
            joining = false;
            $("join").querySelector("button").disabled = false;
        }
    });

    $("composer").addEventListener("submit", async (event) => {
        event.preventDefault();
        const body = $("body").value.trim();
        if (!body) {
            return;
        }
        const clientId = `v${Date.now()}${Math.random().toString(36).slice(2, 8)}`;
        try {
            addMessage(await call("messages", { body, client_id: clientId }));
            $("body").value = "";
            call("typing", { is_typing: false }).catch(() => {});
        } catch (error) {
            if (error.code === "expired" || error.code === "closed") {
                showJoin(error.message);
            } else {
                notice(error.message);
            }
        }
    });

    $("body").addEventListener("input", () => {
        if (Date.now() - lastTyping > 2000) {
            lastTyping = Date.now();
            call("typing", { is_typing: true }).catch(() => {});
        }
    });

    $("leave").addEventListener("click", async () => {
        await call("leave").catch(() => {});
        showJoin("You ended the chat.");
    });

    if (token) {
        resume();
    }
})();
