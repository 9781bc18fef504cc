import { LiveChatWindow } from "../chat/chat_window";
import { LiveRoomAvatar } from "./faces";

LiveChatWindow.components = { ...LiveChatWindow.components, LiveRoomAvatar };
