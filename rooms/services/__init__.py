"""Room services: `access_*` fetch and check permission, `check_*` validate, `do_*` change data
and send the live event after commit. Views and the room consumer call only these."""
