"""The permissions the studio's pages and API check (codenames of the templates_store
models' default and custom permissions)."""

VIEW_COMMUNICATION = "templates_store.view_communication"
ADD_COMMUNICATION = "templates_store.add_communication"
VIEW_VERSION = "templates_store.view_templateversion"
ADD_VERSION = "templates_store.add_templateversion"
CHANGE_VERSION = "templates_store.change_templateversion"
SUBMIT_VERSION = "templates_store.submit_templateversion"
REVIEW_VERSION = "templates_store.review_templateversion"
PUBLISH_VERSION = "templates_store.publish_templateversion"
