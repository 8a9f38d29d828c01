# The project's commands. Each sets up whatever is missing on a fresh machine.
.PHONY: run test stop pot

run:   ## serve Odoo 11 with impact_crm and demo data on http://127.0.0.1:8069
	@bash tools/run.sh

test:  ## lint, fresh test database, all tests, one summary line
	@bash tools/test.sh

stop:  ## stop the embedded PostgreSQL
	@bash tools/stop.sh

pot:   ## regenerate impact_crm/i18n/impact_crm.pot from the code and merge it into he.po
	@bash tools/i18n.sh
