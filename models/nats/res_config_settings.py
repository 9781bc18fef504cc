from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from ...utils import nats_link
from ...utils.nats_subjects import check_name, check_prefix, subjects_overlap

SCHEMES = ("nats://", "tls://")
TEST_TIMEOUT = 10


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    live_nats_servers = fields.Char(
        "NATS Servers",
        config_parameter="live_messaging.nats_servers",
        help="Server URLs, separated by commas: nats://host:4222, tls://host:4222. "
        "The first that answers is used.",
    )
    live_nats_user = fields.Char(
        "NATS User", config_parameter="live_messaging.nats_user"
    )
    live_nats_password = fields.Char(
        "NATS Password", config_parameter="live_messaging.nats_password"
    )
    live_nats_token = fields.Char(
        "NATS Token", config_parameter="live_messaging.nats_token"
    )
    live_nats_creds_file = fields.Char(
        "NATS Credentials File",
        config_parameter="live_messaging.nats_creds_file",
        help="Path of a .creds file (user JWT and NKey seed) on the Odoo server.",
    )
    live_nats_stream = fields.Char(
        "JetStream Stream",
        config_parameter="live_messaging.nats_stream",
        default="LIVE",
        help="The stream that stores the mirrored events (it must capture "
        "<prefix>.>); Create Stream makes it.",
    )
    live_nats_subject_prefix = fields.Char(
        "Subject Prefix",
        config_parameter="live_messaging.nats_subject_prefix",
        default="live",
        help="Topic shop/42 is mirrored on <prefix>.shop.42.",
    )
    live_nats_status = fields.Char("NATS Bridge", compute="_compute_live_nats_status")

    @api.depends("live_nats_servers")
    def _compute_live_nats_status(self):
        for settings in self:
            missing = self.env["live.nats.bridge"]._nats_missing()
            settings.live_nats_status = missing or _("Configured")

    @api.constrains("live_nats_servers", "live_nats_stream", "live_nats_subject_prefix")
    def _check_live_nats(self):
        for settings in self:
            for url in nats_link.parse_servers(settings.live_nats_servers):
                if not url.startswith(SCHEMES) or len(url) <= len("tls://"):
                    raise ValidationError(
                        _("A NATS server URL starts with nats:// or tls://.")
                    )
            try:
                if settings.live_nats_stream:
                    check_name(settings.live_nats_stream)
                if settings.live_nats_subject_prefix:
                    check_prefix(settings.live_nats_subject_prefix)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
            prefix = settings.live_nats_subject_prefix
            # sudo: live.nats.feed - checking that no feed would loop
            for feed in self.env["live.nats.feed"].sudo().search([]):
                if prefix and subjects_overlap(feed.subject, f"{prefix}.>"):
                    raise ValidationError(
                        _(
                            "Feed %(feed)s consumes %(subject)s, which overlaps the "
                            "prefix %(prefix)s: its events would come back.",
                            feed=feed.name,
                            subject=feed.subject,
                            prefix=prefix,
                        )
                    )

    def set_values(self):
        result = super().set_values()
        # a running bridge reads its settings at every turn; a new one starts
        # at once instead of at the cron's next run
        if not self.env["live.nats.bridge"]._nats_missing():
            self.env["live.nats.bridge"].action_wake()
        return result

    def _live_nats_link(self):
        Bridge = self.env["live.nats.bridge"]
        values = Bridge._nats_config()
        values.update(
            servers=nats_link.parse_servers(self.live_nats_servers),
            user=self.live_nats_user or "",
            password=self.live_nats_password or "",
            token=self.live_nats_token or "",
            creds_file=self.live_nats_creds_file or "",
        )
        try:
            return nats_link.NatsLink(Bridge._nats_link_options(values))
        except (nats_link.NatsUnavailable, nats_link.NatsLinkError) as exc:
            raise UserError(str(exc)) from None

    def action_live_nats_test_connection(self):
        """Connect with the settings on screen (saved or not) and report what
        the server says: JetStream, the stream and whether it captures the
        prefix."""
        self.ensure_one()
        link = self._live_nats_link()
        stream = self.live_nats_stream or "LIVE"
        prefix = self.live_nats_subject_prefix or "live"
        try:
            report = link.run(_probe, TEST_TIMEOUT, stream, prefix)
        except Exception as exc:  # noqa: BLE001 - shown to the administrator
            return _notify(
                "danger", _("NATS: %s", nats_link.describe_error(exc)), sticky=True
            )
        finally:
            link.close()
        if not report["stream"]:
            message = _(
                "Connected to %(server)s, JetStream is on; the stream %(stream)s "
                "does not exist (Create Stream makes it).",
                server=report["server"],
                stream=stream,
            )
            return _notify("warning", message, sticky=True)
        if not report["captures"]:
            message = _(
                "Connected to %(server)s; the stream %(stream)s does not capture "
                "%(prefix)s.> (its subjects: %(subjects)s).",
                server=report["server"],
                stream=stream,
                prefix=prefix,
                subjects=", ".join(report["subjects"]),
            )
            return _notify("warning", message, sticky=True)
        message = _(
            "Connected to %(server)s; stream %(stream)s holds %(messages)s "
            "messages and captures %(prefix)s.>.",
            server=report["server"],
            stream=stream,
            messages=report["messages"],
            prefix=prefix,
        )
        return _notify("success", message)

    def action_live_nats_create_stream(self):
        """Create the stream (file storage, subjects ``<prefix>.>``, a
        two-minute duplicate window) or add the prefix to its subjects."""
        self.ensure_one()
        link = self._live_nats_link()
        stream = self.live_nats_stream or "LIVE"
        prefix = self.live_nats_subject_prefix or "live"
        try:
            created = link.run(ensure_stream, TEST_TIMEOUT, stream, [f"{prefix}.>"])
        except Exception as exc:  # noqa: BLE001 - shown to the administrator
            raise UserError(
                _("NATS refused: %s", nats_link.describe_error(exc))
            ) from None
        finally:
            link.close()
        return _notify(
            "success",
            _("Stream %s created.", stream)
            if created
            else _("Stream %s updated.", stream),
        )


def _notify(kind, message, sticky=False):
    return {
        "type": "ir.actions.client",
        "tag": "display_notification",
        "params": {"type": kind, "message": message, "sticky": sticky},
    }


async def _probe(link, stream, prefix):
    nats = nats_link.nats_module()
    js = await link.ensure()
    await js.account_info()
    report = {
        "server": f"{link.nc.connected_url.hostname}:{link.nc.connected_url.port}",
        "stream": False,
        "captures": False,
        "subjects": [],
        "messages": 0,
    }
    try:
        info = await js.stream_info(stream)
    except nats.js.errors.NotFoundError:
        return report
    subjects = info.config.subjects or []
    report.update(
        stream=True,
        subjects=subjects,
        messages=info.state.messages,
        captures=any(_covers(subject, f"{prefix}.>") for subject in subjects),
    )
    return report


def _covers(wide, narrow):
    """Whether filter ``wide`` matches every subject ``narrow`` matches."""
    a, b = wide.split("."), narrow.split(".")
    for index, token in enumerate(a):
        if token == ">":
            return index < len(b)
        if index >= len(b) or b[index] == ">":
            return False
        if token != "*" and token != b[index]:
            return False
        if token == "*" and b[index] == ">":
            return False
    return len(a) == len(b)


async def ensure_stream(link, stream, subjects, duplicate_window=120.0):
    """Create ``stream`` capturing ``subjects``, or add them to it; True when
    it was created."""
    nats = nats_link.nats_module()
    js = await link.ensure()
    try:
        info = await js.stream_info(stream)
    except nats.js.errors.NotFoundError:
        await js.add_stream(
            name=stream,
            subjects=subjects,
            storage=nats.js.api.StorageType.FILE,
            duplicate_window=duplicate_window,
        )
        return True
    missing = [s for s in subjects if s not in (info.config.subjects or [])]
    if missing:
        info.config.subjects = list(info.config.subjects or []) + missing
        await js.update_stream(info.config)
    return False
