odoo.define('impact_crm.PipelineKanban', function (require) {
"use strict";
/**
 * The pipeline kanban of impact_crm (js_class="impact_crm_pipeline_kanban" on crm's kanban view):
 *  - grouped by stage, its columns are gathered into bands, one per stage group (Open, Execution,
 *    Closed), headed by the group's name and the expected and weighted revenue of its deals; folding a
 *    band folds its stages;
 *  - a card dropped into the Lost stage opens the lost dialog (reason, competitor, price, note)
 *    instead of being refused by the server; cancelling the dialog puts the card back.
 */
var core = require('web.core');
var field_utils = require('web.field_utils');
var KanbanController = require('web.KanbanController');
var KanbanRenderer = require('web.KanbanRenderer');
var KanbanView = require('web.KanbanView');
var session = require('web.session');
var viewRegistry = require('web.view_registry');

var QWeb = core.qweb;

var PipelineKanbanRenderer = KanbanRenderer.extend({
    /**
     * @override
     */
    init: function () {
        this._super.apply(this, arguments);
        this._refreshBandsSoon = _.debounce(this.refreshBands.bind(this), 100);
    },
    events: _.extend({}, KanbanRenderer.prototype.events, {
        'click .o_impact_band_header': '_onBandHeaderClick',
    }),

    //--------------------------------------------------------------------------
    // Public
    //--------------------------------------------------------------------------

    /**
     * @returns {Object|null} the stage-group data of the last rendering
     */
    getBands: function () {
        return this.bands;
    },
    /**
     * Re-reads the groups' totals (after a card moved) and updates the bands' headers.
     *
     * @returns {Deferred}
     */
    refreshBands: function () {
        var self = this;
        if (!this.bands || this.isDestroyed()) {
            return $.when();
        }
        return this._fetchBands().then(function (bands) {
            self.bands = bands;
            _.each(bands.bands, function (band) {
                var $band = self.$('.o_impact_band[data-band-id="' + band.id + '"]');
                $band.find('> .o_impact_band_header').replaceWith(self._renderBandHeader(band));
            });
            self._updateBandsFold();
        });
    },
    /**
     * @override
     */
    updateColumn: function () {
        var self = this;
        return this._super.apply(this, arguments).then(function () {
            self._updateBandsFold();
            // a card moved (both columns are updated) or a column folded: one refresh of the totals
            self._refreshBandsSoon();
        });
    },

    //--------------------------------------------------------------------------
    // Private
    //--------------------------------------------------------------------------

    /**
     * @private
     * @returns {boolean} true if the kanban shows one column per stage
     */
    _isGroupedByStage: function () {
        var groupedBy = this.state.groupedBy;
        return groupedBy.length === 1 && groupedBy[0].split(':')[0] === 'stage_id';
    },
    /**
     * @private
     * @returns {Deferred} the bands of the columns shown, from the server
     */
    _fetchBands: function () {
        var stageIds = _.filter(_.pluck(this.state.data, 'res_id'), _.isNumber);
        return this._rpc({
            model: 'crm.lead',
            method: 'impact_stage_group_bands',
            args: [this.state.domain, stageIds],
            context: session.user_context,
        });
    },
    /**
     * @private
     * @param {number} value
     * @returns {string} the amount in the company currency, as Odoo's monetary fields show it
     */
    _formatAmount: function (value) {
        // whole units: a band's header sums many deals
        var currency = _.extend({}, session.get_currency(this.bands.currency_id), {digits: [69, 0]});
        return field_utils.format.monetary(value, {}, {currency: currency});
    },
    /**
     * @private
     * @param {Object} band
     * @returns {jQuery}
     */
    _renderBandHeader: function (band) {
        return $(QWeb.render('impact_crm.PipelineBandHeader', {
            band: band,
            expected: this._formatAmount(band.expected),
            weighted: this._formatAmount(band.weighted),
        }));
    },
    /**
     * Gathers the columns into their stage group's band, in the columns' order.
     *
     * @private
     */
    _renderBands: function () {
        var self = this;
        var bandOf = {};
        _.each(this.bands.bands, function (band) {
            _.each(band.stage_ids, function (stageId) {
                bandOf[stageId] = band;
            });
        });
        var $bands = [];
        var $current = null;
        var currentKey = null;
        _.each(this.widgets, function (column) {
            var band = bandOf[column.id];
            var key = band ? band.id : 'none';
            if (key !== currentKey) {
                $current = $('<div>', {'class': 'o_impact_band'}).attr('data-band-id', band ? band.id : '');
                if (band) {
                    $current.addClass('o_impact_band_' + band.kind).append(self._renderBandHeader(band));
                } else {
                    $current.append($('<div>', {'class': 'o_impact_band_header o_impact_band_empty'}));
                }
                $current.append($('<div>', {'class': 'o_impact_band_columns'}));
                $bands.push($current);
                currentKey = key;
            }
            $current.find('> .o_impact_band_columns').append(column.$el);
        });
        this.$el.addClass('o_impact_banded').prepend($bands);
        this._updateBandsFold();
    },
    /**
     * @override
     * @private
     */
    _renderView: function () {
        var self = this;
        var _super = this._super.bind(this);
        this.$el.removeClass('o_impact_banded');
        if (!this._isGroupedByStage() || !this.state.data.length) {
            this.bands = null;
            return _super();
        }
        return this._fetchBands().then(function (bands) {
            self.bands = bands;
            return _super();
        }).then(function () {
            if (self.bands) {
                self._renderBands();
            }
        });
    },
    /**
     * A band whose columns are all folded is folded.
     *
     * @private
     */
    _updateBandsFold: function () {
        this.$('.o_impact_band').each(function () {
            var $band = $(this);
            var $columns = $band.find('> .o_impact_band_columns > .o_kanban_group');
            var folded = $columns.length > 0 && $columns.filter('.o_column_folded').length === $columns.length;
            $band.toggleClass('o_impact_band_folded', folded);
        });
    },

    //--------------------------------------------------------------------------
    // Handlers
    //--------------------------------------------------------------------------

    /**
     * Folds the band's stages, or unfolds them all when the band is folded.
     *
     * @private
     * @param {MouseEvent} ev
     */
    _onBandHeaderClick: function (ev) {
        ev.stopPropagation();
        var $band = $(ev.currentTarget).closest('.o_impact_band');
        var fold = !$band.hasClass('o_impact_band_folded');
        var dbIds = _.pluck(_.filter(this.widgets, function (column) {
            return $.contains($band[0], column.el) && column.folded !== fold;
        }), 'db_id');
        this.trigger_up('impact_band_toggle_fold', {columnIDs: dbIds});
    },
});

var PipelineKanbanController = KanbanController.extend({
    custom_events: _.extend({}, KanbanController.prototype.custom_events, {
        impact_band_toggle_fold: '_onBandToggleFold',
    }),

    //--------------------------------------------------------------------------
    // Handlers
    //--------------------------------------------------------------------------

    /**
     * A card dropped into the Lost stage opens the lost dialog; whatever the dialog ends with (lost,
     * or cancelled), the kanban is reloaded from the server: a cancelled card is back in its column.
     *
     * @override
     * @private
     */
    _onAddRecordToColumn: function (ev) {
        var self = this;
        var bands = this.renderer.getBands();
        var column = ev.target;
        if (!bands || !_.contains(bands.lost_stage_ids, column.id)) {
            return this._super.apply(this, arguments);
        }
        var record = ev.data.record;
        this.do_action('crm.crm_lead_lost_action', {
            additional_context: {
                active_id: record.id,
                active_ids: [record.id],
                active_model: 'crm.lead',
            },
            on_close: function () {
                self.reload();
            },
        });
    },
    /**
     * @private
     * @param {OdooEvent} ev
     */
    _onBandToggleFold: function (ev) {
        var self = this;
        var defs = _.map(ev.data.columnIDs, function (dbID) {
            return self.model.toggleGroup(dbID).then(function (newID) {
                return self.renderer.updateColumn(newID, self.model.get(newID));
            });
        });
        $.when.apply($, defs).then(function () {
            self._updateEnv();
        });
    },
});

var PipelineKanbanView = KanbanView.extend({
    config: _.extend({}, KanbanView.prototype.config, {
        Controller: PipelineKanbanController,
        Renderer: PipelineKanbanRenderer,
    }),
});

viewRegistry.add('impact_crm_pipeline_kanban', PipelineKanbanView);

return {
    Controller: PipelineKanbanController,
    Renderer: PipelineKanbanRenderer,
    View: PipelineKanbanView,
};

});
