import { mailModels } from "@mail/../tests/mail_test_helpers";
import {
    MockServer,
    defineModels,
    fields,
    getKwArgs,
    makeServerError,
    onRpc,
} from "@web/../tests/web_test_helpers";
import { LiveMessage, LiveRoom, liveModels } from "../live_test_helpers";

/**
 * Mock server of the chat features (mentions, files, edit and delete,
 * reactions, search), on top of live_test_helpers.js, with the server's formats
 * (models/live_message_*.py). Pushes go on "broadcast", as there.
 */

function userName(env, userId) {
    const [record] = env["res.users"].read([userId], ["name"]);
    return record?.name || "";
}

export class LiveMessageFeatures extends LiveMessage {
    _name = "live.message";

    mention_ids = fields.Many2many({ relation: "res.users" });
    attachment_ids = fields.Many2many({ relation: "ir.attachment" });
    edit_date = fields.Char();
    is_deleted = fields.Boolean();
    /** JSON of `[{emoji, user_id}]`, in the order they came */
    reactions_json = fields.Char();

    _format(ids) {
        return super._format(ids).map((data) => {
            const [message] = this.browse(data.id);
            if (!message.room_id) {
                return data;
            }
            return {
                ...data,
                mentions: (message.mention_ids || []).map((id) => ({ id, name: userName(this.env, id) })),
                attachments: this.env["ir.attachment"].browse(message.attachment_ids || []).map((a) => ({
                    id: a.id,
                    name: a.name,
                    mimetype: a.mimetype,
                    size: a.file_size || 0,
                    is_image: (a.mimetype || "").startsWith("image/"),
                })),
                reactions: this._reactions(message),
                edited: Boolean(message.edit_date),
                edit_date: message.edit_date || null,
                deleted: Boolean(message.is_deleted),
            };
        });
    }

    _reactions(message) {
        const groups = new Map();
        for (const { emoji, user_id } of JSON.parse(message.reactions_json || "[]")) {
            if (!groups.has(emoji)) {
                groups.set(emoji, []);
            }
            groups.get(emoji).push({ id: user_id, name: userName(this.env, user_id) });
        }
        return [...groups].map(([emoji, users]) => ({ emoji, count: users.length, users }));
    }

    _push(type, payload) {
        this.env["bus.bus"]._sendone("broadcast", type, payload);
    }

    live_edit() {
        const { ids, body, mention_ids } = getKwArgs(arguments, "ids", "body", "mention_ids");
        const [message] = this.browse(ids);
        if (message.author_id !== this.env.uid) {
            throw makeServerError({
                type: "AccessError",
                description: "You can only change your own messages.",
            });
        }
        const values = { body, edit_date: new Date().toISOString() };
        if (mention_ids) {
            values.mention_ids = mention_ids;
        }
        this.write(ids, values);
        const [data] = this._format(ids);
        this._push("live_messaging/message_update", data);
        return data;
    }

    live_delete(ids) {
        this.write(ids, {
            body: "",
            is_deleted: true,
            mention_ids: [],
            attachment_ids: [],
            reactions_json: "[]",
        });
        const [data] = this._format(ids);
        this._push("live_messaging/message_update", data);
        return data;
    }

    live_toggle_reaction(ids, emoji) {
        return this._react(ids[0], this.env.uid, emoji);
    }

    /** Toggle `userId`'s `emoji` (what another user does), and push it. */
    _react(messageId, userId, emoji) {
        const [message] = this.browse(messageId);
        let list = JSON.parse(message.reactions_json || "[]");
        const had = list.some((r) => r.emoji === emoji && r.user_id === userId);
        list = had
            ? list.filter((r) => !(r.emoji === emoji && r.user_id === userId))
            : [...list, { emoji, user_id: userId }];
        this.write([messageId], { reactions_json: JSON.stringify(list) });
        const reactions = this._reactions(this.browse(messageId)[0]);
        this._push("live_messaging/reaction", {
            room_id: message.room_id,
            message_id: messageId,
            emoji,
            user: { id: userId, name: userName(this.env, userId) },
            added: !had,
            reactions,
        });
        return { message_id: messageId, reactions };
    }
}

export class LiveRoomFeatures extends LiveRoom {
    _name = "live.room";

    _format(ids, userId = this.env.uid) {
        return super._format(ids, userId).map((room) => ({
            ...room,
            unread_mentions: this._unreadMentions(room.id, userId),
        }));
    }

    _unreadMentions(roomId, userId) {
        const member = this._member(roomId, userId);
        if (!member) {
            return 0;
        }
        return this.env["live.message"]
            ._filter([
                ["room_id", "=", roomId],
                ["seq", ">", member.last_seen_seq],
                ["author_id", "!=", userId],
            ])
            .filter((m) => (m.mention_ids || []).includes(userId)).length;
    }

    live_post_message() {
        const { ids, body, client_id, mention_ids, attachment_ids } = getKwArgs(
            arguments,
            "ids",
            "body",
            "client_id",
            "payload",
            "mention_ids",
            "attachment_ids",
        );
        return this._post(ids[0], this.env.uid, body, {
            clientId: client_id,
            mentionIds: mention_ids,
            attachmentIds: attachment_ids,
        });
    }

    /** Post as anybody, with mentions and files; push it, then tell the mentioned. */
    _post(roomId, userId, body, { mentionIds = [], attachmentIds = [], push = true, ...options } = {}) {
        const posted = super._post(roomId, userId, body, { ...options, push: false });
        const Message = this.env["live.message"];
        Message.write([posted.id], { mention_ids: mentionIds, attachment_ids: attachmentIds });
        const [formatted] = Message._format([posted.id]);
        if (push) {
            this.env["bus.bus"]._sendone("broadcast", "live_messaging/message", formatted);
            for (const id of mentionIds) {
                if (id !== userId) {
                    this.env["bus.bus"]._sendone("broadcast", "live_messaging/mention", {
                        room_id: roomId,
                        message_id: posted.id,
                        seq: posted.seq,
                        author: formatted.author,
                        unread_mentions: this._unreadMentions(roomId, id),
                    });
                }
            }
        }
        return formatted;
    }

    live_search_messages() {
        const { ids, query, before, limit } = getKwArgs(
            arguments,
            "ids",
            "query",
            "before",
            "after",
            "limit",
        );
        const roomIds = ids?.length
            ? ids
            : this.env["live.room.member"]._filter([["user_id", "=", this.env.uid]]).map((m) => m.room_id);
        const wanted = query.toLowerCase();
        const found = this.env["live.message"]
            ._filter([["room_id", "in", roomIds]])
            .filter(
                (m) =>
                    m.kind === "chat" &&
                    !m.is_deleted &&
                    (m.body || "").toLowerCase().includes(wanted) &&
                    (!before || m.id < before),
            )
            .sort((a, b) => b.id - a.id);
        const size = limit || 50;
        const page = found.slice(0, size).map((m) => m.id);
        const result = {
            messages: this.env["live.message"]._format(page),
            has_more: found.length > size,
        };
        if (!ids?.length) {
            const inPage = new Set(result.messages.map((m) => m.room_id));
            result.rooms = this.browse([...inPage]).map((room) => ({ id: room.id, name: room.name }));
        }
        return result;
    }
}

/** Mail's mock models, live_messaging's, and the chat features'. */
export function defineLiveFeatureModels() {
    return defineModels({
        ...mailModels,
        ...liveModels,
        LiveMessage: LiveMessageFeatures,
        LiveRoom: LiveRoomFeatures,
    });
}

/**
 * The web client's upload route (controllers/chat/attachment.py); `refuse`:
 * answer that error instead. Returns the names uploaded, in order.
 */
export function mockUploadRoute({ refuse = null } = {}) {
    const uploaded = [];
    onRpc(
        "/live_messaging/attachment/upload",
        async (request) => {
            const form = await request.text();
            const file = form.get("ufile");
            uploaded.push({ name: file.name, roomId: Number(form.get("room_id")) });
            if (refuse) {
                return { error: { message: refuse } };
            }
            const env = MockServer.env;
            const id = env["ir.attachment"].create({
                name: file.name,
                mimetype: file.type || "application/octet-stream",
                file_size: file.size,
                res_model: "live.room",
                res_id: 0,
            });
            return {
                attachment: {
                    id,
                    name: file.name,
                    mimetype: file.type,
                    size: file.size,
                    is_image: file.type.startsWith("image/"),
                },
            };
        },
        { pure: true },
    );
    return uploaded;
}
