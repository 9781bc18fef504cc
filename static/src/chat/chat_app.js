import { Component, onMounted, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useBridgeListener } from "../core/hooks";
import { FEED_MESSAGE } from "./chat_window";
import { LiveDirectChatDialog, LiveNewRoomDialog } from "./room_dialogs";
import { LiveRoomList } from "./room_list";
import { LiveRoomView } from "./room_view";
import { TopicFeed } from "./topic_feed";
import { LiveFeedView, LiveTopicView } from "./topic_view";

/** Recent events fetched per subscribed topic when the app opens. */
const FEED_PAGE = 10;

/**
 * The Chat app (client action `live_messaging.chat_app`): rooms, direct
 * conversations and topics on the left; the selected room, topic or the live
 * feed of topic events on the right.
 *
 * The feed listens to `live_messaging/events` through the message bridge only
 * while the app is open; events pushed meanwhile are kept by the bridge
 * (`saveHistory`) and shown, once and in order, when the app opens again.
 */
export class LiveChatApp extends Component {
    static template = "live_messaging.ChatApp";
    static components = { LiveFeedView, LiveRoomList, LiveRoomView, LiveTopicView };
    static props = ["*"];

    setup() {
        this.chat = useState(useService("live_messaging.chat"));
        this.dialog = useService("dialog");
        this.feed = useState(new TopicFeed());
        useBridgeListener(
            FEED_MESSAGE,
            (payload, meta) => this.feed.receive(payload, meta, this.app.view === "feed"),
            { saveHistory: true }
        );
        onWillStart(async () => {
            const roomId = this.props.action?.params?.room_id;
            if (roomId) {
                this.chat.updateApp({ view: "room", roomId });
            }
            // the server is the source of truth: the app starts from its state
            await Promise.all([this.chat.fetchRooms(), this.chat.fetchTopics()]);
        });
        onMounted(() => {
            // the floating chat window steps aside while the app is on screen
            this.chat.state.appOpen++;
            if (this.app.view === "feed") {
                this.feed.markSeen();
            }
            this.loadRecentEvents();
        });
        onWillUnmount(() => this.chat.state.appOpen--);
    }

    get app() {
        return this.chat.state.app;
    }

    get groupRooms() {
        return this.chat.roomList.filter((room) => room.type !== "direct");
    }

    get directRooms() {
        return this.chat.roomList.filter((room) => room.type === "direct");
    }

    get topics() {
        return this.chat.state.topics || [];
    }

    get subscribedTopics() {
        return this.topics.filter((topic) => topic.subscribed);
    }

    get selectedRoom() {
        return this.app.view === "room" ? this.chat.state.rooms[this.app.roomId] : null;
    }

    get selectedRoomId() {
        return this.selectedRoom ? this.selectedRoom.id : null;
    }

    get selectedTopic() {
        return this.app.view === "topic" ? this.chat.topicByName(this.app.topicName) : null;
    }

    async loadRecentEvents() {
        await Promise.all(
            this.subscribedTopics.map(async (topic) => {
                const page = await this.chat.fetchEvents(topic, { limit: FEED_PAGE });
                this.feed.addPage(topic.name, page, { first: true });
            })
        );
    }

    selectRoom(room) {
        this.chat.updateApp({ view: "room", roomId: room.id });
    }

    selectTopic(topic) {
        this.chat.updateApp({ view: "topic", topicName: topic.name });
    }

    selectFeed() {
        this.chat.updateApp({ view: "feed" });
        this.feed.markSeen();
    }

    newRoom() {
        this.dialog.add(LiveNewRoomDialog, { onCreated: (room) => this.selectRoom(room) });
    }

    newDirectChat() {
        this.dialog.add(LiveDirectChatDialog, { onOpened: (room) => this.selectRoom(room) });
    }
}

registry.category("actions").add("live_messaging.chat_app", LiveChatApp);
