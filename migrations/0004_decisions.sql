CREATE TABLE `decisions` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`event_id` text NOT NULL,
	`user_row_id` text NOT NULL,
	`delivery_id` text,
	`action` text NOT NULL,
	`channel` text NOT NULL,
	`comment` text,
	`status` text DEFAULT 'PENDING' NOT NULL,
	`reason` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempts_at_retry` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text NOT NULL,
	`claim_id` text,
	`lease_until` text,
	`decided_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `decisions_tenant_event_user` ON `decisions` (`tenant_id`,`event_id`,`user_row_id`);--> statement-breakpoint
CREATE INDEX `decisions_tenant_decided` ON `decisions` (`tenant_id`,`decided_at`,`id`);--> statement-breakpoint
CREATE INDEX `decisions_tenant_user` ON `decisions` (`tenant_id`,`user_row_id`,`decided_at`);--> statement-breakpoint
CREATE INDEX `decisions_status_next` ON `decisions` (`status`,`next_attempt_at`);--> statement-breakpoint
DROP INDEX `events_tenant_document`;--> statement-breakpoint
ALTER TABLE `workflow_events` ADD `actions` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `events_tenant_document` ON `workflow_events` (`tenant_id`,`document_id`,`created_at`);--> statement-breakpoint
ALTER TABLE `deliveries` ADD `message_channel` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `message_ts` text;--> statement-breakpoint
ALTER TABLE `users` ADD `line_works_resource_id` text;