CREATE TABLE `absences` (
	`id` text PRIMARY KEY NOT NULL,
	`tenant_id` text NOT NULL,
	`absence_id` text NOT NULL,
	`user_row_id` text NOT NULL,
	`title` text NOT NULL,
	`start_date` text NOT NULL,
	`end_date` text NOT NULL,
	`all_day` integer NOT NULL,
	`start_time` text,
	`end_time` text,
	`time_zone` text NOT NULL,
	`note` text,
	`cancelled` integer DEFAULT false NOT NULL,
	`sync_status` text NOT NULL,
	`calendar_event_id` text,
	`calendar_user_id` text,
	`reason` text,
	`attempts` integer DEFAULT 0 NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`synced_version` integer DEFAULT 0 NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	`due_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `absences_tenant_absence` ON `absences` (`tenant_id`,`absence_id`);--> statement-breakpoint
CREATE INDEX `absences_tenant_user_start` ON `absences` (`tenant_id`,`user_row_id`,`start_date`);--> statement-breakpoint
CREATE INDEX `absences_status_due` ON `absences` (`sync_status`,`due_at`);