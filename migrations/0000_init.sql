CREATE TABLE `audit_log` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`at` text NOT NULL,
	`actor` text NOT NULL,
	`action` text NOT NULL,
	`target` text,
	`detail` text
);
--> statement-breakpoint
CREATE INDEX `audit_tenant_at` ON `audit_log` (`tenant_id`,`at`,`id`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`event_id` text NOT NULL,
	`user_row_id` text NOT NULL,
	`channel` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`reason` text,
	`provider_message_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`sent_at` text,
	`due_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `deliveries_tenant_created` ON `deliveries` (`tenant_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `deliveries_tenant_event` ON `deliveries` (`tenant_id`,`event_id`,`status`);--> statement-breakpoint
CREATE INDEX `deliveries_tenant_user` ON `deliveries` (`tenant_id`,`user_row_id`);--> statement-breakpoint
CREATE INDEX `deliveries_status_due` ON `deliveries` (`status`,`due_at`);--> statement-breakpoint
CREATE TABLE `integrations` (
	`tenant_id` text NOT NULL,
	`kind` text NOT NULL,
	`enabled` integer DEFAULT false NOT NULL,
	`status` text DEFAULT 'DISABLED' NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`secrets` text DEFAULT '{}' NOT NULL,
	`last_verified_at` text,
	`last_error` text,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`tenant_id`, `kind`)
);
--> statement-breakpoint
CREATE TABLE `notification_rules` (
	`tenant_id` text NOT NULL,
	`type` text NOT NULL,
	`channel` text NOT NULL,
	`enabled` integer NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	PRIMARY KEY(`tenant_id`, `type`, `channel`)
);
--> statement-breakpoint
CREATE TABLE `users` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`user_id` text NOT NULL,
	`display_name` text,
	`email` text,
	`locale` text DEFAULT 'JA' NOT NULL,
	`line_works_user_id` text,
	`slack_member_id` text,
	`slack_dm_channel_id` text,
	`slack_error` text,
	`google_chat_webhook` text,
	`google_chat_space` text,
	`google_chat_error` text,
	`line_user_id` text,
	`line_status` text DEFAULT 'NOT_LINKED' NOT NULL,
	`line_display_name` text,
	`line_linked_at` text,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `users_tenant_user` ON `users` (`tenant_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `users_tenant_line` ON `users` (`tenant_id`,`line_user_id`);--> statement-breakpoint
CREATE TABLE `workflow_events` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`type` text NOT NULL,
	`document_id` text NOT NULL,
	`title` text NOT NULL,
	`url` text NOT NULL,
	`actor_name` text,
	`comment` text,
	`occurred_at` text,
	`is_test` integer DEFAULT false NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `events_tenant_key` ON `workflow_events` (`tenant_id`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `events_tenant_created` ON `workflow_events` (`tenant_id`,`created_at`);