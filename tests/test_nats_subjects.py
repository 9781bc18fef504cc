from odoo.tests import TransactionCase, tagged

from odoo.addons.live_messaging.utils.nats_subjects import (
    check_filter_subject,
    check_name,
    check_prefix,
    check_topic_pattern,
    pattern_specificity,
    pattern_subject,
    subjects_overlap,
    topic_matches,
    topic_subject,
)


@tagged("post_install", "-at_install")
class TestNatsSubjects(TransactionCase):
    def test_topic_subject(self):
        for prefix, name, subject in (
            ("live", "shop/42", "live.shop.42"),
            ("acme.live", "shop/42/orders", "acme.live.shop.42.orders"),
            ("live", "sale.order", "live.sale%2Eorder"),
            ("live", "sale_order", "live.sale_order"),
            ("live", "a-b/c_d", "live.a-b.c_d"),
        ):
            with self.subTest(name=name):
                self.assertEqual(topic_subject(prefix, name), subject)
        # no two topics share a subject, and no subject holds a wildcard
        names = ["sale.order", "sale_order", "sale/order", "sale-order"]
        subjects = [topic_subject("live", name) for name in names]
        self.assertEqual(len(set(subjects)), len(subjects))
        self.assertEqual(pattern_subject("live", "shop/*"), "live.shop.*")
        self.assertEqual(pattern_subject("live", "shop/**"), "live.shop.>")

    def test_checks(self):
        for good in ("live", "acme.live", "a-b_c.d"):
            self.assertEqual(check_prefix(good), good)
        for bad in ("", "live.", ".live", "li ve", "live.*", "live.>", "x" * 65, 3):
            with self.subTest(prefix=bad), self.assertRaises(ValueError):
                check_prefix(bad)
        self.assertEqual(check_name("LIVE_events-1"), "LIVE_events-1")
        for bad in ("", "a.b", "a*", "a b", "x" * 65, None):
            with self.subTest(name=bad), self.assertRaises(ValueError):
                check_name(bad)
        for good in ("orders", "orders.*.paid", "orders.>", "*", ">", "a.$dlq.b"):
            self.assertEqual(check_filter_subject(good), good)
        for bad in ("", "a..b", "a.>.b", "a b", "a.b*", ".a", "x" * 256):
            with self.subTest(subject=bad), self.assertRaises(ValueError):
                check_filter_subject(bad)

    def test_overlap(self):
        for first, second, overlap in (
            ("live.>", "live.shop.42", True),
            ("live.>", "live", False),
            ("orders.>", "live.>", False),
            ("*.shop.*", "live.>", True),
            ("live.*", "live.shop.42", False),
            (">", "anything.at.all", True),
            ("a.b", "a.b", True),
            ("a.b", "a.c", False),
        ):
            with self.subTest(first=first, second=second):
                self.assertEqual(subjects_overlap(first, second), overlap)
                self.assertEqual(subjects_overlap(second, first), overlap)

    def test_topic_patterns(self):
        for pattern, name, match in (
            ("shop/42", "shop/42", True),
            ("shop/42", "shop/43", False),
            ("shop/*", "shop/42", True),
            ("shop/*", "shop/42/orders", False),
            ("shop/*", "shop", False),
            ("shop/**", "shop/42/orders", True),
            ("shop/**", "shop/42", True),
            ("shop/**", "shop", False),
            ("*/orders", "shop/orders", True),
            ("sale.order", "sale.order", True),
        ):
            with self.subTest(pattern=pattern, name=name):
                self.assertEqual(topic_matches(pattern, name), match)
        for bad in ("", "shop/", "shop/**/x", "sh op", "shop/a*", "x" * 129):
            with self.subTest(pattern=bad), self.assertRaises(ValueError):
                check_topic_pattern(bad)
        ordered = sorted(
            ["shop/**", "shop/*", "*/*", "shop/42"], key=pattern_specificity
        )
        self.assertEqual(ordered, ["shop/42", "shop/*", "*/*", "shop/**"])
