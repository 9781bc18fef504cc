import { useEffect, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";
import { LiveComposer } from "../composer";
import { LiveAttachmentList } from "./attachment_list";
import { uploadFile } from "./upload";

LiveComposer.components = { ...LiveComposer.components, LiveAttachmentList };

let uploadCounter = 0;

/**
 * Files and pictures in the composer: picked (paperclip), pasted, or dropped
 * anywhere on the room. Each is uploaded at once and shown above the text; the
 * message goes with the files (its text may then be empty) once they are all
 * uploaded.
 */
patch(LiveComposer.prototype, {
    setup() {
        super.setup(...arguments);
        this.http = useService("http");
        this.notification = useService("notification");
        this.files = useState({ list: [], dragging: false });
        this.fileInput = useRef("fileInput");
        this.composerRoot = useRef("composerRoot");
        useEffect(
            (root) => {
                // the whole room takes files, not only the composer
                const area = root?.closest(".o-live-RoomView") || root;
                if (!area) {
                    return;
                }
                const hasFiles = (ev) => [...(ev.dataTransfer?.types || [])].includes("Files");
                const onDragOver = (ev) => {
                    if (hasFiles(ev) && this.acceptsFiles) {
                        ev.preventDefault();
                        this.files.dragging = true;
                    }
                };
                const onDragLeave = (ev) => {
                    if (!ev.relatedTarget || !area.contains(ev.relatedTarget)) {
                        this.files.dragging = false;
                    }
                };
                const onDrop = (ev) => {
                    if (!hasFiles(ev)) {
                        return;
                    }
                    ev.preventDefault();
                    this.files.dragging = false;
                    this.addFiles(ev.dataTransfer.files);
                };
                area.addEventListener("dragover", onDragOver);
                area.addEventListener("dragleave", onDragLeave);
                area.addEventListener("drop", onDrop);
                return () => {
                    area.removeEventListener("dragover", onDragOver);
                    area.removeEventListener("dragleave", onDragLeave);
                    area.removeEventListener("drop", onDrop);
                };
            },
            () => [this.composerRoot.el],
        );
    },

    /** Files may be sent (not to a support visitor: they could not open them). */
    get acceptsFiles() {
        return this.props.room.active !== false && this.props.room.type !== "support";
    },

    get hasContent() {
        return super.hasContent || this.files.list.some((file) => file.id);
    },

    get canSend() {
        return super.canSend && !this.files.list.some((file) => file.uploading);
    },

    messageOptions() {
        return {
            ...super.messageOptions(),
            attachments: this.files.list
                .filter((file) => file.id)
                .map(({ id, name, mimetype, size, is_image }) => ({ id, name, mimetype, size, is_image })),
        };
    },

    send() {
        const sending = this.canSend;
        super.send();
        if (sending) {
            this.files.list = [];
        }
    },

    pickFiles() {
        this.fileInput.el?.click();
    },

    async onFilesPicked(ev) {
        const files = [...ev.target.files];
        ev.target.value = "";
        await this.addFiles(files);
    },

    onPaste(ev) {
        const files = [...(ev.clipboardData?.files || [])];
        if (files.length && this.acceptsFiles) {
            ev.preventDefault();
            this.addFiles(files);
        }
    },

    /** Upload files for the message being written. */
    async addFiles(fileList) {
        const files = [...fileList];
        await Promise.all(
            files.map(async (file) => {
                const key = `upload.${++uploadCounter}`;
                this.files.list.push({
                    key,
                    name: file.name,
                    mimetype: file.type,
                    size: file.size,
                    uploading: true,
                });
                try {
                    const attachment = await uploadFile(this.http, this.props.room.id, file);
                    const index = this.files.list.findIndex((f) => f.key === key);
                    if (index >= 0) {
                        this.files.list.splice(index, 1, { ...attachment, key, uploading: false });
                    }
                } catch (error) {
                    this.files.list = this.files.list.filter((f) => f.key !== key);
                    this.notification.add(error.message, {
                        title: _t("File not sent"),
                        type: "danger",
                    });
                }
            }),
        );
    },

    removeFile(file) {
        this.files.list = this.files.list.filter((f) => f.key !== file.key);
    },
});
