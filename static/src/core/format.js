import { _t } from "@web/core/l10n/translation";

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;" };
const UNESCAPES = { "&amp;": "&", "&lt;": "<", "&gt;": ">" };

/**
 * Message bodies come as the server stores them (the API's body contract, as
 * Slack's): the text as typed with `&`, `<` and `>` escaped as entities, and
 * nothing else changed. `unescapeBody` gives back exactly what was typed (in
 * one pass: a typed "&lt;" stays "&lt;"); it is rendered as text (`t-out` of a
 * string), never as markup.
 */
export function unescapeBody(body) {
    return (body || "").replace(/&(amp|lt|gt);/g, (entity) => UNESCAPES[entity]);
}

/** The stored form of typed text (what the server makes of it). */
export function escapeBody(text) {
    return (text || "").replace(/[&<>]/g, (char) => ESCAPES[char]);
}

const { DateTime } = luxon;

/** A server date (ISO 8601 UTC) as a luxon DateTime in the user's zone. */
export function parseServerDate(value) {
    if (!value) {
        return null;
    }
    // messages carry "...Z"; room dates come as "YYYY-MM-DD HH:MM:SS" (UTC)
    const date = value.includes("T")
        ? DateTime.fromISO(value, { zone: "utc" })
        : DateTime.fromSQL(value, { zone: "utc" });
    return date.isValid ? date.toLocal() : null;
}

/** "14:05" today, "Mon 14:05" this week, else a short date. */
export function formatShortDate(value) {
    const date = parseServerDate(value);
    if (!date) {
        return "";
    }
    const now = DateTime.local();
    if (date.hasSame(now, "day")) {
        return date.toLocaleString(DateTime.TIME_SIMPLE);
    }
    if (now.diff(date, "days").days < 6) {
        return date.toFormat("ccc ") + date.toLocaleString(DateTime.TIME_SIMPLE);
    }
    return date.toLocaleString(DateTime.DATE_SHORT);
}

export function formatTime(value) {
    const date = parseServerDate(value);
    return date ? date.toLocaleString(DateTime.TIME_SIMPLE) : "";
}

export function formatDay(value) {
    const date = parseServerDate(value);
    if (!date) {
        return "";
    }
    const today = DateTime.local();
    if (date.hasSame(today, "day")) {
        return _t("Today");
    }
    if (date.hasSame(today.minus({ days: 1 }), "day")) {
        return _t("Yesterday");
    }
    return date.toLocaleString(DateTime.DATE_FULL);
}

export const ROOM_ICONS = {
    group: "fa-users",
    direct: "fa-user",
    record: "fa-file-text-o",
    support: "fa-life-ring",
};
