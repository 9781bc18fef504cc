"""System parameters of the addon (Settings > Technical > System Parameters)."""


def int_param(env, key, default, minimum=0):
    """The integer system parameter ``key``: ``default`` when it is unset or
    not a whole number, never below ``minimum``."""
    # sudo: ir.config_parameter - reading a technical setting
    value = env["ir.config_parameter"].sudo().get_param(key, default)
    try:
        return max(minimum, int(value))
    except (TypeError, ValueError):
        return default


def str_param(env, key, default):
    """The text system parameter ``key`` (``default`` when unset or empty)."""
    # sudo: ir.config_parameter - reading a technical setting
    return env["ir.config_parameter"].sudo().get_param(key) or default
