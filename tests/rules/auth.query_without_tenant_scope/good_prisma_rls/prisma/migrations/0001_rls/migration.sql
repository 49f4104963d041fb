-- Postgres row-level security on the tenant tables: the database filters by organisation itself.
ALTER TABLE "Document" ENABLE ROW LEVEL SECURITY;
ALTER TABLE "Report" ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON "Document" USING ("orgId" = current_setting('app.org_id'));
CREATE POLICY tenant_isolation ON "Report" USING ("orgId" = current_setting('app.org_id'));
