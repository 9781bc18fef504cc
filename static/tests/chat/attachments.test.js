import {
    click,
    contains,
    dragoverFiles,
    dropFiles,
    inputFiles,
    pasteFiles,
    start,
    startServer,
} from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { getService, onRpc } from "@web/../tests/web_test_helpers";
import { createTeamRoom } from "../live_test_helpers";
import { defineLiveFeatureModels, mockUploadRoute } from "./chat_features_helpers";

describe.current.tags("desktop");
defineLiveFeatureModels();

function textFile(name = "notes.txt", content = "some notes") {
    return new File([content], name, { type: "text/plain" });
}

function pngFile(name = "photo.png") {
    return new File([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10])], name, { type: "image/png" });
}

test("a picked file is uploaded, shown, then sent with the message (no text needed)", async () => {
    const pyEnv = await startServer();
    const { roomId } = createTeamRoom();
    const uploaded = mockUploadRoute();
    onRpc("live.room", "live_post_message", ({ kwargs }) => {
        expect.step(`attachment_ids=${kwargs.attachment_ids?.length}`);
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-Composer-send:disabled");
    await inputFiles(".o-live-Composer-fileInput", [textFile()]);
    await contains(".o-live-Composer .o-live-AttachmentCard-name", { text: "notes.txt" });
    await contains(".o-live-Composer .o-live-AttachmentCard-size", { text: "10 bytes" });
    expect(uploaded).toEqual([{ name: "notes.txt", roomId }]);
    await click(".o-live-Composer-send:enabled");
    await contains(".o-live-Message:not(.o-live-Message-pending) .o-live-AttachmentCard-name", {
        text: "notes.txt",
    });
    await contains(".o-live-Composer .o-live-AttachmentList", { count: 0 });
    expect.verifySteps(["attachment_ids=1"]);
    const [message] = pyEnv["live.message"].search_read([["room_id", "=", roomId]]);
    expect(message.body).toBe("");
    expect(message.attachment_ids.length).toBe(1);
    const [attachmentId] = message.attachment_ids;
    expect(
        `.o-live-Message .o-live-AttachmentCard-download[href='/web/content/${attachmentId}?download=true']`,
    ).toHaveCount(1);
});

test("pictures are shown inline; files pasted or dropped on the room are uploaded", async () => {
    await startServer();
    const { roomId } = createTeamRoom();
    const uploaded = mockUploadRoute();
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-MessageList-empty");
    await pasteFiles(".o-live-Composer-input", [pngFile()]);
    await contains(".o-live-Composer .o-live-AttachmentImage img");
    // dropped anywhere on the room: a drop zone shows while dragging
    await dragoverFiles(".o-live-MessageList", [textFile("report.txt")]);
    await contains(".o-live-DropZone");
    await dropFiles(".o-live-MessageList", [textFile("report.txt")]);
    await contains(".o-live-DropZone", { count: 0 });
    await contains(".o-live-Composer .o-live-Attachment", { count: 2 });
    expect(uploaded.map((u) => u.name)).toEqual(["photo.png", "report.txt"]);
    await click(".o-live-Composer-send:enabled");
    await contains(".o-live-Message:not(.o-live-Message-pending)");
    await contains(".o-live-Message .o-live-AttachmentImage img");
    // (Hoot keeps the src of pictures in data-src: no network in tests)
    const img = document.querySelector(".o-live-Message .o-live-AttachmentImage img");
    const src = img.dataset.src || img.getAttribute("src");
    expect(src).toMatch(/^\/web\/image\/\d+\/480x320$/);
    await contains(".o-live-Message .o-live-AttachmentCard-name", { text: "report.txt" });
});

test("a refused file is said and taken off; a removed one is not sent", async () => {
    await startServer();
    const { roomId } = createTeamRoom();
    mockUploadRoute({ refuse: "page.html cannot be sent: files of type text/html are not allowed." });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await inputFiles(".o-live-Composer-fileInput", [textFile("page.html")]);
    await contains(".o_notification", {
        text: "page.html cannot be sent: files of type text/html are not allowed.",
    });
    await contains(".o-live-Composer .o-live-Attachment", { count: 0 });
    await contains(".o-live-Composer-send:disabled");
});

test("a file taken off before sending is not sent", async () => {
    await startServer();
    const { roomId } = createTeamRoom();
    mockUploadRoute();
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await inputFiles(".o-live-Composer-fileInput", [textFile()]);
    await click(".o-live-Composer .o-live-Attachment-remove");
    await contains(".o-live-Composer .o-live-Attachment", { count: 0 });
    await contains(".o-live-Composer-send:disabled");
});

test("files of others arrive with their message", async () => {
    const pyEnv = await startServer();
    const { roomId, otherId } = createTeamRoom({ otherName: "Bob" });
    const photoId = pyEnv["ir.attachment"].create({
        name: "delivery.png",
        mimetype: "image/png",
        res_model: "live.room",
        res_id: roomId,
    });
    const pdfId = pyEnv["ir.attachment"].create({
        name: "signed.pdf",
        mimetype: "application/pdf",
        res_model: "live.room",
        res_id: roomId,
    });
    await start();
    await getService("live_messaging.chat").openWindow(roomId);
    await contains(".o-live-MessageList-empty");
    pyEnv["live.room"]._post(roomId, otherId, "Delivered", { attachmentIds: [photoId, pdfId] });
    await contains(`.o-live-Message img[data-src='/web/image/${photoId}/480x320']`);
    await contains(".o-live-Message .o-live-AttachmentCard .fa-file-pdf-o");
    await contains(`.o-live-Message a[href='/web/content/${pdfId}?download=true']`);
});
