// Schema: one uniqueness constraint on id per label (the bookkeeping labels: on their key), the
// run records' scope index, and the stored posture's keys and orders (Derived nodes);
// one statement per line; run on connect.
CREATE CONSTRAINT team_id IF NOT EXISTS FOR (n:Team) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT vendor_id IF NOT EXISTS FOR (n:Vendor) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT integration_id IF NOT EXISTS FOR (n:Integration) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT credential_id IF NOT EXISTS FOR (n:Credential) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT principal_id IF NOT EXISTS FOR (n:Principal) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT scope_id IF NOT EXISTS FOR (n:Scope) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT tenant_id IF NOT EXISTS FOR (n:Tenant) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT data_store_id IF NOT EXISTS FOR (n:DataStore) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT review_id IF NOT EXISTS FOR (n:Review) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT nhigraph_meta_key IF NOT EXISTS FOR (n:NhigraphMeta) REQUIRE n.key IS UNIQUE;
CREATE CONSTRAINT nhigraph_run_id IF NOT EXISTS FOR (n:NhigraphRun) REQUIRE n.id IS UNIQUE;
CREATE INDEX nhigraph_run_scope IF NOT EXISTS FOR (n:NhigraphRun) ON (n.source, n.tenant);
CREATE CONSTRAINT posture_finding_id IF NOT EXISTS FOR (n:Finding) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT posture_integration_id IF NOT EXISTS FOR (n:IntegrationPosture) REQUIRE n.id IS UNIQUE;
CREATE CONSTRAINT posture_shared_id IF NOT EXISTS FOR (n:SharedConnector) REQUIRE n.id IS UNIQUE;
CREATE INDEX posture_finding_order IF NOT EXISTS FOR (n:Finding) ON (n.open, n.severity_rank, n.rule, n.subject, n.id);
CREATE INDEX posture_finding_integration IF NOT EXISTS FOR (n:Finding) ON (n.integration);
CREATE INDEX posture_by_risk IF NOT EXISTS FOR (n:IntegrationPosture) ON (n.risk, n.id);
CREATE INDEX posture_by_due IF NOT EXISTS FOR (n:IntegrationPosture) ON (n.due);
