import { Component } from "@odoo/owl";
import { formatSize } from "./upload";

const ICONS = [
    [/^image\//, "fa-file-image-o"],
    [/pdf$/, "fa-file-pdf-o"],
    [/(zip|compressed)/, "fa-file-archive-o"],
    [/(spreadsheet|excel|csv)/, "fa-file-excel-o"],
    [/(wordprocessing|msword|opendocument\.text)/, "fa-file-word-o"],
    [/(presentation|powerpoint)/, "fa-file-powerpoint-o"],
    [/^text\//, "fa-file-text-o"],
];

/**
 * Files of a message (or of the composer, before sending): pictures shown
 * inline, other files as cards with their size and a download link. Files are
 * read through Odoo's /web/content and /web/image, which check that the user
 * may read the room they belong to.
 */
export class LiveAttachmentList extends Component {
    static template = "live_messaging.AttachmentList";
    static props = {
        attachments: Array,
        /** in the composer: take a file off the message */
        onRemove: { type: Function, optional: true },
    };

    icon(attachment) {
        const mimetype = attachment.mimetype || "";
        return ICONS.find(([regex]) => regex.test(mimetype))?.[1] || "fa-file-o";
    }

    size(attachment) {
        return formatSize(attachment.size);
    }

    imageUrl(attachment) {
        const box = this.props.onRemove ? "160x160" : "480x320";
        return `/web/image/${attachment.id}/${box}`;
    }

    openUrl(attachment) {
        return `/web/content/${attachment.id}`;
    }

    downloadUrl(attachment) {
        return `/web/content/${attachment.id}?download=true`;
    }
}
