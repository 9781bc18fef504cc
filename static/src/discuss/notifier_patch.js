import { effect } from "@web/core/utils/reactive";
import { patch } from "@web/core/utils/patch";
import { LiveNotifier, notifierService } from "../notifications/notification_service";

/**
 * With Discuss, chat notifications behave as Discuss's: its "Do not disturb"
 * silences them, its sound plays, and the browser's permission is the one
 * Discuss asks for (the messaging menu's "Enable desktop notifications"), so
 * that both always agree.
 */
notifierService.dependencies = [
    ...notifierService.dependencies,
    "mail.notification.permission",
    "mail.sound_effects",
    "mail.store",
];

patch(notifierService, {
    start(env, services) {
        const notifier = super.start(env, services);
        effect(
            (permission) => {
                notifier.state.permission = permission.permission;
            },
            [services["mail.notification.permission"]]
        );
        return notifier;
    },
});

patch(LiveNotifier.prototype, {
    wants(params) {
        if (this.services["mail.store"].settings.mute_until_dt) {
            return false;
        }
        return super.wants(params);
    },

    playSound() {
        this.services["mail.sound_effects"].play("new-message");
    },

    async requestPermission() {
        await this.services["mail.notification.permission"].requestPermission();
        return this.state.permission;
    },
});
