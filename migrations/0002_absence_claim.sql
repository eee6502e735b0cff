ALTER TABLE `absences` ADD `claim_id` text;--> statement-breakpoint
ALTER TABLE `absences` ADD `lease_until` text;