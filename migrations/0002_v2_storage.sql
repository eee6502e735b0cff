CREATE TABLE `line_quotas` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`month` text NOT NULL,
	`quota_limit` integer,
	`used` integer,
	`checked_at` text,
	`pushed` integer DEFAULT 0 NOT NULL,
	`exhausted_at` text,
	`attempted_at` text,
	`error` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tenant_directory` (
	`tenant_id` text PRIMARY KEY NOT NULL,
	`shard` integer NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
ALTER TABLE `absences` ADD `claim_id` text;--> statement-breakpoint
ALTER TABLE `absences` ADD `lease_until` text;--> statement-breakpoint
-- A database from before sharding keeps its tenants: they are on shard 0. (On a new shard the
-- tables are empty and this inserts nothing.)
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `integrations`;
--> statement-breakpoint
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `notification_rules`;
--> statement-breakpoint
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `users`;
--> statement-breakpoint
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `audit_log`;
--> statement-breakpoint
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `workflow_events`;
--> statement-breakpoint
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `deliveries`;
--> statement-breakpoint
INSERT OR IGNORE INTO `tenant_directory` (`tenant_id`, `shard`) SELECT DISTINCT `tenant_id`, 0 FROM `absences`;
