# -*- coding: utf-8 -*-
"""Every window the add-on adds or changes opens, for every role, in English and in Hebrew.

Walked as the web client does it, through the ORM as each user: every window action reachable from a menu the user
sees (and the server actions the add-on's and crm's menus run to get one) whose model the add-on adds views or
fields to is opened: ``load_views`` (each view of the action and its search view), the list/kanban/calendar records
with exactly the view's fields (``search_read``, limit 80, the action's domain, context and default filters; a
``read_group`` when the window opens grouped, and the pipeline's stage group bands), every filter and grouping of
the search view (English only: a domain does not depend on the language), ``read_group`` for pivot and graph with
the view's rows, columns and measures, and the form: ``read`` of the records listed with every field of the form
view (invisible ones included) and of their one2many/many2many lines with the fields of the nested view, or
``onchange`` on a new record for a dialog (wizards, settings). The form's buttons that only open a window
(``type="action"`` ones, the smart buttons ``action_view_*`` and the activity log's dialog) are followed the same
way, for the users the view shows them to.

Whatever raises (an access error on a field of a model the role cannot read, a count of records it cannot see, a
computed field failing) is a subtest failing for (role, language, menu, view).
"""
import datetime
import json
import time
import traceback

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.osv import expression
from odoo.tests.common import SavepointCase
from odoo.tools.safe_eval import safe_eval

ROLES = (
    ('rep', ['sales_team.group_sale_salesman']),
    ('rep_all', ['sales_team.group_sale_salesman_all_leads']),
    ('manager', ['sales_team.group_sale_manager']),
    ('accountant', ['account.group_account_invoice']),
    ('employee', ['base.group_user']),
)
LANGS = ('en_US', 'he_IL')
# server actions behind menus that only compute and return a window (never those that change data)
SERVER_ACTIONS = ('crm.action_your_pipeline', 'impact_crm.crm_forecast_calibration_action')
# Odoo models the add-on changes through Python only (no view of its own on them)
EXTRA_MODELS = ('account.invoice',)
# form buttons of type object that only return a window to open
OPENING_BUTTONS = ('action_view_', 'action_log_activity_done')
LIST_TYPES = ('list', 'tree', 'kanban', 'calendar')
LIST_LIMIT = 80
FORM_RECORDS = 3
TAG_WIDGETS = ('many2many_tags', 'many2many_checkboxes', 'many2many_binary', 'many2many_tags_email')


class TestViewPaths(SavepointCase):

    @classmethod
    def setUpClass(cls):
        super(TestViewPaths, cls).setUpClass()
        Users = cls.env['res.users'].with_context(no_reset_password=True, mail_create_nosubscribe=True,
                                                  tracking_disable=True)
        cls.users = []
        for role, groups in ROLES:
            cls.users.append((role, Users.create({
                'name': 'Views %s' % role, 'login': 'views_%s' % role, 'email': 'views_%s@example.com' % role,
                'groups_id': [(6, 0, [cls.env.ref(group).id for group in groups])]})))
        cls.env['res.lang'].load_lang('he_IL')
        cls.showcase = {}
        # the sales rep's "own documents": the richest demo deal (orders, people) and its orders are the rep's
        rep = cls.users[0][1]
        deals = cls.env['crm.lead'].search([('type', '=', 'opportunity')])
        if deals:
            deal = max(deals, key=lambda lead: (len(lead.order_ids) + len(lead.lead_contact_ids)
                                                if 'lead_contact_ids' in lead._fields else len(lead.order_ids)))
            deal.write({'user_id': rep.id})
            deal.order_ids.filtered('is_latest_revision').write({'user_id': rep.id})
            cls.showcase = {'crm.lead': set(deal.ids), 'sale.order': set(deal.order_ids.ids),
                            'res.partner': set(deal.partner_id.ids)}
        Views = cls.env['ir.ui.view']
        data = cls.env['ir.model.data'].search([('module', '=', 'impact_crm'), ('model', '=', 'ir.ui.view')])
        models = set(Views.browse(data.mapped('res_id')).exists().mapped('model'))
        models |= set(EXTRA_MODELS)
        models.discard(False)
        cls.models = models

    def _try(self, path, view, function, *args):
        """Run one step of opening a window: a subtest for (role, language, menu, view). An error is the
        subtest's failure (with Odoo's test runner; under pytest, which has no subtests, all are listed at the
        end); the step's result is returned, ``None`` when it failed."""
        with self.subTest(path=path, view=view):
            try:
                with self.env.cr.savepoint():
                    return function(*args)
            except Exception as error:  # noqa: B902 (any error opening a window is the finding)
                message = '%s [%s]: %s: %s\n%s' % (
                    path, view, type(error).__name__, error, ''.join(traceback.format_exc().splitlines(True)[-6:]))
                self.failures.append(message)
                if getattr(self._outcome, 'result_supports_subtests', False):
                    self.fail(message)
        return None

    # ------------------------------------------------------------------
    # the web client's evaluation of actions' domains and contexts
    # ------------------------------------------------------------------
    def _eval_context(self, env, context, extra=None):
        values = dict(context)
        values.update({
            'uid': env.uid, 'context': context, 'time': time, 'datetime': datetime, 'relativedelta': relativedelta,
            'context_today': lambda: datetime.date.today(), 'current_date': time.strftime('%Y-%m-%d'),
        })
        values.update(extra or {})
        return values

    def _eval(self, value, env, context, default, extra=None):
        if not value:
            return default
        if isinstance(value, str):
            return safe_eval(value, self._eval_context(env, context, extra))
        return value

    def _search_defaults(self, env, search_view, context):
        """The domain and grouping the search view's default filters (``search_default_*``) put on the window."""
        domains, group_by = [], []
        arch = etree.fromstring(search_view['arch'])
        for key, value in context.items():
            if not key.startswith('search_default_') or not value:
                continue
            name = key[len('search_default_'):]
            for node in arch.iter('filter', 'field'):
                if node.get('name') != name:
                    continue
                if node.tag == 'filter':
                    if node.get('domain'):
                        domains.append(self._eval(node.get('domain'), env, context, []))
                    node_context = self._eval(node.get('context'), env, context, {})
                    if node_context.get('group_by'):
                        group_by.append(node_context['group_by'])
                elif node.get('filter_domain'):
                    domains.append(self._eval(node.get('filter_domain'), env, context, [], {'self': value}))
                else:
                    field = search_view['fields'].get(name, {})
                    operator = node.get('operator') or (
                        '=' if field.get('type') in ('many2one', 'selection', 'integer', 'boolean') else 'ilike')
                    domains.append([(name, operator, value)])
                break
        return expression.AND(domains) if domains else [], group_by

    # ------------------------------------------------------------------
    # opening a window
    # ------------------------------------------------------------------
    def _open(self, env, action, path, active=None, depth=0):
        """Open the window ``action`` (a dict, as the web client receives it) as ``env``'s user."""
        context = dict(env['res.users'].context_get())
        extra = {}
        if active is not None:
            extra = {'active_id': active.id, 'active_ids': active.ids, 'active_model': active._name}
            context.update(extra)
        context.update(self._eval(action.get('context'), env, context, {}, extra))
        domain = action_domain = self._eval(action.get('domain'), env, context, [], extra)
        Model = env[action['res_model']].with_context(context)
        views = [list(view) for view in action.get('views') or []] or [
            [False, mode] for mode in (action.get('view_mode') or 'tree,form').split(',')]
        search_view = action.get('search_view_id')
        search_view = search_view[0] if isinstance(search_view, (list, tuple)) else search_view
        result = self._try(path, 'load_views', Model.load_views, views + [[search_view or False, 'search']],
                           {'toolbar': True, 'load_filters': True})
        if result is None:
            return
        fviews = result['fields_views']
        default_domain, group_by = self._search_defaults(env, fviews['search'], context)
        domain = expression.AND([domain, default_domain]) if default_domain else domain
        if context.get('group_by'):
            group_by = [context['group_by']] if isinstance(context['group_by'], str) else list(context['group_by'])
        dialog = action.get('target') in ('new', 'inline') and not action.get('res_id')
        state = {'ids': [action['res_id']] if action.get('res_id') else None}

        def list_view(fview, view_type):
            names = list(fview['fields'])
            arch = etree.fromstring(fview['arch'])
            groups = group_by or ([arch.get('default_group_by')] if view_type == 'kanban' and
                                  arch.get('default_group_by') else [])
            if groups:
                columns = Model.read_group(domain, names, groups[:1], lazy=True)
                if view_type == 'kanban' and Model._name == 'crm.lead' and groups[0].split(':')[0] == 'stage_id':
                    # the pipeline's kanban (static/src/js/pipeline_kanban.js) asks for its stage group bands
                    Model.impact_stage_group_bands(domain, [column['stage_id'][0] for column in columns
                                                            if column['stage_id']])
            rows = Model.search_read(domain, names, limit=LIST_LIMIT)
            if state['ids'] is None:
                state['ids'] = [row['id'] for row in rows]

        if depth == 0 and context.get('lang') == LANGS[0]:
            self._try(path, 'search filters', self._search_filters, Model, action_domain, fviews['search'], context)
        for _view_id, view_type in views:
            fview = fviews.get(view_type)
            if not fview:
                continue
            if view_type in LIST_TYPES and not dialog:
                self._try(path, view_type, list_view, fview, view_type)
            elif view_type in ('pivot', 'graph') and not dialog:
                self._try(path, view_type, self._read_group, Model, domain, fview)
            elif view_type == 'form' and dialog:
                self._try(path, view_type, self._new_record, Model, fview)
            elif view_type == 'form':
                if state['ids'] is None:
                    state['ids'] = self._try(path, 'search', lambda: Model.search(domain, limit=FORM_RECORDS).ids)
                ids = state['ids'] or []
                # the records set up for the roles (the rep's own deal and orders) first, when listed
                showcase = self.showcase.get(Model._name, ())
                state['ids'] = ids = [i for i in ids if i in showcase] + [i for i in ids if i not in showcase]
                for record in Model.browse(ids[:FORM_RECORDS]):
                    # several menus open the same form (five of them the partners'): each record's once
                    key = (env.uid, env.lang, Model._name, fview['view_id'], record.id)
                    if key in self.forms_read:
                        continue
                    self.forms_read.add(key)
                    self._try(path, 'form %s' % record.id, self._read_form, record, fview)
                    if depth == 0 and record.id == state['ids'][0]:
                        self._follow_buttons(env, record, fview, '%s > %s' % (path, record.id))

    def _search_filters(self, Model, domain, search_view, context):
        """Every filter and grouping the search view offers, applied alone."""
        for node in etree.fromstring(search_view['arch']).iter('filter'):
            if json.loads(node.get('modifiers') or '{}').get('invisible') is True:
                continue
            if node.get('domain'):
                Model.search_count(expression.AND([domain, self._eval(node.get('domain'), Model.env, context, [])]))
            group_by = self._eval(node.get('context'), Model.env, context, {}).get('group_by')
            if group_by:
                group_by = [group_by] if isinstance(group_by, str) else group_by
                Model.read_group(domain, [name.split(':')[0] for name in group_by], group_by[:1], lazy=True)

    def _read_group(self, Model, domain, fview):
        rows, cols, measures = [], [], []
        for node in etree.fromstring(fview['arch']).iter('field'):
            name = node.get('name')
            if node.get('interval'):
                name = '%s:%s' % (name, node.get('interval'))
            kind = node.get('type') or 'row'
            {'row': rows, 'col': cols, 'measure': measures}.get(kind, rows).append(name)
        names = measures + [name.split(':')[0] for name in rows + cols]
        Model.read_group(domain, names, rows[:1], lazy=False)
        if cols:
            Model.read_group(domain, names, rows + cols, lazy=False)

    def _read_form(self, record, fview):
        """``read`` with every field of the form, then every line of its x2many fields with their own view's."""
        values = record.read(list(fview['fields']))[0]
        arch = etree.fromstring(fview['arch'])
        widgets = {node.get('name'): (node.get('widget'), node.get('mode')) for node in arch.iter('field')}
        for name, field in fview['fields'].items():
            if field['type'] not in ('one2many', 'many2many') or not values.get(name):
                continue
            lines = record.env[field['relation']].browse(values[name])
            subviews = field.get('views') or {}
            widget, mode = widgets.get(name, (None, None))
            if subviews:
                for subview in subviews.values():
                    lines.read(list(subview['fields']))
            elif widget in TAG_WIDGETS:
                lines.read(['display_name'])
            else:
                mode = (mode or 'tree').split(',')[0]
                mode = 'tree' if mode == 'list' else mode
                lines.read(list(lines.fields_view_get(view_type=mode)['fields']))

    def _new_record(self, Model, fview):
        """A dialog (a wizard, the settings) opens on a new record: ``onchange`` with the form's fields."""
        spec = Model._onchange_spec(view_info=fview)
        Model.onchange({}, [], spec)

    def _follow_buttons(self, env, record, fview, path):
        """The buttons of the form this user is shown (not hidden by their groups) that only open a window."""
        for node in etree.fromstring(fview['arch']).iter('button'):
            name, kind = node.get('name') or '', node.get('type')
            if json.loads(node.get('modifiers') or '{}').get('invisible') is True:
                continue  # groups= the user is not in (the view keeps the button, hidden) or always hidden
            action = None
            if kind == 'action' and name.isdigit():
                action = self._try(path, 'button %s' % name, lambda: env[
                    env['ir.actions.actions'].sudo().browse(int(name)).type].browse(int(name)).read()[0])
            elif kind == 'object' and name.startswith(OPENING_BUTTONS):
                action = self._try(path, 'button %s' % name, getattr(record, name))
            if isinstance(action, dict) and action.get('type') == 'ir.actions.act_window':
                self._open(env, action, '%s > %s' % (path, node.get('string') or name), active=record, depth=1)

    def _menu_actions(self, env):
        """The window actions of the menus ``env``'s user sees (the menu and all its parents visible), on a model
        the add-on changes."""
        server_actions = {self.env.ref(xmlid).id for xmlid in SERVER_ACTIONS}
        visible = env['ir.ui.menu']._visible_menu_ids()
        seen = set()
        for menu in self.env['ir.ui.menu'].with_context(lang='en_US').browse(sorted(visible)):
            action, parent = menu.action, menu.parent_id
            while parent and parent.id in visible:
                parent = parent.parent_id
            if not action or parent or (action._name, action.id) in seen:
                continue
            seen.add((action._name, action.id))
            if action._name == 'ir.actions.act_window' and action.res_model in self.models:
                yield menu.complete_name, (lambda action=action: env[action._name].browse(action.id).read()[0])
            elif action._name == 'ir.actions.server' and action.id in server_actions:
                yield menu.complete_name, (lambda action=action: env[action._name].browse(action.id).run())

    def test_every_window_opens_for_every_role_in_every_language(self):
        self.failures = []
        self.forms_read = set()
        opened = set()
        for role, user in self.users:
            for lang in LANGS:
                user.sudo().write({'lang': lang})
                env = self.env(user=user.id, context={'lang': lang, 'tz': 'Asia/Jerusalem'})
                for menu, load in self._menu_actions(env):
                    path = '%s/%s/%s' % (role, lang, menu)
                    action = self._try(path, 'action', load)
                    if isinstance(action, dict) and action.get('type') == 'ir.actions.act_window':
                        self._open(env, action, path)
                        opened.add((role, menu))
                    env.cache.invalidate()
        if not getattr(self._outcome, 'result_supports_subtests', False):
            self.assertFalse(self.failures, '%d step(s) failed opening windows:\n%s' % (
                len(self.failures), '\n'.join(self.failures)))
        # the walk reaches the add-on's windows for the roles the menus are for
        for role, menu in (('rep', 'CRM'), ('manager', 'CRM/Reporting/Stage Probability Calibration'),
                           ('accountant', 'Invoicing/Sales/Collection of Won Deals'),
                           ('employee', 'Contacts/Contacts')):
            self.assertIn((role, menu), opened)
