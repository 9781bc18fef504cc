import { _t } from "@web/core/l10n/translation";

export const UPLOAD_ROUTE = "/live_messaging/attachment/upload";

/**
 * Upload `file` for a message of room `roomId` (see
 * controllers/chat/attachment.py); resolves to the attachment (`{id, name,
 * mimetype, size, is_image}`), rejects with the server's reason.
 *
 * @param {{ post: Function }} http the `http` service
 */
export async function uploadFile(http, roomId, file) {
    let data;
    try {
        data = await http.post(UPLOAD_ROUTE, {
            room_id: roomId,
            ufile: file,
            csrf_token: odoo.csrf_token,
        });
    } catch {
        throw new Error(_t("%s could not be uploaded: the connection failed.", file.name));
    }
    if (!data?.attachment) {
        throw new Error(data?.error?.message || _t("%s could not be uploaded.", file.name));
    }
    return data.attachment;
}

/** "1.2 MB" */
export function formatSize(size) {
    if (!size && size !== 0) {
        return "";
    }
    const units = [_t("bytes"), "KB", "MB", "GB"];
    let value = size;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit ? `${value.toFixed(1)} ${units[unit]}` : `${value} ${units[0]}`;
}
