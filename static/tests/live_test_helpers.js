import { mailModels } from "@mail/../tests/mail_test_helpers";
import { after } from "@odoo/hoot";
import { registry } from "@web/core/registry";
import {
    MockServer,
    defineModels,
    fields,
    getKwArgs,
    models,
    serverState,
} from "@web/../tests/web_test_helpers";

/**
 * Mock server models of live_messaging for Hoot tests: the RPC methods the web
 * client calls, with the server's formats (models/live_room.py, live_topic.py).
 * Pushes go through the mock bus, on "broadcast" (the mock socket's channels are
 * strings).
 */

/** The server's body contract: the text as typed, with &, < and > escaped. */
function escapeBody(text) {
    const entities = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
    return (text || "").replace(/[&<>]/g, (char) => entities[char]);
}

function now() {
    return new Date().toISOString();
}

function sqlDate(iso) {
    return iso.replace("T", " ").slice(0, 19);
}

/** A user's name (res.users takes it from its partner). */
function userName(env, userId) {
    const [record] = env["res.users"].read([userId], ["name"]);
    return record?.name || "";
}

/** A member as the server formats it (live.room.member._format). */
function formatMember(env, member) {
    const [user] = env["res.users"].browse(member.user_id);
    return {
        id: member.user_id,
        name: userName(env, member.user_id),
        partner_id: user?.partner_id || null,
        avatar_url: `/web/image/res.partner/${user?.partner_id}/avatar_128`,
        im_status: user?.im_status || "offline",
        last_seen_seq: member.last_seen_seq,
    };
}

/** Create an internal user named `name`; returns its id. */
export function createUser(name) {
    const env = MockServer.env;
    const partnerId = env["res.partner"].create({ name, im_status: "offline" });
    return env["res.users"].create({
        name,
        partner_id: partnerId,
        login: name.toLowerCase().replace(/\W/g, "."),
        share: false,
        // (mail's mock users are online by default: nobody is, until the bus says so)
        im_status: "offline",
    });
}

export class LiveMessage extends models.Model {
    _name = "live.message";

    room_id = fields.Many2one({ relation: "live.room" });
    topic_id = fields.Many2one({ relation: "live.topic" });
    seq = fields.Integer();
    kind = fields.Char({ default: "chat" });
    body = fields.Text();
    payload_json = fields.Char();
    author_id = fields.Many2one({ relation: "res.users" });
    author_name = fields.Char();
    client_id = fields.Char();
    create_date = fields.Datetime();
    iso_date = fields.Char();

    _format(ids) {
        return this.browse(ids)
            .sort((a, b) => a.id - b.id)
            .map((m) => ({
                id: m.id,
                seq: m.seq || null,
                room_id: m.room_id || null,
                topic: m.topic_id ? this.env["live.topic"].browse(m.topic_id)[0].name : null,
                kind: m.kind,
                body: m.body || "",
                payload: m.payload_json ? JSON.parse(m.payload_json) : null,
                author: { id: m.author_id || null, name: m.author_name || "", app: null },
                client_id: m.client_id || null,
                res_model: null,
                res_id: null,
                create_date: m.iso_date,
            }));
    }

    _page(domain, { before = null, after = null, limit = 50 }) {
        domain = [...domain];
        let records;
        if (after !== null && after !== undefined) {
            domain.push(["id", ">", after]);
            records = this._filter(domain).sort((a, b) => a.id - b.id);
        } else {
            if (before !== null && before !== undefined) {
                domain.push(["id", "<", before]);
            }
            records = this._filter(domain).sort((a, b) => b.id - a.id);
        }
        const page = records.slice(0, limit);
        return { messages: this._format(page.map((r) => r.id)), has_more: records.length > limit };
    }
}

export class LiveRoomMember extends models.Model {
    _name = "live.room.member";

    room_id = fields.Many2one({ relation: "live.room" });
    user_id = fields.Many2one({ relation: "res.users" });
    last_seen_seq = fields.Integer({ default: 0 });
}

export class LiveRoom extends models.Model {
    _name = "live.room";

    name = fields.Char();
    room_type = fields.Char({ default: "group" });
    active = fields.Boolean({ default: true });
    res_model = fields.Char();
    res_id = fields.Integer();
    last_seq = fields.Integer({ default: 0 });
    last_message_id = fields.Many2one({ relation: "live.message" });
    last_message_date = fields.Char();

    _member(roomId, userId) {
        return this.env["live.room.member"]._filter([
            ["room_id", "=", roomId],
            ["user_id", "=", userId],
        ])[0];
    }

    _unread(room, userId) {
        const member = this._member(room.id, userId);
        if (!member) {
            return 0;
        }
        return this.env["live.message"]._filter([
            ["room_id", "=", room.id],
            ["seq", ">", member.last_seen_seq],
            ["kind", "!=", "system"],
            ["author_id", "!=", userId],
        ]).length;
    }

    _format(ids, userId = this.env.uid) {
        return this.browse(ids).map((room) => ({
            id: room.id,
            name: room.name,
            type: room.room_type,
            active: room.active,
            description: "",
            res_model: room.res_model || null,
            res_id: room.res_id || null,
            last_seq: room.last_seq,
            last_message_id: room.last_message_id || null,
            last_message_date: room.last_message_date || false,
            unread: this._unread(room, userId),
            members: this.env["live.room.member"]
                ._filter([["room_id", "=", room.id]])
                .map((m) => formatMember(this.env, m)),
        }));
    }

    live_get_rooms() {
        const roomIds = this.env["live.room.member"]
            ._filter([["user_id", "=", this.env.uid]])
            .map((m) => m.room_id);
        return this._format(roomIds).sort(
            (a, b) =>
                String(b.last_message_date || "").localeCompare(
                    String(a.last_message_date || "")
                ) || b.id - a.id
        );
    }

    live_fetch_messages() {
        const { ids, before, after, limit } = getKwArgs(
            arguments,
            "ids",
            "before",
            "after",
            "limit"
        );
        return this.env["live.message"]._page([["room_id", "=", ids[0]]], {
            before,
            after,
            limit: limit || 50,
        });
    }

    live_post_message() {
        const { ids, body, client_id } = getKwArgs(arguments, "ids", "body", "client_id");
        return this._post(ids[0], this.env.uid, body, { clientId: client_id });
    }

    /** Post as anybody (what another user does), and push it (unless `push` is
     * false: a notification the client never got). */
    _post(roomId, userId, body, { clientId = false, kind = "chat", push = true } = {}) {
        const Message = this.env["live.message"];
        if (clientId) {
            const [existing] = Message._filter([
                ["room_id", "=", roomId],
                ["author_id", "=", userId],
                ["client_id", "=", clientId],
            ]);
            if (existing) {
                return Message._format([existing.id])[0];
            }
        }
        const [room] = this.browse(roomId);
        const seq = room.last_seq + 1;
        const isoDate = now();
        const messageId = Message.create({
            room_id: roomId,
            seq,
            kind,
            body: escapeBody(body),
            author_id: userId || false,
            author_name: userId ? userName(this.env, userId) : "",
            client_id: clientId || false,
            create_date: sqlDate(isoDate),
            iso_date: isoDate,
        });
        this.write([roomId], {
            last_seq: seq,
            last_message_id: messageId,
            last_message_date: sqlDate(isoDate),
        });
        const member = this._member(roomId, userId);
        if (member && kind !== "system") {
            this.env["live.room.member"].write([member.id], { last_seen_seq: seq });
        }
        const formatted = Message._format([messageId])[0];
        if (push) {
            this.env["bus.bus"]._sendone("broadcast", "live_messaging/message", formatted);
        }
        return formatted;
    }

    live_add_members(ids, userIds) {
        for (const userId of userIds) {
            if (!this._member(ids[0], userId)) {
                this.env["live.room.member"].create({ room_id: ids[0], user_id: userId });
            }
        }
        return true;
    }

    live_remove_member(ids, userId) {
        const member = this._member(ids[0], userId);
        this.env["live.room.member"].unlink([member.id]);
        return true;
    }

    live_mark_seen() {
        const { ids, message_id } = getKwArgs(arguments, "ids", "message_id");
        const [room] = this.browse(ids[0]);
        const member = this._member(room.id, this.env.uid);
        let seq = room.last_seq;
        if (message_id) {
            seq = this.env["live.message"].browse(message_id)[0].seq;
        }
        if (seq > member.last_seen_seq) {
            this.env["live.room.member"].write([member.id], { last_seen_seq: seq });
            if (room.room_type === "direct") {
                // the other person's "seen" (live.room.member._notify_seen_by)
                this.env["bus.bus"]._sendone("broadcast", "live_messaging/member_seen", {
                    room_id: room.id,
                    user_id: this.env.uid,
                    last_seen_seq: seq,
                });
            }
        }
        return this._unread(room, this.env.uid);
    }

    live_create_group_room(name, userIds) {
        const roomId = this.create({ name, room_type: "group" });
        for (const userId of new Set([this.env.uid, ...userIds])) {
            this.env["live.room.member"].create({ room_id: roomId, user_id: userId });
        }
        return roomId;
    }

    live_get_direct_room(userId) {
        const mine = this.env["live.room.member"]
            ._filter([["user_id", "=", this.env.uid]])
            .map((m) => m.room_id);
        const existing = this._filter([
            ["id", "in", mine],
            ["room_type", "=", "direct"],
        ]).find((room) => this._member(room.id, userId));
        if (existing) {
            return existing.id;
        }
        const roomId = this.create({ name: userName(this.env, userId), room_type: "direct" });
        this.env["live.room.member"].create({ room_id: roomId, user_id: this.env.uid });
        this.env["live.room.member"].create({ room_id: roomId, user_id: userId });
        return roomId;
    }
}

export class LiveTopic extends models.Model {
    _name = "live.topic";

    name = fields.Char();
    description = fields.Char();
    last_seq = fields.Integer({ default: 0 });
    subscribed = fields.Boolean({ default: false });
    can_publish = fields.Boolean({ default: true });

    live_get_topics() {
        return this._filter([]).map((t) => ({
            id: t.id,
            name: t.name,
            description: t.description || "",
            last_seq: t.last_seq,
            subscribed: t.subscribed,
            can_publish: t.can_publish,
            can_subscribe: true,
            has_schema: false,
        }));
    }

    live_subscribe(ids) {
        this.write(ids, { subscribed: true });
        return true;
    }

    live_unsubscribe(ids) {
        this.write(ids, { subscribed: false });
        return true;
    }

    live_fetch_events() {
        const { ids, before, after, limit } = getKwArgs(
            arguments,
            "ids",
            "before",
            "after",
            "limit"
        );
        return this.env["live.message"]._page([["topic_id", "=", ids[0]]], {
            before,
            after,
            limit: limit || 50,
        });
    }

    live_publish() {
        const { ids, payload } = getKwArgs(arguments, "ids", "payload", "client_id");
        return this._publish(ids[0], this.env.uid, payload);
    }

    /** Publish as anybody, and push it. */
    _publish(topicId, userId, payload, { filtered = false } = {}) {
        const [topic] = this.browse(topicId);
        const seq = topic.last_seq + 1;
        this.write([topicId], { last_seq: seq });
        const isoDate = now();
        const Message = this.env["live.message"];
        const eventId = Message.create({
            topic_id: topicId,
            // a filtered (record) topic's events have no shared numbering
            seq: filtered ? 0 : seq,
            kind: "event",
            payload_json: JSON.stringify(payload),
            author_id: userId,
            author_name: userName(this.env, userId),
            create_date: sqlDate(isoDate),
            iso_date: isoDate,
        });
        const formatted = Message._format([eventId])[0];
        this.env["bus.bus"]._sendone("broadcast", "live_messaging/events", {
            topic: topic.name,
            events: [formatted],
        });
        return formatted;
    }
}

export const liveModels = { LiveMessage, LiveRoom, LiveRoomMember, LiveTopic };

/** Define the mock models (mail's, as the test's addons include mail) and ours. */
export function defineLiveModels() {
    return defineModels({ ...mailModels, ...liveModels });
}

/** The mock server's environment (to create data and act as other users). */
export function liveServer() {
    return MockServer.env;
}

/**
 * A user, a group room "Team" with the current user and them, and `count`
 * messages of theirs. Returns `{ otherId, roomId }`.
 */
export function createTeamRoom({ count = 0, name = "Team", otherName = "Bob" } = {}) {
    const env = MockServer.env;
    const otherId = createUser(otherName);
    const roomId = env["live.room"].create({ name, room_type: "group" });
    env["live.room.member"].create({ room_id: roomId, user_id: serverState.userId });
    env["live.room.member"].create({ room_id: roomId, user_id: otherId });
    for (let index = 1; index <= count; index++) {
        env["live.room"]._post(roomId, otherId, `Message ${index}`);
    }
    return { otherId, roomId };
}

/** The presence of a user, as bus.presence makes it (on the user and its partner). */
export function setImStatus(userId, imStatus) {
    const env = MockServer.env;
    env["res.users"].write([userId], { im_status: imStatus });
    const [user] = env["res.users"].browse(userId);
    env["res.partner"].write([user.partner_id], { im_status: imStatus });
}

/**
 * A direct room of the current user with a new user named `otherName`, and
 * `count` messages of theirs. Returns `{ otherId, partnerId, roomId }`.
 */
export function createDirectRoom({ otherName = "Dana", count = 0, imStatus = "offline" } = {}) {
    const env = MockServer.env;
    const otherId = createUser(otherName);
    setImStatus(otherId, imStatus);
    const roomId = env["live.room"].create({ name: otherName, room_type: "direct" });
    env["live.room.member"].create({ room_id: roomId, user_id: serverState.userId });
    env["live.room.member"].create({ room_id: roomId, user_id: otherId });
    for (let index = 1; index <= count; index++) {
        env["live.room"]._post(roomId, otherId, `Direct ${index}`);
    }
    const [user] = env["res.users"].browse(otherId);
    return { otherId, partnerId: user.partner_id, roomId };
}

/**
 * The navbar as without Discuss (addons/mail): its messaging menu is taken out
 * of the systray for the current test, so Live Messaging's own chat button shows.
 */
export function withoutDiscussMenu() {
    const systray = registry.category("systray");
    const [sequence, item] = systray.content["mail.messaging_menu"];
    systray.remove("mail.messaging_menu");
    after(() => systray.add("mail.messaging_menu", item, { sequence, force: true }));
}
