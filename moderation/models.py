# Reports, holds and actions arrive with the moderation issue; this app holds their models then.
