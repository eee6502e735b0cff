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
