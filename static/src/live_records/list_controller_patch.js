import { patch } from "@web/core/utils/patch";
import { ListController } from "@web/views/list/list_controller";
import { useLiveView } from "./live_view";

// every list of a live model (sale orders use subclasses: file_upload_list,
// sale_onboarding_list), whatever its js_class
patch(ListController.prototype, {
    setup() {
        super.setup(...arguments);
        this.liveView = useLiveView({ model: this.model, rootRef: this.rootRef });
    },
});
