CREATE TABLE `member_preferences` (
	`tenant_id` text NOT NULL,
	`user_row_id` text NOT NULL,
	`channels_off` text DEFAULT '[]' NOT NULL,
	`quiet_hours` text,
	`digest` text,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `user_row_id`)
);
--> statement-breakpoint
ALTER TABLE `deliveries` ADD `held_until` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `hold` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `digest_id` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `items` integer DEFAULT 1 NOT NULL;--> statement-breakpoint
CREATE INDEX `deliveries_tenant_digest` ON `deliveries` (`tenant_id`,`digest_id`);--> statement-breakpoint
ALTER TABLE `notification_rules` ADD `required` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `notification_rules` ADD `urgent` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `workflow_events` ADD `is_digest` integer DEFAULT false NOT NULL;--> statement-breakpoint
CREATE INDEX `events_tenant_document` ON `workflow_events` (`tenant_id`,`document_id`);