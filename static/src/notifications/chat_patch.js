import { LiveChatApp } from "../chat/chat_app";
import { LiveChatWindow } from "../chat/chat_window";
import { LiveNotificationSettings } from "./notification_settings";

LiveChatWindow.components = { ...LiveChatWindow.components, LiveNotificationSettings };
LiveChatApp.components = { ...LiveChatApp.components, LiveNotificationSettings };
