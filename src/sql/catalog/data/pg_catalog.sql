-- pg_am
CREATE TABLE pg_am (oid OID NOT NULL DEFAULT 0, amname TEXT, amhandler TEXT, amtype TEXT);
-- pg_attrdef
CREATE TABLE pg_attrdef (oid OID NOT NULL DEFAULT 0, adrelid OID NOT NULL DEFAULT 0, adnum INTEGER NOT NULL DEFAULT 0, adbin TEXT);
-- pg_attribute
CREATE TABLE pg_attribute (attrelid OID NOT NULL DEFAULT 0, attname TEXT, atttypid OID NOT NULL DEFAULT 0, attstattarget INTEGER NOT NULL DEFAULT 0, attlen INTEGER NOT NULL DEFAULT 0, attnum INTEGER NOT NULL DEFAULT 0, attndims INTEGER NOT NULL DEFAULT 0, attcacheoff INTEGER NOT NULL DEFAULT 0, atttypmod INTEGER NOT NULL DEFAULT 0, attbyval BOOLEAN NOT NULL DEFAULT 0, attalign TEXT, attstorage TEXT, attcompression TEXT, attnotnull BOOLEAN NOT NULL DEFAULT 0, atthasdef BOOLEAN NOT NULL DEFAULT 0, atthasmissing BOOLEAN NOT NULL DEFAULT 0, attidentity TEXT, attgenerated TEXT, attisdropped BOOLEAN NOT NULL DEFAULT 0, attislocal BOOLEAN NOT NULL DEFAULT 0, attinhcount INTEGER NOT NULL DEFAULT 0, attcollation OID NOT NULL DEFAULT 0, attacl TEXT, attoptions TEXT, attfdwoptions TEXT, attmissingval TEXT);
-- pg_auth_members
CREATE TABLE pg_auth_members (roleid OID NOT NULL DEFAULT 0, member OID NOT NULL DEFAULT 0, grantor OID NOT NULL DEFAULT 0, admin_option BOOLEAN NOT NULL DEFAULT 0);
-- pg_cast
CREATE TABLE pg_cast (oid OID NOT NULL DEFAULT 0, castsource OID NOT NULL DEFAULT 0, casttarget OID NOT NULL DEFAULT 0, castfunc OID NOT NULL DEFAULT 0, castcontext TEXT, castmethod TEXT);
-- pg_class
CREATE TABLE pg_class (oid OID NOT NULL DEFAULT 0, relname TEXT, relnamespace OID NOT NULL DEFAULT 0, reltype OID NOT NULL DEFAULT 0, reloftype OID NOT NULL DEFAULT 0, relowner OID NOT NULL DEFAULT 0, relam OID NOT NULL DEFAULT 0, relfilenode OID NOT NULL DEFAULT 0, reltablespace OID NOT NULL DEFAULT 0, relpages INTEGER NOT NULL DEFAULT 0, reltuples REAL NOT NULL DEFAULT 0, relallvisible INTEGER NOT NULL DEFAULT 0, reltoastrelid OID NOT NULL DEFAULT 0, relhasindex BOOLEAN NOT NULL DEFAULT 0, relisshared BOOLEAN NOT NULL DEFAULT 0, relpersistence TEXT, relkind TEXT, relnatts INTEGER NOT NULL DEFAULT 0, relchecks INTEGER NOT NULL DEFAULT 0, relhasrules BOOLEAN NOT NULL DEFAULT 0, relhastriggers BOOLEAN NOT NULL DEFAULT 0, relhassubclass BOOLEAN NOT NULL DEFAULT 0, relrowsecurity BOOLEAN NOT NULL DEFAULT 0, relforcerowsecurity BOOLEAN NOT NULL DEFAULT 0, relispopulated BOOLEAN NOT NULL DEFAULT 0, relreplident TEXT, relispartition BOOLEAN NOT NULL DEFAULT 0, relrewrite OID NOT NULL DEFAULT 0, relfrozenxid INTEGER NOT NULL DEFAULT 0, relminmxid INTEGER NOT NULL DEFAULT 0, relacl TEXT, reloptions TEXT, relpartbound TEXT);
-- pg_collation
CREATE TABLE pg_collation (oid OID NOT NULL DEFAULT 0, collname TEXT, collnamespace OID NOT NULL DEFAULT 0, collowner OID NOT NULL DEFAULT 0, collprovider TEXT, collisdeterministic BOOLEAN NOT NULL DEFAULT 0, collencoding INTEGER NOT NULL DEFAULT 0, collcollate TEXT, collctype TEXT, colliculocale TEXT, collversion TEXT);
-- pg_constraint
CREATE TABLE pg_constraint (oid OID NOT NULL DEFAULT 0, conname TEXT, connamespace OID NOT NULL DEFAULT 0, contype TEXT, condeferrable BOOLEAN NOT NULL DEFAULT 0, condeferred BOOLEAN NOT NULL DEFAULT 0, convalidated BOOLEAN NOT NULL DEFAULT 0, conrelid OID NOT NULL DEFAULT 0, contypid OID NOT NULL DEFAULT 0, conindid OID NOT NULL DEFAULT 0, conparentid OID NOT NULL DEFAULT 0, confrelid OID NOT NULL DEFAULT 0, confupdtype TEXT, confdeltype TEXT, confmatchtype TEXT, conislocal BOOLEAN NOT NULL DEFAULT 0, coninhcount INTEGER NOT NULL DEFAULT 0, connoinherit BOOLEAN NOT NULL DEFAULT 0, conkey TEXT, confkey TEXT, conpfeqop TEXT, conppeqop TEXT, conffeqop TEXT, confdelsetcols TEXT, conexclop TEXT, conbin TEXT);
-- pg_database
CREATE TABLE pg_database (oid OID NOT NULL DEFAULT 0, datname TEXT, datdba OID NOT NULL DEFAULT 0, encoding INTEGER NOT NULL DEFAULT 0, datlocprovider TEXT, datistemplate BOOLEAN NOT NULL DEFAULT 0, datallowconn BOOLEAN NOT NULL DEFAULT 0, datconnlimit INTEGER NOT NULL DEFAULT 0, datfrozenxid INTEGER NOT NULL DEFAULT 0, datminmxid INTEGER NOT NULL DEFAULT 0, dattablespace OID NOT NULL DEFAULT 0, datcollate TEXT, datctype TEXT, daticulocale TEXT, datcollversion TEXT, datacl TEXT);
-- pg_depend
CREATE TABLE pg_depend (classid OID NOT NULL DEFAULT 0, objid OID NOT NULL DEFAULT 0, objsubid INTEGER NOT NULL DEFAULT 0, refclassid OID NOT NULL DEFAULT 0, refobjid OID NOT NULL DEFAULT 0, refobjsubid INTEGER NOT NULL DEFAULT 0, deptype TEXT);
-- pg_description
CREATE TABLE pg_description (objoid OID NOT NULL DEFAULT 0, classoid OID NOT NULL DEFAULT 0, objsubid INTEGER NOT NULL DEFAULT 0, description TEXT);
-- pg_enum
CREATE TABLE pg_enum (oid OID NOT NULL DEFAULT 0, enumtypid OID NOT NULL DEFAULT 0, enumsortorder REAL NOT NULL DEFAULT 0, enumlabel TEXT);
-- pg_event_trigger
CREATE TABLE pg_event_trigger (oid OID NOT NULL DEFAULT 0, evtname TEXT, evtevent TEXT, evtowner OID NOT NULL DEFAULT 0, evtfoid OID NOT NULL DEFAULT 0, evtenabled TEXT, evttags TEXT);
-- pg_extension
CREATE TABLE pg_extension (oid OID NOT NULL DEFAULT 0, extname TEXT, extowner OID NOT NULL DEFAULT 0, extnamespace OID NOT NULL DEFAULT 0, extrelocatable BOOLEAN NOT NULL DEFAULT 0, extversion TEXT, extconfig TEXT, extcondition TEXT);
-- pg_foreign_table
CREATE TABLE pg_foreign_table (ftrelid OID NOT NULL DEFAULT 0, ftserver OID NOT NULL DEFAULT 0, ftoptions TEXT);
-- pg_index
CREATE TABLE pg_index (indexrelid OID NOT NULL DEFAULT 0, indrelid OID NOT NULL DEFAULT 0, indnatts INTEGER NOT NULL DEFAULT 0, indnkeyatts INTEGER NOT NULL DEFAULT 0, indisunique BOOLEAN NOT NULL DEFAULT 0, indnullsnotdistinct BOOLEAN NOT NULL DEFAULT 0, indisprimary BOOLEAN NOT NULL DEFAULT 0, indisexclusion BOOLEAN NOT NULL DEFAULT 0, indimmediate BOOLEAN NOT NULL DEFAULT 0, indisclustered BOOLEAN NOT NULL DEFAULT 0, indisvalid BOOLEAN NOT NULL DEFAULT 0, indcheckxmin BOOLEAN NOT NULL DEFAULT 0, indisready BOOLEAN NOT NULL DEFAULT 0, indislive BOOLEAN NOT NULL DEFAULT 0, indisreplident BOOLEAN NOT NULL DEFAULT 0, indkey TEXT, indcollation TEXT, indclass TEXT, indoption TEXT, indexprs TEXT, indpred TEXT);
-- pg_indexes
CREATE TABLE pg_indexes (schemaname TEXT, tablename TEXT, indexname TEXT, tablespace TEXT, indexdef TEXT);
-- pg_inherits
CREATE TABLE pg_inherits (inhrelid OID NOT NULL DEFAULT 0, inhparent OID NOT NULL DEFAULT 0, inhseqno INTEGER NOT NULL DEFAULT 0, inhdetachpending BOOLEAN NOT NULL DEFAULT 0);
-- pg_language
CREATE TABLE pg_language (oid OID NOT NULL DEFAULT 0, lanname TEXT, lanowner OID NOT NULL DEFAULT 0, lanispl BOOLEAN NOT NULL DEFAULT 0, lanpltrusted BOOLEAN NOT NULL DEFAULT 0, lanplcallfoid OID NOT NULL DEFAULT 0, laninline OID NOT NULL DEFAULT 0, lanvalidator OID NOT NULL DEFAULT 0, lanacl TEXT);
-- pg_matviews
CREATE TABLE pg_matviews (schemaname TEXT, matviewname TEXT, matviewowner TEXT, tablespace TEXT, hasindexes BOOLEAN NOT NULL DEFAULT 0, ispopulated BOOLEAN NOT NULL DEFAULT 0, definition TEXT);
-- pg_namespace
CREATE TABLE pg_namespace (oid OID NOT NULL DEFAULT 0, nspname TEXT, nspowner OID NOT NULL DEFAULT 0, nspacl TEXT);
-- pg_opclass
CREATE TABLE pg_opclass (oid OID NOT NULL DEFAULT 0, opcmethod OID NOT NULL DEFAULT 0, opcname TEXT, opcnamespace OID NOT NULL DEFAULT 0, opcowner OID NOT NULL DEFAULT 0, opcfamily OID NOT NULL DEFAULT 0, opcintype OID NOT NULL DEFAULT 0, opcdefault BOOLEAN NOT NULL DEFAULT 0, opckeytype OID NOT NULL DEFAULT 0);
-- pg_operator
CREATE TABLE pg_operator (oid OID NOT NULL DEFAULT 0, oprname TEXT, oprnamespace OID NOT NULL DEFAULT 0, oprowner OID NOT NULL DEFAULT 0, oprkind TEXT, oprcanmerge BOOLEAN NOT NULL DEFAULT 0, oprcanhash BOOLEAN NOT NULL DEFAULT 0, oprleft OID NOT NULL DEFAULT 0, oprright OID NOT NULL DEFAULT 0, oprresult OID NOT NULL DEFAULT 0, oprcom OID NOT NULL DEFAULT 0, oprnegate OID NOT NULL DEFAULT 0, oprcode TEXT, oprrest TEXT, oprjoin TEXT);
-- pg_partitioned_table
CREATE TABLE pg_partitioned_table (partrelid OID NOT NULL DEFAULT 0, partstrat TEXT, partnatts INTEGER NOT NULL DEFAULT 0, partdefid OID NOT NULL DEFAULT 0, partattrs TEXT, partclass TEXT, partcollation TEXT, partexprs TEXT);
-- pg_policy
CREATE TABLE pg_policy (oid OID NOT NULL DEFAULT 0, polname TEXT, polrelid OID NOT NULL DEFAULT 0, polcmd TEXT, polpermissive BOOLEAN NOT NULL DEFAULT 0, polroles TEXT, polqual TEXT, polwithcheck TEXT);
-- pg_proc
CREATE TABLE pg_proc (oid OID NOT NULL DEFAULT 0, proname TEXT, pronamespace OID NOT NULL DEFAULT 0, proowner OID NOT NULL DEFAULT 0, prolang OID NOT NULL DEFAULT 0, procost REAL NOT NULL DEFAULT 0, prorows REAL NOT NULL DEFAULT 0, provariadic OID NOT NULL DEFAULT 0, prosupport TEXT, prokind TEXT, prosecdef BOOLEAN NOT NULL DEFAULT 0, proleakproof BOOLEAN NOT NULL DEFAULT 0, proisstrict BOOLEAN NOT NULL DEFAULT 0, proretset BOOLEAN NOT NULL DEFAULT 0, provolatile TEXT, proparallel TEXT, pronargs INTEGER NOT NULL DEFAULT 0, pronargdefaults INTEGER NOT NULL DEFAULT 0, prorettype OID NOT NULL DEFAULT 0, proargtypes TEXT, proallargtypes TEXT, proargmodes TEXT, proargnames TEXT, proargdefaults TEXT, protrftypes TEXT, prosrc TEXT, probin TEXT, prosqlbody TEXT, proconfig TEXT, proacl TEXT);
-- pg_publication
CREATE TABLE pg_publication (oid OID NOT NULL DEFAULT 0, pubname TEXT, pubowner OID NOT NULL DEFAULT 0, puballtables BOOLEAN NOT NULL DEFAULT 0, pubinsert BOOLEAN NOT NULL DEFAULT 0, pubupdate BOOLEAN NOT NULL DEFAULT 0, pubdelete BOOLEAN NOT NULL DEFAULT 0, pubtruncate BOOLEAN NOT NULL DEFAULT 0, pubviaroot BOOLEAN NOT NULL DEFAULT 0);
-- pg_publication_namespace
CREATE TABLE pg_publication_namespace (oid OID NOT NULL DEFAULT 0, pnpubid OID NOT NULL DEFAULT 0, pnnspid OID NOT NULL DEFAULT 0);
-- pg_publication_rel
CREATE TABLE pg_publication_rel (oid OID NOT NULL DEFAULT 0, prpubid OID NOT NULL DEFAULT 0, prrelid OID NOT NULL DEFAULT 0, prqual TEXT, prattrs TEXT);
-- pg_range
CREATE TABLE pg_range (rngtypid OID NOT NULL DEFAULT 0, rngsubtype OID NOT NULL DEFAULT 0, rngmultitypid OID NOT NULL DEFAULT 0, rngcollation OID NOT NULL DEFAULT 0, rngsubopc OID NOT NULL DEFAULT 0, rngcanonical TEXT, rngsubdiff TEXT);
-- pg_rewrite
CREATE TABLE pg_rewrite (oid OID NOT NULL DEFAULT 0, rulename TEXT, ev_class OID NOT NULL DEFAULT 0, ev_type TEXT, ev_enabled TEXT, is_instead BOOLEAN NOT NULL DEFAULT 0, ev_qual TEXT, ev_action TEXT);
-- pg_roles
CREATE TABLE pg_roles (rolname TEXT, rolsuper BOOLEAN NOT NULL DEFAULT 0, rolinherit BOOLEAN NOT NULL DEFAULT 0, rolcreaterole BOOLEAN NOT NULL DEFAULT 0, rolcreatedb BOOLEAN NOT NULL DEFAULT 0, rolcanlogin BOOLEAN NOT NULL DEFAULT 0, rolreplication BOOLEAN NOT NULL DEFAULT 0, rolconnlimit INTEGER NOT NULL DEFAULT 0, rolpassword TEXT, rolvaliduntil TEXT, rolbypassrls BOOLEAN NOT NULL DEFAULT 0, rolconfig TEXT, oid OID NOT NULL DEFAULT 0);
-- pg_sequence
CREATE TABLE pg_sequence (seqrelid OID NOT NULL DEFAULT 0, seqtypid OID NOT NULL DEFAULT 0, seqstart INTEGER NOT NULL DEFAULT 0, seqincrement INTEGER NOT NULL DEFAULT 0, seqmax INTEGER NOT NULL DEFAULT 0, seqmin INTEGER NOT NULL DEFAULT 0, seqcache INTEGER NOT NULL DEFAULT 0, seqcycle BOOLEAN NOT NULL DEFAULT 0);
-- pg_sequences
CREATE TABLE pg_sequences (schemaname TEXT, sequencename TEXT, sequenceowner TEXT, data_type INTEGER NOT NULL DEFAULT 0, start_value INTEGER NOT NULL DEFAULT 0, min_value INTEGER NOT NULL DEFAULT 0, max_value INTEGER NOT NULL DEFAULT 0, increment_by INTEGER NOT NULL DEFAULT 0, cycle BOOLEAN NOT NULL DEFAULT 0, cache_size INTEGER NOT NULL DEFAULT 0, last_value INTEGER NOT NULL DEFAULT 0);
-- pg_settings
CREATE TABLE pg_settings (name TEXT, setting TEXT, unit TEXT, category TEXT, short_desc TEXT, extra_desc TEXT, context TEXT, vartype TEXT, source TEXT, min_val TEXT, max_val TEXT, enumvals TEXT, boot_val TEXT, reset_val TEXT, sourcefile TEXT, sourceline INTEGER NOT NULL DEFAULT 0, pending_restart BOOLEAN NOT NULL DEFAULT 0);
-- pg_shdescription
CREATE TABLE pg_shdescription (objoid OID NOT NULL DEFAULT 0, classoid OID NOT NULL DEFAULT 0, description TEXT);
-- pg_stat_activity
CREATE TABLE pg_stat_activity (datid OID NOT NULL DEFAULT 0, datname TEXT, pid INTEGER NOT NULL DEFAULT 0, leader_pid INTEGER NOT NULL DEFAULT 0, usesysid OID NOT NULL DEFAULT 0, usename TEXT, application_name TEXT, client_addr TEXT, client_hostname TEXT, client_port INTEGER NOT NULL DEFAULT 0, backend_start TEXT, xact_start TEXT, query_start TEXT, state_change TEXT, wait_event_type TEXT, wait_event TEXT, state TEXT, backend_xid INTEGER NOT NULL DEFAULT 0, backend_xmin INTEGER NOT NULL DEFAULT 0, query_id INTEGER NOT NULL DEFAULT 0, query TEXT, backend_type TEXT);
-- pg_statistic_ext
CREATE TABLE pg_statistic_ext (oid OID NOT NULL DEFAULT 0, stxrelid OID NOT NULL DEFAULT 0, stxname TEXT, stxnamespace OID NOT NULL DEFAULT 0, stxowner OID NOT NULL DEFAULT 0, stxstattarget INTEGER NOT NULL DEFAULT 0, stxkeys TEXT, stxkind TEXT, stxexprs TEXT);
-- pg_tables
CREATE TABLE pg_tables (schemaname TEXT, tablename TEXT, tableowner TEXT, tablespace TEXT, hasindexes BOOLEAN NOT NULL DEFAULT 0, hasrules BOOLEAN NOT NULL DEFAULT 0, hastriggers BOOLEAN NOT NULL DEFAULT 0, rowsecurity BOOLEAN NOT NULL DEFAULT 0);
-- pg_tablespace
CREATE TABLE pg_tablespace (oid OID NOT NULL DEFAULT 0, spcname TEXT, spcowner OID NOT NULL DEFAULT 0, spcacl TEXT, spcoptions TEXT);
-- pg_trigger
CREATE TABLE pg_trigger (oid OID NOT NULL DEFAULT 0, tgrelid OID NOT NULL DEFAULT 0, tgparentid OID NOT NULL DEFAULT 0, tgname TEXT, tgfoid OID NOT NULL DEFAULT 0, tgtype INTEGER NOT NULL DEFAULT 0, tgenabled TEXT, tgisinternal BOOLEAN NOT NULL DEFAULT 0, tgconstrrelid OID NOT NULL DEFAULT 0, tgconstrindid OID NOT NULL DEFAULT 0, tgconstraint OID NOT NULL DEFAULT 0, tgdeferrable BOOLEAN NOT NULL DEFAULT 0, tginitdeferred BOOLEAN NOT NULL DEFAULT 0, tgnargs INTEGER NOT NULL DEFAULT 0, tgattr TEXT, tgargs TEXT, tgqual TEXT, tgoldtable TEXT, tgnewtable TEXT);
-- pg_type
CREATE TABLE pg_type (oid OID NOT NULL DEFAULT 0, typname TEXT, typnamespace OID NOT NULL DEFAULT 0, typowner OID NOT NULL DEFAULT 0, typlen INTEGER NOT NULL DEFAULT 0, typbyval BOOLEAN NOT NULL DEFAULT 0, typtype TEXT, typcategory TEXT, typispreferred BOOLEAN NOT NULL DEFAULT 0, typisdefined BOOLEAN NOT NULL DEFAULT 0, typdelim TEXT, typrelid OID NOT NULL DEFAULT 0, typsubscript TEXT, typelem OID NOT NULL DEFAULT 0, typarray OID NOT NULL DEFAULT 0, typinput TEXT, typoutput TEXT, typreceive TEXT, typsend TEXT, typmodin TEXT, typmodout TEXT, typanalyze TEXT, typalign TEXT, typstorage TEXT, typnotnull BOOLEAN NOT NULL DEFAULT 0, typbasetype OID NOT NULL DEFAULT 0, typtypmod INTEGER NOT NULL DEFAULT 0, typndims INTEGER NOT NULL DEFAULT 0, typcollation OID NOT NULL DEFAULT 0, typdefaultbin TEXT, typdefault TEXT, typacl TEXT);
-- pg_user
CREATE TABLE pg_user (usename TEXT, usesysid OID NOT NULL DEFAULT 0, usecreatedb BOOLEAN NOT NULL DEFAULT 0, usesuper BOOLEAN NOT NULL DEFAULT 0, userepl BOOLEAN NOT NULL DEFAULT 0, usebypassrls BOOLEAN NOT NULL DEFAULT 0, passwd TEXT, valuntil TEXT, useconfig TEXT);
-- pg_views
CREATE TABLE pg_views (schemaname TEXT, viewname TEXT, viewowner TEXT, definition TEXT);
