CREATE TABLE `binding_discoveries` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`channel` text NOT NULL,
	`status` text NOT NULL,
	`strategy` text NOT NULL,
	`total` integer DEFAULT 0 NOT NULL,
	`checked` integer DEFAULT 0 NOT NULL,
	`found` integer DEFAULT 0 NOT NULL,
	`not_found` integer DEFAULT 0 NOT NULL,
	`error` text,
	`cursor` text,
	`step` integer DEFAULT 0 NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`lease_until` text,
	`started_by` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `discoveries_tenant_channel` ON `binding_discoveries` (`tenant_id`,`channel`,`started_at`);--> statement-breakpoint
CREATE INDEX `discoveries_status_updated` ON `binding_discoveries` (`status`,`updated_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `discoveries_one_running` ON `binding_discoveries` (`tenant_id`,`channel`) WHERE status = 'RUNNING';--> statement-breakpoint
CREATE TABLE `binding_suggestions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`user_row_id` text NOT NULL,
	`channel` text NOT NULL,
	`external_id` text NOT NULL,
	`external_name` text,
	`status` text DEFAULT 'PROPOSED' NOT NULL,
	`discovery_id` text,
	`resolved_by` text,
	`resolved_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suggestions_tenant_user_account` ON `binding_suggestions` (`tenant_id`,`user_row_id`,`channel`,`external_id`);--> statement-breakpoint
CREATE INDEX `suggestions_tenant_status` ON `binding_suggestions` (`tenant_id`,`status`,`created_at`,`id`);--> statement-breakpoint
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