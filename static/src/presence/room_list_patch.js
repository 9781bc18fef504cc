import { LiveRoomList } from "../chat/room_list";
import { LiveRoomAvatar } from "./faces";

LiveRoomList.components = { ...LiveRoomList.components, LiveRoomAvatar };
