"""Execution and collection through JSON-RPC, checked against the database itself."""
import os

import psycopg2


def _sql(query, params=()):
    with psycopg2.connect(os.environ['IMPACT_PG_DSN']) as conn, conn.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall()


def test_customer_history_over_rpc(admin):
    # the demo customer with the most confirmed latest-revision orders, counted straight in SQL
    rows = _sql("""
        SELECT p.commercial_partner_id, COUNT(*) FROM sale_order so JOIN res_partner p ON p.id = so.partner_id
         WHERE so.state IN ('sale', 'done') AND so.is_latest_revision
         GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1""")
    assert rows, 'the demo data has confirmed orders'
    partner_id, count = rows[0]
    [history] = admin('res.partner', 'read', [partner_id],
                      fields=['history_order_count', 'history_amount_ordered', 'history_last_order_date',
                              'history_top_products', 'history_win_rate'])
    assert history['history_order_count'] == count
    assert history['history_amount_ordered'] > 0
    assert history['history_last_order_date']
    assert history['history_top_products']
    assert 0.0 <= history['history_win_rate'] <= 100.0


def test_collection_report_and_lead_amounts_over_rpc(admin):
    rows = admin('crm.collection.report', 'search_read', [],
                 fields=['lead_id', 'amount_outstanding', 'age_bucket', 'age_days'])
    for row in rows:
        assert row['amount_outstanding'] > 0
        assert row['age_bucket'] in ('0_30', '31_60', '61_90', '90_plus')
    leads = admin('crm.lead', 'search_read', [('amount_ordered', '>', 0)],
                  fields=['amount_ordered', 'amount_invoiced', 'amount_paid', 'amount_outstanding'])
    for lead in leads:
        assert abs(lead['amount_invoiced'] - lead['amount_paid'] - lead['amount_outstanding']) < 0.01
