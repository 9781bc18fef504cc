/** Longest `@query` the autocomplete follows (characters after the `@`). */
const QUERY_MAX = 30;

/** Lower case, without accents: what names are compared on. */
export function normalizeText(text) {
    return (text || "")
        .normalize("NFD")
        .replace(/[\u0300-\u036f]/g, "")
        .toLowerCase();
}

/**
 * The `@query` typed just before `caret`, as `{ start, query }` (`start`: the
 * index of the `@`), or null. The `@` starts the text or follows a space; the
 * query may hold spaces ("@Marc De") but no line end and no other `@`.
 */
export function mentionQueryAt(text, caret) {
    const before = text.slice(0, caret);
    const start = before.lastIndexOf("@");
    if (start < 0 || (start > 0 && !/\s/.test(before[start - 1]))) {
        return null;
    }
    const query = before.slice(start + 1);
    if (query.length > QUERY_MAX || /[\n@]/.test(query) || /^\s/.test(query)) {
        return null;
    }
    return { start, query };
}

/** Members whose name contains `query` (those starting with it first), not `meId`. */
export function mentionCandidates(members, query, meId, limit = 8) {
    const wanted = normalizeText(query);
    return members
        .filter((member) => member.id !== meId && normalizeText(member.name).includes(wanted))
        .sort(
            (a, b) =>
                normalizeText(b.name).startsWith(wanted) - normalizeText(a.name).startsWith(wanted) ||
                a.name.localeCompare(b.name),
        )
        .slice(0, limit);
}

/** The mentions whose `@Name` is still in `body`. */
export function mentionsInBody(body, mentions) {
    return mentions.filter((mention) => body.includes(`@${mention.name}`));
}

function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * `body` cut into parts: `{ text }`, `{ text, mention }` for each `@Name` of
 * `mentions`, `{ text, match: true }` for each occurrence of `highlight`
 * (case-insensitive) in the rest.
 */
export function splitBody(body, mentions = [], highlight = "") {
    const names = [...new Set(mentions.map((m) => m.name).filter(Boolean))].sort(
        (a, b) => b.length - a.length,
    );
    const parts = [];
    const pushText = (text) => {
        if (!text) {
            return;
        }
        if (!highlight) {
            parts.push({ text });
            return;
        }
        const regex = new RegExp(escapeRegExp(highlight), "gi");
        let last = 0;
        for (const match of text.matchAll(regex)) {
            if (match.index > last) {
                parts.push({ text: text.slice(last, match.index) });
            }
            parts.push({ text: match[0], match: true });
            last = match.index + match[0].length;
        }
        if (last < text.length) {
            parts.push({ text: text.slice(last) });
        }
    };
    if (!names.length) {
        pushText(body);
        return parts;
    }
    const regex = new RegExp(`@(${names.map(escapeRegExp).join("|")})`, "g");
    let last = 0;
    for (const match of body.matchAll(regex)) {
        pushText(body.slice(last, match.index));
        parts.push({ text: match[0], mention: mentions.find((m) => m.name === match[1]) });
        last = match.index + match[0].length;
    }
    pushText(body.slice(last));
    return parts;
}
