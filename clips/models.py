# Audience clips and consent arrive with the clips issue; this app holds their models then.
