CREATE TABLE `line_reply_tokens` (
	`tenant_id` text NOT NULL,
	`decision_id` text NOT NULL,
	`reply_token` text NOT NULL,
	`expires_at` text NOT NULL,
	PRIMARY KEY(`tenant_id`, `decision_id`)
);
--> statement-breakpoint
ALTER TABLE `deliveries` ADD `message_channel` text;--> statement-breakpoint
ALTER TABLE `deliveries` ADD `message_ts` text;--> statement-breakpoint
ALTER TABLE `users` ADD `line_works_resource_id` text;--> statement-breakpoint
ALTER TABLE `workflow_events` ADD `actions` text DEFAULT '[]' NOT NULL;--> statement-breakpoint
CREATE INDEX `events_tenant_document` ON `workflow_events` (`tenant_id`,`document_id`,`created_at`);