import { patch } from "@web/core/utils/patch";
import { KanbanController } from "@web/views/kanban/kanban_controller";
import { useLiveView } from "./live_view";

patch(KanbanController.prototype, {
    setup() {
        super.setup(...arguments);
        this.liveView = useLiveView({
            model: this.model,
            rootRef: this.rootRef,
            // a card being typed in the quick create would be lost
            isEditing: () => Boolean(this.quickCreateState.groupId),
        });
    },
});
